from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SettingsProfile(_message.Message):
    __slots__ = ("displayName", "avatar", "bio", "website")
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    BIO_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    displayName: str
    avatar: str
    bio: str
    website: str
    def __init__(self, displayName: _Optional[str] = ..., avatar: _Optional[str] = ..., bio: _Optional[str] = ..., website: _Optional[str] = ...) -> None: ...

class SettingsNotifications(_message.Message):
    __slots__ = ("email", "push", "generationComplete", "trainingComplete")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PUSH_FIELD_NUMBER: _ClassVar[int]
    GENERATIONCOMPLETE_FIELD_NUMBER: _ClassVar[int]
    TRAININGCOMPLETE_FIELD_NUMBER: _ClassVar[int]
    email: bool
    push: bool
    generationComplete: bool
    trainingComplete: bool
    def __init__(self, email: _Optional[bool] = ..., push: _Optional[bool] = ..., generationComplete: _Optional[bool] = ..., trainingComplete: _Optional[bool] = ...) -> None: ...

class SettingsPreferences(_message.Message):
    __slots__ = ("theme", "language", "timezone", "notifications")
    THEME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    theme: str
    language: str
    timezone: str
    notifications: SettingsNotifications
    def __init__(self, theme: _Optional[str] = ..., language: _Optional[str] = ..., timezone: _Optional[str] = ..., notifications: _Optional[_Union[SettingsNotifications, _Mapping]] = ...) -> None: ...

class SettingsSecurity(_message.Message):
    __slots__ = ("twoFactorEnabled", "twoFactorPending", "lastPasswordChange")
    TWOFACTORENABLED_FIELD_NUMBER: _ClassVar[int]
    TWOFACTORPENDING_FIELD_NUMBER: _ClassVar[int]
    LASTPASSWORDCHANGE_FIELD_NUMBER: _ClassVar[int]
    twoFactorEnabled: bool
    twoFactorPending: bool
    lastPasswordChange: str
    def __init__(self, twoFactorEnabled: _Optional[bool] = ..., twoFactorPending: _Optional[bool] = ..., lastPasswordChange: _Optional[str] = ...) -> None: ...

class Settings(_message.Message):
    __slots__ = ("profile", "preferences", "security")
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    SECURITY_FIELD_NUMBER: _ClassVar[int]
    profile: SettingsProfile
    preferences: SettingsPreferences
    security: SettingsSecurity
    def __init__(self, profile: _Optional[_Union[SettingsProfile, _Mapping]] = ..., preferences: _Optional[_Union[SettingsPreferences, _Mapping]] = ..., security: _Optional[_Union[SettingsSecurity, _Mapping]] = ...) -> None: ...

class TwoFactorSetup(_message.Message):
    __slots__ = ("secret", "otpauthUri")
    SECRET_FIELD_NUMBER: _ClassVar[int]
    OTPAUTHURI_FIELD_NUMBER: _ClassVar[int]
    secret: str
    otpauthUri: str
    def __init__(self, secret: _Optional[str] = ..., otpauthUri: _Optional[str] = ...) -> None: ...

class SettingsResponse(_message.Message):
    __slots__ = ("success", "settings", "twoFactorSetup")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    TWOFACTORSETUP_FIELD_NUMBER: _ClassVar[int]
    success: bool
    settings: Settings
    twoFactorSetup: TwoFactorSetup
    def __init__(self, success: _Optional[bool] = ..., settings: _Optional[_Union[Settings, _Mapping]] = ..., twoFactorSetup: _Optional[_Union[TwoFactorSetup, _Mapping]] = ...) -> None: ...

class SettingsProfileUpdate(_message.Message):
    __slots__ = ("displayName", "avatar", "bio", "website")
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    BIO_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    displayName: str
    avatar: str
    bio: str
    website: str
    def __init__(self, displayName: _Optional[str] = ..., avatar: _Optional[str] = ..., bio: _Optional[str] = ..., website: _Optional[str] = ...) -> None: ...

class SettingsNotificationsUpdate(_message.Message):
    __slots__ = ("email", "push", "generationComplete", "trainingComplete")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PUSH_FIELD_NUMBER: _ClassVar[int]
    GENERATIONCOMPLETE_FIELD_NUMBER: _ClassVar[int]
    TRAININGCOMPLETE_FIELD_NUMBER: _ClassVar[int]
    email: bool
    push: bool
    generationComplete: bool
    trainingComplete: bool
    def __init__(self, email: _Optional[bool] = ..., push: _Optional[bool] = ..., generationComplete: _Optional[bool] = ..., trainingComplete: _Optional[bool] = ...) -> None: ...

class SettingsPreferencesUpdate(_message.Message):
    __slots__ = ("theme", "language", "timezone", "notifications")
    THEME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    theme: str
    language: str
    timezone: str
    notifications: SettingsNotificationsUpdate
    def __init__(self, theme: _Optional[str] = ..., language: _Optional[str] = ..., timezone: _Optional[str] = ..., notifications: _Optional[_Union[SettingsNotificationsUpdate, _Mapping]] = ...) -> None: ...

class SettingsSecurityUpdate(_message.Message):
    __slots__ = ("twoFactorEnabled", "twoFactorCode", "currentPassword", "newPassword")
    TWOFACTORENABLED_FIELD_NUMBER: _ClassVar[int]
    TWOFACTORCODE_FIELD_NUMBER: _ClassVar[int]
    CURRENTPASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEWPASSWORD_FIELD_NUMBER: _ClassVar[int]
    twoFactorEnabled: bool
    twoFactorCode: str
    currentPassword: str
    newPassword: str
    def __init__(self, twoFactorEnabled: _Optional[bool] = ..., twoFactorCode: _Optional[str] = ..., currentPassword: _Optional[str] = ..., newPassword: _Optional[str] = ...) -> None: ...
