"""jobs.notify_email and jobs.emailed_at: seed 003's notification email

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("notify_email", sa.Text, nullable=False, server_default=""))
    op.add_column("jobs", sa.Column("emailed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("jobs", "emailed_at")
    op.drop_column("jobs", "notify_email")
