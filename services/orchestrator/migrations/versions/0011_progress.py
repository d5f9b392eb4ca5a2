"""job progress (a generation reports each denoising step)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("progress", sa.Integer, nullable=False, server_default="0"))
    op.add_column("jobs", sa.Column("progress_message", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("jobs", "progress_message")
    op.drop_column("jobs", "progress")
