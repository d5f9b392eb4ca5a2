"""Seed 000's project images: POST, GET and DELETE /v1/projects/{id}/images.

The gateway checks and stores the file at projects/{project_id}/{image_id}.{ext}
(the user's own file: no prefix retention deletes), then the orchestrator
records it against the project's cap (services/orchestrator/projects.py);
a refused record deletes the file again. Another user's project is not found.
"""

from __future__ import annotations

import re
import uuid

import grpc

from backdrop.gateway.v1 import gateway_pb2
from backdrop.jobs.v1 import webhooks_pb2
from gateway import multipart, rest
from services.runtime import envelopes, identity, images
from services.runtime.errors import ServiceError, file_too_large, invalid, uuid_or_not_found

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def project_id(value: str) -> str:
    """The path's project id, canonical: it becomes part of an object key."""
    return uuid_or_not_found(value, "PROJECT_NOT_FOUND", "No such project")


def clean_filename(name: str | None, fmt: str) -> str:
    """The client's file name without its folders or control characters, at most 255 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return CONTROL_CHARACTERS.sub("", base).strip()[:255] or f"image.{fmt}"


class ProjectImageEndpoints:
    def _public(self, image: webhooks_pb2.ProjectImage) -> gateway_pb2.ProjectImage:
        return gateway_pb2.ProjectImage(
            id=image.id, project_id=image.project_id, filename=image.filename, content_type=image.content_type,
            size_bytes=image.size_bytes, width=image.width, height=image.height, created_at=image.created_at,
            url=self.signer.url(image.key),
        )

    @rest.endpoint(envelopes.BACKDROP)
    async def AddProjectImage(self, request, context):
        caller = identity.required(context)
        project = project_id(request.id)
        fields = await multipart.parse_async(request.body.data, request.body.content_type)
        upload = fields.get("file")
        if not upload or not upload[0].data:
            raise invalid("NO_FILE", "No image provided: send it as the multipart field 'file'", field="file")
        if len(upload) > 1:
            raise invalid("INVALID_PARAMETER", "Send one image per request", field="file")
        data = upload[0].data
        if len(data) > self.v1_max_bytes:
            raise file_too_large(self.v1_max_bytes)
        info = images.inspect(data)  # from the header, before anything is decoded or stored
        image_id = str(uuid.uuid4())
        key = f"projects/{project}/{image_id}.{info.format}"
        await self.store.put(key, data, info.content_type)
        try:
            added = await self.projects.AddProjectImage(
                webhooks_pb2.AddProjectImageRequest(
                    owner_id=caller.user_id,
                    image=webhooks_pb2.ProjectImage(
                        id=image_id, project_id=project, key=key, filename=clean_filename(upload[0].filename, info.format),
                        content_type=info.content_type, size_bytes=len(data), width=info.width, height=info.height,
                    ),
                )
            )
        except (ServiceError, grpc.aio.AioRpcError):
            await self.store.delete(key)  # not the project's (or it is full): the file goes too
            raise
        await rest.set_status(context, 201)
        return self._public(added)

    @rest.endpoint(envelopes.BACKDROP)
    async def ListProjectImages(self, request, context):
        caller = identity.required(context)
        listed = await self.projects.ListProjectImages(
            webhooks_pb2.ListProjectImagesRequest(
                project_id=project_id(request.id), owner_id=caller.user_id, page=request.page, limit=request.limit
            )
        )
        return gateway_pb2.ListProjectImagesResponse(images=[self._public(i) for i in listed.images], total=listed.total)

    @rest.endpoint(envelopes.BACKDROP)
    async def DeleteProjectImage(self, request, context):
        caller = identity.required(context)
        deleted = await self.projects.DeleteProjectImage(
            webhooks_pb2.DeleteProjectImageRequest(project_id=project_id(request.id), owner_id=caller.user_id, image_id=request.image_id)
        )
        return gateway_pb2.DeleteProjectImageResponse(success=True, id=deleted.id)
