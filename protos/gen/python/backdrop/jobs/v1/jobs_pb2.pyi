import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATUS_UNSPECIFIED: _ClassVar[JobStatus]
    JOB_STATUS_QUEUED: _ClassVar[JobStatus]
    JOB_STATUS_PROCESSING: _ClassVar[JobStatus]
    JOB_STATUS_COMPLETED: _ClassVar[JobStatus]
    JOB_STATUS_FAILED: _ClassVar[JobStatus]
JOB_STATUS_UNSPECIFIED: JobStatus
JOB_STATUS_QUEUED: JobStatus
JOB_STATUS_PROCESSING: JobStatus
JOB_STATUS_COMPLETED: JobStatus
JOB_STATUS_FAILED: JobStatus

class RemoveBackgroundOptions(_message.Message):
    __slots__ = ("model", "return_mask", "edge_refinement", "quality", "output_format", "output_quality", "scale", "channels", "bg_color", "crop", "crop_margin", "roi", "size", "background_key", "blend_mode", "blur_strength", "blur_style", "crop_margins", "subject_scale", "subject_position", "classify_subject")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    RETURN_MASK_FIELD_NUMBER: _ClassVar[int]
    EDGE_REFINEMENT_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_QUALITY_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    BG_COLOR_FIELD_NUMBER: _ClassVar[int]
    CROP_FIELD_NUMBER: _ClassVar[int]
    CROP_MARGIN_FIELD_NUMBER: _ClassVar[int]
    ROI_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_KEY_FIELD_NUMBER: _ClassVar[int]
    BLEND_MODE_FIELD_NUMBER: _ClassVar[int]
    BLUR_STRENGTH_FIELD_NUMBER: _ClassVar[int]
    BLUR_STYLE_FIELD_NUMBER: _ClassVar[int]
    CROP_MARGINS_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_SCALE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_POSITION_FIELD_NUMBER: _ClassVar[int]
    CLASSIFY_SUBJECT_FIELD_NUMBER: _ClassVar[int]
    model: str
    return_mask: bool
    edge_refinement: int
    quality: str
    output_format: str
    output_quality: int
    scale: float
    channels: str
    bg_color: str
    crop: bool
    crop_margin: int
    roi: Box
    size: str
    background_key: str
    blend_mode: str
    blur_strength: float
    blur_style: str
    crop_margins: Margins
    subject_scale: float
    subject_position: Position
    classify_subject: bool
    def __init__(self, model: _Optional[str] = ..., return_mask: _Optional[bool] = ..., edge_refinement: _Optional[int] = ..., quality: _Optional[str] = ..., output_format: _Optional[str] = ..., output_quality: _Optional[int] = ..., scale: _Optional[float] = ..., channels: _Optional[str] = ..., bg_color: _Optional[str] = ..., crop: _Optional[bool] = ..., crop_margin: _Optional[int] = ..., roi: _Optional[_Union[Box, _Mapping]] = ..., size: _Optional[str] = ..., background_key: _Optional[str] = ..., blend_mode: _Optional[str] = ..., blur_strength: _Optional[float] = ..., blur_style: _Optional[str] = ..., crop_margins: _Optional[_Union[Margins, _Mapping]] = ..., subject_scale: _Optional[float] = ..., subject_position: _Optional[_Union[Position, _Mapping]] = ..., classify_subject: _Optional[bool] = ...) -> None: ...

class Length(_message.Message):
    __slots__ = ("value", "percent")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    value: float
    percent: bool
    def __init__(self, value: _Optional[float] = ..., percent: _Optional[bool] = ...) -> None: ...

class Margins(_message.Message):
    __slots__ = ("top", "right", "bottom", "left")
    TOP_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    BOTTOM_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    top: Length
    right: Length
    bottom: Length
    left: Length
    def __init__(self, top: _Optional[_Union[Length, _Mapping]] = ..., right: _Optional[_Union[Length, _Mapping]] = ..., bottom: _Optional[_Union[Length, _Mapping]] = ..., left: _Optional[_Union[Length, _Mapping]] = ...) -> None: ...

class Position(_message.Message):
    __slots__ = ("x", "y")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    x: float
    y: float
    def __init__(self, x: _Optional[float] = ..., y: _Optional[float] = ...) -> None: ...

class Box(_message.Message):
    __slots__ = ("left", "top", "right", "bottom")
    LEFT_FIELD_NUMBER: _ClassVar[int]
    TOP_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    BOTTOM_FIELD_NUMBER: _ClassVar[int]
    left: int
    top: int
    right: int
    bottom: int
    def __init__(self, left: _Optional[int] = ..., top: _Optional[int] = ..., right: _Optional[int] = ..., bottom: _Optional[int] = ...) -> None: ...

class UpscaleOptions(_message.Message):
    __slots__ = ("model", "scale", "output_format", "output_quality", "quality")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_QUALITY_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    model: str
    scale: int
    output_format: str
    output_quality: int
    quality: str
    def __init__(self, model: _Optional[str] = ..., scale: _Optional[int] = ..., output_format: _Optional[str] = ..., output_quality: _Optional[int] = ..., quality: _Optional[str] = ...) -> None: ...

class GenerateOptions(_message.Message):
    __slots__ = ("mode", "prompt", "negative_prompt", "num_images", "width", "height", "seed", "guidance_scale", "steps", "sampler", "strength", "mask_key", "mask_blur", "direction", "pixels", "inpaint_area", "safety_filter", "request_prompt", "enhanced_prompt", "video", "unet_model")
    MODE_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_PROMPT_FIELD_NUMBER: _ClassVar[int]
    NUM_IMAGES_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    GUIDANCE_SCALE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SAMPLER_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    MASK_KEY_FIELD_NUMBER: _ClassVar[int]
    MASK_BLUR_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    PIXELS_FIELD_NUMBER: _ClassVar[int]
    INPAINT_AREA_FIELD_NUMBER: _ClassVar[int]
    SAFETY_FILTER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_PROMPT_FIELD_NUMBER: _ClassVar[int]
    ENHANCED_PROMPT_FIELD_NUMBER: _ClassVar[int]
    VIDEO_FIELD_NUMBER: _ClassVar[int]
    UNET_MODEL_FIELD_NUMBER: _ClassVar[int]
    mode: str
    prompt: str
    negative_prompt: str
    num_images: int
    width: int
    height: int
    seed: int
    guidance_scale: float
    steps: int
    sampler: str
    strength: float
    mask_key: str
    mask_blur: int
    direction: str
    pixels: int
    inpaint_area: str
    safety_filter: bool
    request_prompt: str
    enhanced_prompt: bool
    video: VideoOptions
    unet_model: str
    def __init__(self, mode: _Optional[str] = ..., prompt: _Optional[str] = ..., negative_prompt: _Optional[str] = ..., num_images: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., seed: _Optional[int] = ..., guidance_scale: _Optional[float] = ..., steps: _Optional[int] = ..., sampler: _Optional[str] = ..., strength: _Optional[float] = ..., mask_key: _Optional[str] = ..., mask_blur: _Optional[int] = ..., direction: _Optional[str] = ..., pixels: _Optional[int] = ..., inpaint_area: _Optional[str] = ..., safety_filter: _Optional[bool] = ..., request_prompt: _Optional[str] = ..., enhanced_prompt: _Optional[bool] = ..., video: _Optional[_Union[VideoOptions, _Mapping]] = ..., unet_model: _Optional[str] = ...) -> None: ...

class TrainOptions(_message.Message):
    __slots__ = ("name", "description", "trigger_word", "category", "is_public", "base_model", "epochs", "learning_rate", "batch_size", "resolution", "scheduler", "optimizer", "rank", "image_count", "steps", "seed", "adapters")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_WORD_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    SCHEDULER_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    IMAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    ADAPTERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    trigger_word: str
    category: str
    is_public: bool
    base_model: str
    epochs: int
    learning_rate: float
    batch_size: int
    resolution: int
    scheduler: str
    optimizer: str
    rank: int
    image_count: int
    steps: int
    seed: int
    adapters: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., trigger_word: _Optional[str] = ..., category: _Optional[str] = ..., is_public: _Optional[bool] = ..., base_model: _Optional[str] = ..., epochs: _Optional[int] = ..., learning_rate: _Optional[float] = ..., batch_size: _Optional[int] = ..., resolution: _Optional[int] = ..., scheduler: _Optional[str] = ..., optimizer: _Optional[str] = ..., rank: _Optional[int] = ..., image_count: _Optional[int] = ..., steps: _Optional[int] = ..., seed: _Optional[int] = ..., adapters: _Optional[str] = ...) -> None: ...

class TrainResult(_message.Message):
    __slots__ = ("unet_model", "epoch_losses", "steps", "lora_parameters", "adapted", "seconds_per_step")
    UNET_MODEL_FIELD_NUMBER: _ClassVar[int]
    EPOCH_LOSSES_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    LORA_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    ADAPTED_FIELD_NUMBER: _ClassVar[int]
    SECONDS_PER_STEP_FIELD_NUMBER: _ClassVar[int]
    unet_model: str
    epoch_losses: _containers.RepeatedScalarFieldContainer[float]
    steps: int
    lora_parameters: int
    adapted: _containers.RepeatedScalarFieldContainer[str]
    seconds_per_step: float
    def __init__(self, unet_model: _Optional[str] = ..., epoch_losses: _Optional[_Iterable[float]] = ..., steps: _Optional[int] = ..., lora_parameters: _Optional[int] = ..., adapted: _Optional[_Iterable[str]] = ..., seconds_per_step: _Optional[float] = ...) -> None: ...

class VideoOptions(_message.Message):
    __slots__ = ("duration", "fps", "resolution", "aspect_ratio", "motion_strength", "camera_movement", "source_time", "source_id")
    DURATION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    ASPECT_RATIO_FIELD_NUMBER: _ClassVar[int]
    MOTION_STRENGTH_FIELD_NUMBER: _ClassVar[int]
    CAMERA_MOVEMENT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TIME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    duration: float
    fps: int
    resolution: str
    aspect_ratio: str
    motion_strength: float
    camera_movement: str
    source_time: float
    source_id: str
    def __init__(self, duration: _Optional[float] = ..., fps: _Optional[int] = ..., resolution: _Optional[str] = ..., aspect_ratio: _Optional[str] = ..., motion_strength: _Optional[float] = ..., camera_movement: _Optional[str] = ..., source_time: _Optional[float] = ..., source_id: _Optional[str] = ...) -> None: ...

class GeneratedVideo(_message.Message):
    __slots__ = ("key", "thumbnail_key", "preview_key", "duration", "fps", "frames", "width", "height", "file_size", "seed", "filtered")
    KEY_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_KEY_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_KEY_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FILE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    FILTERED_FIELD_NUMBER: _ClassVar[int]
    key: str
    thumbnail_key: str
    preview_key: str
    duration: float
    fps: int
    frames: int
    width: int
    height: int
    file_size: int
    seed: int
    filtered: bool
    def __init__(self, key: _Optional[str] = ..., thumbnail_key: _Optional[str] = ..., preview_key: _Optional[str] = ..., duration: _Optional[float] = ..., fps: _Optional[int] = ..., frames: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., file_size: _Optional[int] = ..., seed: _Optional[int] = ..., filtered: _Optional[bool] = ...) -> None: ...

class GeneratedImage(_message.Message):
    __slots__ = ("key", "width", "height", "seed", "file_size", "filtered")
    KEY_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    FILE_SIZE_FIELD_NUMBER: _ClassVar[int]
    FILTERED_FIELD_NUMBER: _ClassVar[int]
    key: str
    width: int
    height: int
    seed: int
    file_size: int
    filtered: bool
    def __init__(self, key: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., seed: _Optional[int] = ..., file_size: _Optional[int] = ..., filtered: _Optional[bool] = ...) -> None: ...

class EnhanceOptions(_message.Message):
    __slots__ = ("enhancement", "strength", "output_format", "output_quality")
    ENHANCEMENT_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_QUALITY_FIELD_NUMBER: _ClassVar[int]
    enhancement: str
    strength: float
    output_format: str
    output_quality: int
    def __init__(self, enhancement: _Optional[str] = ..., strength: _Optional[float] = ..., output_format: _Optional[str] = ..., output_quality: _Optional[int] = ...) -> None: ...

class JobResult(_message.Message):
    __slots__ = ("result_key", "mask_key", "width", "height", "format", "content_type", "processing_seconds", "model", "images", "foreground", "subject_type", "generated_video", "training", "video_output")
    RESULT_KEY_FIELD_NUMBER: _ClassVar[int]
    MASK_KEY_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    FOREGROUND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    GENERATED_VIDEO_FIELD_NUMBER: _ClassVar[int]
    TRAINING_FIELD_NUMBER: _ClassVar[int]
    VIDEO_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    result_key: str
    mask_key: str
    width: int
    height: int
    format: str
    content_type: str
    processing_seconds: float
    model: str
    images: _containers.RepeatedCompositeFieldContainer[GeneratedImage]
    foreground: Box
    subject_type: str
    generated_video: GeneratedVideo
    training: TrainResult
    video_output: VideoOutput
    def __init__(self, result_key: _Optional[str] = ..., mask_key: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., format: _Optional[str] = ..., content_type: _Optional[str] = ..., processing_seconds: _Optional[float] = ..., model: _Optional[str] = ..., images: _Optional[_Iterable[_Union[GeneratedImage, _Mapping]]] = ..., foreground: _Optional[_Union[Box, _Mapping]] = ..., subject_type: _Optional[str] = ..., generated_video: _Optional[_Union[GeneratedVideo, _Mapping]] = ..., training: _Optional[_Union[TrainResult, _Mapping]] = ..., video_output: _Optional[_Union[VideoOutput, _Mapping]] = ...) -> None: ...

class VideoRemovalOptions(_message.Message):
    __slots__ = ("output_format", "bg_color", "background_key", "blur_strength", "smoothing", "keep_audio", "model", "quality", "frames", "duration_seconds", "project_id")
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    BG_COLOR_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_KEY_FIELD_NUMBER: _ClassVar[int]
    BLUR_STRENGTH_FIELD_NUMBER: _ClassVar[int]
    SMOOTHING_FIELD_NUMBER: _ClassVar[int]
    KEEP_AUDIO_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    output_format: str
    bg_color: str
    background_key: str
    blur_strength: float
    smoothing: float
    keep_audio: bool
    model: str
    quality: str
    frames: int
    duration_seconds: float
    project_id: str
    def __init__(self, output_format: _Optional[str] = ..., bg_color: _Optional[str] = ..., background_key: _Optional[str] = ..., blur_strength: _Optional[float] = ..., smoothing: _Optional[float] = ..., keep_audio: _Optional[bool] = ..., model: _Optional[str] = ..., quality: _Optional[str] = ..., frames: _Optional[int] = ..., duration_seconds: _Optional[float] = ..., project_id: _Optional[str] = ...) -> None: ...

class VideoOutput(_message.Message):
    __slots__ = ("frames", "fps", "duration_seconds", "has_audio", "has_alpha")
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HAS_AUDIO_FIELD_NUMBER: _ClassVar[int]
    HAS_ALPHA_FIELD_NUMBER: _ClassVar[int]
    frames: int
    fps: float
    duration_seconds: float
    has_audio: bool
    has_alpha: bool
    def __init__(self, frames: _Optional[int] = ..., fps: _Optional[float] = ..., duration_seconds: _Optional[float] = ..., has_audio: _Optional[bool] = ..., has_alpha: _Optional[bool] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("id", "status", "input_key", "remove_background", "upscale", "enhance", "generate", "remove_background_video", "train", "result", "error_code", "error_message", "attempts", "created_at", "updated_at", "finished_at", "owner_id", "batch_id", "filename", "tier", "credits", "notify_email", "request_hash", "expired", "progress", "progress_message")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INPUT_KEY_FIELD_NUMBER: _ClassVar[int]
    REMOVE_BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    UPSCALE_FIELD_NUMBER: _ClassVar[int]
    ENHANCE_FIELD_NUMBER: _ClassVar[int]
    GENERATE_FIELD_NUMBER: _ClassVar[int]
    REMOVE_BACKGROUND_VIDEO_FIELD_NUMBER: _ClassVar[int]
    TRAIN_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_EMAIL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_HASH_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: JobStatus
    input_key: str
    remove_background: RemoveBackgroundOptions
    upscale: UpscaleOptions
    enhance: EnhanceOptions
    generate: GenerateOptions
    remove_background_video: VideoRemovalOptions
    train: TrainOptions
    result: JobResult
    error_code: str
    error_message: str
    attempts: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    owner_id: str
    batch_id: str
    filename: str
    tier: str
    credits: int
    notify_email: str
    request_hash: str
    expired: bool
    progress: int
    progress_message: str
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., input_key: _Optional[str] = ..., remove_background: _Optional[_Union[RemoveBackgroundOptions, _Mapping]] = ..., upscale: _Optional[_Union[UpscaleOptions, _Mapping]] = ..., enhance: _Optional[_Union[EnhanceOptions, _Mapping]] = ..., generate: _Optional[_Union[GenerateOptions, _Mapping]] = ..., remove_background_video: _Optional[_Union[VideoRemovalOptions, _Mapping]] = ..., train: _Optional[_Union[TrainOptions, _Mapping]] = ..., result: _Optional[_Union[JobResult, _Mapping]] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ..., attempts: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., owner_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., filename: _Optional[str] = ..., tier: _Optional[str] = ..., credits: _Optional[int] = ..., notify_email: _Optional[str] = ..., request_hash: _Optional[str] = ..., expired: _Optional[bool] = ..., progress: _Optional[int] = ..., progress_message: _Optional[str] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ("job_id", "input_key", "owner_id", "tier", "credits", "notify_email", "request_hash", "remove_background", "upscale", "enhance", "generate", "remove_background_video", "train")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_KEY_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_EMAIL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_HASH_FIELD_NUMBER: _ClassVar[int]
    REMOVE_BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    UPSCALE_FIELD_NUMBER: _ClassVar[int]
    ENHANCE_FIELD_NUMBER: _ClassVar[int]
    GENERATE_FIELD_NUMBER: _ClassVar[int]
    REMOVE_BACKGROUND_VIDEO_FIELD_NUMBER: _ClassVar[int]
    TRAIN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    input_key: str
    owner_id: str
    tier: str
    credits: int
    notify_email: str
    request_hash: str
    remove_background: RemoveBackgroundOptions
    upscale: UpscaleOptions
    enhance: EnhanceOptions
    generate: GenerateOptions
    remove_background_video: VideoRemovalOptions
    train: TrainOptions
    def __init__(self, job_id: _Optional[str] = ..., input_key: _Optional[str] = ..., owner_id: _Optional[str] = ..., tier: _Optional[str] = ..., credits: _Optional[int] = ..., notify_email: _Optional[str] = ..., request_hash: _Optional[str] = ..., remove_background: _Optional[_Union[RemoveBackgroundOptions, _Mapping]] = ..., upscale: _Optional[_Union[UpscaleOptions, _Mapping]] = ..., enhance: _Optional[_Union[EnhanceOptions, _Mapping]] = ..., generate: _Optional[_Union[GenerateOptions, _Mapping]] = ..., remove_background_video: _Optional[_Union[VideoRemovalOptions, _Mapping]] = ..., train: _Optional[_Union[TrainOptions, _Mapping]] = ...) -> None: ...

class BatchItem(_message.Message):
    __slots__ = ("job_id", "input_key", "filename", "credits")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_KEY_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    input_key: str
    filename: str
    credits: int
    def __init__(self, job_id: _Optional[str] = ..., input_key: _Optional[str] = ..., filename: _Optional[str] = ..., credits: _Optional[int] = ...) -> None: ...

class SubmitBatchRequest(_message.Message):
    __slots__ = ("batch_id", "owner_id", "items", "tier", "request_hash", "remove_background", "upscale", "enhance", "generate")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_HASH_FIELD_NUMBER: _ClassVar[int]
    REMOVE_BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    UPSCALE_FIELD_NUMBER: _ClassVar[int]
    ENHANCE_FIELD_NUMBER: _ClassVar[int]
    GENERATE_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    owner_id: str
    items: _containers.RepeatedCompositeFieldContainer[BatchItem]
    tier: str
    request_hash: str
    remove_background: RemoveBackgroundOptions
    upscale: UpscaleOptions
    enhance: EnhanceOptions
    generate: GenerateOptions
    def __init__(self, batch_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[BatchItem, _Mapping]]] = ..., tier: _Optional[str] = ..., request_hash: _Optional[str] = ..., remove_background: _Optional[_Union[RemoveBackgroundOptions, _Mapping]] = ..., upscale: _Optional[_Union[UpscaleOptions, _Mapping]] = ..., enhance: _Optional[_Union[EnhanceOptions, _Mapping]] = ..., generate: _Optional[_Union[GenerateOptions, _Mapping]] = ...) -> None: ...

class Batch(_message.Message):
    __slots__ = ("id", "owner_id", "created_at", "jobs", "request_hash")
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_HASH_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner_id: str
    created_at: _timestamp_pb2.Timestamp
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    request_hash: str
    def __init__(self, id: _Optional[str] = ..., owner_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., request_hash: _Optional[str] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("id", "owner_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner_id: str
    def __init__(self, id: _Optional[str] = ..., owner_id: _Optional[str] = ...) -> None: ...

class GetBatchRequest(_message.Message):
    __slots__ = ("batch_id", "owner_id")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    owner_id: str
    def __init__(self, batch_id: _Optional[str] = ..., owner_id: _Optional[str] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id", "owner_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    owner_id: str
    def __init__(self, job_id: _Optional[str] = ..., owner_id: _Optional[str] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id", "owner_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    owner_id: str
    def __init__(self, job_id: _Optional[str] = ..., owner_id: _Optional[str] = ...) -> None: ...

class WaitJobRequest(_message.Message):
    __slots__ = ("job_id", "timeout_seconds", "owner_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    timeout_seconds: float
    owner_id: str
    def __init__(self, job_id: _Optional[str] = ..., timeout_seconds: _Optional[float] = ..., owner_id: _Optional[str] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("owner_id", "page", "limit", "status", "tier", "start", "end", "sort_by", "ascending")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    SORT_BY_FIELD_NUMBER: _ClassVar[int]
    ASCENDING_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    page: int
    limit: int
    status: JobStatus
    tier: str
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    sort_by: str
    ascending: bool
    def __init__(self, owner_id: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ..., status: _Optional[_Union[JobStatus, str]] = ..., tier: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sort_by: _Optional[str] = ..., ascending: _Optional[bool] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "total")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    total: int
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class JobStatsRequest(_message.Message):
    __slots__ = ("days",)
    DAYS_FIELD_NUMBER: _ClassVar[int]
    days: int
    def __init__(self, days: _Optional[int] = ...) -> None: ...

class JobStats(_message.Message):
    __slots__ = ("total", "completed", "failed", "successRate")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    SUCCESSRATE_FIELD_NUMBER: _ClassVar[int]
    total: int
    completed: int
    failed: int
    successRate: float
    def __init__(self, total: _Optional[int] = ..., completed: _Optional[int] = ..., failed: _Optional[int] = ..., successRate: _Optional[float] = ...) -> None: ...

class WorkItem(_message.Message):
    __slots__ = ("job_id", "input_key", "remove_background", "upscale", "enhance", "generate", "remove_background_video", "train")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_KEY_FIELD_NUMBER: _ClassVar[int]
    REMOVE_BACKGROUND_FIELD_NUMBER: _ClassVar[int]
    UPSCALE_FIELD_NUMBER: _ClassVar[int]
    ENHANCE_FIELD_NUMBER: _ClassVar[int]
    GENERATE_FIELD_NUMBER: _ClassVar[int]
    REMOVE_BACKGROUND_VIDEO_FIELD_NUMBER: _ClassVar[int]
    TRAIN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    input_key: str
    remove_background: RemoveBackgroundOptions
    upscale: UpscaleOptions
    enhance: EnhanceOptions
    generate: GenerateOptions
    remove_background_video: VideoRemovalOptions
    train: TrainOptions
    def __init__(self, job_id: _Optional[str] = ..., input_key: _Optional[str] = ..., remove_background: _Optional[_Union[RemoveBackgroundOptions, _Mapping]] = ..., upscale: _Optional[_Union[UpscaleOptions, _Mapping]] = ..., enhance: _Optional[_Union[EnhanceOptions, _Mapping]] = ..., generate: _Optional[_Union[GenerateOptions, _Mapping]] = ..., remove_background_video: _Optional[_Union[VideoRemovalOptions, _Mapping]] = ..., train: _Optional[_Union[TrainOptions, _Mapping]] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("job_id", "status", "result", "error_code", "error_message", "attempt", "progress", "progress_message")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    status: JobStatus
    result: JobResult
    error_code: str
    error_message: str
    attempt: int
    progress: int
    progress_message: str
    def __init__(self, job_id: _Optional[str] = ..., status: _Optional[_Union[JobStatus, str]] = ..., result: _Optional[_Union[JobResult, _Mapping]] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ..., attempt: _Optional[int] = ..., progress: _Optional[int] = ..., progress_message: _Optional[str] = ...) -> None: ...
