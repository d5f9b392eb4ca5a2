"""Seed 004's accounts (FOMI): the code of protos/backdrop/fomi/v1/accounts.proto.

The account work is the auth service's; a user as seed 004 shows it carries its
plan, credit balance and subscription end from billing.
"""

from __future__ import annotations

from backdrop.auth.v1 import auth_pb2
from backdrop.billing.v1 import billing_pb2
from backdrop.fomi.v1 import accounts_pb2, accounts_pb2_grpc
from gateway import rest
from services.runtime import envelopes, identity

FOMI = envelopes.FOMI


class FomiAccounts(accounts_pb2_grpc.FomiAccountsServicer):
    def __init__(self, gateway):
        # The GatewayServicer: its peers (auth, billing) and shared work.
        self.gateway = gateway

    async def _answer(self, auth: auth_pb2.AuthResponse) -> accounts_pb2.AuthResponse:
        user = auth.user
        # Seed 004's view of the plan: its names (the catalogue's starter is its basic).
        view = await self.gateway.billing.GetPlanView(billing_pb2.PlanViewRequest(user_id=user.id, plan=user.plan, dialect="fomi"))
        return accounts_pb2.AuthResponse(
            success=True,
            token=auth.token,
            refreshToken=auth.refresh_token,
            expiresIn=auth.expires_in,
            user=accounts_pb2.User(
                id=user.id, email=user.email, displayName=user.name, avatar=user.avatar, createdAt=user.created_at,
                subscription=accounts_pb2.Subscription(
                    plan=view.plan, credits=view.credits_remaining, expiresAt=view.next_billing or view.reset_date
                ),
            ),
        )

    @rest.endpoint(FOMI)
    async def Register(self, request, context):
        auth = await self.gateway.auth.Register(
            auth_pb2.RegisterRequest(
                email=request.email, password=request.password, display_name=request.displayName, avatar=request.avatar
            )
        )
        await rest.set_status(context, 201)
        return await self._answer(auth)

    @rest.endpoint(FOMI)
    async def Login(self, request, context):
        auth = await self.gateway.auth.Login(
            auth_pb2.LoginRequest(
                email=request.email, password=request.password, two_factor_code=request.twoFactorCode,
                client_ip=identity.client_ip(context),
            )
        )
        return await self._answer(auth)

    @rest.endpoint(FOMI)
    async def Refresh(self, request, context):
        return await self._answer(await self.gateway.auth.Refresh(auth_pb2.RefreshRequest(refresh_token=request.refreshToken)))

    @rest.endpoint(FOMI)
    async def Logout(self, request, context):
        caller = identity.required(context)
        await self.gateway.auth.Logout(auth_pb2.LogoutRequest(user_id=caller.user_id, session_id=caller.session_id))
        return accounts_pb2.LogoutResponse(success=True)
