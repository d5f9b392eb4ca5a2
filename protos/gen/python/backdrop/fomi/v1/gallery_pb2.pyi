from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GalleryItem(_message.Message):
    __slots__ = ("id", "type", "url", "thumbnail", "prompt", "model", "createdAt", "tags", "isPublic", "downloads", "likes")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ISPUBLIC_FIELD_NUMBER: _ClassVar[int]
    DOWNLOADS_FIELD_NUMBER: _ClassVar[int]
    LIKES_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    url: str
    thumbnail: str
    prompt: str
    model: str
    createdAt: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    isPublic: bool
    downloads: int
    likes: int
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., url: _Optional[str] = ..., thumbnail: _Optional[str] = ..., prompt: _Optional[str] = ..., model: _Optional[str] = ..., createdAt: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., isPublic: _Optional[bool] = ..., downloads: _Optional[int] = ..., likes: _Optional[int] = ...) -> None: ...

class Pagination(_message.Message):
    __slots__ = ("page", "limit", "total", "hasNext")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    HASNEXT_FIELD_NUMBER: _ClassVar[int]
    page: int
    limit: int
    total: int
    hasNext: bool
    def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ..., total: _Optional[int] = ..., hasNext: _Optional[bool] = ...) -> None: ...

class PersonalGalleryRequest(_message.Message):
    __slots__ = ("page", "limit", "type")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    page: int
    limit: int
    type: str
    def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ..., type: _Optional[str] = ...) -> None: ...

class PersonalGalleryResponse(_message.Message):
    __slots__ = ("success", "items", "pagination")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    success: bool
    items: _containers.RepeatedCompositeFieldContainer[GalleryItem]
    pagination: Pagination
    def __init__(self, success: _Optional[bool] = ..., items: _Optional[_Iterable[_Union[GalleryItem, _Mapping]]] = ..., pagination: _Optional[_Union[Pagination, _Mapping]] = ...) -> None: ...

class ShareRequest(_message.Message):
    __slots__ = ("itemId", "isPublic", "title", "description", "tags")
    ITEMID_FIELD_NUMBER: _ClassVar[int]
    ISPUBLIC_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    itemId: str
    isPublic: bool
    title: str
    description: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, itemId: _Optional[str] = ..., isPublic: _Optional[bool] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ...) -> None: ...

class SharedItem(_message.Message):
    __slots__ = ("id", "type", "url", "thumbnail", "prompt", "model", "createdAt", "tags", "isPublic", "downloads", "likes", "title", "description")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ISPUBLIC_FIELD_NUMBER: _ClassVar[int]
    DOWNLOADS_FIELD_NUMBER: _ClassVar[int]
    LIKES_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    url: str
    thumbnail: str
    prompt: str
    model: str
    createdAt: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    isPublic: bool
    downloads: int
    likes: int
    title: str
    description: str
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., url: _Optional[str] = ..., thumbnail: _Optional[str] = ..., prompt: _Optional[str] = ..., model: _Optional[str] = ..., createdAt: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., isPublic: _Optional[bool] = ..., downloads: _Optional[int] = ..., likes: _Optional[int] = ..., title: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ShareResponse(_message.Message):
    __slots__ = ("success", "item")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    success: bool
    item: SharedItem
    def __init__(self, success: _Optional[bool] = ..., item: _Optional[_Union[SharedItem, _Mapping]] = ...) -> None: ...

class Author(_message.Message):
    __slots__ = ("id", "name", "avatar")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    avatar: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., avatar: _Optional[str] = ...) -> None: ...

class CommunityItem(_message.Message):
    __slots__ = ("id", "type", "url", "thumbnail", "prompt", "author", "model", "createdAt", "likes", "downloads", "tags", "isLiked", "isDownloaded")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    LIKES_FIELD_NUMBER: _ClassVar[int]
    DOWNLOADS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ISLIKED_FIELD_NUMBER: _ClassVar[int]
    ISDOWNLOADED_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    url: str
    thumbnail: str
    prompt: str
    author: Author
    model: str
    createdAt: str
    likes: int
    downloads: int
    tags: _containers.RepeatedScalarFieldContainer[str]
    isLiked: bool
    isDownloaded: bool
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., url: _Optional[str] = ..., thumbnail: _Optional[str] = ..., prompt: _Optional[str] = ..., author: _Optional[_Union[Author, _Mapping]] = ..., model: _Optional[str] = ..., createdAt: _Optional[str] = ..., likes: _Optional[int] = ..., downloads: _Optional[int] = ..., tags: _Optional[_Iterable[str]] = ..., isLiked: _Optional[bool] = ..., isDownloaded: _Optional[bool] = ...) -> None: ...

class CommunityRequest(_message.Message):
    __slots__ = ("page", "limit", "category", "sort")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    page: int
    limit: int
    category: str
    sort: str
    def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ..., category: _Optional[str] = ..., sort: _Optional[str] = ...) -> None: ...

class CommunityResponse(_message.Message):
    __slots__ = ("success", "items", "pagination")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_FIELD_NUMBER: _ClassVar[int]
    success: bool
    items: _containers.RepeatedCompositeFieldContainer[CommunityItem]
    pagination: Pagination
    def __init__(self, success: _Optional[bool] = ..., items: _Optional[_Iterable[_Union[CommunityItem, _Mapping]]] = ..., pagination: _Optional[_Union[Pagination, _Mapping]] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("q", "category", "page", "limit")
    Q_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    q: str
    category: str
    page: int
    limit: int
    def __init__(self, q: _Optional[str] = ..., category: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ItemRequest(_message.Message):
    __slots__ = ("itemId",)
    ITEMID_FIELD_NUMBER: _ClassVar[int]
    itemId: str
    def __init__(self, itemId: _Optional[str] = ...) -> None: ...

class LikeResponse(_message.Message):
    __slots__ = ("success", "itemId", "isLiked", "likes")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ITEMID_FIELD_NUMBER: _ClassVar[int]
    ISLIKED_FIELD_NUMBER: _ClassVar[int]
    LIKES_FIELD_NUMBER: _ClassVar[int]
    success: bool
    itemId: str
    isLiked: bool
    likes: int
    def __init__(self, success: _Optional[bool] = ..., itemId: _Optional[str] = ..., isLiked: _Optional[bool] = ..., likes: _Optional[int] = ...) -> None: ...

class DownloadResponse(_message.Message):
    __slots__ = ("success", "itemId", "url", "expiresAt", "downloads")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ITEMID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EXPIRESAT_FIELD_NUMBER: _ClassVar[int]
    DOWNLOADS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    itemId: str
    url: str
    expiresAt: str
    downloads: int
    def __init__(self, success: _Optional[bool] = ..., itemId: _Optional[str] = ..., url: _Optional[str] = ..., expiresAt: _Optional[str] = ..., downloads: _Optional[int] = ...) -> None: ...
