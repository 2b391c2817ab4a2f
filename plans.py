"""The plans we sell and their limits (docs/product.md "Plans"); pure data for every room.

``None`` means unlimited. A self-hosted install (no STRIPE_SECRET_KEY) gets ``SELF_HOSTED``:
every feature, no limits, no billing pages.
"""

from __future__ import annotations

from dataclasses import dataclass

# AI narrative cadence, from least to most frequent.
AI_CADENCES = ("weekly", "daily", "every_recompute")
AI_CADENCE_WORDS = {
    "weekly": "weekly",
    "daily": "daily",
    "every_recompute": "on every recompute",
}
TRIAL_DAYS = 14
GRACE_DAYS = 7  # past_due: full access this long after the unpaid period started


@dataclass(frozen=True)
class Plan:
    key: str
    name: str
    price_usd: int  # per month
    connections: int | None
    ai_cadence: str
    pdf_exports_month: int | None
    recomputes_day: int | None

    def limit(self, kind: str) -> int | None:
        """The limit of a metered kind (see LIMITED_KINDS); None = unlimited."""
        return {
            "connections": self.connections,
            "pdf_export": self.pdf_exports_month,
            "recompute": self.recomputes_day,
        }[kind]


PLANS: dict[str, Plan] = {
    "starter": Plan("starter", "Starter", 499, 3, "weekly", 10, 24),
    "growth": Plan("growth", "Growth", 799, 6, "daily", 50, 100),
    "scale": Plan("scale", "Scale", 1499, None, "every_recompute", None, None),
}
PLAN_ORDER = ("starter", "growth", "scale")
SELF_HOSTED = Plan("self_hosted", "Self-hosted", 0, None, "every_recompute", None, None)

# Metered usage kinds (UsageEvent.kind) and the window their limit counts over.
USAGE_KINDS = ("sync", "recompute", "ai_tokens", "pdf_export")
LIMIT_WINDOWS = {"pdf_export": "month", "recompute": "day"}


def plan_named(key: str | None) -> Plan | None:
    return PLANS.get(key or "")
