from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GenerateVideoRequest(_message.Message):
    __slots__ = ("prompt", "negativePrompt", "model", "duration", "fps", "resolution", "aspectRatio", "style", "seed", "guidanceScale", "steps", "motionStrength", "cameraMovement", "safetyFilter")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVEPROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    ASPECTRATIO_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    GUIDANCESCALE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    MOTIONSTRENGTH_FIELD_NUMBER: _ClassVar[int]
    CAMERAMOVEMENT_FIELD_NUMBER: _ClassVar[int]
    SAFETYFILTER_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    negativePrompt: str
    model: str
    duration: float
    fps: int
    resolution: str
    aspectRatio: str
    style: str
    seed: int
    guidanceScale: float
    steps: int
    motionStrength: float
    cameraMovement: str
    safetyFilter: bool
    def __init__(self, prompt: _Optional[str] = ..., negativePrompt: _Optional[str] = ..., model: _Optional[str] = ..., duration: _Optional[float] = ..., fps: _Optional[int] = ..., resolution: _Optional[str] = ..., aspectRatio: _Optional[str] = ..., style: _Optional[str] = ..., seed: _Optional[int] = ..., guidanceScale: _Optional[float] = ..., steps: _Optional[int] = ..., motionStrength: _Optional[float] = ..., cameraMovement: _Optional[str] = ..., safetyFilter: _Optional[bool] = ...) -> None: ...

class VideoVariationsRequest(_message.Message):
    __slots__ = ("videoId", "prompt", "strength", "duration", "model", "negativePrompt", "fps", "resolution", "aspectRatio", "seed", "guidanceScale", "steps", "motionStrength", "cameraMovement", "safetyFilter", "time")
    VIDEOID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    NEGATIVEPROMPT_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    ASPECTRATIO_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    GUIDANCESCALE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    MOTIONSTRENGTH_FIELD_NUMBER: _ClassVar[int]
    CAMERAMOVEMENT_FIELD_NUMBER: _ClassVar[int]
    SAFETYFILTER_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    videoId: str
    prompt: str
    strength: float
    duration: float
    model: str
    negativePrompt: str
    fps: int
    resolution: str
    aspectRatio: str
    seed: int
    guidanceScale: float
    steps: int
    motionStrength: float
    cameraMovement: str
    safetyFilter: bool
    time: float
    def __init__(self, videoId: _Optional[str] = ..., prompt: _Optional[str] = ..., strength: _Optional[float] = ..., duration: _Optional[float] = ..., model: _Optional[str] = ..., negativePrompt: _Optional[str] = ..., fps: _Optional[int] = ..., resolution: _Optional[str] = ..., aspectRatio: _Optional[str] = ..., seed: _Optional[int] = ..., guidanceScale: _Optional[float] = ..., steps: _Optional[int] = ..., motionStrength: _Optional[float] = ..., cameraMovement: _Optional[str] = ..., safetyFilter: _Optional[bool] = ..., time: _Optional[float] = ...) -> None: ...

class GeneratedVideo(_message.Message):
    __slots__ = ("url", "thumbnail", "preview", "duration", "fps", "resolution", "fileSize", "seed", "width", "height", "frames", "filtered")
    URL_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    FILESIZE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    FILTERED_FIELD_NUMBER: _ClassVar[int]
    url: str
    thumbnail: str
    preview: str
    duration: float
    fps: int
    resolution: str
    fileSize: int
    seed: int
    width: int
    height: int
    frames: int
    filtered: bool
    def __init__(self, url: _Optional[str] = ..., thumbnail: _Optional[str] = ..., preview: _Optional[str] = ..., duration: _Optional[float] = ..., fps: _Optional[int] = ..., resolution: _Optional[str] = ..., fileSize: _Optional[int] = ..., seed: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., frames: _Optional[int] = ..., filtered: _Optional[bool] = ...) -> None: ...

class VideoSettings(_message.Message):
    __slots__ = ("duration", "fps", "resolution", "guidanceScale", "steps", "aspectRatio", "motionStrength", "cameraMovement")
    DURATION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    GUIDANCESCALE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    ASPECTRATIO_FIELD_NUMBER: _ClassVar[int]
    MOTIONSTRENGTH_FIELD_NUMBER: _ClassVar[int]
    CAMERAMOVEMENT_FIELD_NUMBER: _ClassVar[int]
    duration: float
    fps: int
    resolution: str
    guidanceScale: float
    steps: int
    aspectRatio: str
    motionStrength: float
    cameraMovement: str
    def __init__(self, duration: _Optional[float] = ..., fps: _Optional[int] = ..., resolution: _Optional[str] = ..., guidanceScale: _Optional[float] = ..., steps: _Optional[int] = ..., aspectRatio: _Optional[str] = ..., motionStrength: _Optional[float] = ..., cameraMovement: _Optional[str] = ...) -> None: ...

class VideoGeneration(_message.Message):
    __slots__ = ("id", "status", "progress", "video", "prompt", "model", "settings", "createdAt", "estimatedCompletion", "completedAt", "error", "sourceVideoId")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    VIDEO_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    ESTIMATEDCOMPLETION_FIELD_NUMBER: _ClassVar[int]
    COMPLETEDAT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SOURCEVIDEOID_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: str
    progress: int
    video: GeneratedVideo
    prompt: str
    model: str
    settings: VideoSettings
    createdAt: str
    estimatedCompletion: str
    completedAt: _struct_pb2.Value
    error: str
    sourceVideoId: str
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., progress: _Optional[int] = ..., video: _Optional[_Union[GeneratedVideo, _Mapping]] = ..., prompt: _Optional[str] = ..., model: _Optional[str] = ..., settings: _Optional[_Union[VideoSettings, _Mapping]] = ..., createdAt: _Optional[str] = ..., estimatedCompletion: _Optional[str] = ..., completedAt: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., error: _Optional[str] = ..., sourceVideoId: _Optional[str] = ...) -> None: ...

class VideoGenerationResponse(_message.Message):
    __slots__ = ("success", "generation")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    success: bool
    generation: VideoGeneration
    def __init__(self, success: _Optional[bool] = ..., generation: _Optional[_Union[VideoGeneration, _Mapping]] = ...) -> None: ...

class VideoGenerationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class VideoGenerationProgress(_message.Message):
    __slots__ = ("success", "progress", "status", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    progress: int
    status: str
    message: str
    def __init__(self, success: _Optional[bool] = ..., progress: _Optional[int] = ..., status: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...
