"""batches: many one-image jobs under one id

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("owner_id", postgresql.UUID(as_uuid=False)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.add_column("jobs", sa.Column("batch_id", postgresql.UUID(as_uuid=False), sa.ForeignKey("batches.id")))
    op.add_column("jobs", sa.Column("filename", sa.Text, nullable=False, server_default=""))
    op.create_index("jobs_batch", "jobs", ["batch_id"])


def downgrade() -> None:
    op.drop_index("jobs_batch")
    op.drop_column("jobs", "filename")
    op.drop_column("jobs", "batch_id")
    op.drop_table("batches")
