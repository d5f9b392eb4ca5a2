from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PlanCredits(_message.Message):
    __slots__ = ("remaining", "total", "resetDate")
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    RESETDATE_FIELD_NUMBER: _ClassVar[int]
    remaining: int
    total: int
    resetDate: str
    def __init__(self, remaining: _Optional[int] = ..., total: _Optional[int] = ..., resetDate: _Optional[str] = ...) -> None: ...

class PlanLimits(_message.Message):
    __slots__ = ("dailyGenerations", "maxImagesPerGeneration", "maxVideoDuration", "customModels", "priorityQueue")
    DAILYGENERATIONS_FIELD_NUMBER: _ClassVar[int]
    MAXIMAGESPERGENERATION_FIELD_NUMBER: _ClassVar[int]
    MAXVIDEODURATION_FIELD_NUMBER: _ClassVar[int]
    CUSTOMMODELS_FIELD_NUMBER: _ClassVar[int]
    PRIORITYQUEUE_FIELD_NUMBER: _ClassVar[int]
    dailyGenerations: int
    maxImagesPerGeneration: int
    maxVideoDuration: int
    customModels: int
    priorityQueue: bool
    def __init__(self, dailyGenerations: _Optional[int] = ..., maxImagesPerGeneration: _Optional[int] = ..., maxVideoDuration: _Optional[int] = ..., customModels: _Optional[int] = ..., priorityQueue: _Optional[bool] = ...) -> None: ...

class PlanFeatures(_message.Message):
    __slots__ = ("advancedSettings", "customModels", "commercialUse", "apiAccess")
    ADVANCEDSETTINGS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMMODELS_FIELD_NUMBER: _ClassVar[int]
    COMMERCIALUSE_FIELD_NUMBER: _ClassVar[int]
    APIACCESS_FIELD_NUMBER: _ClassVar[int]
    advancedSettings: bool
    customModels: bool
    commercialUse: bool
    apiAccess: bool
    def __init__(self, advancedSettings: _Optional[bool] = ..., customModels: _Optional[bool] = ..., commercialUse: _Optional[bool] = ..., apiAccess: _Optional[bool] = ...) -> None: ...

class PlanBilling(_message.Message):
    __slots__ = ("cycle", "nextBilling", "amount")
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    NEXTBILLING_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    cycle: str
    nextBilling: str
    amount: float
    def __init__(self, cycle: _Optional[str] = ..., nextBilling: _Optional[str] = ..., amount: _Optional[float] = ...) -> None: ...

class PlanSubscription(_message.Message):
    __slots__ = ("plan", "status", "credits", "limits", "features", "billing")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    BILLING_FIELD_NUMBER: _ClassVar[int]
    plan: str
    status: str
    credits: PlanCredits
    limits: PlanLimits
    features: PlanFeatures
    billing: PlanBilling
    def __init__(self, plan: _Optional[str] = ..., status: _Optional[str] = ..., credits: _Optional[_Union[PlanCredits, _Mapping]] = ..., limits: _Optional[_Union[PlanLimits, _Mapping]] = ..., features: _Optional[_Union[PlanFeatures, _Mapping]] = ..., billing: _Optional[_Union[PlanBilling, _Mapping]] = ...) -> None: ...

class PlanSubscriptionResponse(_message.Message):
    __slots__ = ("success", "subscription")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    success: bool
    subscription: PlanSubscription
    def __init__(self, success: _Optional[bool] = ..., subscription: _Optional[_Union[PlanSubscription, _Mapping]] = ...) -> None: ...

class PlanUpgradeRequest(_message.Message):
    __slots__ = ("plan", "cycle", "paymentMethod")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    PAYMENTMETHOD_FIELD_NUMBER: _ClassVar[int]
    plan: str
    cycle: str
    paymentMethod: str
    def __init__(self, plan: _Optional[str] = ..., cycle: _Optional[str] = ..., paymentMethod: _Optional[str] = ...) -> None: ...

class PlanCreditsRequest(_message.Message):
    __slots__ = ("page", "limit")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    page: int
    limit: int
    def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class PlanCreditEntry(_message.Message):
    __slots__ = ("id", "amount", "type", "description", "createdAt")
    ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    id: str
    amount: int
    type: str
    description: str
    createdAt: str
    def __init__(self, id: _Optional[str] = ..., amount: _Optional[int] = ..., type: _Optional[str] = ..., description: _Optional[str] = ..., createdAt: _Optional[str] = ...) -> None: ...

class PlanCreditHistory(_message.Message):
    __slots__ = ("remaining", "total", "resetDate", "history")
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    RESETDATE_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    remaining: int
    total: int
    resetDate: str
    history: _containers.RepeatedCompositeFieldContainer[PlanCreditEntry]
    def __init__(self, remaining: _Optional[int] = ..., total: _Optional[int] = ..., resetDate: _Optional[str] = ..., history: _Optional[_Iterable[_Union[PlanCreditEntry, _Mapping]]] = ...) -> None: ...

class PlanCreditsResponse(_message.Message):
    __slots__ = ("success", "credits")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    credits: PlanCreditHistory
    def __init__(self, success: _Optional[bool] = ..., credits: _Optional[_Union[PlanCreditHistory, _Mapping]] = ...) -> None: ...

class PlanPurchaseRequest(_message.Message):
    __slots__ = ("package", "amount", "paymentMethod")
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAYMENTMETHOD_FIELD_NUMBER: _ClassVar[int]
    package: str
    amount: int
    paymentMethod: str
    def __init__(self, package: _Optional[str] = ..., amount: _Optional[int] = ..., paymentMethod: _Optional[str] = ...) -> None: ...

class PlanPurchase(_message.Message):
    __slots__ = ("id", "package", "amount", "cost", "createdAt")
    ID_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    id: str
    package: str
    amount: int
    cost: float
    createdAt: str
    def __init__(self, id: _Optional[str] = ..., package: _Optional[str] = ..., amount: _Optional[int] = ..., cost: _Optional[float] = ..., createdAt: _Optional[str] = ...) -> None: ...

class PlanPurchaseResponse(_message.Message):
    __slots__ = ("success", "purchase", "credits")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    purchase: PlanPurchase
    credits: PlanCredits
    def __init__(self, success: _Optional[bool] = ..., purchase: _Optional[_Union[PlanPurchase, _Mapping]] = ..., credits: _Optional[_Union[PlanCredits, _Mapping]] = ...) -> None: ...
