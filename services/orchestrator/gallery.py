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
from sqlalchemy.ext.asyncio import AsyncEngine

from backdrop.jobs.v1 import gallery_pb2, gallery_pb2_grpc, jobs_pb2
from services.orchestrator import analytics
from services.orchestrator.analytics import ENHANCEMENTS, GENERATIONS, VIDEOS
from services.orchestrator.store import TZ, UUID, Job, Tables, jobs, to_proto
from services.runtime import images
from services.runtime.clock import iso
from services.runtime.db import column, records
from services.runtime.errors import invalid, not_found, rpc_errors

KINDS = ("image", "video", "canvas")
MAX_TAGS = 20
MAX_TAG = 40
MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_LIMIT, MAX_PAGE = 100, 10_000


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
search_vector = sa.literal_column("gallery_items.search", postgresql.TSVECTOR)


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


# --- job outputs as items ---------------------------------------------------------

SYNC_BATCH = 500


def job_items(job: jobs_pb2.Job) -> list[dict]:
    """The item rows of a completed job: one per output image."""
    operation = job.WhichOneof("operation")
    common = dict(owner_id=job.owner_id, job_id=job.id, kind="image", prompt="", created_at=job.created_at.ToDatetime(dt.UTC))
    if operation == "generate" and job.result.HasField("generated_video"):  # seed 004's videos: the MP4 and its thumbnail
        video = job.result.generated_video
        return [dict(common, kind="video", source_id=job.id, object_key=video.key, thumbnail_key=video.thumbnail_key,
                     model="stable-video-diffusion", prompt=job.generate.prompt)]
    if operation in GENERATIONS:
        return [
            dict(
                common, source_id=f"{job.id}:{images.generated_number(image.key)}", object_key=image.key,
                thumbnail_key=images.thumbnail_key(image.key), model=analytics.MODEL, prompt=job.generate.prompt,
            )
            for image in job.result.images
        ]
    if not job.result.result_key:
        return []
    options = getattr(job, operation)
    model = job.result.model or getattr(options, "model", "") or operation
    # The workers make no thumbnail of an enhancement: the result is its own.
    key = job.result.result_key
    return [dict(common, source_id=job.id, object_key=key, thumbnail_key=key, model=model)]


async def sync(engine: AsyncEngine, owner_id: str) -> None:
    """Makes the items of the owner's completed jobs that have none yet, oldest first in
    batches. The jobs are read FOR SHARE: retention's expiry of one waits for this insert,
    so its trigger deletes what was just made."""
    has_items = sa.exists().where(items.c.job_id == jobs.c.id)
    query = (
        sa.select(jobs)
        .where(
            jobs.c.owner_id == owner_id, jobs.c.status == "completed", jobs.c.expired_at.is_(None),
            jobs.c.result.is_not(None), jobs.c.operation.in_(GENERATIONS + VIDEOS + ENHANCEMENTS), ~has_items,
        )
        .order_by(jobs.c.created_at, jobs.c.id)
        .limit(SYNC_BATCH)
        .with_for_update(read=True, of=jobs)
    )
    while True:
        async with engine.begin() as conn:
            found = [to_proto(row) for row in records(Job, await conn.execute(query))]
            rows = [dict(row, id=str(uuid.uuid4())) for job in found for row in job_items(job)]
            if rows:
                await conn.execute(postgresql.insert(items).values(rows).on_conflict_do_nothing(index_elements=[items.c.source_id]))
        if len(found) < SYNC_BATCH:
            return
        # Past this batch (a job without outputs would otherwise come back every round).
        last = found[-1]
        query = query.where(sa.tuple_(jobs.c.created_at, jobs.c.id) > (last.created_at.ToDatetime(dt.UTC), last.id))


# --- the service ----------------------------------------------------------------------


def _page(page: int, limit: int) -> tuple[int, int]:
    """(page, limit), defaults 1 and 20; a listing is at most 100 items and 10,000 pages deep."""
    if not 0 <= page <= MAX_PAGE:
        raise invalid("INVALID_PARAMETER", f"page must be from 1 to {MAX_PAGE}", field="page")
    if not 0 <= limit <= MAX_LIMIT:
        raise invalid("INVALID_PARAMETER", f"limit must be from 1 to {MAX_LIMIT}", field="limit")
    return page or 1, limit or 20


def _tags(tags) -> list[str]:
    try:
        return clean_tags(tags)
    except ValueError as error:
        raise invalid("INVALID_PARAMETER", str(error), field="tags") from None


def _category(category: str) -> list:
    category = category.strip().lower()
    if category in ("", "all"):
        return []
    if len(category) > MAX_TAG:
        raise invalid("INVALID_PARAMETER", f"category is a tag: at most {MAX_TAG} characters", field="category")
    return [items.c.tags.contains([category])]


def _message(item: GalleryItem, liked: bool = False, downloaded: bool = False) -> gallery_pb2.GalleryItem:
    return gallery_pb2.GalleryItem(
        id=item.id, kind=item.kind, object_key=item.object_key, thumbnail_key=item.thumbnail_key, prompt=item.prompt,
        model=item.model, created_at=iso(item.created_at), tags=item.tags, is_public=item.is_public,
        downloads=item.downloads, likes=item.likes, owner_id=item.owner_id, title=item.title,
        description=item.description, liked=liked, downloaded=downloaded, source_id=item.source_id,
    )


def _named(item_id: str):
    """The item of an id, or of the source id it shows (a generation's "<job id>:<n>")."""
    try:
        return sa.or_(items.c.id == str(uuid.UUID(item_id)), items.c.source_id == item_id)
    except ValueError:
        return items.c.source_id == item_id[:200]


def _viewer_flags(viewer_id: str):
    """(liked, downloaded) by the viewer, as columns of a listing."""
    liked = sa.exists().where(likes.c.item_id == items.c.id, likes.c.user_id == viewer_id).label("liked")
    downloaded = sa.exists().where(downloads.c.item_id == items.c.id, downloads.c.user_id == viewer_id).label("downloaded")
    return liked, downloaded


class Gallery(gallery_pb2_grpc.GalleryServiceServicer):
    def __init__(self, engine: AsyncEngine):
        self.db = engine

    async def _listing(self, where: list, order: list, page: int, limit: int, viewer_id: str) -> gallery_pb2.ItemPage:
        liked, downloaded = _viewer_flags(viewer_id)
        async with self.db.connect() as conn:
            total = (await conn.execute(sa.select(sa.func.count()).select_from(items).where(*where))).scalar_one()
            rows = (
                await conn.execute(
                    sa.select(items, liked, downloaded).where(*where).order_by(*order, items.c.id)
                    .offset((page - 1) * limit).limit(limit)
                )
            ).all()
        found = [_message(GalleryItem.model_validate(row), row.liked, row.downloaded) for row in rows]
        return gallery_pb2.ItemPage(items=found, total=total, page=page, limit=limit)

    @rpc_errors
    async def ListPersonal(self, request, context):
        owner_id = _user(request.owner_id)
        page, limit = _page(request.page, request.limit)
        kind = request.kind.strip().lower()
        if kind not in ("", "all", *KINDS):
            raise invalid("INVALID_PARAMETER", f"type must be one of all, {', '.join(KINDS)}", field="type")
        await sync(self.db, owner_id)
        where = [items.c.owner_id == owner_id] + ([items.c.kind == kind] if kind in KINDS else [])
        return await self._listing(where, [items.c.created_at.desc()], page, limit, owner_id)

    @rpc_errors
    async def ListPublic(self, request, context):
        viewer_id = _user(request.viewer_id)
        page, limit = _page(request.page, request.limit)
        where = [items.c.is_public, *_category(request.category)]
        query = " ".join(request.query.split())
        if query:
            if len(query) > MAX_QUERY:
                raise invalid("INVALID_PARAMETER", f"q must be at most {MAX_QUERY} characters", field="q")
            words = sa.func.websearch_to_tsquery(sa.literal_column("'english'::regconfig"), query)
            where.append(search_vector.op("@@")(words))
            order = [sa.func.ts_rank(search_vector, words).desc(), items.c.shared_at.desc()]
        elif request.sort in ("", "latest"):
            order = [items.c.shared_at.desc()]
        elif request.sort == "popular":
            order = [items.c.likes.desc(), items.c.downloads.desc(), items.c.shared_at.desc()]
        else:
            raise invalid("INVALID_PARAMETER", "sort must be latest or popular", field="sort")
        return await self._listing(where, order, page, limit, viewer_id)

    @rpc_errors
    async def Share(self, request, context):
        owner_id = _user(request.owner_id)
        values = {"is_public": request.is_public}
        if request.title.strip():
            values["title"] = _text(request.title, "title", MAX_TITLE)
        if request.description.strip():
            values["description"] = _text(request.description, "description", MAX_DESCRIPTION)
        if request.tags:
            values["tags"] = _tags(request.tags)
        values["shared_at"] = sa.func.coalesce(items.c.shared_at, sa.func.now()) if request.is_public else None
        await sync(self.db, owner_id)  # a generation's image may be shared before the gallery was looked at
        update = items.update().where(_named(request.item_id), items.c.owner_id == owner_id).values(**values).returning(*items.c)
        async with self.db.begin() as conn:
            row = (await conn.execute(update)).first()
        if row is None:
            raise _missing()
        return _message(GalleryItem.model_validate(row))

    async def _visible(self, conn, viewer_id: str, item_id: str) -> GalleryItem:
        """The item, if the viewer may see it (shared, or their own), locked for this transaction."""
        query = (
            sa.select(items).where(_named(item_id), sa.or_(items.c.is_public, items.c.owner_id == viewer_id)).with_for_update()
        )
        row = (await conn.execute(query)).first()
        if row is None:
            raise _missing()
        return GalleryItem.model_validate(row)

    @rpc_errors
    async def Like(self, request, context):
        """The like row and the count change together, under the item's row lock: exact under concurrency."""
        viewer_id = _user(request.viewer_id)
        async with self.db.begin() as conn:
            item = await self._visible(conn, viewer_id, request.item_id)
            if request.like:
                change = postgresql.insert(likes).values(item_id=item.id, user_id=viewer_id).on_conflict_do_nothing()
            else:
                change = likes.delete().where(likes.c.item_id == item.id, likes.c.user_id == viewer_id)
            if (await conn.execute(change.returning(likes.c.user_id))).first() is not None:
                step = 1 if request.like else -1
                count = (
                    await conn.execute(items.update().where(items.c.id == item.id).values(likes=items.c.likes + step).returning(items.c.likes))
                ).scalar_one()
                item = item.model_copy(update={"likes": count})
            downloaded = await conn.execute(sa.select(sa.exists().where(downloads.c.item_id == item.id, downloads.c.user_id == viewer_id)))
            return _message(item, request.like, downloaded.scalar_one())

    @rpc_errors
    async def Download(self, request, context):
        viewer_id = _user(request.viewer_id)
        async with self.db.begin() as conn:
            item = await self._visible(conn, viewer_id, request.item_id)
            # Downloaders are counted, not calls: a loop of downloads must not rig sort=popular.
            first = await conn.execute(
                postgresql.insert(downloads).values(item_id=item.id, user_id=viewer_id).on_conflict_do_nothing().returning(downloads.c.user_id)
            )
            count = item.downloads
            if first.first() is not None:
                count = (
                    await conn.execute(
                        items.update().where(items.c.id == item.id).values(downloads=items.c.downloads + 1).returning(items.c.downloads)
                    )
                ).scalar_one()
            liked = await conn.execute(sa.select(sa.exists().where(likes.c.item_id == item.id, likes.c.user_id == viewer_id)))
            return _message(item.model_copy(update={"downloads": count}), liked.scalar_one(), True)

    @rpc_errors
    async def GetUsage(self, request, context):
        return await analytics.usage(self.db, _user(request.owner_id), request.days)


MAX_QUERY = 200


def _user(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise invalid("INVALID_REQUEST", "a user id (UUID) is required") from None


def _text(value: str, field: str, most: int) -> str:
    value = value.strip()
    if len(value) > most:
        raise invalid("INVALID_PARAMETER", f"{field} must be at most {most} characters", field=field)
    return value


def _missing():
    return not_found("NOT_FOUND", "No such gallery item")
