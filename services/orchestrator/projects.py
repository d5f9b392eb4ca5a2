"""Seed 000's projects: a user's named places for work; creating one tells the
owner's `project.created` webhooks."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from backdrop.jobs.v1 import webhooks_pb2, webhooks_pb2_grpc
from services.orchestrator.store import TZ, UUID, Tables
from services.orchestrator.webhooks import Webhooks
from services.runtime.clock import iso
from services.runtime.db import column, record
from services.runtime.errors import invalid, rpc_errors

TYPES = ("image", "video", "batch")


class Project(Tables, table=True):
    __tablename__ = "projects"
    id: str = column(UUID, primary_key=True)
    owner_id: str = column(UUID, nullable=False)
    name: str = column(sa.Text, nullable=False)
    type: str = column(sa.Text, nullable=False)
    description: str = column(sa.Text, nullable=False, server_default="")
    status: str = column(sa.Text, nullable=False, server_default="draft")
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


projects = Project.__table__


def _message(project: Project) -> webhooks_pb2.Project:
    return webhooks_pb2.Project(
        id=project.id, name=project.name, type=project.type, status=project.status, files_count=0,
        created_at=iso(project.created_at), description=project.description,
    )


class Projects(webhooks_pb2_grpc.ProjectServiceServicer):
    def __init__(self, db: AsyncEngine, webhooks: Webhooks):
        self.db = db
        self.webhooks = webhooks

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
                    sa.select(projects).where(*where).order_by(projects.c.created_at.desc()).offset((page - 1) * limit).limit(limit)
                )
            ).all()
        return webhooks_pb2.ListProjectsResponse(items=[_message(record(Project, r)) for r in rows], total=total)
