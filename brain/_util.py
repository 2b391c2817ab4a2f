"""Small numeric helpers shared by the brain modules: safe division and rounding to JSON."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

from brain.thresholds import MONEY_DP, RATIO_DP

EPOCH = date(1970, 1, 1)


def div(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """a / b with NaN wherever b is not positive or the result is not finite."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)
    out[~np.isfinite(out)] = np.nan
    return out


def num(x: object, dp: int = RATIO_DP) -> float | None:
    """A plain float rounded to ``dp`` places, or None for NaN/inf/None."""
    if x is None:
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v):
        return None
    v = round(v, dp)
    return 0.0 if v == 0 else v  # no "-0.0" in the JSON


def money(x: object) -> float | None:
    """Money rounded to cents (None when unknown)."""
    return num(x, MONEY_DP)


def ratio(x: object) -> float | None:
    """A ratio rounded to 4 places (None when unknown)."""
    return num(x, RATIO_DP)


def count(x: object) -> int:
    """A non-negative integer count (0 when unknown)."""
    v = num(x, 0)
    return int(v) if v is not None and v > 0 else 0


def day_to_iso(day: int) -> str:
    """Epoch-day integer to an ISO date string."""
    return (EPOCH + timedelta(days=int(day))).isoformat()


def iso_to_day(d: date) -> int:
    """A date to its epoch-day integer."""
    return (d - EPOCH).days


def level_of(value: float, medium: float, high: float, low: float | None = None) -> str | None:
    """Severity level of a value against thresholds (None below ``low`` or ``medium``)."""
    if not math.isfinite(value):
        return None
    if value > high:
        return "high"
    if value > medium:
        return "medium"
    if low is not None and value > low:
        return "low"
    return None
