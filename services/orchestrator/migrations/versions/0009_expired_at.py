"""jobs.expired_at: when retention deleted the job's files

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("expired_at", sa.DateTime(timezone=True)))
    op.create_index("jobs_to_expire", "jobs", ["finished_at"], postgresql_where=sa.text("expired_at IS NULL"))


def downgrade() -> None:
    op.drop_index("jobs_to_expire")
    op.drop_column("jobs", "expired_at")
