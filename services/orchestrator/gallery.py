"""Seed 004's gallery: the code of protos/backdrop/jobs/v1/gallery.proto (GalleryService).

An item is one image a user made: each output image of a completed diffusion job
(generate, variations, inpaint, outpaint, edit), each enhancement's result (upscale,
quality, background) and each canvas (its module calls `publish` / `withdraw`). Job
items are made from the jobs table when their owner next looks (`sync`): a failed
job has no result, so it never has an item. Retention's expiry of a job deletes its
items in the same transaction (a trigger of migration 0014), likes and downloads with
them. An item is public only once its owner shares it; anyone else gets NOT_FOUND for
an item that is not.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from services.orchestrator.store import TZ, UUID, Tables
from services.runtime.db import column

KINDS = ("image", "video", "canvas")
MAX_TAGS = 20
MAX_TAG = 40
MAX_TITLE = 200
MAX_DESCRIPTION = 2000


class GalleryItem(Tables, table=True):
    __tablename__ = "gallery_items"
    id: str = column(UUID, primary_key=True)
    # "<job id>:<n>" (the generation's image id), "<job id>" (an enhancement) or the canvas's id.
    source_id: str = column(sa.Text, nullable=False, unique=True)
    owner_id: str = column(UUID, nullable=False)
    job_id: str | None = column(UUID, sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    kind: str = column(sa.Text, nullable=False)
    object_key: str = column(sa.Text, nullable=False)
    thumbnail_key: str = column(sa.Text, nullable=False)
    prompt: str = column(sa.Text, nullable=False, server_default="")
    model: str = column(sa.Text, nullable=False, server_default="")
    title: str = column(sa.Text, nullable=False, server_default="")
    description: str = column(sa.Text, nullable=False, server_default="")
    tags: list[str] = column(postgresql.ARRAY(sa.Text), nullable=False, server_default="{}")
    is_public: bool = column(sa.Boolean, nullable=False, server_default=sa.false())
    shared_at: dt.datetime | None = column(TZ)
    likes: int = column(sa.Integer, nullable=False, server_default="0")
    downloads: int = column(sa.Integer, nullable=False, server_default="0")
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


class GalleryLike(Tables, table=True):
    __tablename__ = "gallery_likes"
    item_id: str = column(UUID, sa.ForeignKey("gallery_items.id", ondelete="CASCADE"), primary_key=True)
    user_id: str = column(UUID, primary_key=True)
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


class GalleryDownload(Tables, table=True):
    """Who has downloaded an item (isDownloaded); the item's `downloads` counts every call."""

    __tablename__ = "gallery_downloads"
    item_id: str = column(UUID, sa.ForeignKey("gallery_items.id", ondelete="CASCADE"), primary_key=True)
    user_id: str = column(UUID, primary_key=True)
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


items = GalleryItem.__table__
likes = GalleryLike.__table__
downloads = GalleryDownload.__table__
# The generated tsvector of migration 0014 (title A, tags B, prompt C, description D); only read here.
search_vector = sa.column("search", postgresql.TSVECTOR)


def clean_tags(tags) -> list[str]:
    """Tags as stored: trimmed, lower-case, unique, bounded (ValueError says what is wrong)."""
    cleaned = list(dict.fromkeys(" ".join(str(tag).split()).lower() for tag in tags if str(tag).strip()))
    if len(cleaned) > MAX_TAGS:
        raise ValueError(f"At most {MAX_TAGS} tags")
    if any(len(tag) > MAX_TAG for tag in cleaned):
        raise ValueError(f"A tag is at most {MAX_TAG} characters")
    return cleaned


async def publish(
    session,
    *,
    owner_id: str,
    kind: str,
    source_id: str,
    object_key: str,
    thumbnail_key: str,
    prompt: str = "",
    model: str = "",
    tags: list[str] = (),
    is_public: bool = False,
    title: str = "",
) -> str:
    """Creates or updates the item of `source_id` (a canvas, say) in the caller's transaction
    (`session`: an AsyncConnection or AsyncSession); returns the item's id. The source is the
    truth: every field is replaced by what is given. ValueError for a bad kind or tags, or a
    source id that is another owner's item."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    values = dict(
        kind=kind, object_key=object_key, thumbnail_key=thumbnail_key, prompt=prompt, model=model, tags=clean_tags(tags),
        is_public=is_public, title=title[:MAX_TITLE],
    )
    insert = postgresql.insert(items).values(
        id=str(uuid.uuid4()), source_id=source_id, owner_id=owner_id, shared_at=sa.func.now() if is_public else None, **values
    )
    upsert = insert.on_conflict_do_update(
        index_elements=[items.c.source_id],
        set_={
            **{name: insert.excluded[name] for name in values},
            # Shared since the first time it went public (the community's "latest").
            "shared_at": sa.case((insert.excluded.is_public, sa.func.coalesce(items.c.shared_at, sa.func.now())), else_=None),
        },
        where=items.c.owner_id == insert.excluded.owner_id,
    ).returning(items.c.id)
    item_id = (await session.execute(upsert)).scalar()
    if item_id is None:
        raise ValueError(f"{source_id!r} is another owner's gallery item")
    return item_id


async def withdraw(session, source_id: str) -> None:
    """Deletes the item of `source_id` (its likes and downloads go with it), in the caller's transaction."""
    await session.execute(items.delete().where(items.c.source_id == source_id))
