"""Seed 000's webhooks (/v1/webhooks and every delivery attempt; the orchestrator
sends them) and projects (/v1/projects, whose creation is a webhook event)."""

from __future__ import annotations

from backdrop.jobs.v1 import webhooks_pb2, webhooks_pb2_grpc
from gateway import rest
from services.runtime import envelopes, identity


class WebhookEndpoints:
    webhooks: webhooks_pb2_grpc.WebhookServiceStub
    projects: webhooks_pb2_grpc.ProjectServiceStub

    @rest.endpoint(envelopes.BACKDROP)
    async def CreateProject(self, request, context):
        caller = identity.required(context)
        created = await self.projects.CreateProject(
            webhooks_pb2.CreateProjectRequest(
                owner_id=caller.user_id, name=request.name, type=request.type, description=request.description
            )
        )
        await rest.set_status(context, 201)
        return created

    @rest.endpoint(envelopes.BACKDROP)
    async def ListProjects(self, request, context):
        caller = identity.required(context)
        return await self.projects.ListProjects(
            webhooks_pb2.ListProjectsRequest(owner_id=caller.user_id, page=request.page, limit=request.limit, search=request.search)
        )

    @rest.endpoint(envelopes.BACKDROP)
    async def CreateWebhook(self, request, context):
        caller = identity.required(context)
        created = await self.webhooks.CreateWebhook(
            webhooks_pb2.CreateWebhookRequest(owner_id=caller.user_id, url=request.url, events=request.events, secret=request.secret)
        )
        await rest.set_status(context, 201)
        return created

    @rest.endpoint(envelopes.BACKDROP)
    async def ListWebhooks(self, request, context):
        return await self.webhooks.ListWebhooks(webhooks_pb2.ListWebhooksRequest(owner_id=identity.required(context).user_id))

    @rest.endpoint(envelopes.BACKDROP)
    async def DeleteWebhook(self, request, context):
        caller = identity.required(context)
        return await self.webhooks.DeleteWebhook(webhooks_pb2.DeleteWebhookRequest(owner_id=caller.user_id, webhook_id=request.id))

    @rest.endpoint(envelopes.BACKDROP)
    async def ListWebhookDeliveries(self, request, context):
        caller = identity.required(context)
        return await self.webhooks.ListDeliveries(webhooks_pb2.ListDeliveriesRequest(owner_id=caller.user_id, webhook_id=request.id))
