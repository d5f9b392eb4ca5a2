from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class User(_message.Message):
    __slots__ = ("id", "email", "name", "plan", "role", "avatar", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    email: str
    name: str
    plan: str
    role: str
    avatar: str
    created_at: str
    def __init__(self, id: _Optional[str] = ..., email: _Optional[str] = ..., name: _Optional[str] = ..., plan: _Optional[str] = ..., role: _Optional[str] = ..., avatar: _Optional[str] = ..., created_at: _Optional[str] = ...) -> None: ...

class AuthResponse(_message.Message):
    __slots__ = ("success", "token", "refresh_token", "user", "expires_in")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    success: bool
    token: str
    refresh_token: str
    user: User
    expires_in: int
    def __init__(self, success: _Optional[bool] = ..., token: _Optional[str] = ..., refresh_token: _Optional[str] = ..., user: _Optional[_Union[User, _Mapping]] = ..., expires_in: _Optional[int] = ...) -> None: ...

class RegisterRequest(_message.Message):
    __slots__ = ("email", "password", "name", "display_name", "avatar")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    name: str
    display_name: str
    avatar: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ..., name: _Optional[str] = ..., display_name: _Optional[str] = ..., avatar: _Optional[str] = ...) -> None: ...

class LoginRequest(_message.Message):
    __slots__ = ("email", "password", "client_ip", "two_factor_code")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    TWO_FACTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    client_ip: str
    two_factor_code: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ..., client_ip: _Optional[str] = ..., two_factor_code: _Optional[str] = ...) -> None: ...

class RefreshRequest(_message.Message):
    __slots__ = ("refresh_token",)
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    refresh_token: str
    def __init__(self, refresh_token: _Optional[str] = ...) -> None: ...

class LogoutRequest(_message.Message):
    __slots__ = ("user_id", "session_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    session_id: str
    def __init__(self, user_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class LogoutResponse(_message.Message):
    __slots__ = ("success",)
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    def __init__(self, success: _Optional[bool] = ...) -> None: ...

class GetUserRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class UpdateUserRequest(_message.Message):
    __slots__ = ("user_id", "name", "avatar", "current_password", "new_password", "plan", "session_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    avatar: str
    current_password: str
    new_password: str
    plan: str
    session_id: str
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ..., avatar: _Optional[str] = ..., current_password: _Optional[str] = ..., new_password: _Optional[str] = ..., plan: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class Notifications(_message.Message):
    __slots__ = ("email", "push", "generation_complete", "training_complete")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PUSH_FIELD_NUMBER: _ClassVar[int]
    GENERATION_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    TRAINING_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    email: bool
    push: bool
    generation_complete: bool
    training_complete: bool
    def __init__(self, email: _Optional[bool] = ..., push: _Optional[bool] = ..., generation_complete: _Optional[bool] = ..., training_complete: _Optional[bool] = ...) -> None: ...

class Settings(_message.Message):
    __slots__ = ("display_name", "avatar", "bio", "website", "theme", "language", "timezone", "notifications", "two_factor_enabled", "two_factor_pending", "last_password_change")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    BIO_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    THEME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    TWO_FACTOR_ENABLED_FIELD_NUMBER: _ClassVar[int]
    TWO_FACTOR_PENDING_FIELD_NUMBER: _ClassVar[int]
    LAST_PASSWORD_CHANGE_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    avatar: str
    bio: str
    website: str
    theme: str
    language: str
    timezone: str
    notifications: Notifications
    two_factor_enabled: bool
    two_factor_pending: bool
    last_password_change: str
    def __init__(self, display_name: _Optional[str] = ..., avatar: _Optional[str] = ..., bio: _Optional[str] = ..., website: _Optional[str] = ..., theme: _Optional[str] = ..., language: _Optional[str] = ..., timezone: _Optional[str] = ..., notifications: _Optional[_Union[Notifications, _Mapping]] = ..., two_factor_enabled: _Optional[bool] = ..., two_factor_pending: _Optional[bool] = ..., last_password_change: _Optional[str] = ...) -> None: ...

class GetSettingsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class UpdateProfileRequest(_message.Message):
    __slots__ = ("user_id", "display_name", "avatar", "bio", "website")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    BIO_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    display_name: str
    avatar: str
    bio: str
    website: str
    def __init__(self, user_id: _Optional[str] = ..., display_name: _Optional[str] = ..., avatar: _Optional[str] = ..., bio: _Optional[str] = ..., website: _Optional[str] = ...) -> None: ...

class NotificationsUpdate(_message.Message):
    __slots__ = ("email", "push", "generation_complete", "training_complete")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PUSH_FIELD_NUMBER: _ClassVar[int]
    GENERATION_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    TRAINING_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    email: bool
    push: bool
    generation_complete: bool
    training_complete: bool
    def __init__(self, email: _Optional[bool] = ..., push: _Optional[bool] = ..., generation_complete: _Optional[bool] = ..., training_complete: _Optional[bool] = ...) -> None: ...

class UpdatePreferencesRequest(_message.Message):
    __slots__ = ("user_id", "theme", "language", "timezone", "notifications")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    THEME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    theme: str
    language: str
    timezone: str
    notifications: NotificationsUpdate
    def __init__(self, user_id: _Optional[str] = ..., theme: _Optional[str] = ..., language: _Optional[str] = ..., timezone: _Optional[str] = ..., notifications: _Optional[_Union[NotificationsUpdate, _Mapping]] = ...) -> None: ...

class UpdateSecurityRequest(_message.Message):
    __slots__ = ("user_id", "session_id", "two_factor_enabled", "two_factor_code", "current_password", "new_password")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TWO_FACTOR_ENABLED_FIELD_NUMBER: _ClassVar[int]
    TWO_FACTOR_CODE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    session_id: str
    two_factor_enabled: bool
    two_factor_code: str
    current_password: str
    new_password: str
    def __init__(self, user_id: _Optional[str] = ..., session_id: _Optional[str] = ..., two_factor_enabled: _Optional[bool] = ..., two_factor_code: _Optional[str] = ..., current_password: _Optional[str] = ..., new_password: _Optional[str] = ...) -> None: ...

class TwoFactorSetup(_message.Message):
    __slots__ = ("secret", "otpauth_uri")
    SECRET_FIELD_NUMBER: _ClassVar[int]
    OTPAUTH_URI_FIELD_NUMBER: _ClassVar[int]
    secret: str
    otpauth_uri: str
    def __init__(self, secret: _Optional[str] = ..., otpauth_uri: _Optional[str] = ...) -> None: ...

class SecurityUpdate(_message.Message):
    __slots__ = ("settings", "two_factor_setup")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    TWO_FACTOR_SETUP_FIELD_NUMBER: _ClassVar[int]
    settings: Settings
    two_factor_setup: TwoFactorSetup
    def __init__(self, settings: _Optional[_Union[Settings, _Mapping]] = ..., two_factor_setup: _Optional[_Union[TwoFactorSetup, _Mapping]] = ...) -> None: ...

class ApiKey(_message.Message):
    __slots__ = ("id", "name", "prefix", "created_at", "last_used_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    prefix: str
    created_at: str
    last_used_at: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., prefix: _Optional[str] = ..., created_at: _Optional[str] = ..., last_used_at: _Optional[str] = ...) -> None: ...

class CreatedApiKey(_message.Message):
    __slots__ = ("api_key", "key")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    api_key: ApiKey
    key: str
    def __init__(self, api_key: _Optional[_Union[ApiKey, _Mapping]] = ..., key: _Optional[str] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("user_id", "name")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class ListApiKeysRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ListApiKeysResponse(_message.Message):
    __slots__ = ("api_keys",)
    API_KEYS_FIELD_NUMBER: _ClassVar[int]
    api_keys: _containers.RepeatedCompositeFieldContainer[ApiKey]
    def __init__(self, api_keys: _Optional[_Iterable[_Union[ApiKey, _Mapping]]] = ...) -> None: ...

class DeleteApiKeyRequest(_message.Message):
    __slots__ = ("user_id", "api_key_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    api_key_id: str
    def __init__(self, user_id: _Optional[str] = ..., api_key_id: _Optional[str] = ...) -> None: ...

class DeleteApiKeyResponse(_message.Message):
    __slots__ = ("success",)
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    def __init__(self, success: _Optional[bool] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ("page", "limit")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    page: int
    limit: int
    def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users", "total", "page", "limit")
    USERS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[User]
    total: int
    page: int
    limit: int
    def __init__(self, users: _Optional[_Iterable[_Union[User, _Mapping]]] = ..., total: _Optional[int] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class Jwk(_message.Message):
    __slots__ = ("kty", "crv", "x", "kid", "use", "alg")
    KTY_FIELD_NUMBER: _ClassVar[int]
    CRV_FIELD_NUMBER: _ClassVar[int]
    X_FIELD_NUMBER: _ClassVar[int]
    KID_FIELD_NUMBER: _ClassVar[int]
    USE_FIELD_NUMBER: _ClassVar[int]
    ALG_FIELD_NUMBER: _ClassVar[int]
    kty: str
    crv: str
    x: str
    kid: str
    use: str
    alg: str
    def __init__(self, kty: _Optional[str] = ..., crv: _Optional[str] = ..., x: _Optional[str] = ..., kid: _Optional[str] = ..., use: _Optional[str] = ..., alg: _Optional[str] = ...) -> None: ...

class Jwks(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[Jwk]
    def __init__(self, keys: _Optional[_Iterable[_Union[Jwk, _Mapping]]] = ...) -> None: ...

class GetJwksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("credential",)
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    credential: str
    def __init__(self, credential: _Optional[str] = ...) -> None: ...

class Identity(_message.Message):
    __slots__ = ("user_id", "role", "plan")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    role: str
    plan: str
    def __init__(self, user_id: _Optional[str] = ..., role: _Optional[str] = ..., plan: _Optional[str] = ...) -> None: ...
