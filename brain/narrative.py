"""Template narratives from a brain state, and the number guardrail every narrative must pass.

Pure text from the stored state: no network, no model, no wall clock. The executive summary
is written per persona (docs/product.md prefixes); every number in it is taken from the state, and
``unsupported_numbers(text, state)`` proves it, so the same checker can later guard AI text
(docs/brain-spec.md: "every number in the text must match a fact after rounding").
Names that come from outside (creatives, campaigns) are quoted and treated as data, not facts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# The org's currency while the brain writes text (compute and template summary): a EUR org's
# actions and summary say "€", never "$". A ContextVar, so concurrent requests never mix.
CURRENCY: ContextVar[str] = ContextVar("brain_text_currency", default="USD")


def currency_symbol(code: str | None = None) -> str:
    """The currency's symbol in English ($, €, £, CA$); the code for one Babel does not know."""
    from babel.numbers import get_currency_symbol

    code = code or CURRENCY.get()
    try:
        return get_currency_symbol(code, locale="en_US")
    except Exception:
        return f"{code} "


@contextmanager
def text_currency(code: str | None) -> Iterator[None]:
    """Write brain text in this currency inside the block."""
    token = CURRENCY.set(code or "USD")
    try:
        yield
    finally:
        CURRENCY.reset(token)


PERSONAS = ("cmo", "vp_growth", "director")
PREFIX = {
    "cmo": "Here's the truth:",
    "vp_growth": "This week:",
    "director": "Action needed:",
}
PLATFORM_NAMES = {"meta": "Meta", "google_ads": "Google", "tiktok": "TikTok", "shopify": "Shopify"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# A number as a reader sees it: optional sign, optional $, digits with thousands commas,
# decimals, optional %. Not part of a word or an id ("C12", "ME-1001", "v4").
_NUMBER = re.compile(
    r"(?<![\w.\-−+])(?P<sign>[-−+])?\$?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<pct>%)?(?![\w])"
)
_DATES = re.compile(
    r"\b\d{4}-\d{2}(?:-\d{2})?\b|\b\d{1,2} (?:" + "|".join(MONTHS) + r")\b(?: \d{4})?"
)
# Window lengths and scales of the brain's own definitions (docs/brain-spec.md), not measurements:
# "fatigue in 7 days", "90-day LTV", "score 75 of 100".
DEFINITIONS = frozenset({7.0, 14.0, 90.0, 100.0})
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


# ---- the guardrail ---------------------------------------------------------------------------
def numbers_in(text: str) -> list[float]:
    """Every number a reader would see in ``text`` (absolute values; dates and quotes skipped).

    Quoted text is outside data (a creative's name) and dates are not quantities, so neither
    is a claim the brain must back.
    """
    cleaned = _DATES.sub(" ", _QUOTED.sub(" ", text or ""))
    return [float(m.group("num").replace(",", "")) for m in _NUMBER.finditer(cleaned)]


def facts(state: Mapping[str, Any] | None) -> set[float]:
    """Every number the state holds (absolute), as a ratio and as a percentage, plus list sizes.

    A narrative may round these but never invent one: 0.3564 backs "36%", 233022.71 backs
    "$233,023", a list of 5 actions backs "5 moves".
    """
    out: set[float] = set(DEFINITIONS)

    def walk(node: Any) -> None:
        if isinstance(node, bool) or node is None:
            return
        if isinstance(node, int | float):
            if math.isfinite(node):
                value = abs(float(node))
                out.add(value)
                out.add(round(value * 100, 6))
            return
        if isinstance(node, Mapping):
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            out.add(float(len(node)))
            for value in node:
                walk(value)

    walk(state or {})
    period = (state or {}).get("period") or {}
    days = _days_between(period.get("start"), period.get("end"))
    if days:
        out.add(float(days))  # stored states carry start/end; the length is a fact too
    return out


def _tokens(text: str) -> list[tuple[float, int]]:
    cleaned = _DATES.sub(" ", _QUOTED.sub(" ", text or ""))
    found = []
    for m in _NUMBER.finditer(cleaned):
        raw = m.group("num").replace(",", "")
        found.append((float(raw), len(raw.split(".")[1]) if "." in raw else 0))
    return found


def unsupported_numbers(text: str, state: Mapping[str, Any] | None) -> list[float]:
    """Numbers in ``text`` that no fact of ``state`` rounds to (empty list = the text is backed)."""
    known = sorted(facts(state))
    bad = []
    for number, decimals in _tokens(text):
        tolerance = 0.5 * 10**-decimals + 1e-9
        if not any(abs(fact - number) <= tolerance for fact in _near(known, number, tolerance)):
            bad.append(number)
    return bad


def _near(sorted_facts: list[float], number: float, tolerance: float) -> Iterable[float]:
    import bisect

    lo = bisect.bisect_left(sorted_facts, number - tolerance)
    hi = bisect.bisect_right(sorted_facts, number + tolerance)
    return sorted_facts[lo:hi]


# ---- formatting (the same rounding the dashboard uses) -----------------------------------------
def money(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return "–"
    return f"{currency_symbol()}{abs(value):,.{decimals}f}"


def pct(ratio_value: float | None, decimals: int = 0) -> str:
    """A ratio (0.3564) as a percentage ("36%"), unsigned: the words carry the direction."""
    if ratio_value is None:
        return "–"
    return f"{abs(ratio_value) * 100:.{decimals}f}%"


def num(value: float | None, decimals: int = 2) -> str:
    return "–" if value is None else f"{abs(value):,.{decimals}f}"


def platform_name(key: str | None) -> str:
    return PLATFORM_NAMES.get(key or "", (key or "").replace("_", " ").title())


def short_date(iso: str | None) -> str:
    """'2026-11-24' -> '24 Nov' (the guardrail skips dates: they are not quantities)."""
    if not iso or len(iso) < 10:
        return iso or ""
    return f"{int(iso[8:10])} {MONTHS[int(iso[5:7]) - 1]}"


SERIES_NAMES = {"cpa": "CPA", "mer": "MER", "ctr": "CTR", "cvr": "CVR", "roas": "ROAS"}


def series_name(series: str | None) -> str:
    """'store_revenue' -> 'store revenue', 'cpa' -> 'CPA'."""
    key = str(series or "")
    return SERIES_NAMES.get(key, key.replace("_", " "))


def humanize(text: Any) -> str:
    """Brain text for people: ISO dates as '19 Nov', no '(the org)' scope note."""
    out = re.sub(r"\s*\(the org\)|\bfor the org\b ?|\bthe org\b ?", "", str(text or ""))
    return re.sub(r"\b\d{4}-\d{2}-\d{2}\b", lambda m: short_date(m.group(0)), out)


# ---- reading the state -------------------------------------------------------------------------
def _days_between(start: str | None, end: str | None) -> int | None:
    from datetime import date

    try:
        return (date.fromisoformat(end or "") - date.fromisoformat(start or "")).days + 1
    except ValueError:
        return None


class _View:
    """The parts of a state a summary talks about, with safe defaults for missing pieces."""

    def __init__(self, state: Mapping[str, Any] | None) -> None:
        state = state or {}
        memory = state.get("memory") or {}
        oracle = state.get("oracle") or {}
        curiosity = state.get("curiosity") or {}
        self.totals: Mapping[str, Any] = memory.get("totals") or {}
        period = state.get("period") or {}
        self.days = period.get("days") or _days_between(period.get("start"), period.get("end"))
        self.risk: Mapping[str, Any] = oracle.get("risk") or {}
        fatigue = [
            f for f in oracle.get("fatigue") or [] if f.get("severity") in ("high", "medium")
        ]
        self.fatigue = max(fatigue, key=lambda f: f.get("prob_7d") or 0, default=None)
        decays = [d for d in oracle.get("roi_decay") or [] if d.get("flagged")]
        self.decay = max(decays, key=lambda d: d.get("decay") or 0, default=None)
        drift = oracle.get("ltv_drift") or {}
        self.drift = drift if drift.get("flagged") else None
        anomalies = [a for a in oracle.get("anomalies") or [] if a.get("severity") == "high"]
        self.anomaly = anomalies[0] if anomalies else None
        self.actions = sorted(curiosity.get("actions") or [], key=lambda a: a.get("rank") or 99)
        self.total = curiosity.get("total_opportunity_usd_per_week")


def action_phrase(action: Mapping[str, Any]) -> str:
    """An action in plain words, numbers from its amounts (names quoted as data)."""
    amounts = action.get("amounts") or {}
    targets = action.get("targets") or []
    kind = action.get("type")
    if kind == "shift_budget":
        src = next((t for t in targets if t.get("role") == "from"), targets[0] if targets else {})
        dst = next((t for t in targets if t.get("role") == "to"), targets[-1] if targets else {})
        return (
            f"move {money(amounts.get('change'))}/day from "
            f"{platform_name(src.get('platform')) or src.get('name')} to "
            f"{platform_name(dst.get('platform')) or dst.get('name')}"
        )
    if kind == "pause_creative" and targets:
        t = targets[0]
        return f"pause creative {t.get('creative_id') or ''} on {platform_name(t.get('platform'))}"
    if kind == "scale" and targets:
        t = targets[0]
        name = platform_name(t.get("platform")) if t.get("kind") == "platform" else t.get("name")
        return f"raise “{name}” by {pct(amounts.get('change_pct'))}"
    if kind == "retention":
        return "win back value from recent customer cohorts"
    if kind == "investigate":
        title = humanize(action.get("title") or "the anomaly")
        return title[:1].lower() + title[1:]
    return f"“{action.get('title', 'the top action')}”"


def _risk_clause(v: _View, persona: str) -> str:
    level = v.risk.get("level")
    if not level:
        return ""
    head = f"Risk is {level} (score {v.risk.get('score', 0)} of 100)"
    f = v.fatigue
    if persona == "cmo":
        if f is not None:
            days = f.get("days_to_breakeven")
            who = f"{platform_name(f.get('platform'))} creative {f.get('creative_id')}"
            if days is None:
                return f"{head}: {who} is wearing out."
            if days <= 0:
                return f"{head}: {who} has already stopped paying back."
            return f"{head}: {who} will stop paying back in ~{days} days."
        if v.decay is not None:
            return (
                f"{head}: {platform_name(v.decay.get('platform'))} returns fell "
                f"{pct(v.decay.get('decay'))} in a week."
            )
        return f"{head}."
    if persona == "vp_growth":
        if f is not None:
            return (
                f"{head}. {f.get('creative_id')}: CVR −{pct(f.get('cvr_change'))}, "
                f"frequency {num(f.get('frequency'))}, {pct(f.get('prob_7d'))} fatigue in 7 days."
            )
        return f"{head}."
    top = v.actions[0] if v.actions else {}
    paused = (
        any(
            t.get("id") == f"creative:{f.get('platform')}:{f.get('creative_id')}"
            for t in top.get("targets") or []
        )
        if f is not None
        else False
    )
    if f is not None and not paused:
        return (
            f"{head}. Pause now: {f.get('creative_id')} on {platform_name(f.get('platform'))}, "
            f"CPA {money(f.get('cpa_recent'), 2)} vs {money(f.get('cpa_baseline'), 2)}."
        )
    return f"{head}."


def template_summary(state: Mapping[str, Any] | None, persona: str) -> str:
    """The executive summary in the persona's words; every number comes from ``state``."""
    with text_currency(((state or {}).get("settings") or {}).get("currency")):
        return _template_summary(state, persona)


def _template_summary(state: Mapping[str, Any] | None, persona: str) -> str:
    persona = persona if persona in PREFIX else "cmo"
    v = _View(state)
    t = v.totals
    if not t or t.get("spend") is None:
        return f"{PREFIX[persona]} no insights yet: connect an ad platform and your store."
    days = f"the last {v.days} days" if v.days else "the period"
    top = v.actions[0] if v.actions else None
    parts = [PREFIX[persona]]
    if persona == "cmo":
        parts.append(
            f"over {days} {money(t.get('spend'))} of ads brought in "
            f"{money(t.get('store_revenue'))} of store revenue, a MER of {num(t.get('mer'))} "
            "(revenue ÷ spend)."
        )
        if t.get("ltv_roas") is not None:
            parts.append(
                f"Counting repeat purchases within 90 days, LTV-ROAS is {num(t.get('ltv_roas'))}."
            )
        if t.get("over_reporting") is not None:
            parts.append(
                f"The ad platforms claim {num(t.get('over_reporting'))}× what the store recorded."
            )
        parts.append(_risk_clause(v, persona))
        if top is not None:
            parts.append(
                f"Top move: {action_phrase(top)}, worth about "
                f"{money(top.get('impact_usd_per_week'))} of gross profit a week"
                + (
                    f"; all {len(v.actions)} moves together about {money(v.total)} a week."
                    if v.total and len(v.actions) > 1
                    else "."
                )
            )
    elif persona == "vp_growth":
        trend = t.get("mer_trend") or {}
        trend_txt = ""
        if trend.get("change_pct") is not None and trend.get("direction") in ("up", "down"):
            trend_txt = (
                f", {trend['direction']} {num(trend['change_pct'], 0)}% "
                "(last 7 days vs the 7 before)"
            )
        parts.append(
            f"blended ROAS (MER, revenue ÷ spend) {num(t.get('mer'))}{trend_txt}; "
            f"platform-reported ROAS {num(t.get('platform_roas'))}."
        )
        if v.decay is not None:
            parts.append(
                f"{platform_name(v.decay.get('platform'))} ROAS {num(v.decay.get('roas_baseline'))}"
                f" → {num(v.decay.get('roas_recent'))} (ROI decay {pct(v.decay.get('decay'))})."
            )
        if v.drift is not None:
            parts.append(
                f"90-day LTV {money(v.drift.get('historical_ltv'), 2)} → "
                f"{money(v.drift.get('recent_ltv'), 2)} (drift {pct(v.drift.get('drift'), 1)})."
            )
        parts.append(_risk_clause(v, persona))
        if top is not None:
            parts.append(
                f"Best opportunity: {action_phrase(top)}, "
                f"+{money(top.get('impact_usd_per_week'))}/week, "
                f"confidence {pct(top.get('confidence'))}."
            )
    else:
        if top is not None:
            parts.append(f"{action_phrase(top)} (+{money(top.get('impact_usd_per_week'))}/week).")
        parts.append(_risk_clause(v, persona))
        parts.append(
            f"Spend {money(t.get('spend'))} over {days}; MER {num(t.get('mer'))} (revenue ÷ spend)."
        )
        if len(v.actions) > 1 and v.total:
            parts.append(f"{len(v.actions)} actions queued, {money(v.total)}/week in total.")
    return " ".join(p for p in parts if p)
