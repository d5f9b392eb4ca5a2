"""Seed 004's settings (FOMI): the code of protos/backdrop/fomi/v1/settings.proto.

The settings, their checks and two-factor authentication are the auth service's
(services/auth/accounts.py, settings.py, totp.py); this maps its messages onto
seed 004's JSON names. Every call acts on the caller's own account.
"""

from __future__ import annotations

import re

from backdrop.auth.v1 import auth_pb2
from backdrop.fomi.v1 import settings_pb2, settings_pb2_grpc
from gateway import rest
from services.runtime import envelopes, identity

FOMI = envelopes.FOMI


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name).lower()


def _copy(source, target) -> None:
    """Copies the fields `source` sets (presence kept) onto `target`'s fields of the same snake_case name."""
    for field, value in source.ListFields():
        name = _snake(field.name)
        if field.message_type is None:
            setattr(target, name, value)
        else:
            _copy(value, getattr(target, name))


def _answer(settings: auth_pb2.Settings, setup: auth_pb2.TwoFactorSetup | None = None) -> settings_pb2.SettingsResponse:
    notifications = settings.notifications
    answer = settings_pb2.SettingsResponse(
        success=True,
        settings=settings_pb2.Settings(
            profile=settings_pb2.SettingsProfile(
                displayName=settings.display_name, avatar=settings.avatar, bio=settings.bio, website=settings.website
            ),
            preferences=settings_pb2.SettingsPreferences(
                theme=settings.theme, language=settings.language, timezone=settings.timezone,
                notifications=settings_pb2.SettingsNotifications(
                    email=notifications.email, push=notifications.push,
                    generationComplete=notifications.generation_complete, trainingComplete=notifications.training_complete,
                ),
            ),
            security=settings_pb2.SettingsSecurity(
                twoFactorEnabled=settings.two_factor_enabled, twoFactorPending=settings.two_factor_pending,
                lastPasswordChange=settings.last_password_change,
            ),
        ),
    )
    if setup is not None and setup.secret:
        answer.twoFactorSetup.CopyFrom(settings_pb2.TwoFactorSetup(secret=setup.secret, otpauthUri=setup.otpauth_uri))
    return answer


class FomiSettings(settings_pb2_grpc.FomiSettingsServicer):
    def __init__(self, gateway):
        # The GatewayServicer: its peer `auth` keeps the settings.
        self.gateway = gateway

    @rest.endpoint(FOMI)
    async def GetSettings(self, request, context):
        caller = identity.required(context)
        return _answer(await self.gateway.auth.GetSettings(auth_pb2.GetSettingsRequest(user_id=caller.user_id)))

    @rest.endpoint(FOMI)
    async def UpdateProfile(self, request, context):
        update = auth_pb2.UpdateProfileRequest(user_id=identity.required(context).user_id)
        _copy(request, update)
        return _answer(await self.gateway.auth.UpdateProfile(update))

    @rest.endpoint(FOMI)
    async def UpdatePreferences(self, request, context):
        update = auth_pb2.UpdatePreferencesRequest(user_id=identity.required(context).user_id)
        _copy(request, update)
        return _answer(await self.gateway.auth.UpdatePreferences(update))

    @rest.endpoint(FOMI)
    async def UpdateSecurity(self, request, context):
        caller = identity.required(context)
        update = auth_pb2.UpdateSecurityRequest(user_id=caller.user_id, session_id=caller.session_id)
        _copy(request, update)
        changed = await self.gateway.auth.UpdateSecurity(update)
        return _answer(changed.settings, changed.two_factor_setup)
