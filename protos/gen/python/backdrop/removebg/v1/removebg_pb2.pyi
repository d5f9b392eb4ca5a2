from google.api import annotations_pb2 as _annotations_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Account(_message.Message):
    __slots__ = ("data",)
    class Credits(_message.Message):
        __slots__ = ("total", "subscription", "payg", "enterprise")
        TOTAL_FIELD_NUMBER: _ClassVar[int]
        SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
        PAYG_FIELD_NUMBER: _ClassVar[int]
        ENTERPRISE_FIELD_NUMBER: _ClassVar[int]
        total: float
        subscription: float
        payg: float
        enterprise: float
        def __init__(self, total: _Optional[float] = ..., subscription: _Optional[float] = ..., payg: _Optional[float] = ..., enterprise: _Optional[float] = ...) -> None: ...
    class Api(_message.Message):
        __slots__ = ("free_calls", "sizes")
        FREE_CALLS_FIELD_NUMBER: _ClassVar[int]
        SIZES_FIELD_NUMBER: _ClassVar[int]
        free_calls: int
        sizes: str
        def __init__(self, free_calls: _Optional[int] = ..., sizes: _Optional[str] = ...) -> None: ...
    class Attributes(_message.Message):
        __slots__ = ("credits", "api")
        CREDITS_FIELD_NUMBER: _ClassVar[int]
        API_FIELD_NUMBER: _ClassVar[int]
        credits: Account.Credits
        api: Account.Api
        def __init__(self, credits: _Optional[_Union[Account.Credits, _Mapping]] = ..., api: _Optional[_Union[Account.Api, _Mapping]] = ...) -> None: ...
    class Data(_message.Message):
        __slots__ = ("attributes",)
        ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
        attributes: Account.Attributes
        def __init__(self, attributes: _Optional[_Union[Account.Attributes, _Mapping]] = ...) -> None: ...
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: Account.Data
    def __init__(self, data: _Optional[_Union[Account.Data, _Mapping]] = ...) -> None: ...

class Improvement(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...
