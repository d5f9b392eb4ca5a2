"""Seed 004's custom models: the code of protos/backdrop/jobs/v1/custom_models.proto.

A completed training job (operation "train") is a model. Its row is made the first
time anyone looks for models (`sync`: completed trainings without a row), from the
job's options (name, trigger word, isPublic, ...) and result (the merged UNet's name
on the inference server, the loss). A model is visible to its owner, and to everyone
once public; only its owner shares or deletes it. A deleted model keeps its row
(deleted_at) so it is never made again, and is NOT_FOUND from then on.
"""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from backdrop.jobs.v1 import custom_models_pb2, custom_models_pb2_grpc
from services.orchestrator.gallery import clean_tags
from services.orchestrator.store import TZ, UUID, Job, Tables, jobs, timestamp, to_proto
from services.runtime.db import column, records
from services.runtime.errors import ServiceError, invalid, not_found, rpc_errors

MAX_DESCRIPTION = 2000


class CustomModelRow(Tables, table=True):
    __tablename__ = "custom_models"
    # The training job's id.
    id: str = column(UUID, sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    owner_id: str = column(UUID, nullable=False)
    name: str = column(sa.Text, nullable=False)
    description: str = column(sa.Text, nullable=False, server_default="")
    trigger_word: str = column(sa.Text, nullable=False, server_default="")
    category: str = column(sa.Text, nullable=False, server_default="")
    base_model: str = column(sa.Text, nullable=False, server_default="")
    unet_model: str = column(sa.Text, nullable=False)
    tags: list[str] = column(postgresql.ARRAY(sa.Text), nullable=False, server_default="{}")
    is_public: bool = column(sa.Boolean, nullable=False, server_default=sa.false())
    final_loss: float = column(sa.Float, nullable=False, server_default="0")
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    shared_at: dt.datetime | None = column(TZ)
    deleted_at: dt.datetime | None = column(TZ)


models = CustomModelRow.__table__


def to_message(row: CustomModelRow) -> custom_models_pb2.CustomModel:
    return custom_models_pb2.CustomModel(
        id=row.id, owner_id=row.owner_id, name=row.name, description=row.description, trigger_word=row.trigger_word,
        category=row.category, is_public=row.is_public, tags=row.tags, base_model=row.base_model, unet_model=row.unet_model,
        created_at=timestamp(row.created_at), shared_at=timestamp(row.shared_at), final_loss=row.final_loss,
    )


async def sync(engine: AsyncEngine) -> None:
    """Rows for the completed trainings that have none (a few at a time: each training is one)."""
    has_row = sa.exists().where(models.c.id == jobs.c.id)
    query = sa.select(jobs).where(jobs.c.operation == "train", jobs.c.status == "completed", jobs.c.result.is_not(None), ~has_row)
    async with engine.begin() as conn:
        found = [to_proto(row) for row in records(Job, await conn.execute(query.limit(500)))]
        rows = []
        for job in found:
            train, result = job.train, job.result.training
            rows.append(dict(
                id=job.id, owner_id=job.owner_id, name=train.name, description=train.description, trigger_word=train.trigger_word,
                category=train.category, base_model=train.base_model, unet_model=result.unet_model, is_public=train.is_public,
                final_loss=result.epoch_losses[-1] if result.epoch_losses else 0.0, created_at=job.finished_at.ToDatetime(dt.UTC),
                shared_at=job.finished_at.ToDatetime(dt.UTC) if train.is_public else None,
            ))
        if rows:
            await conn.execute(postgresql.insert(models).values(rows).on_conflict_do_nothing(index_elements=[models.c.id]))


def _denied(message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED", message)


class CustomModels(custom_models_pb2_grpc.CustomModelServiceServicer):
    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    async def _visible(self, model_id: str, user_id: str) -> CustomModelRow:
        """The model if the user may use it (theirs, or public) and it is not deleted."""
        try:
            model_id = str(uuid.UUID(model_id))
        except ValueError:
            raise not_found("NOT_FOUND", "No such custom model") from None
        await sync(self.engine)
        query = sa.select(models).where(models.c.id == model_id, models.c.deleted_at.is_(None))
        async with self.engine.connect() as conn:
            found = records(CustomModelRow, await conn.execute(query))
        if not found or (found[0].owner_id != user_id and not found[0].is_public):
            raise not_found("NOT_FOUND", "No such custom model (it may have been deleted)")
        return found[0]

    async def _owned(self, model_id: str, user_id: str) -> CustomModelRow:
        row = await self._visible(model_id, user_id)
        if row.owner_id != user_id:
            raise _denied("Only the model's owner may change or delete it")
        return row

    @rpc_errors
    async def ListCustomModels(self, request, context):
        await sync(self.engine)
        query = (
            sa.select(models)
            .where(models.c.deleted_at.is_(None), sa.or_(models.c.owner_id == request.user_id, models.c.is_public))
            .order_by((models.c.owner_id != request.user_id), models.c.created_at.desc())
            .limit(500)
        )
        async with self.engine.connect() as conn:
            rows = records(CustomModelRow, await conn.execute(query))
        return custom_models_pb2.ListCustomModelsResponse(models=[to_message(row) for row in rows])

    @rpc_errors
    async def GetCustomModel(self, request, context):
        return to_message(await self._visible(request.id, request.user_id))

    @rpc_errors
    async def ShareCustomModel(self, request, context):
        row = await self._owned(request.id, request.user_id)
        values: dict = {"is_public": request.is_public, "shared_at": sa.func.coalesce(models.c.shared_at, sa.func.now()) if request.is_public else None}
        if request.HasField("description"):
            if len(request.description) > MAX_DESCRIPTION:
                raise invalid("INVALID_PARAMETER", f"description is at most {MAX_DESCRIPTION} characters", field="description")
            values["description"] = request.description
        if request.set_tags:
            try:
                values["tags"] = clean_tags(request.tags)
            except ValueError as bad:
                raise invalid("INVALID_PARAMETER", str(bad), field="tags") from None
        async with self.engine.begin() as conn:
            await conn.execute(models.update().where(models.c.id == row.id).values(**values))
        return to_message(await self._visible(row.id, request.user_id))

    @rpc_errors
    async def DeleteCustomModel(self, request, context):
        row = await self._owned(request.id, request.user_id)
        async with self.engine.begin() as conn:
            await conn.execute(models.update().where(models.c.id == row.id, models.c.deleted_at.is_(None)).values(deleted_at=sa.func.now()))
        return to_message(row)
