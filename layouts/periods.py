"""The date control shared by the overview and analytics: presets, comparison, custom dates.

One set of choices and words (readmodels.analytics says what each preset and comparison
means), the same controls with a page's id prefix, and the same URL <-> controls rule, so
"Last 7 days vs the previous period" reads and behaves alike on every page. The demo imports
this too: only Dash and the pure read model here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, ctx, html, no_update
from dash.exceptions import PreventUpdate

from layouts import fmt
from layouts.components import missing
from readmodels import analytics as rm

FLAT = 0.005  # |change| below half a percent reads as flat

RANGE_OPTIONS = (
    ("today", "Today (latest day)"),
    ("yesterday", "Yesterday"),
    ("7d", "Last 7 days"),
    ("14d", "Last 14 days"),
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("mtd", "Month to date"),
    ("last_month", "Last month"),
    ("ytd", "Year to date"),
    ("custom", "Custom range"),
)
COMPARE_OPTIONS = (
    ("previous", "Previous period"),
    ("year", "Previous year"),
    ("weekday", "Year ago, same weekdays"),
    ("none", "No comparison"),
)
COMPARE_WORDS = {
    "previous": "the previous period",
    "year": "the same dates a year earlier",
    "weekday": "52 weeks earlier (same weekdays)",
}


def fmt_date(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def period_caption(period: Any, previous: Any, compare: str = "previous") -> str:
    """'Jun 1, 2025 – Jun 30, 2025 (30 days) vs May 2, 2025 – May 31, 2025 (the previous
    period)': every change on a page says which periods it compares."""
    days = (period.end - period.start).days + 1
    head = f"{fmt_date(period.start)} – {fmt_date(period.end)} ({days} day{'s' * (days != 1)})"
    if compare == "none":
        return head + " · no comparison"
    words = COMPARE_WORDS.get(compare, COMPARE_WORDS["previous"])
    return f"{head} vs {fmt_date(previous.start)} – {fmt_date(previous.end)} ({words})"


def control_ids(prefix: str) -> tuple[str, str, str, str]:
    """(range, start, end, compare) ids of a page's date control."""
    return (f"{prefix}-range", f"{prefix}-dates-start", f"{prefix}-dates-end", f"{prefix}-compare")


def range_select(prefix: str, value: str = rm.DEFAULT_RANGE) -> list:
    return [
        dbc.Label("Date range", html_for=f"{prefix}-range", className="form-label"),
        dbc.Select(
            id=f"{prefix}-range",
            options=[{"label": label, "value": v} for v, label in RANGE_OPTIONS],
            value=value,
        ),
    ]


def compare_select(prefix: str, value: str = rm.DEFAULT_COMPARE, mt: bool = True) -> list:
    return [
        dbc.Label(
            "Compare with",
            html_for=f"{prefix}-compare",
            className="form-label mt-1" if mt else "form-label",
        ),
        dbc.Select(
            id=f"{prefix}-compare",
            options=[{"label": label, "value": v} for v, label in COMPARE_OPTIONS],
            value=value,
        ),
    ]


def date_inputs(
    prefix: str,
    min_date: date | None = None,
    max_date: date | None = None,
    shown: Any = None,
) -> html.Fieldset:
    """Native date inputs (the phone's own picker), applied on blur or Enter; `shown`: the
    resolved period they show at load (its `start`, `end`), as the URL sync would set them."""
    values = {
        "start": shown.start.isoformat() if shown is not None else None,
        "end": shown.end.isoformat() if shown is not None else None,
    }

    def one(which: str, words: str) -> list:
        cid = f"{prefix}-dates-{which}"
        return [
            html.Label(words, htmlFor=cid, className="visually-hidden"),
            dbc.Input(
                id=cid,
                type="date",
                debounce=True,  # applied on blur or Enter
                min=min_date.isoformat() if min_date else None,
                max=max_date.isoformat() if max_date else None,
                value=values[which],
                class_name="an-date",
            ),
        ]

    return html.Fieldset(
        [
            html.Legend("From – to", className="form-label"),
            html.Div(
                [
                    *one("start", "Start date"),
                    html.Span("–", **{"aria-hidden": "true"}),
                    *one("end", "End date"),
                ],  # fmt: skip
                className="an-dates",
            ),
        ],
        className="mb-0",
    )


def as_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def chosen_period(
    prefix: str,
    trigger: Any,
    current: rm.Filters,
    range_value: Any,
    start: Any,
    end: Any,
    compare: Any,
    latest: date,
) -> dict[str, str]:
    """The URL parameters (range, start, end, compare) after a date control changed.

    Typing a date makes the range custom; raises PreventUpdate while the typed dates are not a
    range yet (the URL keeps the last good one)."""
    start_d, end_d = as_date(start), as_date(end)
    rng = range_value if range_value in rm.RANGES else current.range
    if trigger in (f"{prefix}-dates-start", f"{prefix}-dates-end"):
        if not (start_d and end_d) or start_d > end_d:
            raise PreventUpdate  # the typed dates are not a range (yet)
        rng = "custom"
    params = {"range": rng, "compare": compare if compare in rm.COMPARES else current.compare}
    if rng == "custom":
        if not (start_d and end_d):
            period = rm.resolve_period(current, latest)
            start_d, end_d = period.start, period.end
        params.update(start=start_d.isoformat(), end=end_d.isoformat())
    return params


def page_filters(search: str | None) -> rm.Filters:
    """A page's period from its query string (range, custom dates and comparison only: the
    overview has no platform or campaign filter)."""
    f, _ = rm.parse_filters(search or "")
    return rm.Filters(range=f.range, start=f.start, end=f.end, compare=f.compare)


def sync_period(
    prefix: str,
    trigger: Any,
    search: Any,
    range_value: Any,
    start: Any,
    end: Any,
    compare: Any,
    latest: date,
) -> tuple:
    """URL <-> a page's date control, for the product's overview and the demo's alike.

    Returns (search, range, start, end, compare, dates hidden) with no_update where nothing
    changes: on load, reload or back/forward the URL sets the control (nothing when it already
    shows it); a changed control writes the URL (``chosen_period``)."""
    search = search if isinstance(search, str) else None
    if trigger not in control_ids(prefix):  # load, reload, back/forward: the URL sets it
        if search is None:
            raise PreventUpdate
        f = page_filters(search)
        period = rm.resolve_period(f, latest)
        wanted = (f.range, period.start.isoformat(), period.end.isoformat(), f.compare)
        if wanted == (range_value, start, end, compare):
            # the control already shows the URL (the page was rendered from it): updating it
            # anyway costs the phone a re-render of the control at load
            raise PreventUpdate
        return (no_update, *wanted, f.range != "custom")
    current = page_filters(search)
    params = chosen_period(prefix, trigger, current, range_value, start, end, compare, latest)
    f, _ = rm.parse_filters(params)
    period = rm.resolve_period(f, latest)
    new_search = "?" + f.query(with_metric=False)
    return (
        new_search if new_search != search else no_update,
        f.range if f.range != range_value else no_update,
        period.start.isoformat() if period.start.isoformat() != start else no_update,
        period.end.isoformat() if period.end.isoformat() != end else no_update,
        no_update,
        f.range != "custom",
    )


def delta(change: float | None, better: str | None, compact: bool = False) -> html.Span:
    """▲/▼ with the signed % change; colour says good/bad but never alone (arrow + words)."""
    if missing(change):
        note = html.Span("no previous data", className="visually-hidden" if compact else "small")
        return html.Span(["– ", note], className="kpi-delta delta-neutral")
    if abs(change) < FLAT:
        arrow, word, tone = "▬", "flat", "neutral"
    elif change > 0:
        arrow, word = "▲", "up"
        tone = {"up": "good", "down": "bad"}.get(better or "", "neutral")
    else:
        arrow, word = "▼", "down"
        tone = {"up": "bad", "down": "good"}.get(better or "", "neutral")
    verdict = {"good": ", better", "bad": ", worse", "neutral": ""}[tone]
    spoken = f" ({word} from the previous period{verdict})"
    return html.Span(
        [
            html.Span(arrow, **{"aria-hidden": "true"}),
            f" {fmt.pct(change, 1, signed=True)}",
            None
            if compact
            else html.Span(" vs comparison period", className="small text-body-secondary"),
            html.Span(spoken, className="visually-hidden"),
        ],
        className=f"kpi-delta delta-{tone}",
    )


def register_url_sync(
    app: Any,
    prefix: str,
    url_id: str,
    latest: Callable[[], date],
    guard: Callable[[Callable[..., Any]], Callable[..., Any]],
) -> None:
    """The callback keeping a page's URL and its date control in step (``sync_period``), for
    the product and the demo alike. ``latest()`` is the page's latest data day (it raises
    PreventUpdate when there is none); ``guard`` is the app's callback error wrapper."""
    range_id, start_id, end_id, compare_id = control_ids(prefix)

    @app.callback(
        Output(url_id, "search"),
        Output(range_id, "value"),
        Output(start_id, "value"),
        Output(end_id, "value"),
        Output(compare_id, "value"),
        Output(f"{prefix}-dates-box", "hidden"),
        Input(url_id, "search"),
        Input(range_id, "value"),
        Input(start_id, "value"),
        Input(end_id, "value"),
        Input(compare_id, "value"),
    )
    @guard
    def sync_url_and_period(
        search: Any, range_value: Any, start: Any, end: Any, compare: Any
    ) -> tuple:
        return sync_period(
            prefix, ctx.triggered_id, search, range_value, start, end, compare, latest()
        )
