from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UsageRequest(_message.Message):
    __slots__ = ("period",)
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    period: str
    def __init__(self, period: _Optional[str] = ...) -> None: ...

class Generations(_message.Message):
    __slots__ = ("total", "images", "videos", "enhancements")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    VIDEOS_FIELD_NUMBER: _ClassVar[int]
    ENHANCEMENTS_FIELD_NUMBER: _ClassVar[int]
    total: int
    images: int
    videos: int
    enhancements: int
    def __init__(self, total: _Optional[int] = ..., images: _Optional[int] = ..., videos: _Optional[int] = ..., enhancements: _Optional[int] = ...) -> None: ...

class CreditUsage(_message.Message):
    __slots__ = ("used", "remaining", "efficiency")
    USED_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    EFFICIENCY_FIELD_NUMBER: _ClassVar[int]
    used: int
    remaining: int
    efficiency: float
    def __init__(self, used: _Optional[int] = ..., remaining: _Optional[int] = ..., efficiency: _Optional[float] = ...) -> None: ...

class Trend(_message.Message):
    __slots__ = ("date", "generations", "enhancements", "credits")
    DATE_FIELD_NUMBER: _ClassVar[int]
    GENERATIONS_FIELD_NUMBER: _ClassVar[int]
    ENHANCEMENTS_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    date: str
    generations: int
    enhancements: int
    credits: int
    def __init__(self, date: _Optional[str] = ..., generations: _Optional[int] = ..., enhancements: _Optional[int] = ..., credits: _Optional[int] = ...) -> None: ...

class Trends(_message.Message):
    __slots__ = ("daily", "weekly", "monthly")
    DAILY_FIELD_NUMBER: _ClassVar[int]
    WEEKLY_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_FIELD_NUMBER: _ClassVar[int]
    daily: _containers.RepeatedCompositeFieldContainer[Trend]
    weekly: _containers.RepeatedCompositeFieldContainer[Trend]
    monthly: _containers.RepeatedCompositeFieldContainer[Trend]
    def __init__(self, daily: _Optional[_Iterable[_Union[Trend, _Mapping]]] = ..., weekly: _Optional[_Iterable[_Union[Trend, _Mapping]]] = ..., monthly: _Optional[_Iterable[_Union[Trend, _Mapping]]] = ...) -> None: ...

class Analytics(_message.Message):
    __slots__ = ("generations", "credits", "models", "trends")
    class ModelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    GENERATIONS_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    TRENDS_FIELD_NUMBER: _ClassVar[int]
    generations: Generations
    credits: CreditUsage
    models: _containers.ScalarMap[str, int]
    trends: Trends
    def __init__(self, generations: _Optional[_Union[Generations, _Mapping]] = ..., credits: _Optional[_Union[CreditUsage, _Mapping]] = ..., models: _Optional[_Mapping[str, int]] = ..., trends: _Optional[_Union[Trends, _Mapping]] = ...) -> None: ...

class UsageResponse(_message.Message):
    __slots__ = ("success", "analytics")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ANALYTICS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    analytics: Analytics
    def __init__(self, success: _Optional[bool] = ..., analytics: _Optional[_Union[Analytics, _Mapping]] = ...) -> None: ...
