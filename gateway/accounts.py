"""The account endpoints: /v1/auth/*, /v1/users/me, /v1/api-keys, /v1/admin/users.

They forward to the auth service. Every user id comes from the identity Envoy
verified (services.runtime.identity), never from the request body or query.
"""

from __future__ import annotations

from backdrop.auth.v1 import auth_pb2, auth_pb2_grpc
from gateway import rest
from services.runtime import envelopes, identity


class AccountEndpoints:
    auth: auth_pb2_grpc.AuthServiceStub

    @rest.endpoint(envelopes.BACKDROP)
    async def Register(self, request, context):
        response = await self.auth.Register(request)
        await rest.set_status(context, 201)
        return response

    @rest.endpoint(envelopes.BACKDROP)
    async def Login(self, request, context):
        request.client_ip = identity.client_ip(context)
        return await self.auth.Login(request)

    @rest.endpoint(envelopes.BACKDROP)
    async def Refresh(self, request, context):
        return await self.auth.Refresh(auth_pb2.RefreshRequest(refresh_token=request.refresh_token))

    @rest.endpoint(envelopes.BACKDROP)
    async def Logout(self, request, context):
        caller = identity.required(context)
        return await self.auth.Logout(auth_pb2.LogoutRequest(user_id=caller.user_id, session_id=caller.session_id))

    @rest.endpoint(envelopes.BACKDROP)
    async def Jwks(self, request, context):
        return await self.auth.GetJwks(auth_pb2.GetJwksRequest())

    @rest.endpoint(envelopes.BACKDROP)
    async def GetMe(self, request, context):
        return await self.auth.GetUser(auth_pb2.GetUserRequest(user_id=identity.required(context).user_id))

    @rest.endpoint(envelopes.BACKDROP)
    async def UpdateMe(self, request, context):
        caller = identity.required(context)
        update = auth_pb2.UpdateUserRequest(
            user_id=caller.user_id,
            session_id=caller.session_id,
            current_password=request.current_password,
            new_password=request.new_password,
        )
        if request.HasField("name"):
            update.name = request.name
        if request.HasField("avatar"):
            update.avatar = request.avatar
        return await self.auth.UpdateUser(update)

    @rest.endpoint(envelopes.BACKDROP)
    async def CreateApiKey(self, request, context):
        caller = identity.required(context)
        created = await self.auth.CreateApiKey(auth_pb2.CreateApiKeyRequest(user_id=caller.user_id, name=request.name))
        await rest.set_status(context, 201)
        return created

    @rest.endpoint(envelopes.BACKDROP)
    async def ListApiKeys(self, request, context):
        return await self.auth.ListApiKeys(auth_pb2.ListApiKeysRequest(user_id=identity.required(context).user_id))

    @rest.endpoint(envelopes.BACKDROP)
    async def DeleteApiKey(self, request, context):
        caller = identity.required(context)
        return await self.auth.DeleteApiKey(auth_pb2.DeleteApiKeyRequest(user_id=caller.user_id, api_key_id=request.id))

    @rest.endpoint(envelopes.BACKDROP)
    async def ListUsers(self, request, context):
        identity.admin(context)
        return await self.auth.ListUsers(auth_pb2.ListUsersRequest(page=request.page, limit=request.limit))
