"""Seed 004's gallery and community (FOMI): the code of protos/backdrop/fomi/v1/gallery.proto.

The items, likes and downloads are the orchestrator's GalleryService
(services/orchestrator/gallery.py); this signs their files and names their authors
(the auth service's display name and avatar, never the email).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import grpc

from backdrop.auth.v1 import auth_pb2
from backdrop.fomi.v1 import gallery_pb2, gallery_pb2_grpc
from backdrop.jobs.v1 import gallery_pb2 as items_pb2
from gateway import rest
from services.runtime import envelopes, identity
from services.runtime.clock import iso
from services.runtime.errors import invalid

FOMI = envelopes.FOMI
MAX_ITEM_ID = 200


def _item_id(value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_ITEM_ID:
        raise invalid("INVALID_PARAMETER", f"itemId is required, at most {MAX_ITEM_ID} characters", field="itemId")
    return value


def _pagination(page: items_pb2.ItemPage) -> gallery_pb2.Pagination:
    return gallery_pb2.Pagination(
        page=page.page, limit=page.limit, total=page.total, hasNext=page.page * page.limit < page.total
    )


class FomiGallery(gallery_pb2_grpc.FomiGalleryServicer):
    def __init__(self, gateway):
        # The GatewayServicer: its peers (the orchestrator's gallery, auth) and the URL signer.
        self.gateway = gateway

    def _fields(self, item: items_pb2.GalleryItem) -> dict:
        """What every item shape of seed 004 shows, with signed links."""
        return dict(
            id=item.id, type=item.kind, url=self.gateway.signer.url(item.object_key),
            thumbnail=self.gateway.signer.url(item.thumbnail_key), prompt=item.prompt, model=item.model,
            createdAt=item.created_at, tags=item.tags, likes=item.likes, downloads=item.downloads,
        )

    async def _authors(self, owner_ids: set[str]) -> dict[str, gallery_pb2.Author]:
        """Each author's public profile; an account that is gone shows its id alone."""

        async def author(user_id: str) -> gallery_pb2.Author:
            try:
                user = await self.gateway.auth.GetUser(auth_pb2.GetUserRequest(user_id=user_id))
            except grpc.aio.AioRpcError as failed:
                if failed.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                return gallery_pb2.Author(id=user_id)
            return gallery_pb2.Author(id=user_id, name=user.name, avatar=user.avatar)

        found = await asyncio.gather(*(author(user_id) for user_id in owner_ids))
        return {a.id: a for a in found}

    async def _community(self, page: items_pb2.ItemPage) -> gallery_pb2.CommunityResponse:
        authors = await self._authors({item.owner_id for item in page.items})
        return gallery_pb2.CommunityResponse(
            success=True,
            items=[
                gallery_pb2.CommunityItem(
                    **self._fields(item), author=authors[item.owner_id], isLiked=item.liked, isDownloaded=item.downloaded
                )
                for item in page.items
            ],
            pagination=_pagination(page),
        )

    @rest.endpoint(FOMI)
    async def PersonalGallery(self, request, context):
        caller = identity.required(context)
        page = await self.gateway.gallery.ListPersonal(
            items_pb2.ListPersonalRequest(owner_id=caller.user_id, page=request.page, limit=request.limit, kind=request.type)
        )
        return gallery_pb2.PersonalGalleryResponse(
            success=True,
            items=[gallery_pb2.GalleryItem(**self._fields(item), isPublic=item.is_public) for item in page.items],
            pagination=_pagination(page),
        )

    @rest.endpoint(FOMI)
    async def Share(self, request, context):
        caller = identity.required(context)
        item = await self.gateway.gallery.Share(
            items_pb2.ShareRequest(
                owner_id=caller.user_id, item_id=_item_id(request.itemId),
                is_public=request.isPublic if request.HasField("isPublic") else True,
                title=request.title, description=request.description, tags=request.tags,
            )
        )
        return gallery_pb2.ShareResponse(
            success=True,
            item=gallery_pb2.SharedItem(
                **self._fields(item), isPublic=item.is_public, title=item.title, description=item.description
            ),
        )

    @rest.endpoint(FOMI)
    async def Community(self, request, context):
        caller = identity.required(context)
        page = await self.gateway.gallery.ListPublic(
            items_pb2.ListPublicRequest(
                viewer_id=caller.user_id, page=request.page, limit=request.limit, category=request.category, sort=request.sort
            )
        )
        return await self._community(page)

    @rest.endpoint(FOMI)
    async def Search(self, request, context):
        caller = identity.required(context)
        if not request.q.strip():
            raise invalid("INVALID_PARAMETER", "q is required: the words to search for", field="q")
        page = await self.gateway.gallery.ListPublic(
            items_pb2.ListPublicRequest(
                viewer_id=caller.user_id, page=request.page, limit=request.limit, category=request.category, query=request.q
            )
        )
        return await self._community(page)

    async def _like(self, context, item_id: str, like: bool) -> gallery_pb2.LikeResponse:
        caller = identity.required(context)
        item = await self.gateway.gallery.Like(
            items_pb2.LikeRequest(viewer_id=caller.user_id, item_id=_item_id(item_id), like=like)
        )
        return gallery_pb2.LikeResponse(success=True, itemId=item.id, isLiked=item.liked, likes=item.likes)

    @rest.endpoint(FOMI)
    async def Like(self, request, context):
        return await self._like(context, request.itemId, True)

    @rest.endpoint(FOMI)
    async def Unlike(self, request, context):
        return await self._like(context, request.itemId, False)

    @rest.endpoint(FOMI)
    async def Download(self, request, context):
        caller = identity.required(context)
        item = await self.gateway.gallery.Download(
            items_pb2.DownloadRequest(viewer_id=caller.user_id, item_id=_item_id(request.itemId))
        )
        now = time.time()
        return gallery_pb2.DownloadResponse(
            success=True, itemId=item.id, url=self.gateway.signer.url(item.object_key, now=now),
            expiresAt=iso(dt.datetime.fromtimestamp(int(now + self.gateway.signer.ttl_s), dt.UTC)), downloads=item.downloads,
        )
