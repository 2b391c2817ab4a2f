"""Reusable view components: pure functions from numbers to Dash components.

No database, no request, no Plotly: the overview must stay light on phones (docs/architecture.md
"Page weight"), so trends are inline SVG sparklines and every colour comes with text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import fmt

ACCENT = "#5b3df5"
RISK_LEVELS = {
    "GREEN": ("risk-green", "●", "Low risk"),
    "YELLOW": ("risk-yellow", "▲", "Watch"),
    "RED": ("risk-red", "■", "Act now"),
}
STATUS = {
    "winner": ("status-winner", "▲", "Winner"),
    "loser": ("status-loser", "▼", "Loser"),
    "neutral": ("status-neutral", "●", "Neutral"),
}
SEVERITY = {
    "high": ("sev-high", "High"),
    "medium": ("sev-medium", "Medium"),
    "low": ("sev-low", "Low"),
}


# ---- numbers as text ---------------------------------------------------------------------------
def missing(value: Any) -> bool:
    return fmt.missing(value)


def fmt_money(value: float | None, currency: str = "USD", decimals: int = 0) -> str:
    """$233,023 in the org's currency (layouts/fmt.py, Babel)."""
    return fmt.money(value, currency, decimals)


def fmt_ratio(value: float | None, decimals: int = 2) -> str:
    return fmt.ratio(value, decimals)


def fmt_pct(value: float | None, decimals: int = 0, signed: bool = False) -> str:
    """A ratio (0.3564) as a percentage: 36% (or +36% / −36% when signed)."""
    return fmt.pct(value, decimals, signed)


def ago(then: datetime | str | None, now: datetime | None = None) -> str:
    """'2 h ago' from a UTC timestamp (naive = UTC, as SQLite returns them)."""
    if then is None:
        return "never"
    if isinstance(then, str):
        then = datetime.fromisoformat(then.replace("Z", "+00:00"))
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    seconds = max(0, int((now - then).total_seconds()))
    _note_change(then, seconds)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return "1 day ago" if days == 1 else f"{days} days ago"


_CHANGES: ContextVar[list[float] | None] = ContextVar("relative_time_changes", default=None)


@contextmanager
def relative_times() -> Iterator[list[float]]:
    """Collects, while rendering, when each `ago` text drawn would next read differently
    (epoch seconds): a cached rendering (callbacks/render_cache.py) expires then."""
    changes: list[float] = []
    token = _CHANGES.set(changes)
    try:
        yield changes
    finally:
        _CHANGES.reset(token)


def _note_change(then: datetime, seconds: int) -> None:
    changes = _CHANGES.get()
    if changes is None:
        return
    step = 60 if seconds < 3600 else 3600 if seconds < 86400 else 86400
    changes.append(then.timestamp() + (seconds // step + 1) * step)


# ---- small pieces -------------------------------------------------------------------------------
def risk_badge(level: str | None, score: float | None = None, **kwargs: Any) -> html.Span:
    """The risk level as a pill with a shape and the level in words (never colour alone)."""
    level = (level or "").upper()
    css, icon, words = RISK_LEVELS.get(level, ("risk-unknown", "○", "No data"))
    parts: list[Any] = [
        html.Span(icon, className="risk-icon", **{"aria-hidden": "true"}),
        html.Span(level or "UNKNOWN", className="risk-level-text"),
    ]
    if not missing(score):
        parts.append(html.Span(f" · {score:.0f}/100", className="risk-score"))
    return html.Span(parts, className=f"risk-badge {css}", title=f"Risk {level}: {words}", **kwargs)


def status_badge(status: str | None) -> html.Span:
    """Winner / loser / neutral with an arrow and the word."""
    css, icon, word = STATUS.get(status or "", ("status-neutral", "○", "No status"))
    return html.Span(
        [html.Span(icon, **{"aria-hidden": "true"}), " ", word], className=f"status-badge {css}"
    )


def severity_badge(severity: str | None) -> html.Span | None:
    if severity not in SEVERITY:
        return None
    css, word = SEVERITY[severity]
    return html.Span(word, className=f"sev-badge {css}")


def trend_text(direction: str | None, change_pct: float | None, suffix: str = "") -> html.Span:
    """'▼ −13.4%' (signed) with the direction in words for screen readers."""
    if missing(change_pct) or direction not in ("up", "down", "flat"):
        return html.Span("–", className="text-body-secondary")
    icon = {"up": "▲", "down": "▼", "flat": "▶"}[direction]
    css = {"up": "trend-up", "down": "trend-down", "flat": "trend-flat"}[direction]
    return html.Span(
        [
            html.Span(icon, **{"aria-hidden": "true"}),
            html.Span(f" {direction} ", className="visually-hidden"),
            f" {fmt.pct_points(change_pct)}{suffix}",
        ],
        className=f"trend {css}",
    )


def sparkline(
    values: Sequence[float | None],
    label: str,
    width: int = 104,
    height: int = 28,
    color: str = ACCENT,
    fill: bool = True,
    show: Any = None,
) -> html.Img | html.Span:
    """A tiny inline SVG (data URI) with an alt text that says the range in numbers."""
    points = [(i, float(v)) for i, v in enumerate(values) if not missing(v)]
    if len(points) < 2:
        return html.Span("", className="spark-empty")
    pad = 2
    lo = min(v for _, v in points)
    hi = max(v for _, v in points)
    span = (hi - lo) or 1.0
    n = max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return (
            pad + (width - 2 * pad) * i / n,
            height - pad - (height - 2 * pad) * (v - lo) / span,
        )

    coords = [xy(i, v) for i, v in points]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    area = ""
    if fill:
        area = (
            f'<polygon fill="{color}" fill-opacity="0.10" points="{coords[0][0]:.1f},{height} '
            f'{line} {coords[-1][0]:.1f},{height}"/>'
        )
    last_x, last_y = coords[-1]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{area}'
        f'<polyline fill="none" stroke="{color}" stroke-width="1.6" stroke-linejoin="round" '
        f'points="{line}"/><circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.2" fill="{color}"/>'
        "</svg>"
    )
    show = show or fmt.ratio  # how a value reads: fmt.ratio, or money in the org's currency
    alt = (
        f"{label}: from {show(points[0][1])} to {show(points[-1][1])} "
        f"(low {show(lo)}, high {show(hi)})"
    )
    return html.Img(
        src="data:image/svg+xml;utf8," + quote(svg),
        alt=alt,
        title=alt,
        width=str(width),
        height=str(height),
        className="sparkline",
    )


def kpi_tile(
    key: str,
    label: Any,
    value: Any,
    hint: str = "",
    sub: Any = None,
    spark: Any = None,
    headline_for: Iterable[str] = (),
    value_id: str | None = None,
) -> html.Div:
    """One number with its label and definition; ``headline_for`` personas see it emphasised.

    Emphasis is CSS (order and size keyed on the persona class), so switching persona never
    re-renders a number.
    """
    headline_for = tuple(headline_for)
    marks = [html.Span("Headline", className=f"kpi-headline-mark only-{p}") for p in headline_for]
    return html.Div(
        [
            html.Div(
                [html.Span(label, className="ov-kpi-label"), *marks],
                className="ov-kpi-head",
            ),
            html.Div(hint, className="ov-kpi-hint") if hint else None,
            html.Div(
                [
                    html.Span(
                        value, className="ov-kpi-value", **({"id": value_id} if value_id else {})
                    ),
                    spark,
                ],
                className="ov-kpi-main",
            ),
            html.Div(sub, className="ov-kpi-sub") if sub is not None else None,
        ],
        className=" ".join(["ov-kpi", f"ov-kpi-{key}", *(f"hl-{p}" for p in headline_for)]),
        id=f"kpi-tile-{key}",
    )


def empty_state(
    title: str = "No insights yet — connect a platform",
    text: str = "Connect an ad platform and your store; the first insights appear after the first "
    "sync.",
    href: str = "/onboarding",
    link_text: str = "Connect a platform",
    component_id: str = "overview-empty",
) -> html.Div:
    """Say what is missing and where to fix it, instead of empty charts."""
    return html.Div(
        [
            html.Div("◎", className="empty-icon", **{"aria-hidden": "true"}),
            html.H1(title, className="h3"),
            html.P(text, className="text-body-secondary"),
            dcc.Link(link_text, href=href, className="btn btn-primary"),
        ],
        className="empty-state py-5",
        id=component_id,
    )


def toast(
    message: str,
    header: str = "Something went wrong",
    icon: str = "danger",
    duration: int | None = 8000,
    **kwargs: Any,
) -> dbc.Toast:
    """A dismissible notice; callbacks return one instead of failing the page."""
    return dbc.Toast(
        message,
        header=header,
        icon=icon,
        dismissable=True,
        is_open=True,
        duration=duration,
        className="mb-2",
        **kwargs,
    )
