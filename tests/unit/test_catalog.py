import pytest

from services.billing.catalog import Catalog
from services.runtime.errors import ServiceError

catalog = Catalog.load()


def test_seed_001_batch_example():
    pricing = catalog.price("standard", 100)
    assert (pricing.baseCreditsPerImage, pricing.baseTotal, pricing.discountPercentage) == (8, 800, 10)
    assert (pricing.discountAmount, pricing.finalTotal, pricing.creditsPerImageAfterDiscount) == (80, 720, 7.2)


@pytest.mark.parametrize(("images", "percentage"), [(1, 0), (49, 0), (50, 5), (99, 5), (100, 10), (250, 15), (500, 20)])
def test_volume_discounts(images, percentage):
    pricing = catalog.price("professional", images)
    assert pricing.discountPercentage == percentage
    assert pricing.finalTotal == 15 * images - (15 * images * percentage) // 100


def test_seed_001_single_image_prices():
    assert catalog.price("standard", 1).finalTotal == 8 and catalog.price("professional", 1).finalTotal == 15


@pytest.mark.parametrize(("tier", "count", "reason"), [("gold", 1, "INVALID_TIER"), ("basic", 0, "INVALID_INPUT"), ("basic", 501, "INVALID_INPUT")])
def test_bad_quotes(tier, count, reason):
    with pytest.raises(ServiceError) as caught:
        catalog.price(tier, count)
    assert caught.value.reason == reason


def test_plans_gate_tiers():
    catalog.check_allowed("pro", "industry")
    with pytest.raises(ServiceError) as caught:
        catalog.check_allowed("free", "professional")
    assert caught.value.http_status == 403 and caught.value.reason == "TIER_NOT_ALLOWED"


def test_every_number_lives_in_the_data_file():
    assert set(catalog.data["plans"]) == {"free", "starter", "pro", "enterprise"}
    assert set(catalog.data["tiers"]) == {"basic", "standard", "professional", "industry"}
    for plan in catalog.data["plans"].values():
        assert set(plan["allowed_tiers"]) <= set(catalog.data["tiers"])
