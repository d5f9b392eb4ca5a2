from backdrop.options.v1 import options_pb2 as _options_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CanvasLayer(_message.Message):
    __slots__ = ("id", "name", "data", "visible", "opacity", "url")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    VISIBLE_FIELD_NUMBER: _ClassVar[int]
    OPACITY_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    data: str
    visible: bool
    opacity: float
    url: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., data: _Optional[str] = ..., visible: _Optional[bool] = ..., opacity: _Optional[float] = ..., url: _Optional[str] = ...) -> None: ...

class CanvasSettings(_message.Message):
    __slots__ = ("width", "height", "backgroundColor")
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    BACKGROUNDCOLOR_FIELD_NUMBER: _ClassVar[int]
    width: int
    height: int
    backgroundColor: str
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ..., backgroundColor: _Optional[str] = ...) -> None: ...

class SaveCanvasRequest(_message.Message):
    __slots__ = ("name", "canvasData", "layers", "settings", "tags", "isPublic")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CANVASDATA_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ISPUBLIC_FIELD_NUMBER: _ClassVar[int]
    name: str
    canvasData: str
    layers: _containers.RepeatedCompositeFieldContainer[CanvasLayer]
    settings: CanvasSettings
    tags: _containers.RepeatedScalarFieldContainer[str]
    isPublic: bool
    def __init__(self, name: _Optional[str] = ..., canvasData: _Optional[str] = ..., layers: _Optional[_Iterable[_Union[CanvasLayer, _Mapping]]] = ..., settings: _Optional[_Union[CanvasSettings, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., isPublic: _Optional[bool] = ...) -> None: ...

class UpdateCanvasRequest(_message.Message):
    __slots__ = ("canvas_id", "name", "canvasData", "layers", "settings", "tags", "isPublic")
    CANVAS_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CANVASDATA_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ISPUBLIC_FIELD_NUMBER: _ClassVar[int]
    canvas_id: str
    name: str
    canvasData: str
    layers: _containers.RepeatedCompositeFieldContainer[CanvasLayer]
    settings: CanvasSettings
    tags: _struct_pb2.ListValue
    isPublic: bool
    def __init__(self, canvas_id: _Optional[str] = ..., name: _Optional[str] = ..., canvasData: _Optional[str] = ..., layers: _Optional[_Iterable[_Union[CanvasLayer, _Mapping]]] = ..., settings: _Optional[_Union[CanvasSettings, _Mapping]] = ..., tags: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., isPublic: _Optional[bool] = ...) -> None: ...

class CanvasIdRequest(_message.Message):
    __slots__ = ("canvas_id",)
    CANVAS_ID_FIELD_NUMBER: _ClassVar[int]
    canvas_id: str
    def __init__(self, canvas_id: _Optional[str] = ...) -> None: ...

class Canvas(_message.Message):
    __slots__ = ("id", "name", "url", "thumbnail", "layers", "settings", "tags", "isPublic", "createdAt", "updatedAt")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ISPUBLIC_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    UPDATEDAT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    url: str
    thumbnail: str
    layers: _containers.RepeatedCompositeFieldContainer[CanvasLayer]
    settings: CanvasSettings
    tags: _containers.RepeatedScalarFieldContainer[str]
    isPublic: bool
    createdAt: str
    updatedAt: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., url: _Optional[str] = ..., thumbnail: _Optional[str] = ..., layers: _Optional[_Iterable[_Union[CanvasLayer, _Mapping]]] = ..., settings: _Optional[_Union[CanvasSettings, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., isPublic: _Optional[bool] = ..., createdAt: _Optional[str] = ..., updatedAt: _Optional[str] = ...) -> None: ...

class CanvasResponse(_message.Message):
    __slots__ = ("success", "canvas")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    CANVAS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    canvas: Canvas
    def __init__(self, success: _Optional[bool] = ..., canvas: _Optional[_Union[Canvas, _Mapping]] = ...) -> None: ...

class DeleteCanvasResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

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

class AiAssistRequest(_message.Message):
    __slots__ = ("canvasId", "prompt", "area", "style", "model", "negativePrompt", "guidanceScale", "steps", "seed")
    CANVASID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    NEGATIVEPROMPT_FIELD_NUMBER: _ClassVar[int]
    GUIDANCESCALE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    canvasId: str
    prompt: str
    area: CanvasArea
    style: str
    model: str
    negativePrompt: str
    guidanceScale: float
    steps: int
    seed: int
    def __init__(self, canvasId: _Optional[str] = ..., prompt: _Optional[str] = ..., area: _Optional[_Union[CanvasArea, _Mapping]] = ..., style: _Optional[str] = ..., model: _Optional[str] = ..., negativePrompt: _Optional[str] = ..., guidanceScale: _Optional[float] = ..., steps: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class AiAssist(_message.Message):
    __slots__ = ("id", "status", "layerId")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LAYERID_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: str
    layerId: str
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., layerId: _Optional[str] = ...) -> None: ...

class AiAssistResponse(_message.Message):
    __slots__ = ("success", "canvas", "assist")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    CANVAS_FIELD_NUMBER: _ClassVar[int]
    ASSIST_FIELD_NUMBER: _ClassVar[int]
    success: bool
    canvas: Canvas
    assist: AiAssist
    def __init__(self, success: _Optional[bool] = ..., canvas: _Optional[_Union[Canvas, _Mapping]] = ..., assist: _Optional[_Union[AiAssist, _Mapping]] = ...) -> None: ...
