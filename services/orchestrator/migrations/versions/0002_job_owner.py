"""jobs.owner_id: the user a job belongs to

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("owner_id", postgresql.UUID(as_uuid=False)))
    op.create_index("jobs_owner_created", "jobs", ["owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("jobs_owner_created")
    op.drop_column("jobs", "owner_id")
