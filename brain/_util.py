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


def nanmedian(a: np.ndarray, axis: int) -> np.ndarray:
    """NaN-aware median by one sort (NaN sorts last); much faster than np.nanmedian on
    many small windows. All-NaN slices give NaN."""
    import warnings

    a = np.asarray(a, dtype=float)
    srt = np.sort(a, axis=axis)
    n = np.isfinite(a).sum(axis=axis, keepdims=True)
    lo = np.maximum((n - 1) // 2, 0)
    hi = np.maximum(n // 2, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = 0.5 * (
            np.take_along_axis(srt, lo, axis=axis) + np.take_along_axis(srt, hi, axis=axis)
        )
    med = np.where(n > 0, med, np.nan)
    return np.squeeze(med, axis=axis)


def theil_sen(y: np.ndarray, x: np.ndarray, conf: float = 0.95) -> tuple[float, float, float]:
    """Theil-Sen slope with Sen's (1968) confidence interval (no-ties variance), as
    scipy.stats.theilslopes computes it, without its per-call overhead."""
    from math import sqrt

    from scipy.special import ndtri

    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    ok = dx != 0
    slopes = np.sort((y[j] - y[i])[ok] / dx[ok])
    nt, ny = len(slopes), len(y)
    if nt == 0:
        return float("nan"), float("nan"), float("nan")
    med = float(np.median(slopes))
    a = 1.0 - conf if conf > 0.5 else conf
    z = -float(ndtri(a / 2.0))
    sigma = sqrt(ny * (ny - 1) * (2 * ny + 5) / 18.0)
    ru = min(int(round((nt - z * sigma) / 2.0)), nt - 1)
    rl = max(int(round((nt + z * sigma) / 2.0)) - 1, 0)
    lo, hi = sorted((float(slopes[rl]), float(slopes[ru])))
    return med, lo, hi
