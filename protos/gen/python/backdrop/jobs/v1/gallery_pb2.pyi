from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GalleryItem(_message.Message):
    __slots__ = ("id", "kind", "object_key", "thumbnail_key", "prompt", "model", "created_at", "tags", "is_public", "downloads", "likes", "owner_id", "title", "description", "liked", "downloaded", "source_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OBJECT_KEY_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_KEY_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    DOWNLOADS_FIELD_NUMBER: _ClassVar[int]
    LIKES_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LIKED_FIELD_NUMBER: _ClassVar[int]
    DOWNLOADED_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: str
    object_key: str
    thumbnail_key: str
    prompt: str
    model: str
    created_at: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    is_public: bool
    downloads: int
    likes: int
    owner_id: str
    title: str
    description: str
    liked: bool
    downloaded: bool
    source_id: str
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[str] = ..., object_key: _Optional[str] = ..., thumbnail_key: _Optional[str] = ..., prompt: _Optional[str] = ..., model: _Optional[str] = ..., created_at: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., is_public: _Optional[bool] = ..., downloads: _Optional[int] = ..., likes: _Optional[int] = ..., owner_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., liked: _Optional[bool] = ..., downloaded: _Optional[bool] = ..., source_id: _Optional[str] = ...) -> None: ...

class ListPersonalRequest(_message.Message):
    __slots__ = ("owner_id", "page", "limit", "kind")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    page: int
    limit: int
    kind: str
    def __init__(self, owner_id: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ..., kind: _Optional[str] = ...) -> None: ...

class ListPublicRequest(_message.Message):
    __slots__ = ("viewer_id", "page", "limit", "category", "sort", "query")
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    viewer_id: str
    page: int
    limit: int
    category: str
    sort: str
    query: str
    def __init__(self, viewer_id: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ..., category: _Optional[str] = ..., sort: _Optional[str] = ..., query: _Optional[str] = ...) -> None: ...

class ItemPage(_message.Message):
    __slots__ = ("items", "total", "page", "limit")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[GalleryItem]
    total: int
    page: int
    limit: int
    def __init__(self, items: _Optional[_Iterable[_Union[GalleryItem, _Mapping]]] = ..., total: _Optional[int] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ShareRequest(_message.Message):
    __slots__ = ("owner_id", "item_id", "is_public", "title", "description", "tags")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    item_id: str
    is_public: bool
    title: str
    description: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, owner_id: _Optional[str] = ..., item_id: _Optional[str] = ..., is_public: _Optional[bool] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ...) -> None: ...

class LikeRequest(_message.Message):
    __slots__ = ("viewer_id", "item_id", "like")
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    LIKE_FIELD_NUMBER: _ClassVar[int]
    viewer_id: str
    item_id: str
    like: bool
    def __init__(self, viewer_id: _Optional[str] = ..., item_id: _Optional[str] = ..., like: _Optional[bool] = ...) -> None: ...

class DownloadRequest(_message.Message):
    __slots__ = ("viewer_id", "item_id")
    VIEWER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    viewer_id: str
    item_id: str
    def __init__(self, viewer_id: _Optional[str] = ..., item_id: _Optional[str] = ...) -> None: ...

class UsageRequest(_message.Message):
    __slots__ = ("owner_id", "days")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    days: int
    def __init__(self, owner_id: _Optional[str] = ..., days: _Optional[int] = ...) -> None: ...

class UsageBucket(_message.Message):
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

class Usage(_message.Message):
    __slots__ = ("images", "videos", "enhancements", "models", "finished_credits", "completed_credits", "daily", "weekly", "monthly", "since")
    class ModelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    VIDEOS_FIELD_NUMBER: _ClassVar[int]
    ENHANCEMENTS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    FINISHED_CREDITS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_CREDITS_FIELD_NUMBER: _ClassVar[int]
    DAILY_FIELD_NUMBER: _ClassVar[int]
    WEEKLY_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    images: int
    videos: int
    enhancements: int
    models: _containers.ScalarMap[str, int]
    finished_credits: int
    completed_credits: int
    daily: _containers.RepeatedCompositeFieldContainer[UsageBucket]
    weekly: _containers.RepeatedCompositeFieldContainer[UsageBucket]
    monthly: _containers.RepeatedCompositeFieldContainer[UsageBucket]
    since: str
    def __init__(self, images: _Optional[int] = ..., videos: _Optional[int] = ..., enhancements: _Optional[int] = ..., models: _Optional[_Mapping[str, int]] = ..., finished_credits: _Optional[int] = ..., completed_credits: _Optional[int] = ..., daily: _Optional[_Iterable[_Union[UsageBucket, _Mapping]]] = ..., weekly: _Optional[_Iterable[_Union[UsageBucket, _Mapping]]] = ..., monthly: _Optional[_Iterable[_Union[UsageBucket, _Mapping]]] = ..., since: _Optional[str] = ...) -> None: ...
