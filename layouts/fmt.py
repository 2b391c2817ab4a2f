"""The one formatter: money, percentages, ratios, counts, dates and signal words for people.

The overview, analytics and the board PDF all print numbers through these functions, so a
number reads the same everywhere. Money and numbers go through Babel (CLDR data) in the org's
currency: a EUR org sees "€8,755", never "$8,755". Unknown values print as "–", negatives carry
a real minus sign "−" (a reader must never guess the direction).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LOCALE = "en_US"
DASH = "–"

# Brain signal codes -> plain words (the fatigue detector's and the anomaly explainer's codes).
SIGNALS = {
    "cvr_drop": "conversion rate falling",
    "cpa_rise": "cost per purchase rising",
    "ctr_drop": "click-through rate falling",
    "frequency_rise": "the same people seeing the ad too often",
    "roas_drop": "return on ad spend falling",
    "spend_spike": "spend jumped",
    "spend_drop": "spend fell",
}
EVIDENCE_KINDS = {
    "fatigue": "creative fatigue",
    "decay": "ROI decay",
    "roi_decay": "ROI decay",
    "curve": "response curve",
    "platform": "channel",
    "anomaly": "anomaly",
    "ltv_drift": "customer value drift",
    "drift": "customer value drift",
    "creative": "creative",
    "campaign": "campaign",
}
PLATFORMS = {"meta": "Meta", "google_ads": "Google", "tiktok": "TikTok", "shopify": "Shopify"}


def missing(value: Any) -> bool:
    """None, NaN or infinity: nothing a reader should see as a number."""
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def _half_up(value: float, decimals: int) -> Decimal:
    """Round like a person (2.345 -> 2.35), not like a bank (Babel's default is half-even)."""
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def money(
    value: float | None,
    currency: str = "USD",
    decimals: int = 0,
    signed: bool = False,
    locale: str = LOCALE,
    compact: bool = False,
) -> str:
    """$233,023 / €8,755 / −$12 (signed: +$12; compact: $1.2k, $3.45M)."""
    if missing(value):
        return DASH
    v = float(value)  # type: ignore[arg-type]
    if compact and abs(v) >= 10_000:
        big = abs(v) >= 1_000_000
        scaled = v / (1_000_000 if big else 1_000)
        return money(scaled, currency, 2 if big else 1, signed, locale) + ("M" if big else "k")
    pattern = "¤#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    try:
        text = format_currency(
            _half_up(abs(v), decimals),
            currency or "USD",
            format=pattern,
            locale=locale,
            currency_digits=False,
        )
    except Exception:  # an unknown currency code: the code itself, never a wrong symbol
        text = f"{currency} {format_decimal(_half_up(abs(v), decimals), format=pattern[1:])}"
    sign = "−" if v < 0 and round(abs(v), decimals) > 0 else ("+" if signed and v > 0 else "")
    return sign + text


def pct(value: float | None, decimals: int = 0, signed: bool = False) -> str:
    """A fraction (0.3564) as a percentage: 36% (signed: +36% / −36% / ±0%)."""
    if missing(value):
        return DASH
    p = float(value) * 100  # type: ignore[arg-type]
    body = format_decimal(
        _half_up(abs(p), decimals), format="#,##0" + ("." + "0" * decimals if decimals else "")
    )
    if signed:
        shown = round(abs(p), decimals)
        sign = "+" if p > 0 and shown else "−" if p < 0 and shown else "±"
        return f"{sign}{body}%"
    return f"{'−' if p < 0 and round(abs(p), decimals) else ''}{body}%"


def pct_points(value: float | None, decimals: int = 1, signed: bool = True) -> str:
    """A value already in percent (4.1 meaning 4.1%): +4.1%."""
    return DASH if missing(value) else pct(float(value) / 100, decimals, signed)  # type: ignore[arg-type]


def ratio(value: float | None, decimals: int = 2) -> str:
    """A ratio such as ROAS or MER: 2.63."""
    if missing(value):
        return DASH
    v = float(value)  # type: ignore[arg-type]
    body = format_decimal(
        _half_up(abs(v), decimals), format="#,##0." + "0" * decimals if decimals else "#,##0"
    )
    return ("−" if v < 0 and round(abs(v), decimals) else "") + body


def count(value: float | None) -> str:
    """A count: 243 (never 243.0)."""
    return DASH if missing(value) else format_decimal(round(float(value)), format="#,##0")  # type: ignore[arg-type]


def day(value: date | datetime | str | None, with_year: bool = False) -> str:
    """24 Nov (or 24 Nov 2026)."""
    if value in (None, ""):
        return DASH
    try:
        d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return format_date(d, "d MMM y" if with_year else "d MMM", locale=LOCALE)


def month(value: str | None) -> str:
    """'2026-05' -> 'May 2026'."""
    try:
        return format_date(date.fromisoformat(f"{str(value)[:7]}-01"), "MMM y", locale=LOCALE)
    except (TypeError, ValueError):
        return str(value or DASH)


def months(first: str | None, last: str | None) -> str:
    """Cohort span in words: 'customers who first bought May–Jul 2026'."""
    if not first:
        return "recent customers"
    a, b = month(first), month(last or first)
    if a == b:
        return a
    if a[-4:] == b[-4:]:
        return f"{a[:-5]}–{b}"
    return f"{a}–{b}"


def signal(code: str | None) -> str:
    """'cvr_drop' -> 'conversion rate falling' (unknown codes: the words of the code)."""
    code = str(code or "")
    return SIGNALS.get(code, code.replace("_", " "))


def signals(codes: Any) -> str:
    return ", ".join(signal(c) for c in codes or [] if c)


def evidence(item: Any) -> str:
    """'fatigue:tiktok:C12' -> 'creative fatigue · TikTok C12' (ids stay readable)."""
    parts = str(item or "").split(":")
    if len(parts) < 2:
        return str(item or "")
    kind = EVIDENCE_KINDS.get(parts[0], parts[0].replace("_", " "))
    rest = [PLATFORMS.get(p, p) for p in parts[1:]]
    return f"{kind} · {' '.join(rest)}"


def trend(change_pct: float | None, metric: str, compared: str = "vs the 7 days before") -> str:
    """'ROAS +4.1% vs the 7 days before' (the sign and the metric always said)."""
    if missing(change_pct):
        return f"{metric}: no trend yet"
    return f"{metric} {pct_points(change_pct)} {compared}".strip()
