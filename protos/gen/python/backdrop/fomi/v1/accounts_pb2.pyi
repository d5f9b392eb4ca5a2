from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterRequest(_message.Message):
    __slots__ = ("email", "password", "displayName", "avatar")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    displayName: str
    avatar: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ..., displayName: _Optional[str] = ..., avatar: _Optional[str] = ...) -> None: ...

class LoginRequest(_message.Message):
    __slots__ = ("email", "password", "twoFactorCode")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    TWOFACTORCODE_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    twoFactorCode: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ..., twoFactorCode: _Optional[str] = ...) -> None: ...

class RefreshRequest(_message.Message):
    __slots__ = ("refreshToken",)
    REFRESHTOKEN_FIELD_NUMBER: _ClassVar[int]
    refreshToken: str
    def __init__(self, refreshToken: _Optional[str] = ...) -> None: ...

class Subscription(_message.Message):
    __slots__ = ("plan", "credits", "expiresAt")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    EXPIRESAT_FIELD_NUMBER: _ClassVar[int]
    plan: str
    credits: int
    expiresAt: str
    def __init__(self, plan: _Optional[str] = ..., credits: _Optional[int] = ..., expiresAt: _Optional[str] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("id", "email", "displayName", "avatar", "subscription", "createdAt")
    ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    DISPLAYNAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    id: str
    email: str
    displayName: str
    avatar: str
    subscription: Subscription
    createdAt: str
    def __init__(self, id: _Optional[str] = ..., email: _Optional[str] = ..., displayName: _Optional[str] = ..., avatar: _Optional[str] = ..., subscription: _Optional[_Union[Subscription, _Mapping]] = ..., createdAt: _Optional[str] = ...) -> None: ...

class AuthResponse(_message.Message):
    __slots__ = ("success", "user", "token", "refreshToken", "expiresIn")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESHTOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRESIN_FIELD_NUMBER: _ClassVar[int]
    success: bool
    user: User
    token: str
    refreshToken: str
    expiresIn: int
    def __init__(self, success: _Optional[bool] = ..., user: _Optional[_Union[User, _Mapping]] = ..., token: _Optional[str] = ..., refreshToken: _Optional[str] = ..., expiresIn: _Optional[int] = ...) -> None: ...

class LogoutResponse(_message.Message):
    __slots__ = ("success",)
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    def __init__(self, success: _Optional[bool] = ...) -> None: ...
