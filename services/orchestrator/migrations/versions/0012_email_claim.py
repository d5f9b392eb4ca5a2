"""email outbox: a claim with a lease, apart from the sent mark (L11)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("email_claimed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("jobs", "email_claimed_at")
