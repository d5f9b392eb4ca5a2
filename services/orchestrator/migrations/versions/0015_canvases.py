"""canvases: seed 004's layered drawings (a row per canvas, its layers and pending AI assists as JSON)

Revision ID: 0015
Revises: 0013 (0014, the gallery, branches from 0013 too: migrations run to "heads")
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canvases",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("owner_id", postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("background_color", sa.Text, nullable=False),
        sa.Column("layers", postgresql.JSONB, nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("is_public", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("image_key", sa.Text, nullable=False),
        sa.Column("thumbnail_key", sa.Text, nullable=False),
        sa.Column("pending", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("canvases_owner_updated", "canvases", ["owner_id", "updated_at"])


def downgrade() -> None:
    op.drop_table("canvases")
