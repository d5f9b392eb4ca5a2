from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Pricing(_message.Message):
    __slots__ = ("imageCount", "tier", "baseCreditsPerImage", "baseTotal", "discountPercentage", "discountAmount", "finalTotal", "creditsPerImageAfterDiscount", "breakdown")
    class Breakdown(_message.Message):
        __slots__ = ("costInIDR", "costInUSD", "savingsIDR")
        COSTINIDR_FIELD_NUMBER: _ClassVar[int]
        COSTINUSD_FIELD_NUMBER: _ClassVar[int]
        SAVINGSIDR_FIELD_NUMBER: _ClassVar[int]
        costInIDR: int
        costInUSD: float
        savingsIDR: int
        def __init__(self, costInIDR: _Optional[int] = ..., costInUSD: _Optional[float] = ..., savingsIDR: _Optional[int] = ...) -> None: ...
    IMAGECOUNT_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    BASECREDITSPERIMAGE_FIELD_NUMBER: _ClassVar[int]
    BASETOTAL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTPERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNTAMOUNT_FIELD_NUMBER: _ClassVar[int]
    FINALTOTAL_FIELD_NUMBER: _ClassVar[int]
    CREDITSPERIMAGEAFTERDISCOUNT_FIELD_NUMBER: _ClassVar[int]
    BREAKDOWN_FIELD_NUMBER: _ClassVar[int]
    imageCount: int
    tier: str
    baseCreditsPerImage: int
    baseTotal: int
    discountPercentage: int
    discountAmount: int
    finalTotal: int
    creditsPerImageAfterDiscount: float
    breakdown: Pricing.Breakdown
    def __init__(self, imageCount: _Optional[int] = ..., tier: _Optional[str] = ..., baseCreditsPerImage: _Optional[int] = ..., baseTotal: _Optional[int] = ..., discountPercentage: _Optional[int] = ..., discountAmount: _Optional[int] = ..., finalTotal: _Optional[int] = ..., creditsPerImageAfterDiscount: _Optional[float] = ..., breakdown: _Optional[_Union[Pricing.Breakdown, _Mapping]] = ...) -> None: ...

class QuoteRequest(_message.Message):
    __slots__ = ("imageCount", "tier")
    IMAGECOUNT_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    imageCount: int
    tier: str
    def __init__(self, imageCount: _Optional[int] = ..., tier: _Optional[str] = ...) -> None: ...

class ChargeRequest(_message.Message):
    __slots__ = ("user_id", "plan", "job_id", "tier", "image_count", "model", "quality", "operation", "output_pixels", "steps", "dialect")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    IMAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PIXELS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    DIALECT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    job_id: str
    tier: str
    image_count: int
    model: str
    quality: str
    operation: str
    output_pixels: int
    steps: int
    dialect: str
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., job_id: _Optional[str] = ..., tier: _Optional[str] = ..., image_count: _Optional[int] = ..., model: _Optional[str] = ..., quality: _Optional[str] = ..., operation: _Optional[str] = ..., output_pixels: _Optional[int] = ..., steps: _Optional[int] = ..., dialect: _Optional[str] = ...) -> None: ...

class ChargeResponse(_message.Message):
    __slots__ = ("credits_charged", "job_credits", "balance", "pricing", "model", "quality")
    CREDITS_CHARGED_FIELD_NUMBER: _ClassVar[int]
    JOB_CREDITS_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    PRICING_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    credits_charged: int
    job_credits: _containers.RepeatedScalarFieldContainer[int]
    balance: int
    pricing: Pricing
    model: str
    quality: str
    def __init__(self, credits_charged: _Optional[int] = ..., job_credits: _Optional[_Iterable[int]] = ..., balance: _Optional[int] = ..., pricing: _Optional[_Union[Pricing, _Mapping]] = ..., model: _Optional[str] = ..., quality: _Optional[str] = ...) -> None: ...

class ChargeBatchRequest(_message.Message):
    __slots__ = ("user_id", "plan", "tier", "job_ids", "model", "quality")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    tier: str
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    model: str
    quality: str
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., tier: _Optional[str] = ..., job_ids: _Optional[_Iterable[str]] = ..., model: _Optional[str] = ..., quality: _Optional[str] = ...) -> None: ...

class RefundRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class RefundResponse(_message.Message):
    __slots__ = ("refunded", "credits")
    REFUNDED_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    refunded: bool
    credits: int
    def __init__(self, refunded: _Optional[bool] = ..., credits: _Optional[int] = ...) -> None: ...

class LedgerEntry(_message.Message):
    __slots__ = ("kind", "amount", "balance_after", "job_id", "description", "created_at", "id", "operation", "images")
    KIND_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    BALANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    kind: str
    amount: int
    balance_after: int
    job_id: str
    description: str
    created_at: str
    id: int
    operation: str
    images: int
    def __init__(self, kind: _Optional[str] = ..., amount: _Optional[int] = ..., balance_after: _Optional[int] = ..., job_id: _Optional[str] = ..., description: _Optional[str] = ..., created_at: _Optional[str] = ..., id: _Optional[int] = ..., operation: _Optional[str] = ..., images: _Optional[int] = ...) -> None: ...

class GetCreditsRequest(_message.Message):
    __slots__ = ("user_id", "plan", "page", "limit")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    page: int
    limit: int
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class Credits(_message.Message):
    __slots__ = ("balance", "plan", "monthly_grant", "history", "total", "page", "limit", "period_total", "reset_date")
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_GRANT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PERIOD_TOTAL_FIELD_NUMBER: _ClassVar[int]
    RESET_DATE_FIELD_NUMBER: _ClassVar[int]
    balance: int
    plan: str
    monthly_grant: int
    history: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    total: int
    page: int
    limit: int
    period_total: int
    reset_date: str
    def __init__(self, balance: _Optional[int] = ..., plan: _Optional[str] = ..., monthly_grant: _Optional[int] = ..., history: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ..., total: _Optional[int] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ..., period_total: _Optional[int] = ..., reset_date: _Optional[str] = ...) -> None: ...

class GrantCreditsRequest(_message.Message):
    __slots__ = ("user_id", "amount", "reason")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    amount: int
    reason: str
    def __init__(self, user_id: _Optional[str] = ..., amount: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class Quota(_message.Message):
    __slots__ = ("limit", "used", "remaining", "resetsAt")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    RESETSAT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    used: int
    remaining: int
    resetsAt: str
    def __init__(self, limit: _Optional[int] = ..., used: _Optional[int] = ..., remaining: _Optional[int] = ..., resetsAt: _Optional[str] = ...) -> None: ...

class Quotas(_message.Message):
    __slots__ = ("daily", "professionalTier")
    DAILY_FIELD_NUMBER: _ClassVar[int]
    PROFESSIONALTIER_FIELD_NUMBER: _ClassVar[int]
    daily: Quota
    professionalTier: Quota
    def __init__(self, daily: _Optional[_Union[Quota, _Mapping]] = ..., professionalTier: _Optional[_Union[Quota, _Mapping]] = ...) -> None: ...

class PlanPrice(_message.Message):
    __slots__ = ("monthlyPrice", "currency")
    MONTHLYPRICE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    monthlyPrice: int
    currency: str
    def __init__(self, monthlyPrice: _Optional[int] = ..., currency: _Optional[str] = ...) -> None: ...

class BillingDates(_message.Message):
    __slots__ = ("nextBillingDate", "subscribedAt", "expiresAt")
    NEXTBILLINGDATE_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBEDAT_FIELD_NUMBER: _ClassVar[int]
    EXPIRESAT_FIELD_NUMBER: _ClassVar[int]
    nextBillingDate: str
    subscribedAt: str
    expiresAt: str
    def __init__(self, nextBillingDate: _Optional[str] = ..., subscribedAt: _Optional[str] = ..., expiresAt: _Optional[str] = ...) -> None: ...

class AvailablePlan(_message.Message):
    __slots__ = ("name", "price", "dailyQuota", "allowedTiers", "monthlyCredits", "professionalQuota")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    DAILYQUOTA_FIELD_NUMBER: _ClassVar[int]
    ALLOWEDTIERS_FIELD_NUMBER: _ClassVar[int]
    MONTHLYCREDITS_FIELD_NUMBER: _ClassVar[int]
    PROFESSIONALQUOTA_FIELD_NUMBER: _ClassVar[int]
    name: str
    price: int
    dailyQuota: int
    allowedTiers: _containers.RepeatedScalarFieldContainer[str]
    monthlyCredits: int
    professionalQuota: int
    def __init__(self, name: _Optional[str] = ..., price: _Optional[int] = ..., dailyQuota: _Optional[int] = ..., allowedTiers: _Optional[_Iterable[str]] = ..., monthlyCredits: _Optional[int] = ..., professionalQuota: _Optional[int] = ...) -> None: ...

class SubscriptionData(_message.Message):
    __slots__ = ("hasSubscription", "plan", "status", "pricing", "quotas", "allowedTiers", "billing", "availablePlans")
    HASSUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRICING_FIELD_NUMBER: _ClassVar[int]
    QUOTAS_FIELD_NUMBER: _ClassVar[int]
    ALLOWEDTIERS_FIELD_NUMBER: _ClassVar[int]
    BILLING_FIELD_NUMBER: _ClassVar[int]
    AVAILABLEPLANS_FIELD_NUMBER: _ClassVar[int]
    hasSubscription: bool
    plan: str
    status: str
    pricing: PlanPrice
    quotas: Quotas
    allowedTiers: _containers.RepeatedScalarFieldContainer[str]
    billing: BillingDates
    availablePlans: _containers.RepeatedCompositeFieldContainer[AvailablePlan]
    def __init__(self, hasSubscription: _Optional[bool] = ..., plan: _Optional[str] = ..., status: _Optional[str] = ..., pricing: _Optional[_Union[PlanPrice, _Mapping]] = ..., quotas: _Optional[_Union[Quotas, _Mapping]] = ..., allowedTiers: _Optional[_Iterable[str]] = ..., billing: _Optional[_Union[BillingDates, _Mapping]] = ..., availablePlans: _Optional[_Iterable[_Union[AvailablePlan, _Mapping]]] = ...) -> None: ...

class SubscriptionResponse(_message.Message):
    __slots__ = ("success", "data")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: SubscriptionData
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[SubscriptionData, _Mapping]] = ...) -> None: ...

class GetSubscriptionRequest(_message.Message):
    __slots__ = ("user_id", "plan")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("user_id", "plan", "paymentMethodId", "cycle", "dialect")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    PAYMENTMETHODID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    DIALECT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    paymentMethodId: str
    cycle: str
    dialect: str
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., paymentMethodId: _Optional[str] = ..., cycle: _Optional[str] = ..., dialect: _Optional[str] = ...) -> None: ...

class SubscribeData(_message.Message):
    __slots__ = ("subscriptionId", "plan", "status", "nextBillingDate", "amountCharged")
    SUBSCRIPTIONID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NEXTBILLINGDATE_FIELD_NUMBER: _ClassVar[int]
    AMOUNTCHARGED_FIELD_NUMBER: _ClassVar[int]
    subscriptionId: str
    plan: str
    status: str
    nextBillingDate: str
    amountCharged: int
    def __init__(self, subscriptionId: _Optional[str] = ..., plan: _Optional[str] = ..., status: _Optional[str] = ..., nextBillingDate: _Optional[str] = ..., amountCharged: _Optional[int] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("success", "data")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: SubscribeData
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[SubscribeData, _Mapping]] = ...) -> None: ...

class CancelSubscriptionRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ReactivateSubscriptionRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class PlanViewRequest(_message.Message):
    __slots__ = ("user_id", "plan", "dialect")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    DIALECT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    dialect: str
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., dialect: _Optional[str] = ...) -> None: ...

class PlanView(_message.Message):
    __slots__ = ("plan", "catalog_plan", "status", "credits_remaining", "credits_total", "reset_date", "cycle", "next_billing", "amount", "view")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    CATALOG_PLAN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREDITS_REMAINING_FIELD_NUMBER: _ClassVar[int]
    CREDITS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    RESET_DATE_FIELD_NUMBER: _ClassVar[int]
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    NEXT_BILLING_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    plan: str
    catalog_plan: str
    status: str
    credits_remaining: int
    credits_total: int
    reset_date: str
    cycle: str
    next_billing: str
    amount: float
    view: _struct_pb2.Struct
    def __init__(self, plan: _Optional[str] = ..., catalog_plan: _Optional[str] = ..., status: _Optional[str] = ..., credits_remaining: _Optional[int] = ..., credits_total: _Optional[int] = ..., reset_date: _Optional[str] = ..., cycle: _Optional[str] = ..., next_billing: _Optional[str] = ..., amount: _Optional[float] = ..., view: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class PurchaseCreditsRequest(_message.Message):
    __slots__ = ("user_id", "plan", "package", "credits", "payment_method", "idempotency_key")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    plan: str
    package: str
    credits: int
    payment_method: str
    idempotency_key: str
    def __init__(self, user_id: _Optional[str] = ..., plan: _Optional[str] = ..., package: _Optional[str] = ..., credits: _Optional[int] = ..., payment_method: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class PurchaseCreditsResponse(_message.Message):
    __slots__ = ("id", "package", "credits", "price", "currency", "amount_usd", "balance", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    CREDITS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_USD_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    package: str
    credits: int
    price: int
    currency: str
    amount_usd: float
    balance: int
    created_at: str
    def __init__(self, id: _Optional[str] = ..., package: _Optional[str] = ..., credits: _Optional[int] = ..., price: _Optional[int] = ..., currency: _Optional[str] = ..., amount_usd: _Optional[float] = ..., balance: _Optional[int] = ..., created_at: _Optional[str] = ...) -> None: ...

class CancelData(_message.Message):
    __slots__ = ("message", "expiresAt", "remainingDays")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EXPIRESAT_FIELD_NUMBER: _ClassVar[int]
    REMAININGDAYS_FIELD_NUMBER: _ClassVar[int]
    message: str
    expiresAt: str
    remainingDays: int
    def __init__(self, message: _Optional[str] = ..., expiresAt: _Optional[str] = ..., remainingDays: _Optional[int] = ...) -> None: ...

class CancelSubscriptionResponse(_message.Message):
    __slots__ = ("success", "data")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: CancelData
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[_Union[CancelData, _Mapping]] = ...) -> None: ...

class UsageStatsRequest(_message.Message):
    __slots__ = ("days",)
    DAYS_FIELD_NUMBER: _ClassVar[int]
    days: int
    def __init__(self, days: _Optional[int] = ...) -> None: ...

class Usage(_message.Message):
    __slots__ = ("totalCreditsUsed", "totalRevenue", "avgCreditsPerJob")
    TOTALCREDITSUSED_FIELD_NUMBER: _ClassVar[int]
    TOTALREVENUE_FIELD_NUMBER: _ClassVar[int]
    AVGCREDITSPERJOB_FIELD_NUMBER: _ClassVar[int]
    totalCreditsUsed: int
    totalRevenue: float
    avgCreditsPerJob: float
    def __init__(self, totalCreditsUsed: _Optional[int] = ..., totalRevenue: _Optional[float] = ..., avgCreditsPerJob: _Optional[float] = ...) -> None: ...

class TierCount(_message.Message):
    __slots__ = ("count", "percentage")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    count: int
    percentage: float
    def __init__(self, count: _Optional[int] = ..., percentage: _Optional[float] = ...) -> None: ...

class SubscriptionStats(_message.Message):
    __slots__ = ("active", "starter", "pro", "enterprise", "mrr")
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    STARTER_FIELD_NUMBER: _ClassVar[int]
    PRO_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_FIELD_NUMBER: _ClassVar[int]
    MRR_FIELD_NUMBER: _ClassVar[int]
    active: int
    starter: int
    pro: int
    enterprise: int
    mrr: float
    def __init__(self, active: _Optional[int] = ..., starter: _Optional[int] = ..., pro: _Optional[int] = ..., enterprise: _Optional[int] = ..., mrr: _Optional[float] = ...) -> None: ...

class UsageStats(_message.Message):
    __slots__ = ("usage", "tierBreakdown", "subscriptions")
    class TierBreakdownEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: TierCount
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[TierCount, _Mapping]] = ...) -> None: ...
    USAGE_FIELD_NUMBER: _ClassVar[int]
    TIERBREAKDOWN_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    usage: Usage
    tierBreakdown: _containers.MessageMap[str, TierCount]
    subscriptions: SubscriptionStats
    def __init__(self, usage: _Optional[_Union[Usage, _Mapping]] = ..., tierBreakdown: _Optional[_Mapping[str, TierCount]] = ..., subscriptions: _Optional[_Union[SubscriptionStats, _Mapping]] = ...) -> None: ...
