"""Seed 000's projects: a user's named places for work; creating one tells the
owner's `project.created` webhooks. A project holds up to PROJECT_MAX_IMAGES
files: the user's own images (stored by the gateway at
projects/{project_id}/{image_id}.{ext}) and, in a project of type video, each
finished video removal sent to it (`project_id` on the video route: file_video
copies the result to projects/{project_id}/{job_id}.{ext}), kept until deleted;
retention, which deletes job files, never matches that prefix."""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from backdrop.jobs.v1 import jobs_pb2, webhooks_pb2, webhooks_pb2_grpc
from services.orchestrator.store import TZ, UUID, Tables
from services.orchestrator.webhooks import Webhooks
from services.runtime import logs
from services.runtime.clock import iso
from services.runtime.config import env_int
from services.runtime.db import column, record, records
from services.runtime.errors import ServiceError, invalid, not_found, rpc_errors, uuid_or_not_found
from services.runtime.objectstore import ObjectStore, copy

log = logging.getLogger(__name__)

TYPES = ("image", "video", "batch")
# Where the gateway stores a project's image: outside every prefix retention deletes (results/, uploads/).
_UUID = "[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}"
IMAGE_KEY = re.compile(rf"^projects/({_UUID})/({_UUID})\.(?:png|jpeg|webp)$")


class Project(Tables, table=True):
    __tablename__ = "projects"
    id: str = column(UUID, primary_key=True)
    owner_id: str = column(UUID, nullable=False)
    name: str = column(sa.Text, nullable=False)
    type: str = column(sa.Text, nullable=False)
    description: str = column(sa.Text, nullable=False, server_default="")
    status: str = column(sa.Text, nullable=False, server_default="draft")
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


class ProjectImage(Tables, table=True):
    __tablename__ = "project_images"
    id: str = column(UUID, primary_key=True)
    project_id: str = column(UUID, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    key: str = column(sa.Text, nullable=False, unique=True)
    filename: str = column(sa.Text, nullable=False)
    content_type: str = column(sa.Text, nullable=False)
    size_bytes: int = column(sa.Integer, nullable=False)
    width: int = column(sa.Integer, nullable=False)
    height: int = column(sa.Integer, nullable=False)
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


projects = Project.__table__
project_images = ProjectImage.__table__
# Seed 000's files_count: the project's images.
files_count = (
    sa.select(sa.func.count()).where(project_images.c.project_id == projects.c.id).scalar_subquery().label("files_count")
)


def _message(project: Project, count: int = 0) -> webhooks_pb2.Project:
    return webhooks_pb2.Project(
        id=project.id, name=project.name, type=project.type, status=project.status, files_count=count,
        created_at=iso(project.created_at), description=project.description,
    )


def _image_message(image: ProjectImage) -> webhooks_pb2.ProjectImage:
    return webhooks_pb2.ProjectImage(
        id=image.id, project_id=image.project_id, key=image.key, filename=image.filename, content_type=image.content_type,
        size_bytes=image.size_bytes, width=image.width, height=image.height, created_at=iso(image.created_at),
    )


def check_capacity(count: int, most: int) -> None:
    """PROJECT_FULL (400) once a project holds `most` images."""
    if count >= most:
        raise invalid("PROJECT_FULL", f"The project already holds {most} images, the most it may; delete some first", max_images=most)


class Projects(webhooks_pb2_grpc.ProjectServiceServicer):
    def __init__(self, db: AsyncEngine, webhooks: Webhooks, objects: ObjectStore):
        self.db = db
        self.webhooks = webhooks
        self.objects = objects
        self.max_images = env_int("PROJECT_MAX_IMAGES", 500)

    @rpc_errors
    async def CreateProject(self, request, context):
        name = request.name.strip()
        if not 1 <= len(name) <= 200:
            raise invalid("INVALID_PARAMETER", "name is required (at most 200 characters)", field="name")
        if request.type not in TYPES:
            raise invalid("INVALID_PARAMETER", f"type must be one of {', '.join(TYPES)}", field="type")
        if len(request.description) > 2000:
            raise invalid("INVALID_PARAMETER", "description is longer than 2000 characters", field="description")
        async with self.db.begin() as conn:
            row = (
                await conn.execute(
                    projects.insert()
                    .values(id=str(uuid.uuid4()), owner_id=request.owner_id, name=name, type=request.type,
                            description=request.description)
                    .returning(*projects.c)
                )
            ).one()
        project = _message(record(Project, row))
        await self.webhooks.enqueue(request.owner_id, "project.created", f"project.created:{project.id}", project=project)
        return project

    @rpc_errors
    async def ListProjects(self, request, context):
        limit = min(max(request.limit or 20, 1), 100)
        page = max(request.page or 1, 1)
        where = [projects.c.owner_id == request.owner_id]
        if request.search:
            pattern = "%" + request.search[:100].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(projects.c.name.ilike(pattern, escape="\\"))
        async with self.db.connect() as conn:
            total = (await conn.execute(sa.select(sa.func.count()).select_from(projects).where(*where))).scalar_one()
            rows = (
                await conn.execute(
                    sa.select(projects, files_count)
                    .where(*where)
                    .order_by(projects.c.created_at.desc())
                    .offset((page - 1) * limit)
                    .limit(limit)
                )
            ).all()
        return webhooks_pb2.ListProjectsResponse(items=[_message(record(Project, r), r.files_count) for r in rows], total=total)

    @rpc_errors
    async def GetProject(self, request, context):
        project_id = uuid_or_not_found(request.id, "PROJECT_NOT_FOUND", "No such project")
        async with self.db.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(projects, files_count).where(projects.c.id == project_id, projects.c.owner_id == request.owner_id)
                )
            ).first()
        if row is None:
            raise not_found("PROJECT_NOT_FOUND", "No such project")
        return _message(record(Project, row), row.files_count)

    async def file_video(self, job: jobs_pb2.Job) -> None:
        """A finished video removal sent to a project becomes one of its files (the job's id
        is the file's, so a redelivered event files it once). A project deleted or filled
        since the job was queued keeps the job's result link only; the log says so."""
        project_id, result = job.remove_background_video.project_id, job.result
        key = f"projects/{project_id}/{job.id}.{result.result_key.rsplit('.', 1)[-1]}"
        async with self.db.connect() as conn:
            if (await conn.execute(sa.select(project_images.c.id).where(project_images.c.id == job.id))).first():
                return
        size = await copy(self.objects, result.result_key, key)
        filed = webhooks_pb2.ProjectImage(
            id=job.id, project_id=project_id, key=key, filename=f"video-{job.id[:8]}.{key.rsplit('.', 1)[-1]}",
            content_type=result.content_type, size_bytes=size, width=result.width, height=result.height,
        )
        try:
            async with self.db.begin() as conn:
                await self._add_file(conn, filed, job.owner_id)
                await conn.execute(projects.update().where(projects.c.id == project_id).values(status="completed"))
        except ServiceError as refused:
            await self.objects.delete(key)
            log.warning("finished video not filed in its project", extra=logs.fields(job_id=job.id, reason=refused.reason))

    # --- images ---------------------------------------------------------------------

    @staticmethod
    async def _owned_project(conn, project_id: str, owner_id: str, lock: bool = False) -> str:
        """The id of the owner's project; PROJECT_NOT_FOUND for any other (another user's is not found either)."""
        project_id = uuid_or_not_found(project_id, "PROJECT_NOT_FOUND", "No such project")
        query = sa.select(projects.c.id).where(projects.c.id == project_id, projects.c.owner_id == owner_id)
        if (await conn.execute(query.with_for_update() if lock else query)).first() is None:
            raise not_found("PROJECT_NOT_FOUND", "No such project")
        return project_id

    @rpc_errors
    async def AddProjectImage(self, request, context):
        image = request.image
        if not (key := IMAGE_KEY.match(image.key)) or key.groups() != (image.project_id, image.id):
            raise invalid("INVALID_PARAMETER", "key must be projects/{project_id}/{id}.{png|jpeg|webp}", field="key")
        async with self.db.begin() as conn:
            row = await self._add_file(conn, image, request.owner_id)
        return _image_message(record(ProjectImage, row))

    async def _add_file(self, conn, image: webhooks_pb2.ProjectImage, owner_id: str):
        """The file's row in the owner's project, within the project's cap. The project's row lock
        serialises concurrent adds, so the cap holds under a burst."""
        project_id = await self._owned_project(conn, image.project_id, owner_id, lock=True)
        count = (await conn.execute(sa.select(sa.func.count()).where(project_images.c.project_id == project_id))).scalar_one()
        check_capacity(count, self.max_images)
        return (
            await conn.execute(
                project_images.insert()
                .values(
                    id=image.id, project_id=project_id, key=image.key, filename=image.filename,
                    content_type=image.content_type, size_bytes=image.size_bytes, width=image.width, height=image.height,
                )
                .returning(*project_images.c)
            )
        ).one()

    @rpc_errors
    async def ListProjectImages(self, request, context):
        limit = min(max(request.limit or 20, 1), 500)
        page = max(request.page or 1, 1)
        async with self.db.connect() as conn:
            project_id = await self._owned_project(conn, request.project_id, request.owner_id)
            where = project_images.c.project_id == project_id
            total = (await conn.execute(sa.select(sa.func.count()).where(where))).scalar_one()
            rows = (
                await conn.execute(
                    sa.select(project_images)
                    .where(where)
                    .order_by(project_images.c.created_at.desc(), project_images.c.id.desc())
                    .offset((page - 1) * limit)
                    .limit(limit)
                )
            ).all()
        return webhooks_pb2.ListProjectImagesResponse(images=[_image_message(i) for i in records(ProjectImage, rows)], total=total)

    @rpc_errors
    async def DeleteProjectImage(self, request, context):
        """The file first, then the row: a failure in between leaves a row whose delete is retried."""
        async with self.db.begin() as conn:
            project_id = await self._owned_project(conn, request.project_id, request.owner_id)
            image_id = uuid_or_not_found(request.image_id, "IMAGE_NOT_FOUND", "No such image")
            row = (
                await conn.execute(
                    sa.select(project_images)
                    .where(project_images.c.id == image_id, project_images.c.project_id == project_id)
                    .with_for_update()
                )
            ).first()
            if row is None:
                raise not_found("IMAGE_NOT_FOUND", "No such image in this project")
            image = record(ProjectImage, row)
            await self.objects.delete(image.key)
            await conn.execute(project_images.delete().where(project_images.c.id == image.id))
        return _image_message(image)
