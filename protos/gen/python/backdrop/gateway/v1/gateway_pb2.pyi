from backdrop.auth.v1 import auth_pb2 as _auth_pb2
from backdrop.billing.v1 import billing_pb2 as _billing_pb2
from backdrop.jobs.v1 import jobs_pb2 as _jobs_pb2
from backdrop.jobs.v1 import webhooks_pb2 as _webhooks_pb2
from backdrop.options.v1 import options_pb2 as _options_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HealthResponse(_message.Message):
    __slots__ = ("status", "unhealthy")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UNHEALTHY_FIELD_NUMBER: _ClassVar[int]
    status: str
    unhealthy: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, status: _Optional[str] = ..., unhealthy: _Optional[_Iterable[str]] = ...) -> None: ...

class ProcessingResult(_message.Message):
    __slots__ = ("id", "image", "mask", "metadata", "status", "credits_used", "tier")
    class Metadata(_message.Message):
        __slots__ = ("width", "height", "format", "processing_time")
        WIDTH_FIELD_NUMBER: _ClassVar[int]
        HEIGHT_FIELD_NUMBER: _ClassVar[int]
        FORMAT_FIELD_NUMBER: _ClassVar[int]
        PROCESSING_TIME_FIELD_NUMBER: _ClassVar[int]
        width: int
        height: int
        format: str
        processing_time: float
        def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ..., format: _Optional[str] = ..., processing_time: _Optional[float] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREDITS_USED_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    id: str
    image: str
    mask: str
    metadata: ProcessingResult.Metadata
    status: str
    credits_used: int
    tier: str
    def __init__(self, id: _Optional[str] = ..., image: _Optional[str] = ..., mask: _Optional[str] = ..., metadata: _Optional[_Union[ProcessingResult.Metadata, _Mapping]] = ..., status: _Optional[str] = ..., credits_used: _Optional[int] = ..., tier: _Optional[str] = ...) -> None: ...

class RefreshTokenRequest(_message.Message):
    __slots__ = ("refresh_token",)
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    refresh_token: str
    def __init__(self, refresh_token: _Optional[str] = ...) -> None: ...

class UpdateMeRequest(_message.Message):
    __slots__ = ("name", "avatar", "current_password", "new_password")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    name: str
    avatar: str
    current_password: str
    new_password: str
    def __init__(self, name: _Optional[str] = ..., avatar: _Optional[str] = ..., current_password: _Optional[str] = ..., new_password: _Optional[str] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteApiKeyRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ("page", "limit")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    page: int
    limit: int
    def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class BatchJob(_message.Message):
    __slots__ = ("id", "status", "progress", "total_files", "processed_files", "results", "created_at", "error", "message", "files")
    class File(_message.Message):
        __slots__ = ("job_id", "filename", "status", "error", "message")
        JOB_ID_FIELD_NUMBER: _ClassVar[int]
        FILENAME_FIELD_NUMBER: _ClassVar[int]
        STATUS_FIELD_NUMBER: _ClassVar[int]
        ERROR_FIELD_NUMBER: _ClassVar[int]
        MESSAGE_FIELD_NUMBER: _ClassVar[int]
        job_id: str
        filename: str
        status: str
        error: str
        message: str
        def __init__(self, job_id: _Optional[str] = ..., filename: _Optional[str] = ..., status: _Optional[str] = ..., error: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FILES_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_FILES_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: str
    progress: float
    total_files: int
    processed_files: int
    results: _containers.RepeatedCompositeFieldContainer[ProcessingResult]
    created_at: str
    error: str
    message: str
    files: _containers.RepeatedCompositeFieldContainer[BatchJob.File]
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., progress: _Optional[float] = ..., total_files: _Optional[int] = ..., processed_files: _Optional[int] = ..., results: _Optional[_Iterable[_Union[ProcessingResult, _Mapping]]] = ..., created_at: _Optional[str] = ..., error: _Optional[str] = ..., message: _Optional[str] = ..., files: _Optional[_Iterable[_Union[BatchJob.File, _Mapping]]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("page", "limit", "status", "tier", "startDate", "endDate", "sortBy", "sortOrder")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    STARTDATE_FIELD_NUMBER: _ClassVar[int]
    ENDDATE_FIELD_NUMBER: _ClassVar[int]
    SORTBY_FIELD_NUMBER: _ClassVar[int]
    SORTORDER_FIELD_NUMBER: _ClassVar[int]
    page: int
    limit: int
    status: str
    tier: str
    startDate: str
    endDate: str
    sortBy: str
    sortOrder: str
    def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ..., status: _Optional[str] = ..., tier: _Optional[str] = ..., startDate: _Optional[str] = ..., endDate: _Optional[str] = ..., sortBy: _Optional[str] = ..., sortOrder: _Optional[str] = ...) -> None: ...

class JobHistory(_message.Message):
    __slots__ = ("success", "data")
    class Entry(_message.Message):
        __slots__ = ("id", "tier", "status", "creditsUsed", "createdAt", "filename", "batchId")
        ID_FIELD_NUMBER: _ClassVar[int]
        TIER_FIELD_NUMBER: _ClassVar[int]
        STATUS_FIELD_NUMBER: _ClassVar[int]
        CREDITSUSED_FIELD_NUMBER: _ClassVar[int]
        CREATEDAT_FIELD_NUMBER: _ClassVar[int]
        FILENAME_FIELD_NUMBER: _ClassVar[int]
        BATCHID_FIELD_NUMBER: _ClassVar[int]
        id: str
        tier: str
        status: str
        creditsUsed: int
        createdAt: str
        filename: str
        batchId: str
        def __init__(self, id: _Optional[str] = ..., tier: _Optional[str] = ..., status: _Optional[str] = ..., creditsUsed: _Optional[int] = ..., createdAt: _Optional[str] = ..., filename: _Optional[str] = ..., batchId: _Optional[str] = ...) -> None: ...
    class Pagination(_message.Message):
        __slots__ = ("page", "limit", "total", "totalPages", "hasNext", "hasPrev")
        PAGE_FIELD_NUMBER: _ClassVar[int]
        LIMIT_FIELD_NUMBER: _ClassVar[int]
        TOTAL_FIELD_NUMBER: _ClassVar[int]
        TOTALPAGES_FIELD_NUMBER: _ClassVar[int]
        HASNEXT_FIELD_NUMBER: _ClassVar[int]
        HASPREV_FIELD_NUMBER: _ClassVar[int]
        page: int
        limit: int
        total: int
        totalPages: int
        hasNext: bool
        hasPrev: bool
        def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ..., total: _Optional[int] = ..., totalPages: _Optional[int] = ..., hasNext: _Optional[bool] = ..., hasPrev: _Optional[bool] = ...) -> None: ...
    class Data(_message.Message):
        __slots__ = ("jobs", "pagination")
        JOBS_FIELD_NUMBER: _ClassVar[int]
        PAGINATION_FIELD_NUMBER: _ClassVar[int]
        jobs: _containers.RepeatedCompositeFieldContainer[JobHistory.Entry]
        pagination: JobHistory.Pagination
        def __init__(self, jobs: _Optional[_Iterable[_Union[JobHistory.Entry, _Mapping]]] = ..., pagination: _Optional[_Union[JobHistory.Pagination, _Mapping]] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: JobHistory.Data
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[JobHistory.Data, _Mapping]] = ...) -> None: ...

class QueueStatusRequest(_message.Message):
    __slots__ = ("batch_id",)
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    def __init__(self, batch_id: _Optional[str] = ...) -> None: ...

class QueueStatus(_message.Message):
    __slots__ = ("batch_id", "files", "completed")
    class File(_message.Message):
        __slots__ = ("filename", "status")
        FILENAME_FIELD_NUMBER: _ClassVar[int]
        STATUS_FIELD_NUMBER: _ClassVar[int]
        filename: str
        status: str
        def __init__(self, filename: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    files: _containers.RepeatedCompositeFieldContainer[QueueStatus.File]
    completed: bool
    def __init__(self, batch_id: _Optional[str] = ..., files: _Optional[_Iterable[_Union[QueueStatus.File, _Mapping]]] = ..., completed: _Optional[bool] = ...) -> None: ...

class ProcessAccepted(_message.Message):
    __slots__ = ("processing_id", "status_url", "message")
    PROCESSING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_URL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    processing_id: str
    status_url: str
    message: str
    def __init__(self, processing_id: _Optional[str] = ..., status_url: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ProcessingRequest(_message.Message):
    __slots__ = ("processing_id",)
    PROCESSING_ID_FIELD_NUMBER: _ClassVar[int]
    processing_id: str
    def __init__(self, processing_id: _Optional[str] = ...) -> None: ...

class ProcessingStatus(_message.Message):
    __slots__ = ("processing_id", "status")
    PROCESSING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    processing_id: str
    status: str
    def __init__(self, processing_id: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class CreateProjectRequest(_message.Message):
    __slots__ = ("name", "type", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    description: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ListProjectsRequest(_message.Message):
    __slots__ = ("page", "limit", "search")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    page: int
    limit: int
    search: str
    def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ..., search: _Optional[str] = ...) -> None: ...

class AddProjectImageRequest(_message.Message):
    __slots__ = ("id", "body")
    ID_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    id: str
    body: _httpbody_pb2.HttpBody
    def __init__(self, id: _Optional[str] = ..., body: _Optional[_Union[_httpbody_pb2.HttpBody, _Mapping]] = ...) -> None: ...

class ProjectImage(_message.Message):
    __slots__ = ("id", "project_id", "filename", "content_type", "size_bytes", "width", "height", "created_at", "url")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    filename: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    created_at: str
    url: str
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., filename: _Optional[str] = ..., content_type: _Optional[str] = ..., size_bytes: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., created_at: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class ListProjectImagesRequest(_message.Message):
    __slots__ = ("id", "page", "limit")
    ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    id: str
    page: int
    limit: int
    def __init__(self, id: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListProjectImagesResponse(_message.Message):
    __slots__ = ("images", "total")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[ProjectImage]
    total: int
    def __init__(self, images: _Optional[_Iterable[_Union[ProjectImage, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class ProjectImageRequest(_message.Message):
    __slots__ = ("id", "image_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    image_id: str
    def __init__(self, id: _Optional[str] = ..., image_id: _Optional[str] = ...) -> None: ...

class DeleteProjectImageResponse(_message.Message):
    __slots__ = ("success", "id")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    success: bool
    id: str
    def __init__(self, success: _Optional[bool] = ..., id: _Optional[str] = ...) -> None: ...

class CreateWebhookRequest(_message.Message):
    __slots__ = ("url", "events", "secret")
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    url: str
    events: _containers.RepeatedScalarFieldContainer[str]
    secret: str
    def __init__(self, url: _Optional[str] = ..., events: _Optional[_Iterable[str]] = ..., secret: _Optional[str] = ...) -> None: ...

class WebhookRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetCreditsRequest(_message.Message):
    __slots__ = ("page", "limit")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    page: int
    limit: int
    def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class GrantCreditsRequest(_message.Message):
    __slots__ = ("user_id", "amount", "reason")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    amount: int
    reason: str
    def __init__(self, user_id: _Optional[str] = ..., amount: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("plan", "paymentMethodId")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    PAYMENTMETHODID_FIELD_NUMBER: _ClassVar[int]
    plan: str
    paymentMethodId: str
    def __init__(self, plan: _Optional[str] = ..., paymentMethodId: _Optional[str] = ...) -> None: ...

class AdminStatsRequest(_message.Message):
    __slots__ = ("period",)
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    period: str
    def __init__(self, period: _Optional[str] = ...) -> None: ...

class AdminStats(_message.Message):
    __slots__ = ("success", "data")
    class Data(_message.Message):
        __slots__ = ("period", "jobs", "usage", "tierBreakdown", "subscriptions")
        class TierBreakdownEntry(_message.Message):
            __slots__ = ("key", "value")
            KEY_FIELD_NUMBER: _ClassVar[int]
            VALUE_FIELD_NUMBER: _ClassVar[int]
            key: str
            value: _billing_pb2.TierCount
            def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_billing_pb2.TierCount, _Mapping]] = ...) -> None: ...
        PERIOD_FIELD_NUMBER: _ClassVar[int]
        JOBS_FIELD_NUMBER: _ClassVar[int]
        USAGE_FIELD_NUMBER: _ClassVar[int]
        TIERBREAKDOWN_FIELD_NUMBER: _ClassVar[int]
        SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
        period: str
        jobs: _jobs_pb2.JobStats
        usage: _billing_pb2.Usage
        tierBreakdown: _containers.MessageMap[str, _billing_pb2.TierCount]
        subscriptions: _billing_pb2.SubscriptionStats
        def __init__(self, period: _Optional[str] = ..., jobs: _Optional[_Union[_jobs_pb2.JobStats, _Mapping]] = ..., usage: _Optional[_Union[_billing_pb2.Usage, _Mapping]] = ..., tierBreakdown: _Optional[_Mapping[str, _billing_pb2.TierCount]] = ..., subscriptions: _Optional[_Union[_billing_pb2.SubscriptionStats, _Mapping]] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: AdminStats.Data
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[AdminStats.Data, _Mapping]] = ...) -> None: ...

class DownloadFileRequest(_message.Message):
    __slots__ = ("key", "expires", "signature")
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    key: str
    expires: int
    signature: str
    def __init__(self, key: _Optional[str] = ..., expires: _Optional[int] = ..., signature: _Optional[str] = ...) -> None: ...

class UploadedImage(_message.Message):
    __slots__ = ("id", "url", "width", "height", "format")
    ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    id: str
    url: str
    width: int
    height: int
    format: str
    def __init__(self, id: _Optional[str] = ..., url: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., format: _Optional[str] = ...) -> None: ...

class ReplaceBackgroundRequest(_message.Message):
    __slots__ = ("image_id", "background_id", "bg_color", "blend_mode", "output_format", "output_quality")
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_ID_FIELD_NUMBER: _ClassVar[int]
    BG_COLOR_FIELD_NUMBER: _ClassVar[int]
    BLEND_MODE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_QUALITY_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    background_id: str
    bg_color: str
    blend_mode: str
    output_format: str
    output_quality: int
    def __init__(self, image_id: _Optional[str] = ..., background_id: _Optional[str] = ..., bg_color: _Optional[str] = ..., blend_mode: _Optional[str] = ..., output_format: _Optional[str] = ..., output_quality: _Optional[int] = ...) -> None: ...

class Background(_message.Message):
    __slots__ = ("id", "url", "thumbnail", "category", "tags")
    ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    id: str
    url: str
    thumbnail: str
    category: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., url: _Optional[str] = ..., thumbnail: _Optional[str] = ..., category: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ...) -> None: ...

class ListBackgroundsRequest(_message.Message):
    __slots__ = ("category", "page", "limit")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    category: str
    page: int
    limit: int
    def __init__(self, category: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListBackgroundsResponse(_message.Message):
    __slots__ = ("items", "total", "page", "pages")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGES_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Background]
    total: int
    page: int
    pages: int
    def __init__(self, items: _Optional[_Iterable[_Union[Background, _Mapping]]] = ..., total: _Optional[int] = ..., page: _Optional[int] = ..., pages: _Optional[int] = ...) -> None: ...

class EnhanceBackgroundRequest(_message.Message):
    __slots__ = ("imageId", "action", "replacementBackground", "blurStrength", "blurStyle", "backgroundColor")
    IMAGEID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REPLACEMENTBACKGROUND_FIELD_NUMBER: _ClassVar[int]
    BLURSTRENGTH_FIELD_NUMBER: _ClassVar[int]
    BLURSTYLE_FIELD_NUMBER: _ClassVar[int]
    BACKGROUNDCOLOR_FIELD_NUMBER: _ClassVar[int]
    imageId: str
    action: str
    replacementBackground: str
    blurStrength: float
    blurStyle: str
    backgroundColor: str
    def __init__(self, imageId: _Optional[str] = ..., action: _Optional[str] = ..., replacementBackground: _Optional[str] = ..., blurStrength: _Optional[float] = ..., blurStyle: _Optional[str] = ..., backgroundColor: _Optional[str] = ...) -> None: ...

class EnhanceQualityRequest(_message.Message):
    __slots__ = ("imageId", "enhancementType", "strength", "model")
    IMAGEID_FIELD_NUMBER: _ClassVar[int]
    ENHANCEMENTTYPE_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    imageId: str
    enhancementType: str
    strength: float
    model: str
    def __init__(self, imageId: _Optional[str] = ..., enhancementType: _Optional[str] = ..., strength: _Optional[float] = ..., model: _Optional[str] = ...) -> None: ...

class UpscaleRequest(_message.Message):
    __slots__ = ("imageId", "scale", "model", "quality", "faceEnhancement", "backgroundEnhancement")
    IMAGEID_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    FACEENHANCEMENT_FIELD_NUMBER: _ClassVar[int]
    BACKGROUNDENHANCEMENT_FIELD_NUMBER: _ClassVar[int]
    imageId: str
    scale: int
    model: str
    quality: str
    faceEnhancement: bool
    backgroundEnhancement: bool
    def __init__(self, imageId: _Optional[str] = ..., scale: _Optional[int] = ..., model: _Optional[str] = ..., quality: _Optional[str] = ..., faceEnhancement: _Optional[bool] = ..., backgroundEnhancement: _Optional[bool] = ...) -> None: ...

class EnhancementImage(_message.Message):
    __slots__ = ("id", "url", "width", "height", "fileSize")
    ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FILESIZE_FIELD_NUMBER: _ClassVar[int]
    id: str
    url: str
    width: int
    height: int
    fileSize: int
    def __init__(self, id: _Optional[str] = ..., url: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., fileSize: _Optional[int] = ...) -> None: ...

class EnhancementSettings(_message.Message):
    __slots__ = ("scale", "model", "quality", "enhancementType", "strength", "action")
    SCALE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    ENHANCEMENTTYPE_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    scale: int
    model: str
    quality: str
    enhancementType: str
    strength: float
    action: str
    def __init__(self, scale: _Optional[int] = ..., model: _Optional[str] = ..., quality: _Optional[str] = ..., enhancementType: _Optional[str] = ..., strength: _Optional[float] = ..., action: _Optional[str] = ...) -> None: ...

class Enhancement(_message.Message):
    __slots__ = ("id", "status", "originalImage", "enhancedImage", "settings", "createdAt", "completedAt", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ORIGINALIMAGE_FIELD_NUMBER: _ClassVar[int]
    ENHANCEDIMAGE_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    COMPLETEDAT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: str
    originalImage: EnhancementImage
    enhancedImage: EnhancementImage
    settings: EnhancementSettings
    createdAt: str
    completedAt: str
    error: str
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., originalImage: _Optional[_Union[EnhancementImage, _Mapping]] = ..., enhancedImage: _Optional[_Union[EnhancementImage, _Mapping]] = ..., settings: _Optional[_Union[EnhancementSettings, _Mapping]] = ..., createdAt: _Optional[str] = ..., completedAt: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class EnhancementResponse(_message.Message):
    __slots__ = ("success", "enhancement")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ENHANCEMENT_FIELD_NUMBER: _ClassVar[int]
    success: bool
    enhancement: Enhancement
    def __init__(self, success: _Optional[bool] = ..., enhancement: _Optional[_Union[Enhancement, _Mapping]] = ...) -> None: ...

class GetEnhancementRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GenerateBackgroundRequest(_message.Message):
    __slots__ = ("prompt", "style", "width", "height", "seed", "steps", "guidanceScale")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    GUIDANCESCALE_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    style: str
    width: int
    height: int
    seed: int
    steps: int
    guidanceScale: float
    def __init__(self, prompt: _Optional[str] = ..., style: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., seed: _Optional[int] = ..., steps: _Optional[int] = ..., guidanceScale: _Optional[float] = ...) -> None: ...

class GenerateImagesRequest(_message.Message):
    __slots__ = ("prompt", "negativePrompt", "model", "numImages", "aspectRatio", "quality", "style", "seed", "guidanceScale", "steps", "safetyFilter", "enhancePrompt", "sampler")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVEPROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    NUMIMAGES_FIELD_NUMBER: _ClassVar[int]
    ASPECTRATIO_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    GUIDANCESCALE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SAFETYFILTER_FIELD_NUMBER: _ClassVar[int]
    ENHANCEPROMPT_FIELD_NUMBER: _ClassVar[int]
    SAMPLER_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    negativePrompt: str
    model: str
    numImages: int
    aspectRatio: str
    quality: str
    style: str
    seed: int
    guidanceScale: float
    steps: int
    safetyFilter: bool
    enhancePrompt: bool
    sampler: str
    def __init__(self, prompt: _Optional[str] = ..., negativePrompt: _Optional[str] = ..., model: _Optional[str] = ..., numImages: _Optional[int] = ..., aspectRatio: _Optional[str] = ..., quality: _Optional[str] = ..., style: _Optional[str] = ..., seed: _Optional[int] = ..., guidanceScale: _Optional[float] = ..., steps: _Optional[int] = ..., safetyFilter: _Optional[bool] = ..., enhancePrompt: _Optional[bool] = ..., sampler: _Optional[str] = ...) -> None: ...

class VariationsRequest(_message.Message):
    __slots__ = ("imageId", "prompt", "strength", "numVariations", "model", "guidanceScale", "steps", "seed")
    IMAGEID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    NUMVARIATIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    GUIDANCESCALE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    imageId: str
    prompt: str
    strength: float
    numVariations: int
    model: str
    guidanceScale: float
    steps: int
    seed: int
    def __init__(self, imageId: _Optional[str] = ..., prompt: _Optional[str] = ..., strength: _Optional[float] = ..., numVariations: _Optional[int] = ..., model: _Optional[str] = ..., guidanceScale: _Optional[float] = ..., steps: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class EditImageRequest(_message.Message):
    __slots__ = ("originalImageId", "prompt", "negativePrompt", "model", "strength", "guidanceScale", "steps", "seed", "safetyFilter")
    ORIGINALIMAGEID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVEPROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    GUIDANCESCALE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SAFETYFILTER_FIELD_NUMBER: _ClassVar[int]
    originalImageId: str
    prompt: str
    negativePrompt: str
    model: str
    strength: float
    guidanceScale: float
    steps: int
    seed: int
    safetyFilter: bool
    def __init__(self, originalImageId: _Optional[str] = ..., prompt: _Optional[str] = ..., negativePrompt: _Optional[str] = ..., model: _Optional[str] = ..., strength: _Optional[float] = ..., guidanceScale: _Optional[float] = ..., steps: _Optional[int] = ..., seed: _Optional[int] = ..., safetyFilter: _Optional[bool] = ...) -> None: ...

class InpaintRequest(_message.Message):
    __slots__ = ("imageId", "mask", "maskImageId", "prompt", "negativePrompt", "model", "guidanceScale", "steps", "maskBlur", "inpaintArea", "seed")
    IMAGEID_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    MASKIMAGEID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVEPROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    GUIDANCESCALE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    MASKBLUR_FIELD_NUMBER: _ClassVar[int]
    INPAINTAREA_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    imageId: str
    mask: str
    maskImageId: str
    prompt: str
    negativePrompt: str
    model: str
    guidanceScale: float
    steps: int
    maskBlur: int
    inpaintArea: str
    seed: int
    def __init__(self, imageId: _Optional[str] = ..., mask: _Optional[str] = ..., maskImageId: _Optional[str] = ..., prompt: _Optional[str] = ..., negativePrompt: _Optional[str] = ..., model: _Optional[str] = ..., guidanceScale: _Optional[float] = ..., steps: _Optional[int] = ..., maskBlur: _Optional[int] = ..., inpaintArea: _Optional[str] = ..., seed: _Optional[int] = ...) -> None: ...

class OutpaintRequest(_message.Message):
    __slots__ = ("imageId", "direction", "pixels", "prompt", "negativePrompt", "model", "guidanceScale", "steps", "seed")
    IMAGEID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    PIXELS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVEPROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    GUIDANCESCALE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    imageId: str
    direction: str
    pixels: int
    prompt: str
    negativePrompt: str
    model: str
    guidanceScale: float
    steps: int
    seed: int
    def __init__(self, imageId: _Optional[str] = ..., direction: _Optional[str] = ..., pixels: _Optional[int] = ..., prompt: _Optional[str] = ..., negativePrompt: _Optional[str] = ..., model: _Optional[str] = ..., guidanceScale: _Optional[float] = ..., steps: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class GeneratedImage(_message.Message):
    __slots__ = ("id", "url", "thumbnail", "width", "height", "fileSize", "seed", "filtered")
    ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FILESIZE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    FILTERED_FIELD_NUMBER: _ClassVar[int]
    id: str
    url: str
    thumbnail: str
    width: int
    height: int
    fileSize: int
    seed: int
    filtered: bool
    def __init__(self, id: _Optional[str] = ..., url: _Optional[str] = ..., thumbnail: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., fileSize: _Optional[int] = ..., seed: _Optional[int] = ..., filtered: _Optional[bool] = ...) -> None: ...

class GenerationSettings(_message.Message):
    __slots__ = ("aspectRatio", "quality", "guidanceScale", "steps", "model", "strength", "sampler")
    ASPECTRATIO_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    GUIDANCESCALE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    SAMPLER_FIELD_NUMBER: _ClassVar[int]
    aspectRatio: str
    quality: str
    guidanceScale: float
    steps: int
    model: str
    strength: float
    sampler: str
    def __init__(self, aspectRatio: _Optional[str] = ..., quality: _Optional[str] = ..., guidanceScale: _Optional[float] = ..., steps: _Optional[int] = ..., model: _Optional[str] = ..., strength: _Optional[float] = ..., sampler: _Optional[str] = ...) -> None: ...

class Generation(_message.Message):
    __slots__ = ("id", "status", "progress", "images", "prompt", "model", "settings", "createdAt", "completedAt", "error", "estimatedCompletion", "enhancedPrompt")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    COMPLETEDAT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ESTIMATEDCOMPLETION_FIELD_NUMBER: _ClassVar[int]
    ENHANCEDPROMPT_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: str
    progress: int
    images: _containers.RepeatedCompositeFieldContainer[GeneratedImage]
    prompt: str
    model: str
    settings: GenerationSettings
    createdAt: str
    completedAt: _struct_pb2.Value
    error: str
    estimatedCompletion: str
    enhancedPrompt: str
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., progress: _Optional[int] = ..., images: _Optional[_Iterable[_Union[GeneratedImage, _Mapping]]] = ..., prompt: _Optional[str] = ..., model: _Optional[str] = ..., settings: _Optional[_Union[GenerationSettings, _Mapping]] = ..., createdAt: _Optional[str] = ..., completedAt: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., error: _Optional[str] = ..., estimatedCompletion: _Optional[str] = ..., enhancedPrompt: _Optional[str] = ...) -> None: ...

class GenerationResponse(_message.Message):
    __slots__ = ("success", "generation")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    success: bool
    generation: Generation
    def __init__(self, success: _Optional[bool] = ..., generation: _Optional[_Union[Generation, _Mapping]] = ...) -> None: ...

class GenerationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GenerationProgress(_message.Message):
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

class InpaintingResult(_message.Message):
    __slots__ = ("id", "status", "originalImage", "mask", "result", "prompt", "settings", "createdAt", "completedAt", "progress")
    class Original(_message.Message):
        __slots__ = ("id", "url")
        ID_FIELD_NUMBER: _ClassVar[int]
        URL_FIELD_NUMBER: _ClassVar[int]
        id: str
        url: str
        def __init__(self, id: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...
    class Mask(_message.Message):
        __slots__ = ("url",)
        URL_FIELD_NUMBER: _ClassVar[int]
        url: str
        def __init__(self, url: _Optional[str] = ...) -> None: ...
    class Result(_message.Message):
        __slots__ = ("id", "url", "thumbnail")
        ID_FIELD_NUMBER: _ClassVar[int]
        URL_FIELD_NUMBER: _ClassVar[int]
        THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
        id: str
        url: str
        thumbnail: str
        def __init__(self, id: _Optional[str] = ..., url: _Optional[str] = ..., thumbnail: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ORIGINALIMAGE_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    COMPLETEDAT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: str
    originalImage: InpaintingResult.Original
    mask: InpaintingResult.Mask
    result: InpaintingResult.Result
    prompt: str
    settings: GenerationSettings
    createdAt: str
    completedAt: _struct_pb2.Value
    progress: int
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., originalImage: _Optional[_Union[InpaintingResult.Original, _Mapping]] = ..., mask: _Optional[_Union[InpaintingResult.Mask, _Mapping]] = ..., result: _Optional[_Union[InpaintingResult.Result, _Mapping]] = ..., prompt: _Optional[str] = ..., settings: _Optional[_Union[GenerationSettings, _Mapping]] = ..., createdAt: _Optional[str] = ..., completedAt: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., progress: _Optional[int] = ...) -> None: ...

class InpaintingResponse(_message.Message):
    __slots__ = ("success", "inpainting")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    INPAINTING_FIELD_NUMBER: _ClassVar[int]
    success: bool
    inpainting: InpaintingResult
    def __init__(self, success: _Optional[bool] = ..., inpainting: _Optional[_Union[InpaintingResult, _Mapping]] = ...) -> None: ...
