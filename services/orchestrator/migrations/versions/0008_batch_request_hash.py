"""batches.request_hash: Idempotency-Key batches are compared by it

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("batches", sa.Column("request_hash", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("batches", "request_hash")
