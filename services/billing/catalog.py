"""Plans, tiers and volume discounts, read from plans.json (the one place for these numbers)."""

from __future__ import annotations

import json
import math
import pathlib
from dataclasses import dataclass

import grpc

from backdrop.billing.v1 import billing_pb2
from services.runtime.config import env_str
from services.runtime.errors import ServiceError, invalid

PLANS_FILE = pathlib.Path(env_str("BILLING_PLANS_FILE", str(pathlib.Path(__file__).with_name("plans.json"))))
MAX_IMAGES = 500  # seed 001's largest batch


@dataclass(frozen=True)
class Catalog:
    data: dict

    @classmethod
    def load(cls, path: pathlib.Path = PLANS_FILE) -> "Catalog":
        return cls(json.loads(path.read_text()))

    def plan(self, name: str) -> dict:
        return self.data["plans"].get(name) or self.data["plans"]["free"]

    def tier(self, name: str) -> tuple[str, dict]:
        name = (name or self.data["default_tier"]).strip().lower()
        tiers = self.data["tiers"]
        if name not in tiers:
            raise invalid("INVALID_TIER", f"tier must be one of {', '.join(tiers)}", field="tier")
        return name, tiers[name]

    def check_allowed(self, plan: str, tier: str) -> None:
        allowed = self.plan(plan)["allowed_tiers"]
        if tier not in allowed:
            raise ServiceError(
                grpc.StatusCode.PERMISSION_DENIED,
                "TIER_NOT_ALLOWED",
                f"The {plan} plan does not include the {tier} tier; allowed: {', '.join(allowed)}",
                details={"tier": tier, "plan": plan, "allowed_tiers": ",".join(allowed)},
            )

    def price(self, tier_name: str, image_count: int) -> billing_pb2.Pricing:
        """Seed 001's breakdown; the final total is what the ledger charges."""
        if not 1 <= image_count <= MAX_IMAGES:
            raise invalid("INVALID_INPUT", f"imageCount must be from 1 to {MAX_IMAGES}", field="imageCount")
        tier, spec = self.tier(tier_name)
        per_image = spec["credits_per_image"]
        base = per_image * image_count
        percentage = next((d["percentage"] for d in self.data["volume_discounts"] if image_count >= d["min_images"]), 0)
        discount = math.floor(base * percentage / 100)
        final = base - discount
        return billing_pb2.Pricing(
            imageCount=image_count,
            tier=tier,
            baseCreditsPerImage=per_image,
            baseTotal=base,
            discountPercentage=percentage,
            discountAmount=discount,
            finalTotal=final,
            creditsPerImageAfterDiscount=round(final / image_count, 4),
        )
