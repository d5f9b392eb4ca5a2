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
QUALITY_RANK = {"low": 0, "medium": 1, "high": 2, "ultra": 3}
# A video's background removal (gateway/video.py): per second of each megapixel of its frames,
# never below the tier's price of an image (a minute of 1080p: 125 credits).
VIDEO_CREDITS_PER_MEGAPIXEL_SECOND = 1.0


@dataclass(frozen=True)
class Catalog:
    data: dict

    @classmethod
    def load(cls, path: pathlib.Path = PLANS_FILE) -> "Catalog":
        return cls(json.loads(path.read_text()))

    def plan(self, name: str) -> dict:
        return self.data["plans"].get(name) or self.data["plans"]["free"]

    def dialect_plan(self, dialect: str, plan: str) -> dict | None:
        """The plan as `dialect`'s document shows it (plans.json plans.*.dialects), or None."""
        return self.plan(plan).get("dialects", {}).get(dialect) if dialect else None

    def plan_named(self, dialect: str, name: str) -> str | None:
        """The catalogue's plan that `dialect` calls `name` (seed 004's basic is starter), or None."""
        name = name.strip().lower()
        return next((plan for plan, spec in self.data["plans"].items() if spec.get("dialects", {}).get(dialect, {}).get("name") == name), None)

    def cycle(self, name: str) -> tuple[str, dict]:
        """A billing cycle (plans.json cycles): monthly by default."""
        name = (name or "monthly").strip().lower()
        if name not in self.data["cycles"]:
            raise invalid("INVALID_CYCLE", f"cycle must be one of {', '.join(self.data['cycles'])}", field="cycle")
        return name, self.data["cycles"][name]

    def cycle_price(self, plan: str, cycle: str) -> int:
        return self.plan(plan)[self.cycle(cycle)[1]["price"]]

    def package(self, name: str) -> dict:
        """A credit package (plans.json credit_packages)."""
        packages = self.data["credit_packages"]
        found = packages.get(name.strip().lower())
        if found is None:
            raise invalid("INVALID_PACKAGE", f"package must be one of {', '.join(packages)}", field="package")
        return found

    def tier(self, name: str) -> tuple[str, dict]:
        name = (name or self.data["default_tier"]).strip().lower()
        tiers = self.data["tiers"]
        if name not in tiers:
            raise invalid("INVALID_TIER", f"tier must be one of {', '.join(tiers)}", field="tier")
        return name, tiers[name]

    def resolve(self, tier_name: str, model: str = "", quality: str = "") -> str:
        """The tier a request is charged and checked at (H4): the tier decides model and quality.

        A tier covers a request that names its model (or none) and its quality or a lower one.
        Named tier: it must cover the request, else INVALID_OPTION names the tier that would.
        No tier: the default tier if it covers the request, else the cheapest tier that does.
        """
        model, quality = model.strip().lower(), quality.strip().lower()
        if not model and not quality:
            return self.tier(tier_name)[0]
        tiers = self.data["tiers"]

        def covers(spec: dict) -> bool:
            return (not model or model in spec.get("models", [spec["model"]])) and (
                not quality or QUALITY_RANK.get(quality, 99) <= QUALITY_RANK[spec["quality"]]
            )

        covering = sorted((t for t, spec in tiers.items() if covers(spec)), key=lambda t: tiers[t]["credits_per_image"])
        asked = " and ".join(f"{k}={v}" for k, v in (("model", model), ("quality", quality)) if v)
        if not covering:
            offered = "; ".join(f"{t}: {'/'.join(spec.get('models', [spec['model']]))} up to {spec['quality']}" for t, spec in tiers.items())
            raise invalid("INVALID_OPTION", f"No tier includes {asked}. Tiers: {offered}", field="model" if model else "quality")
        if tier_name.strip():
            tier, _ = self.tier(tier_name)
            if tier not in covering:
                raise invalid(
                    "INVALID_OPTION",
                    f"The {tier} tier does not include {asked}; the {covering[0]} tier does: send tier={covering[0]} or leave "
                    f"model and quality out",
                    field="tier", tier=covering[0],
                )
            return tier
        default = self.tier("")[0]
        return default if default in covering else covering[0]

    def check_allowed(self, plan: str, tier: str) -> None:
        allowed = self.plan(plan)["allowed_tiers"]
        if tier not in allowed:
            raise ServiceError(
                grpc.StatusCode.PERMISSION_DENIED,
                "TIER_NOT_ALLOWED",
                f"The {plan} plan does not include the {tier} tier; allowed: {', '.join(allowed)}",
                details={"tier": tier, "plan": plan, "allowed_tiers": ",".join(allowed)},
            )

    def cost_per_image(self, tier_name: str, operation: str = "", output_pixels: int = 0, steps: int = 0) -> int:
        """A job's credits per image (M10): the tier's price, more for heavy work (plans.json `operations`).

        upscale: per output megapixel; generate: per denoising step, a video (output_pixels set) per megapixel
        of its frames. Never below the tier's price.
        "removebg:<size>": remove.bg's own price of that size (plans.json `removebg`), whatever the tier's.
        """
        if operation.startswith("removebg:"):
            return self.data["removebg"]["credits"][operation.partition(":")[2]]
        per_image = self.tier(tier_name)[1]["credits_per_image"]
        rates = self.data.get("operations", {})
        if operation == "upscale" and output_pixels > 0:
            per_image = max(per_image, math.ceil(output_pixels / 1_000_000 * rates["upscale"]["credits_per_megapixel"]))
        elif operation == "generate" and output_pixels > 0:  # a video: seconds x fps x width x height
            per_image = max(
                per_image, math.ceil(steps * rates["generate"]["credits_per_step"]),
                math.ceil(output_pixels / 1_000_000 * rates["video"]["credits_per_output_megapixel"]),
            )
        elif operation == "generate" and steps > 0:
            per_image = max(per_image, math.ceil(steps * rates["generate"]["credits_per_step"]))
        elif operation == "remove_background_video":  # output_pixels: seconds x width x height
            per_image = max(per_image, math.ceil(output_pixels / 1_000_000 * VIDEO_CREDITS_PER_MEGAPIXEL_SECOND))
        return per_image

    def price(self, tier_name: str, image_count: int, per_image: int | None = None) -> billing_pb2.Pricing:
        """Seed 001's breakdown; the final total is what the ledger charges."""
        if not 1 <= image_count <= MAX_IMAGES:
            raise invalid("INVALID_INPUT", f"imageCount must be from 1 to {MAX_IMAGES}", field="imageCount")
        tier, spec = self.tier(tier_name)
        per_image = spec["credits_per_image"] if per_image is None else per_image
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
            breakdown=billing_pb2.Pricing.Breakdown(
                costInIDR=final * self.data["credit_price"],
                costInUSD=round(final * self.data["credit_price"] / self.data["usd_rate"], 2),
                savingsIDR=discount * self.data["credit_price"],
            ),
        )
