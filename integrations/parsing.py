"""Small, forgiving parsers for the stringly-typed numbers platforms return."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

__all__ = ["date_windows", "opt_float", "opt_int", "to_date", "to_float", "to_int", "to_utc"]

_EMPTY = {"", "-", "--", "n/a", "na", "null", "none"}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _EMPTY)


def to_float(value: Any, default: float = 0.0) -> float:
    """``"12.30"`` → 12.3; blanks and ``"-"`` → ``default``; raises ValueError on junk."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        if _blank(value):
            return default
        if not isinstance(value, str):
            raise
        result = float(value.strip().replace(",", ""))
    if not math.isfinite(result):
        raise ValueError(f"not a finite number: {value!r}")
    return result


def to_int(value: Any, default: int = 0) -> int:
    """``"1200"`` or ``"1200.0"`` → 1200; blanks → ``default``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        if _blank(value):
            return default
        return int(round(to_float(value)))


def opt_float(value: Any) -> float | None:
    """Like :func:`to_float` but blanks become ``None`` (a number is tried first: most are)."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None if _blank(value) else to_float(value)
    if not math.isfinite(result):
        raise ValueError(f"not a finite number: {value!r}")
    return result


def opt_int(value: Any) -> int | None:
    """Like :func:`to_int` but blanks become ``None`` (a number is tried first: most are)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None if _blank(value) else to_int(value)


def to_date(value: Any) -> dt.date:
    """Parse ``YYYY-MM-DD`` (optionally followed by a time, as TikTok sends it)."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10] if len(value) > 10 else value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def to_utc(value: Any) -> dt.datetime:
    """Parse an ISO-8601 timestamp (``Z`` or offset) into an aware UTC datetime.

    Naive timestamps are assumed to already be UTC.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def date_windows(since: dt.date, until: dt.date, max_days: int) -> list[tuple[dt.date, dt.date]]:
    """Split the inclusive range ``[since, until]`` into windows of ≤ ``max_days`` days."""
    if max_days < 1:
        raise ValueError("max_days must be ≥ 1")
    if until < since:
        return []
    windows = []
    start = since
    step = dt.timedelta(days=max_days - 1)
    while start <= until:
        end = min(until, start + step)
        windows.append((start, end))
        start = end + dt.timedelta(days=1)
    return windows
