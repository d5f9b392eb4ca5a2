"""jobs.tier and jobs.credits: what billing charged, for the history

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("tier", sa.Text, nullable=False, server_default=""))
    op.add_column("jobs", sa.Column("credits", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("jobs", "credits")
    op.drop_column("jobs", "tier")
