"""gallery: seed 004's gallery items (generated images, enhancements, canvases), likes and downloads

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=False)
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    # array_to_string is only STABLE; a generated column needs an IMMUTABLE expression.
    op.execute(
        "CREATE FUNCTION gallery_tags_text(text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "AS $$ SELECT coalesce(array_to_string($1, ' '), '') $$"
    )
    op.create_table(
        "gallery_items",
        sa.Column("id", UUID, primary_key=True),
        # What the item shows: "<job id>:<n>" (a generated image), "<job id>" (an enhancement), a canvas id.
        sa.Column("source_id", sa.Text, nullable=False, unique=True),
        sa.Column("owner_id", UUID, nullable=False),
        sa.Column("job_id", UUID, sa.ForeignKey("jobs.id", ondelete="CASCADE")),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("object_key", sa.Text, nullable=False),
        sa.Column("thumbnail_key", sa.Text, nullable=False),
        sa.Column("prompt", sa.Text, nullable=False, server_default=""),
        sa.Column("model", sa.Text, nullable=False, server_default=""),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("tags", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("is_public", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("shared_at", TZ),
        sa.Column("likes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("downloads", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column(
            "search",
            postgresql.TSVECTOR,
            sa.Computed(
                "setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', gallery_tags_text(tags)), 'B')"
                " || setweight(to_tsvector('english', prompt), 'C') || setweight(to_tsvector('english', description), 'D')",
                persisted=True,
            ),
        ),
        sa.CheckConstraint("kind IN ('image', 'video', 'canvas')", name="gallery_items_kind"),
        sa.CheckConstraint("likes >= 0 AND downloads >= 0", name="gallery_items_counts"),
    )
    op.create_index("gallery_items_owner_created", "gallery_items", ["owner_id", "created_at"])
    op.create_index("gallery_items_job", "gallery_items", ["job_id"])
    op.create_index("gallery_items_public_shared", "gallery_items", ["shared_at"], postgresql_where=sa.text("is_public"))
    op.create_index("gallery_items_public_likes", "gallery_items", ["likes", "shared_at"], postgresql_where=sa.text("is_public"))
    op.create_index(
        "gallery_items_search", "gallery_items", ["search"], postgresql_using="gin", postgresql_where=sa.text("is_public")
    )
    op.create_index("gallery_items_tags", "gallery_items", ["tags"], postgresql_using="gin", postgresql_where=sa.text("is_public"))
    for name in ("gallery_likes", "gallery_downloads"):
        op.create_table(
            name,
            sa.Column("item_id", UUID, sa.ForeignKey("gallery_items.id", ondelete="CASCADE"), primary_key=True),
            sa.Column("user_id", UUID, primary_key=True),
            sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        )
    # Retention: once a job's files are deleted (expired_at set) its items go too, in the same transaction.
    op.execute(
        "CREATE FUNCTION gallery_forget_expired() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN DELETE FROM gallery_items WHERE job_id = NEW.id; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER jobs_expired_gallery AFTER UPDATE OF expired_at ON jobs FOR EACH ROW "
        "WHEN (NEW.expired_at IS NOT NULL AND OLD.expired_at IS NULL) EXECUTE FUNCTION gallery_forget_expired()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER jobs_expired_gallery ON jobs")
    op.execute("DROP FUNCTION gallery_forget_expired()")
    op.drop_table("gallery_downloads")
    op.drop_table("gallery_likes")
    op.drop_table("gallery_items")
    op.execute("DROP FUNCTION gallery_tags_text(text[])")
