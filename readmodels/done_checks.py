"""Is a "Done" action visible in the data? The pure half (models/decisions.py loads the spend).

"Done" is what a person reports; the data says whether it happened. Each action type states
which spend should move, and which way, after the day it was marked done:

- pause (a creative the brain wants paused now): that creative's spend is zero;
- creative refresh (a fatiguing creative to refresh this week): spend moved off it (its daily
  spend fell);
- shift budget: the "from" platform's daily spend fell and the "to" platform's rose;
- scale: the platform's or campaign's daily spend moved the way the action says (up to scale).

A move counts when the average daily spend after the done day differs from the average of the
BEFORE_DAYS days up to and including it by at least MIN_MOVE (platforms restate, budgets
wobble). Statuses: "verified", "not_seen" (data after the done day, no move yet),
"still_spending" (a pause with spend after it), "waiting" (no data after the done day yet).
Only numbers in, a dict out: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

BEFORE_DAYS = 7
MIN_MOVE = 0.05  # 5% of the level before
CHECKED = ("pause_creative", "shift_budget", "scale")


@dataclass(frozen=True)
class Expectation:
    """Spend on one target should go to zero, down or up after the done day."""

    kind: str  # "creative" | "platform" | "campaign"
    platform: str
    external_id: str | None  # the creative's or campaign's id on the platform
    direction: str  # "zero" | "down" | "up"
    name: str = ""


def is_refresh(action: Mapping[str, Any]) -> bool:
    """A fatigue action the brain does not rate urgent is a refresh this week, not a pause."""
    return action.get("type") == "pause_creative" and action.get("urgency") != "high"


def expectations(action: Mapping[str, Any]) -> list[Expectation]:
    """What the data should show once the action is done (empty: nothing a machine can see)."""
    kind = action.get("type")
    targets = [t for t in action.get("targets") or [] if isinstance(t, Mapping)]
    out: list[Expectation] = []
    if kind == "pause_creative":
        for t in targets:
            if t.get("kind") == "creative" and t.get("creative_id") and t.get("platform"):
                direction = "down" if is_refresh(action) else "zero"
                out.append(
                    Expectation(
                        "creative",
                        str(t["platform"]),
                        str(t["creative_id"]),
                        direction,
                        str(t.get("name") or t["creative_id"]),
                    )
                )
    elif kind == "shift_budget":
        for t in targets:
            role = t.get("role")
            if t.get("kind") == "platform" and t.get("platform") and role in ("from", "to"):
                direction = "down" if role == "from" else "up"
                name = str(t.get("name") or t["platform"])
                out.append(Expectation("platform", str(t["platform"]), None, direction, name))
    elif kind == "scale":
        change = (action.get("amounts") or {}).get("change")
        direction = "down" if isinstance(change, int | float) and change < 0 else "up"
        for t in targets:
            if t.get("kind") == "platform" and t.get("platform"):
                name = str(t.get("name") or t["platform"])
                out.append(Expectation("platform", str(t["platform"]), None, direction, name))
            elif t.get("kind") == "campaign" and t.get("platform"):
                external = str(t.get("campaign_id") or str(t.get("id") or "").split(":", 2)[-1])
                if external:
                    name = str(t.get("name") or external)
                    out.append(
                        Expectation("campaign", str(t["platform"]), external, direction, name)
                    )
    return out


def window(since: date) -> tuple[date, date]:
    """The first day of the 'before' average and the done day itself."""
    return since - timedelta(days=BEFORE_DAYS - 1), since


def judge(
    expect: Expectation,
    since: date,
    daily: Mapping[date, float],
    through: date | None,
) -> dict[str, Any]:
    """One target's verdict from its daily spend ({day: spend}, missing days are zero) and the
    platform's latest data day."""
    start, _ = window(since)
    before_days = [start + timedelta(days=i) for i in range(BEFORE_DAYS)]
    before = sum(float(daily.get(d, 0.0)) for d in before_days) / BEFORE_DAYS
    after_days = [d for d in daily if d > since]
    n_after = (through - since).days if through is not None and through > since else 0
    after_total = sum(float(daily[d]) for d in after_days)
    after = after_total / n_after if n_after else None
    out: dict[str, Any] = {
        "kind": expect.kind,
        "platform": expect.platform,
        "name": expect.name,
        "direction": expect.direction,
        "before": round(before, 2),
        "after": None if after is None else round(after, 2),
        "spend_after": round(after_total, 2),
        "days_after": n_after,
    }
    if not n_after:
        out["status"] = "waiting"
    elif expect.direction == "zero":
        out["status"] = "verified" if after_total <= 0 else "still_spending"
    elif expect.direction == "down":
        moved = after is not None and after <= before * (1 - MIN_MOVE)
        out["status"] = "verified" if moved else "not_seen"
    else:
        moved = after is not None and after >= before * (1 + MIN_MOVE) and after > 0
        out["status"] = "verified" if moved else "not_seen"
    return out


ORDER = ("still_spending", "not_seen", "waiting", "verified")


def verdict(parts: Sequence[Mapping[str, Any]], since: date, through: date | None) -> dict:
    """The action's check: verified only when every target moved; otherwise the worst part."""
    if not parts:
        return {}
    status = min((p["status"] for p in parts), key=ORDER.index)
    spend = sum(float(p.get("spend_after") or 0) for p in parts if p["direction"] == "zero")
    return {
        "status": status,
        "since": since.isoformat(),
        "through": through.isoformat() if through else None,
        "spend": spend,
        "parts": [dict(p) for p in parts],
    }
