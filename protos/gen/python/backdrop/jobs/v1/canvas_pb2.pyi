from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CanvasSettings(_message.Message):
    __slots__ = ("width", "height", "background_color")
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_COLOR_FIELD_NUMBER: _ClassVar[int]
    width: int
    height: int
    background_color: str
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ..., background_color: _Optional[str] = ...) -> None: ...

class CanvasLayer(_message.Message):
    __slots__ = ("id", "name", "visible", "opacity", "data", "key", "content_type", "width", "height", "job_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VISIBLE_FIELD_NUMBER: _ClassVar[int]
    OPACITY_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    visible: bool
    opacity: float
    data: bytes
    key: str
    content_type: str
    width: int
    height: int
    job_id: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., visible: _Optional[bool] = ..., opacity: _Optional[float] = ..., data: _Optional[bytes] = ..., key: _Optional[str] = ..., content_type: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., job_id: _Optional[str] = ...) -> None: ...

class CanvasArea(_message.Message):
    __slots__ = ("x", "y", "width", "height")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    x: int
    y: int
    width: int
    height: int
    def __init__(self, x: _Optional[int] = ..., y: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class PendingAssist(_message.Message):
    __slots__ = ("job_id", "area", "crop", "input_key")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    CROP_FIELD_NUMBER: _ClassVar[int]
    INPUT_KEY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    area: CanvasArea
    crop: CanvasArea
    input_key: str
    def __init__(self, job_id: _Optional[str] = ..., area: _Optional[_Union[CanvasArea, _Mapping]] = ..., crop: _Optional[_Union[CanvasArea, _Mapping]] = ..., input_key: _Optional[str] = ...) -> None: ...

class Canvas(_message.Message):
    __slots__ = ("id", "owner_id", "name", "layers", "settings", "tags", "is_public", "image_key", "thumbnail_key", "created_at", "updated_at", "pending")
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    IMAGE_KEY_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_KEY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner_id: str
    name: str
    layers: _containers.RepeatedCompositeFieldContainer[CanvasLayer]
    settings: CanvasSettings
    tags: _containers.RepeatedScalarFieldContainer[str]
    is_public: bool
    image_key: str
    thumbnail_key: str
    created_at: str
    updated_at: str
    pending: _containers.RepeatedCompositeFieldContainer[PendingAssist]
    def __init__(self, id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., layers: _Optional[_Iterable[_Union[CanvasLayer, _Mapping]]] = ..., settings: _Optional[_Union[CanvasSettings, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., is_public: _Optional[bool] = ..., image_key: _Optional[str] = ..., thumbnail_key: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., pending: _Optional[_Iterable[_Union[PendingAssist, _Mapping]]] = ...) -> None: ...

class SaveCanvasRequest(_message.Message):
    __slots__ = ("owner_id", "name", "layers", "settings", "tags", "is_public")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    name: str
    layers: _containers.RepeatedCompositeFieldContainer[CanvasLayer]
    settings: CanvasSettings
    tags: _containers.RepeatedScalarFieldContainer[str]
    is_public: bool
    def __init__(self, owner_id: _Optional[str] = ..., name: _Optional[str] = ..., layers: _Optional[_Iterable[_Union[CanvasLayer, _Mapping]]] = ..., settings: _Optional[_Union[CanvasSettings, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., is_public: _Optional[bool] = ...) -> None: ...

class GetCanvasRequest(_message.Message):
    __slots__ = ("owner_id", "canvas_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CANVAS_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    canvas_id: str
    def __init__(self, owner_id: _Optional[str] = ..., canvas_id: _Optional[str] = ...) -> None: ...

class UpdateCanvasRequest(_message.Message):
    __slots__ = ("owner_id", "canvas_id", "name", "replace_layers", "layers", "settings", "replace_tags", "tags", "is_public")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CANVAS_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPLACE_LAYERS_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    REPLACE_TAGS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    canvas_id: str
    name: str
    replace_layers: bool
    layers: _containers.RepeatedCompositeFieldContainer[CanvasLayer]
    settings: CanvasSettings
    replace_tags: bool
    tags: _containers.RepeatedScalarFieldContainer[str]
    is_public: bool
    def __init__(self, owner_id: _Optional[str] = ..., canvas_id: _Optional[str] = ..., name: _Optional[str] = ..., replace_layers: _Optional[bool] = ..., layers: _Optional[_Iterable[_Union[CanvasLayer, _Mapping]]] = ..., settings: _Optional[_Union[CanvasSettings, _Mapping]] = ..., replace_tags: _Optional[bool] = ..., tags: _Optional[_Iterable[str]] = ..., is_public: _Optional[bool] = ...) -> None: ...

class DeleteCanvasRequest(_message.Message):
    __slots__ = ("owner_id", "canvas_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CANVAS_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    canvas_id: str
    def __init__(self, owner_id: _Optional[str] = ..., canvas_id: _Optional[str] = ...) -> None: ...

class DeleteCanvasResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PrepareAssistRequest(_message.Message):
    __slots__ = ("owner_id", "canvas_id", "area", "token")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CANVAS_ID_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    canvas_id: str
    area: CanvasArea
    token: str
    def __init__(self, owner_id: _Optional[str] = ..., canvas_id: _Optional[str] = ..., area: _Optional[_Union[CanvasArea, _Mapping]] = ..., token: _Optional[str] = ...) -> None: ...

class AssistInput(_message.Message):
    __slots__ = ("input_key", "mask_key", "crop")
    INPUT_KEY_FIELD_NUMBER: _ClassVar[int]
    MASK_KEY_FIELD_NUMBER: _ClassVar[int]
    CROP_FIELD_NUMBER: _ClassVar[int]
    input_key: str
    mask_key: str
    crop: CanvasArea
    def __init__(self, input_key: _Optional[str] = ..., mask_key: _Optional[str] = ..., crop: _Optional[_Union[CanvasArea, _Mapping]] = ...) -> None: ...

class DiscardAssistRequest(_message.Message):
    __slots__ = ("owner_id", "canvas_id", "input")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CANVAS_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    canvas_id: str
    input: AssistInput
    def __init__(self, owner_id: _Optional[str] = ..., canvas_id: _Optional[str] = ..., input: _Optional[_Union[AssistInput, _Mapping]] = ...) -> None: ...

class DiscardAssistResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AttachAssistRequest(_message.Message):
    __slots__ = ("owner_id", "canvas_id", "assist")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CANVAS_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIST_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    canvas_id: str
    assist: PendingAssist
    def __init__(self, owner_id: _Optional[str] = ..., canvas_id: _Optional[str] = ..., assist: _Optional[_Union[PendingAssist, _Mapping]] = ...) -> None: ...
