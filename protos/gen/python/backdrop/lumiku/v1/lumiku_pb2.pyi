from backdrop.billing.v1 import billing_pb2 as _billing_pb2
from backdrop.gateway.v1 import gateway_pb2 as _gateway_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LoginRequest(_message.Message):
    __slots__ = ("email", "password", "twoFactorCode")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    TWOFACTORCODE_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    twoFactorCode: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ..., twoFactorCode: _Optional[str] = ...) -> None: ...

class LoginResponse(_message.Message):
    __slots__ = ("success", "token", "refreshToken", "expiresIn", "user")
    class User(_message.Message):
        __slots__ = ("id", "email", "role")
        ID_FIELD_NUMBER: _ClassVar[int]
        EMAIL_FIELD_NUMBER: _ClassVar[int]
        ROLE_FIELD_NUMBER: _ClassVar[int]
        id: str
        email: str
        role: str
        def __init__(self, id: _Optional[str] = ..., email: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESHTOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRESIN_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    success: bool
    token: str
    refreshToken: str
    expiresIn: int
    user: LoginResponse.User
    def __init__(self, success: _Optional[bool] = ..., token: _Optional[str] = ..., refreshToken: _Optional[str] = ..., expiresIn: _Optional[int] = ..., user: _Optional[_Union[LoginResponse.User, _Mapping]] = ...) -> None: ...

class Metadata(_message.Message):
    __slots__ = ("originalSize", "processedSize", "width", "height", "format")
    ORIGINALSIZE_FIELD_NUMBER: _ClassVar[int]
    PROCESSEDSIZE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    originalSize: int
    processedSize: int
    width: int
    height: int
    format: str
    def __init__(self, originalSize: _Optional[int] = ..., processedSize: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., format: _Optional[str] = ...) -> None: ...

class RemovalResult(_message.Message):
    __slots__ = ("success", "data")
    class Data(_message.Message):
        __slots__ = ("jobId", "originalUrl", "processedUrl", "creditsUsed", "pricingType", "processingTimeMs", "tier", "metadata")
        JOBID_FIELD_NUMBER: _ClassVar[int]
        ORIGINALURL_FIELD_NUMBER: _ClassVar[int]
        PROCESSEDURL_FIELD_NUMBER: _ClassVar[int]
        CREDITSUSED_FIELD_NUMBER: _ClassVar[int]
        PRICINGTYPE_FIELD_NUMBER: _ClassVar[int]
        PROCESSINGTIMEMS_FIELD_NUMBER: _ClassVar[int]
        TIER_FIELD_NUMBER: _ClassVar[int]
        METADATA_FIELD_NUMBER: _ClassVar[int]
        jobId: str
        originalUrl: str
        processedUrl: str
        creditsUsed: int
        pricingType: str
        processingTimeMs: int
        tier: str
        metadata: Metadata
        def __init__(self, jobId: _Optional[str] = ..., originalUrl: _Optional[str] = ..., processedUrl: _Optional[str] = ..., creditsUsed: _Optional[int] = ..., pricingType: _Optional[str] = ..., processingTimeMs: _Optional[int] = ..., tier: _Optional[str] = ..., metadata: _Optional[_Union[Metadata, _Mapping]] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: RemovalResult.Data
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[RemovalResult.Data, _Mapping]] = ...) -> None: ...

class Batch(_message.Message):
    __slots__ = ("success", "data")
    class Data(_message.Message):
        __slots__ = ("batchId", "totalImages", "tier", "pricing", "estimatedCompletionMinutes", "status", "createdAt")
        BATCHID_FIELD_NUMBER: _ClassVar[int]
        TOTALIMAGES_FIELD_NUMBER: _ClassVar[int]
        TIER_FIELD_NUMBER: _ClassVar[int]
        PRICING_FIELD_NUMBER: _ClassVar[int]
        ESTIMATEDCOMPLETIONMINUTES_FIELD_NUMBER: _ClassVar[int]
        STATUS_FIELD_NUMBER: _ClassVar[int]
        CREATEDAT_FIELD_NUMBER: _ClassVar[int]
        batchId: str
        totalImages: int
        tier: str
        pricing: _billing_pb2.Pricing
        estimatedCompletionMinutes: int
        status: str
        createdAt: str
        def __init__(self, batchId: _Optional[str] = ..., totalImages: _Optional[int] = ..., tier: _Optional[str] = ..., pricing: _Optional[_Union[_billing_pb2.Pricing, _Mapping]] = ..., estimatedCompletionMinutes: _Optional[int] = ..., status: _Optional[str] = ..., createdAt: _Optional[str] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: Batch.Data
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[Batch.Data, _Mapping]] = ...) -> None: ...

class BatchStatus(_message.Message):
    __slots__ = ("success", "data")
    class Progress(_message.Message):
        __slots__ = ("totalImages", "processedImages", "failedImages", "percentage")
        TOTALIMAGES_FIELD_NUMBER: _ClassVar[int]
        PROCESSEDIMAGES_FIELD_NUMBER: _ClassVar[int]
        FAILEDIMAGES_FIELD_NUMBER: _ClassVar[int]
        PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
        totalImages: int
        processedImages: int
        failedImages: int
        percentage: int
        def __init__(self, totalImages: _Optional[int] = ..., processedImages: _Optional[int] = ..., failedImages: _Optional[int] = ..., percentage: _Optional[int] = ...) -> None: ...
    class Pricing(_message.Message):
        __slots__ = ("totalCredits", "discountPercentage")
        TOTALCREDITS_FIELD_NUMBER: _ClassVar[int]
        DISCOUNTPERCENTAGE_FIELD_NUMBER: _ClassVar[int]
        totalCredits: int
        discountPercentage: int
        def __init__(self, totalCredits: _Optional[int] = ..., discountPercentage: _Optional[int] = ...) -> None: ...
    class Timing(_message.Message):
        __slots__ = ("startedAt", "estimatedCompletionAt")
        STARTEDAT_FIELD_NUMBER: _ClassVar[int]
        ESTIMATEDCOMPLETIONAT_FIELD_NUMBER: _ClassVar[int]
        startedAt: str
        estimatedCompletionAt: str
        def __init__(self, startedAt: _Optional[str] = ..., estimatedCompletionAt: _Optional[str] = ...) -> None: ...
    class Data(_message.Message):
        __slots__ = ("batchId", "status", "progress", "pricing", "timing", "zipUrl", "zipSizeBytes", "createdAt", "completedAt")
        BATCHID_FIELD_NUMBER: _ClassVar[int]
        STATUS_FIELD_NUMBER: _ClassVar[int]
        PROGRESS_FIELD_NUMBER: _ClassVar[int]
        PRICING_FIELD_NUMBER: _ClassVar[int]
        TIMING_FIELD_NUMBER: _ClassVar[int]
        ZIPURL_FIELD_NUMBER: _ClassVar[int]
        ZIPSIZEBYTES_FIELD_NUMBER: _ClassVar[int]
        CREATEDAT_FIELD_NUMBER: _ClassVar[int]
        COMPLETEDAT_FIELD_NUMBER: _ClassVar[int]
        batchId: str
        status: str
        progress: BatchStatus.Progress
        pricing: BatchStatus.Pricing
        timing: BatchStatus.Timing
        zipUrl: _struct_pb2.Value
        zipSizeBytes: float
        createdAt: str
        completedAt: str
        def __init__(self, batchId: _Optional[str] = ..., status: _Optional[str] = ..., progress: _Optional[_Union[BatchStatus.Progress, _Mapping]] = ..., pricing: _Optional[_Union[BatchStatus.Pricing, _Mapping]] = ..., timing: _Optional[_Union[BatchStatus.Timing, _Mapping]] = ..., zipUrl: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., zipSizeBytes: _Optional[float] = ..., createdAt: _Optional[str] = ..., completedAt: _Optional[str] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: BatchStatus.Data
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[BatchStatus.Data, _Mapping]] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("success", "data")
    class Metadata(_message.Message):
        __slots__ = ("fileSizeBytes", "width", "height", "format")
        FILESIZEBYTES_FIELD_NUMBER: _ClassVar[int]
        WIDTH_FIELD_NUMBER: _ClassVar[int]
        HEIGHT_FIELD_NUMBER: _ClassVar[int]
        FORMAT_FIELD_NUMBER: _ClassVar[int]
        fileSizeBytes: int
        width: int
        height: int
        format: str
        def __init__(self, fileSizeBytes: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., format: _Optional[str] = ...) -> None: ...
    class Data(_message.Message):
        __slots__ = ("id", "status", "tier", "originalUrl", "processedUrl", "creditsUsed", "pricingType", "processingTimeMs", "aiProvider", "modelName", "metadata", "createdAt", "completedAt", "error")
        ID_FIELD_NUMBER: _ClassVar[int]
        STATUS_FIELD_NUMBER: _ClassVar[int]
        TIER_FIELD_NUMBER: _ClassVar[int]
        ORIGINALURL_FIELD_NUMBER: _ClassVar[int]
        PROCESSEDURL_FIELD_NUMBER: _ClassVar[int]
        CREDITSUSED_FIELD_NUMBER: _ClassVar[int]
        PRICINGTYPE_FIELD_NUMBER: _ClassVar[int]
        PROCESSINGTIMEMS_FIELD_NUMBER: _ClassVar[int]
        AIPROVIDER_FIELD_NUMBER: _ClassVar[int]
        MODELNAME_FIELD_NUMBER: _ClassVar[int]
        METADATA_FIELD_NUMBER: _ClassVar[int]
        CREATEDAT_FIELD_NUMBER: _ClassVar[int]
        COMPLETEDAT_FIELD_NUMBER: _ClassVar[int]
        ERROR_FIELD_NUMBER: _ClassVar[int]
        id: str
        status: str
        tier: str
        originalUrl: str
        processedUrl: str
        creditsUsed: int
        pricingType: str
        processingTimeMs: int
        aiProvider: str
        modelName: str
        metadata: Job.Metadata
        createdAt: str
        completedAt: str
        error: str
        def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., tier: _Optional[str] = ..., originalUrl: _Optional[str] = ..., processedUrl: _Optional[str] = ..., creditsUsed: _Optional[int] = ..., pricingType: _Optional[str] = ..., processingTimeMs: _Optional[int] = ..., aiProvider: _Optional[str] = ..., modelName: _Optional[str] = ..., metadata: _Optional[_Union[Job.Metadata, _Mapping]] = ..., createdAt: _Optional[str] = ..., completedAt: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: Job.Data
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[Job.Data, _Mapping]] = ...) -> None: ...

class IdRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("plan", "paymentMethodId")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    PAYMENTMETHODID_FIELD_NUMBER: _ClassVar[int]
    plan: str
    paymentMethodId: str
    def __init__(self, plan: _Optional[str] = ..., paymentMethodId: _Optional[str] = ...) -> None: ...

class AvatarBatchRequest(_message.Message):
    __slots__ = ("projectId", "tier")
    PROJECTID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    projectId: str
    tier: str
    def __init__(self, projectId: _Optional[str] = ..., tier: _Optional[str] = ...) -> None: ...

class AvatarBatch(_message.Message):
    __slots__ = ("success", "data")
    class Data(_message.Message):
        __slots__ = ("batchId", "projectId", "totalAvatars", "totalCredits", "discountPercentage")
        BATCHID_FIELD_NUMBER: _ClassVar[int]
        PROJECTID_FIELD_NUMBER: _ClassVar[int]
        TOTALAVATARS_FIELD_NUMBER: _ClassVar[int]
        TOTALCREDITS_FIELD_NUMBER: _ClassVar[int]
        DISCOUNTPERCENTAGE_FIELD_NUMBER: _ClassVar[int]
        batchId: str
        projectId: str
        totalAvatars: int
        totalCredits: int
        discountPercentage: int
        def __init__(self, batchId: _Optional[str] = ..., projectId: _Optional[str] = ..., totalAvatars: _Optional[int] = ..., totalCredits: _Optional[int] = ..., discountPercentage: _Optional[int] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: AvatarBatch.Data
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[AvatarBatch.Data, _Mapping]] = ...) -> None: ...

class AutoRemoveRequest(_message.Message):
    __slots__ = ("generatedImageId", "tier")
    GENERATEDIMAGEID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    generatedImageId: str
    tier: str
    def __init__(self, generatedImageId: _Optional[str] = ..., tier: _Optional[str] = ...) -> None: ...

class AutoRemoval(_message.Message):
    __slots__ = ("success", "data")
    class Data(_message.Message):
        __slots__ = ("jobId", "generatedImageId", "processedUrl", "creditsUsed")
        JOBID_FIELD_NUMBER: _ClassVar[int]
        GENERATEDIMAGEID_FIELD_NUMBER: _ClassVar[int]
        PROCESSEDURL_FIELD_NUMBER: _ClassVar[int]
        CREDITSUSED_FIELD_NUMBER: _ClassVar[int]
        jobId: str
        generatedImageId: str
        processedUrl: str
        creditsUsed: int
        def __init__(self, jobId: _Optional[str] = ..., generatedImageId: _Optional[str] = ..., processedUrl: _Optional[str] = ..., creditsUsed: _Optional[int] = ...) -> None: ...
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: AutoRemoval.Data
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[AutoRemoval.Data, _Mapping]] = ...) -> None: ...

class PriceRequest(_message.Message):
    __slots__ = ("imageCount", "tier")
    IMAGECOUNT_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    imageCount: int
    tier: str
    def __init__(self, imageCount: _Optional[int] = ..., tier: _Optional[str] = ...) -> None: ...

class Price(_message.Message):
    __slots__ = ("success", "data")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: _billing_pb2.Pricing
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[_billing_pb2.Pricing, _Mapping]] = ...) -> None: ...
