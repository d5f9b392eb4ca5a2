import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CustomModel(_message.Message):
    __slots__ = ("id", "owner_id", "name", "description", "trigger_word", "category", "is_public", "tags", "base_model", "unet_model", "created_at", "shared_at", "final_loss")
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_WORD_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    UNET_MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SHARED_AT_FIELD_NUMBER: _ClassVar[int]
    FINAL_LOSS_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner_id: str
    name: str
    description: str
    trigger_word: str
    category: str
    is_public: bool
    tags: _containers.RepeatedScalarFieldContainer[str]
    base_model: str
    unet_model: str
    created_at: _timestamp_pb2.Timestamp
    shared_at: _timestamp_pb2.Timestamp
    final_loss: float
    def __init__(self, id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., trigger_word: _Optional[str] = ..., category: _Optional[str] = ..., is_public: _Optional[bool] = ..., tags: _Optional[_Iterable[str]] = ..., base_model: _Optional[str] = ..., unet_model: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., shared_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., final_loss: _Optional[float] = ...) -> None: ...

class ListCustomModelsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ListCustomModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[CustomModel]
    def __init__(self, models: _Optional[_Iterable[_Union[CustomModel, _Mapping]]] = ...) -> None: ...

class CustomModelRequest(_message.Message):
    __slots__ = ("id", "user_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ShareCustomModelRequest(_message.Message):
    __slots__ = ("id", "user_id", "is_public", "description", "tags", "set_tags")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    SET_TAGS_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    is_public: bool
    description: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    set_tags: bool
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., is_public: _Optional[bool] = ..., description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., set_tags: _Optional[bool] = ...) -> None: ...
