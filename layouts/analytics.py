"""Analytics page views: pure functions from numbers to components (no database, no request).

Marketers slice history at a desk; executives glance at it on a phone. So: KPI tiles with
deltas first (colour AND an arrow and a sign), one chart driven by a metric switch, then
channels, creatives and cohorts, each in a box that keeps its size while it loads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from layouts import fmt
from layouts.components import missing
from layouts.periods import (  # noqa: F401 - names the page and the demo use from here
    COMPARE_OPTIONS,
    COMPARE_WORDS,
    RANGE_OPTIONS,
    chosen_period,
    compare_select,
    date_inputs,
    delta,
    fmt_date,
    period_caption,
    range_select,
)
from layouts.periods import as_date as _as_date
from readmodels import analytics as rm

PLATFORM_LABELS = {"meta": "Meta", "google_ads": "Google Ads", "tiktok": "TikTok"}
# key -> label, formula hint, value kind, which direction is better (None: neither)
METRIC_INFO: dict[str, dict[str, Any]] = {
    "spend": {"label": "Spend", "hint": "ad spend", "kind": "money", "better": None},
    "store_revenue": {
        "label": "Store revenue",
        "hint": "all orders",
        "kind": "money",
        "better": "up",
    },
    "mer": {"label": "MER", "hint": "store revenue ÷ spend", "kind": "ratio", "better": "up"},
    "roas": {
        "label": "Platform ROAS",
        "hint": "platform revenue ÷ spend",
        "kind": "ratio",
        "better": "up",
    },
    "cpa": {"label": "CPA", "hint": "spend ÷ conversions", "kind": "money2", "better": "down"},
    "ctr": {"label": "CTR", "hint": "clicks ÷ impressions", "kind": "pct", "better": "up"},
}
STORE_WIDE = ("store_revenue", "mer")
CONTROL_IDS = (
    "an-range",
    "an-dates-start",
    "an-dates-end",
    "an-platform",
    "an-campaign",
    "an-metric",
    "an-compare",
)
ACCENT = "#5b3df5"
MUTED = "#8a8fa3"
ANOMALY = "#c5221f"
COHORT_COLORS = ("#9aa0ad", "#7d8596", "#b07cf0", "#8a5cf0", "#5b3df5", "#2a1494")
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}


# ---- formatting ----------------------------------------------------------------------------
def symbol(currency: str) -> str:
    """The currency's symbol in our locale ($, €, £, CA$)."""
    from babel.numbers import get_currency_symbol

    return get_currency_symbol(currency or "USD", locale=fmt.LOCALE)


def fmt_money(value: float | None, currency: str = "USD", compact: bool = False) -> str:
    """$1,234 (tables) or $1.2k / $3.45M (tiles); cents only below $100."""
    if missing(value):
        return "–"
    return fmt.money(value, currency, 0 if abs(float(value)) >= 100 else 2, compact=compact)


def fmt_value(value: float | None, kind: str, currency: str = "USD", compact: bool = False) -> str:
    """A metric value by kind: money, money2 (always cents), ratio, pct."""
    if missing(value):
        return "–"
    if kind == "money":
        return fmt_money(value, currency, compact)
    if kind == "money2":
        return fmt.money(value, currency, 2)
    if kind == "pct":
        return fmt.pct(value, 2)
    return fmt.ratio(value)


# ---- KPI tiles -----------------------------------------------------------------------------
def kpi_tile(key: str, kpi: Mapping[str, Any] | None, currency: str, note: str = "") -> dbc.Col:
    info = METRIC_INFO[key]
    kpi = kpi or {}
    value = kpi.get("value")
    body = [
        html.Div(
            [
                html.Span(info["label"], className="kpi-label"),
                html.Span(info["hint"], className="kpi-hint"),
            ],
            className="kpi-head",
        ),
        html.Div(fmt_value(value, info["kind"], currency, compact=True), className="kpi-value"),
        delta(kpi.get("change"), info["better"]) if kpi else html.Span("…", className="kpi-delta"),
    ]
    if note:
        body.append(html.Div(note, className="kpi-note"))
    title = None
    if kpi and not missing(kpi.get("previous")):
        title = f"Previous period: {fmt_value(kpi.get('previous'), info['kind'], currency)}"
    return dbc.Col(
        html.Div(body, className="kpi-tile", id=f"kpi-{key}", title=title), xs=6, md=4, xl=2
    )


def kpi_tiles(
    kpis: Mapping[str, Mapping[str, Any]] | None, currency: str = "USD", filtered: bool = False
) -> html.Div:
    """Six tiles: spend, store revenue, MER, ROAS, CPA, CTR with % change vs previous period."""
    tiles = [
        kpi_tile(
            key,
            (kpis or {}).get(key),
            currency,
            note="store-wide" if filtered and key in STORE_WIDE else "",
        )
        for key in METRIC_INFO
    ]
    children: list[Any] = [dbc.Row(tiles, className="g-2 g-md-3")]
    if filtered:
        children.append(
            html.P(
                "Store revenue and MER are store-wide (all orders ÷ all ad spend); "
                "platform and campaign filters apply to the ad metrics.",
                className="small text-body-secondary mt-2 mb-0",
            )
        )
    return html.Div(children)


# ---- charts --------------------------------------------------------------------------------
def _clean(values: Sequence[Any]) -> list[float | None]:
    return [None if missing(v) else float(v) for v in values]


def _axis_format(kind: str, currency: str) -> dict[str, Any]:
    if kind in ("money", "money2"):
        return {"tickprefix": symbol(currency), "tickformat": "~s"}
    if kind == "pct":
        return {"tickformat": ".1%"}
    return {"tickformat": ".2f"}


def _hover_format(kind: str, currency: str) -> str:
    if kind in ("money", "money2"):
        return symbol(currency) + "%{y:,.2f}"
    if kind == "pct":
        return "%{y:.2%}"
    return "%{y:.2f}"


def _base_layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 48, "r": 12, "t": 8, "b": 32},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 11}},
        "xaxis": {"fixedrange": True, "showgrid": False, "linecolor": "#d0d4dc"},
        "yaxis": {
            "fixedrange": True,
            "gridcolor": "#eceef3",
            "zeroline": False,
            "rangemode": "tozero",
        },
        "hovermode": "x unified",
        "dragmode": False,
    }
    layout.update(extra)
    return layout


def empty_figure(message: str = "") -> dict[str, Any]:
    """A blank chart (the box keeps its size) with an optional centred message."""
    layout = _base_layout(
        xaxis={"visible": False, "fixedrange": True}, yaxis={"visible": False, "fixedrange": True}
    )
    if message:
        layout["annotations"] = [
            {
                "text": message,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "font": {"size": 14, "color": "#5c6370"},
            }
        ]
    return {"data": [], "layout": layout}


def timeseries_figure(
    series: pd.DataFrame,
    previous: pd.DataFrame | None,
    metric: str,
    anomalies: Sequence[Mapping[str, Any]] = (),
    currency: str = "USD",
    latest: date | None = None,
) -> dict[str, Any]:
    """One metric over the period, the previous period dashed on the same days, anomalies as ✕,
    and the last PROVISIONAL_DAYS of the data shaded: the platforms still restate them.

    A plain figure dict: plotly's graph objects validate every point (~90 ms for a year).
    """
    info = METRIC_INFO[metric]
    if series.empty or metric not in series:
        return empty_figure("No data in this period")
    dates = pd.DatetimeIndex(series.index).strftime("%Y-%m-%d").tolist()
    hover = _hover_format(info["kind"], currency)
    traces: list[dict[str, Any]] = []
    prev_values = (
        _clean(previous[metric])
        if previous is not None and metric in previous and len(previous) == len(series)
        else []
    )
    if any(v is not None for v in prev_values):  # no data before: no line, no legend entry
        traces.append(
            {
                "type": "scatter",
                "x": dates,
                "y": prev_values,
                "name": "Previous period",
                "mode": "lines",
                "line": {"color": MUTED, "width": 1.5, "dash": "dash"},
                "customdata": pd.DatetimeIndex(previous.index).strftime("%b %d, %Y").tolist(),
                "hovertemplate": f"Previous (%{{customdata}}): {hover}<extra></extra>",
            }
        )
    traces.append(
        {
            "type": "scatter",
            "x": dates,
            "y": _clean(series[metric]),
            "name": "This period",
            "mode": "lines+markers" if len(dates) <= 14 else "lines",
            "line": {"color": ACCENT, "width": 2.5},
            "marker": {"size": 5},
            "hovertemplate": f"{info['label']}: {hover}<extra></extra>",
        }
    )
    marks = anomaly_points(series, metric, anomalies)
    if marks:
        traces.append(
            {
                "type": "scatter",
                "x": [m["date"].strftime("%Y-%m-%d") for m in marks],
                "y": [m["y"] for m in marks],
                "name": "Anomaly",
                "mode": "markers",
                "marker": {"symbol": "x", "size": 12, "color": ANOMALY, "line": {"width": 1}},
                "text": [m["text"] for m in marks],
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    layout = _base_layout()
    layout["xaxis"] = {**layout["xaxis"], "tickformat": "%b %d", "type": "date"}
    layout["yaxis"] = {**layout["yaxis"], **_axis_format(info["kind"], currency)}
    shade = provisional_shape(series, latest)
    if shade:
        layout["shapes"] = [shade["shape"]]
        layout["annotations"] = [shade["note"]]
    return {"data": traces, "layout": layout}


PROVISIONAL_DAYS = 3  # the platforms restate the last days' conversions (docs/recipes.md sync)


def provisional_shape(series: pd.DataFrame, latest: date | None) -> dict[str, Any] | None:
    """A light band over the charted days within PROVISIONAL_DAYS of the latest data day."""
    if latest is None or series.empty:
        return None
    first = latest - timedelta(days=PROVISIONAL_DAYS - 1)
    days = [d.date() for d in pd.to_datetime(series.index) if first <= d.date() <= latest]
    if not days:
        return None
    x0 = (pd.Timestamp(min(days)) - pd.Timedelta(hours=12)).strftime("%Y-%m-%d %H:%M")
    x1 = (pd.Timestamp(max(days)) + pd.Timedelta(hours=12)).strftime("%Y-%m-%d %H:%M")
    return {
        "shape": {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": x0,
            "x1": x1,
            "y0": 0,
            "y1": 1,
            "fillcolor": "#f1eefe",
            "opacity": 0.7,
            "line": {"width": 0},
            "layer": "below",
        },
        "note": {
            "xref": "x",
            "yref": "paper",
            "x": x1,
            "y": 1.0,
            "xanchor": "right",
            "yanchor": "bottom",
            "text": "provisional",
            "showarrow": False,
            "font": {"size": 10, "color": "#4a5060"},
        },
    }


def anomaly_points(
    series: pd.DataFrame, metric: str, anomalies: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The anomalies of the charted metric that fall inside the period, placed on its line."""
    index = pd.to_datetime(series.index)
    out = []
    for a in anomalies:
        if a.get("series") != metric:
            continue
        day = pd.Timestamp(a["date"])
        if day not in index:
            continue
        y = series[metric].iloc[index.get_loc(day)]
        if missing(y):
            continue
        out.append({"date": day, "y": float(y), "text": anomaly_text(a)})
    return out


def anomaly_text(a: Mapping[str, Any]) -> str:
    series = a.get("series", "")
    label = METRIC_INFO.get(series, {}).get("label", str(series).replace("_", " "))
    parts = [f"{fmt_date(a['date'])}: {label}"]
    if a.get("platform"):
        parts.append(PLATFORM_LABELS.get(a["platform"], a["platform"]))
    if a.get("direction"):
        parts.append(str(a["direction"]))
    if a.get("z") is not None:
        parts.append(f"z {a['z']:+.1f}")
    if a.get("severity"):
        parts.append(f"{a['severity']} severity")
    return " · ".join(parts)


def anomaly_note(
    anomalies: Sequence[Mapping[str, Any]], start: date, end: date, metric: str | None = None
) -> html.Div:
    """The brain's anomalies in the period as text, one line per event (date and platform);
    the "✕ on the chart" promise only when the charted metric carries one."""
    events: dict[tuple, list[Mapping[str, Any]]] = {}
    for a in anomalies:
        if start <= a["date"] <= end:
            events.setdefault((a["date"], a.get("platform") or ""), []).append(a)
    if not events:
        return html.Div()
    items = []
    for (day, platform), parts in sorted(events.items(), reverse=True)[:5]:
        first = parts[0]
        moves = ", ".join(
            " ".join(
                x
                for x in (
                    METRIC_INFO.get(p["series"], {}).get("label", str(p["series"])),
                    str(p.get("direction") or ""),
                )
                if x
            )
            for p in parts
        )
        head = [fmt_date(day)]
        if platform:
            head.append(PLATFORM_LABELS.get(platform, platform))
        if first.get("severity"):
            head.append(f"{first['severity']} severity")
        text = f"{' · '.join(head)}: {moves}"
        context = first.get("context") or []
        tail: list[Any] = []
        if context:
            tail.append(f" — context: {'; '.join(context)}")
        else:
            if first.get("hint"):
                tail.append(f" — {first['hint']}")
            tail.append(
                html.Button(
                    "This was our sale",
                    id={"type": "an-ev-sale", "date": day.isoformat()},
                    className="btn btn-link btn-sm p-0 ms-2 align-baseline an-ev-sale",
                    title="Record a sale on this day: the brain treats it as context",
                )
            )
        items.append(html.Li([html.Strong(text), *tail]))
    in_period = [a for a in anomalies if start <= a["date"] <= end]
    on_chart = metric is None or any(a.get("series") == metric for a in in_period)
    charted = sorted(
        {
            METRIC_INFO.get(str(a.get("series")), {}).get("label", str(a.get("series")))
            for a in in_period
            if a.get("series") in METRIC_INFO
        }
    )
    where = (
        "✕ on the chart"
        if on_chart
        else "✕ on the "
        + (
            ", ".join(charted[:-1]) + " and " + charted[-1] + " charts"
            if len(charted) > 1
            else charted[0] + " chart"
        )
        if charted
        else "not on this chart"
    )
    return html.Div(
        [
            html.Span(f"Anomalies flagged by the brain ({where}): ", className="fw-semibold"),
            html.Ul(items, className="mb-0 ps-3"),
        ],
        className="small mt-2 an-anomalies",
    )


EVENT_KIND_LABELS = {
    "sale": "Sale / promotion",
    "launch": "Launch",
    "pause": "Platform pause",
    "tracking": "Tracking change",
    "price": "Price change",
    "holiday": "Holiday",
}


def events_card() -> dbc.Card:
    """Known events: record one (kind, dates, optional platform, note), list and delete."""
    form = html.Div(
        [
            html.Div(
                [
                    html.Label("Event", htmlFor="an-ev-kind", className="form-label small mb-1"),
                    dcc.Dropdown(
                        id="an-ev-kind",
                        options=[{"label": v, "value": k} for k, v in EVENT_KIND_LABELS.items()],
                        value="sale",
                        clearable=False,
                    ),
                ],
                className="an-ev-field",
            ),
            html.Div(
                [
                    html.Label(
                        "Dates", htmlFor="an-ev-dates-start", className="form-label small mb-1"
                    ),
                    html.Div(
                        [
                            dbc.Input(id="an-ev-dates-start", type="date", class_name="an-date"),
                            html.Span("–", **{"aria-hidden": "true"}),
                            html.Label(
                                "End date", htmlFor="an-ev-dates-end", className="visually-hidden"
                            ),
                            dbc.Input(id="an-ev-dates-end", type="date", class_name="an-date"),
                        ],
                        className="an-dates",
                    ),
                ],
                className="an-ev-field",
            ),
            html.Div(
                [
                    html.Label(
                        "Platform (optional)",
                        htmlFor="an-ev-platform",
                        className="form-label small mb-1",
                    ),
                    dcc.Dropdown(
                        id="an-ev-platform",
                        options=[{"label": v, "value": k} for k, v in PLATFORM_LABELS.items()],
                        placeholder="All channels",
                    ),
                ],
                className="an-ev-field",
            ),
            html.Div(
                [
                    html.Label("Note", htmlFor="an-ev-note", className="form-label small mb-1"),
                    dbc.Input(
                        id="an-ev-note", maxLength=200, placeholder="e.g. Black Friday 30% off"
                    ),
                ],
                className="an-ev-field",
            ),
            html.Button(
                "Add event", id="an-ev-add", className="btn btn-sm btn-dark align-self-end"
            ),
        ],
        className="d-flex flex-wrap gap-2 mb-2",
    )
    return _card(
        "Known events",
        [
            html.P(
                "Sales, launches, pauses, tracking and price changes: the brain leaves these days "
                "out of its baselines and words findings on them as context, not alarms.",
                className="small text-body-secondary mb-2",
            ),
            form,
            html.Div(id="an-ev-msg", className="small", **{"aria-live": "polite"}),
            html.Div(id="an-ev-list"),
        ],
        id="an-events-card",
    )


def events_list(
    stored: Sequence[Mapping[str, Any]], calendar: Sequence[Mapping[str, Any]]
) -> html.Div:
    """Stored events (deletable) and the default retail calendar's entries."""

    def line(e: Mapping[str, Any], deletable: bool) -> html.Li:
        span = e["start"] if e["start"] == e["end"] else f"{e['start']} to {e['end']}"
        where = (
            f" · {PLATFORM_LABELS.get(e['platform'], e['platform'])}" if e.get("platform") else ""
        )
        note = f" — {e['note']}" if e.get("note") else ""
        parts: list[Any] = [
            html.Strong(f"{EVENT_KIND_LABELS.get(e['kind'], e['kind'])}{where}: {span}"),
            note,
        ]
        if not deletable:
            parts.append(
                html.Button(
                    "Hide",
                    id={"type": "an-ev-hide", "key": f"{e['kind']}|{e['start']}|{e['end']}"},
                    className="btn btn-link btn-sm p-0 ms-2 align-baseline",
                    **{"aria-label": f"Hide calendar entry {e.get('note') or e['kind']} {span}"},
                )
            )
        if deletable:
            parts.append(
                html.Button(
                    "Delete",
                    id={"type": "an-ev-del", "id": int(e["id"])},
                    className="btn btn-link btn-sm p-0 ms-2 align-baseline text-danger",
                    **{"aria-label": f"Delete {e['kind']} {span}"},
                )
            )
        return html.Li(parts)

    mine = [line(e, True) for e in stored] or [html.Li("None recorded yet.")]
    cal = [line(e, False) for e in list(calendar)[-6:]]
    return html.Div(
        [
            html.Ul(mine, className="small mb-2 ps-3"),
            html.Details(
                [
                    html.Summary("Default US retail calendar", className="small"),
                    html.Ul(cal, className="small mb-0 ps-3"),
                ]
            ),
        ]
    )


def cohort_figure(cohorts: Sequence[Mapping[str, Any]], currency: str = "USD") -> dict[str, Any]:
    """Cumulative revenue per customer by days since first order, one line per monthly cohort.

    Each line is named at its last matured point (no legend: it would eat a phone's chart).
    """
    if not cohorts:
        return empty_figure("Not enough order history for cohorts yet")
    traces = []
    colors = COHORT_COLORS[-len(cohorts) :]
    for cohort, color in zip(cohorts, colors, strict=False):
        xs = [p[0] for p in cohort["points"]]
        ys = [p[1] for p in cohort["points"]]
        label = month_label(cohort["cohort"])
        traces.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "name": label,
                "mode": "lines+markers+text",
                "text": [""] * (len(xs) - 1) + [label.split()[0]],
                "textposition": "middle right",
                "textfont": {"size": 10, "color": color},
                "line": {"color": color, "width": 2},
                "marker": {"size": 5},
                "hovertemplate": (
                    f"{label} cohort, day %{{x}}: {symbol(currency)}%{{y:,.2f}} per customer"
                    "<extra></extra>"
                ),
            }
        )
    longest = max(p[0] for c in cohorts for p in c["points"])
    layout = _base_layout(hovermode="closest", showlegend=False)
    layout["margin"] = {"l": 52, "r": 12, "t": 8, "b": 40}
    layout["xaxis"] = {
        **layout["xaxis"],
        "title": {"text": "days since first order"},
        "ticksuffix": "d",
        "dtick": 30,
        "range": [20, longest + 25],
    }
    layout["yaxis"] = {
        **layout["yaxis"],
        "tickprefix": symbol(currency),
        "tickformat": ",.0f",
        "rangemode": "normal",
    }
    return {"data": traces, "layout": layout}


def month_label(cohort: str) -> str:
    try:
        day = date.fromisoformat(f"{cohort}-01")
    except ValueError:
        return cohort
    return f"{day:%b} {day.year}"


def cohort_table(cohorts: Sequence[Mapping[str, Any]], currency: str = "USD") -> html.Div:
    """LTV per customer at 30/60/90/180 days by cohort; '–' where not matured yet."""
    if not cohorts:
        return html.Div()
    horizons = (30, 60, 90, 180)
    wide = "d-none d-sm-table-cell"
    head = html.Thead(
        html.Tr(
            [
                html.Th("Cohort", scope="col"),
                html.Th("Customers", scope="col", className=f"text-end {wide}"),
            ]
            + [
                html.Th(f"{h}d", scope="col", className=f"text-end {wide if h > 90 else ''}")
                for h in horizons
            ]
        )
    )
    rows = []
    for c in reversed(cohorts):
        at = dict(c["points"])
        rows.append(
            html.Tr(
                [
                    html.Th(month_label(c["cohort"]), scope="row"),
                    html.Td(f"{c['customers']:,}", className=f"text-end {wide}"),
                ]
                + [
                    html.Td(
                        fmt_money(at.get(h), currency),
                        className=f"text-end {wide if h > 90 else ''}",
                    )
                    for h in horizons
                ]
            )
        )
    return html.Div(
        dbc.Table([head, html.Tbody(rows)], size="sm", className="an-table mb-0"),
        className="table-responsive mt-2",
    )


# ---- tables --------------------------------------------------------------------------------
def stacked_table(head: Any, body: list, table_id: str, margin: str = "mb-0") -> dbc.Table:
    """A compact table that becomes one card per row below 576 px (cells carry data-label)."""
    return dbc.Table(
        [head, html.Tbody(body)],
        size="sm",
        hover=True,
        className=f"an-table {margin} stack-sm",
        id=table_id,
    )


def channel_table(rows: Sequence[Mapping[str, Any]], currency: str = "USD") -> html.Div:
    """Per platform: spend with its share, platform revenue, ROAS (with change), CPA, CTR.

    Below 576 px each channel is a card listing every column (stacked_table).
    """
    if not rows:
        return html.P(
            "No ad spend in this period for these filters.", className="text-body-secondary mb-0"
        )
    wide = "d-none d-sm-table-cell"
    head = html.Thead(
        html.Tr(
            [
                html.Th("Channel", scope="col"),
                html.Th("Spend", scope="col", className="text-end", title="and share of spend"),
                html.Th(
                    "Revenue", scope="col", className=f"text-end {wide}", title="platform-reported"
                ),
                html.Th("ROAS", scope="col", className="text-end"),
                html.Th("CPA", scope="col", className="text-end"),
                html.Th("CTR", scope="col", className=f"text-end {wide}"),
            ]
        )
    )
    body = []
    for r in rows:
        share = r.get("share")
        share_text = "–" if missing(share) else f"{share * 100:.0f}%"
        body.append(
            html.Tr(
                [
                    html.Th(PLATFORM_LABELS.get(r["platform"], r["platform"]), scope="row"),
                    html.Td(
                        [
                            html.Div(fmt_money(r["spend"], currency)),
                            html.Div(
                                [
                                    html.Div(
                                        html.Span(style={"width": f"{(share or 0) * 100:.1f}%"}),
                                        className="share-bar",
                                        **{"aria-hidden": "true"},
                                    ),
                                    html.Span(share_text, className="small text-body-secondary"),
                                ],
                                className="share-line",
                            ),
                        ],
                        className="text-end",
                        **{"data-label": "Spend"},
                    ),
                    html.Td(
                        fmt_money(r["platform_revenue"], currency),
                        className=f"text-end {wide}",
                        **{"data-label": "Revenue (platform)"},
                    ),
                    html.Td(
                        [
                            html.Div(fmt_value(r.get("roas"), "ratio")),
                            html.Div(delta(r.get("roas_change"), "up", compact=True)),
                        ],
                        className="text-end",
                        **{"data-label": "ROAS"},
                    ),
                    html.Td(
                        fmt_value(r.get("cpa"), "money2", currency),
                        className="text-end",
                        **{"data-label": "CPA"},
                    ),
                    html.Td(
                        fmt_value(r.get("ctr"), "pct"),
                        className=f"text-end {wide}",
                        **{"data-label": "CTR"},
                    ),
                ]
            )
        )
    return html.Div(
        [
            stacked_table(head, body, "an-channel-table", "mb-1"),
            html.P(
                "ROAS = platform revenue ÷ spend; the arrow compares it with the previous period.",
                className="small text-body-secondary mb-0",
            ),
        ],
        className="table-responsive",
    )


def sparkline(values: Sequence[float | None], label: str = "ROAS trend") -> html.Img | html.Span:
    """A tiny inline SVG (data URI): no Plotly for 20 rows of trends."""
    points = [(i, v) for i, v in enumerate(values) if not missing(v)]
    if len(points) < 2:
        return html.Span("–", className="text-body-secondary")
    width, height, pad = 88, 24, 2
    lo = min(v for _, v in points)
    hi = max(v for _, v in points)
    span = (hi - lo) or 1.0
    n = max(len(values) - 1, 1)

    def xy(i: int, v: float) -> str:
        x = pad + (width - 2 * pad) * i / n
        y = height - pad - (height - 2 * pad) * (v - lo) / span
        return f"{x:.1f},{y:.1f}"

    segments, current = [], []
    for i, v in enumerate(values):
        if missing(v):
            if current:
                segments.append(current)
            current = []
        else:
            current.append(xy(i, float(v)))  # type: ignore[arg-type]
    if current:
        segments.append(current)
    lines = "".join(
        f'<polyline fill="none" stroke="{ACCENT}" stroke-width="1.5" points="{" ".join(s)}"/>'
        for s in segments
        if len(s) > 1
    )
    last_i, last_v = points[-1]
    dot = xy(last_i, last_v).split(",")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{lines}'
        f'<circle cx="{dot[0]}" cy="{dot[1]}" r="2" fill="{ACCENT}"/></svg>'
    )
    first_v = points[0][1]
    alt = f"{label}: {first_v:.2f} to {last_v:.2f} (low {lo:.2f}, high {hi:.2f})"
    return html.Img(
        src="data:image/svg+xml;utf8," + quote(svg),
        alt=alt,
        title=alt,
        width=str(width),
        height=str(height),
        className="sparkline",
    )


def fatigue_badge(info: Mapping[str, Any] | None) -> dbc.Badge | None:
    if not info:
        return None
    prob = info.get("probability")
    text = "Fatigue" if missing(prob) else f"Fatigue {prob * 100:.0f}%"
    return dbc.Badge(
        ["⚠ ", text],
        color="warning",
        text_color="dark",
        className="ms-1 fatigue-badge",
        title="The brain flags this creative as fatiguing"
        + (f": {info['action']}" if info.get("action") else ""),
    )


ROAS_RULE = (
    "A creative's ROAS: platform-reported revenue ÷ spend × the brain's calibration (the share "
    "of platform-reported revenue your store really sees), the figure the brain judges it by"
)


def creative_roas_cell(platform_roas: Any, calibration: float | None, tag: Any = html.Div) -> list:
    """The creative's one ROAS, and the platform-reported figure as a detail for the VP."""
    primary = rm.primary_roas(platform_roas, calibration)
    out: list = [fmt_value(primary, "ratio")]
    if calibration is not None and not missing(platform_roas):
        out.append(
            tag(
                f"platform-reported {fmt_value(platform_roas, 'ratio')}",
                className="only-vp_growth roas-detail small text-body-secondary",
            )
        )
    return out


def leaderboard_table(
    rows: Sequence[Mapping[str, Any]], currency: str = "USD", calibration: float | None = None
) -> html.Div:
    """Top creatives by spend: name, platform, spend, ROAS, CTR, ROAS sparkline, fatigue badge.

    A row's `fatigue` ({probability, action} or None) comes from the latest brain state; ROAS
    is the creative's one ROAS (``rm.primary_roas``), platform-reported as the VP's detail.
    """
    if not rows:
        return html.P(
            "No creative spent in this period for these filters.",
            className="text-body-secondary mb-0",
            id="an-leaderboard-empty",
        )
    wide = "d-none d-md-table-cell"
    head = html.Thead(
        html.Tr(
            [
                html.Th("#", scope="col", className=f"text-end {wide}"),
                html.Th("Creative", scope="col"),
                html.Th("Spend", scope="col", className="text-end"),
                html.Th("ROAS", scope="col", className="text-end", title=ROAS_RULE),
                html.Th("CTR", scope="col", className=f"text-end {wide}"),
                html.Th("ROAS trend", scope="col", className="d-none d-sm-table-cell"),
            ]
        )
    )
    body = []
    for rank, r in enumerate(rows, start=1):
        badge = fatigue_badge(r.get("fatigue"))
        body.append(
            html.Tr(
                [
                    html.Td(str(rank), className=f"text-end text-body-secondary {wide}"),
                    html.Th(
                        [
                            html.Div(r["name"], className="creative-name"),
                            html.Div(
                                [PLATFORM_LABELS.get(r["platform"], r["platform"]), badge],
                                className="small text-body-secondary",
                            ),
                        ],
                        scope="row",
                        className="fw-normal",
                    ),
                    html.Td(
                        fmt_money(r["spend"], currency),
                        className="text-end",
                        **{"data-label": "Spend"},
                    ),
                    html.Td(
                        creative_roas_cell(r.get("roas"), calibration),
                        className="text-end",
                        **{"data-label": "ROAS"},
                    ),
                    html.Td(
                        fmt_value(r.get("ctr"), "pct"),
                        className=f"text-end {wide}",
                        **{"data-label": "CTR"},
                    ),
                    html.Td(sparkline(r.get("trend") or []), className="d-none d-sm-table-cell"),
                ],
                className="fatigued" if badge else None,
            )
        )
    return html.Div(
        stacked_table(head, body, "an-leaderboard-table"),
        className="table-responsive",
    )


# ---- page ----------------------------------------------------------------------------------
def empty_state() -> html.Div:
    """An org without data: say so and point at the integrations page, no broken charts."""
    return html.Div(
        [
            html.H1("Analytics", className="h3"),
            html.P("No data yet — connect a platform", className="lead mb-2"),
            html.P(
                "Spend, revenue, channels, creatives and cohorts appear here after the first sync.",
                className="text-body-secondary",
            ),
            dcc.Link("Go to integrations", href="/integrations", className="btn btn-primary"),
        ],
        className="empty-state py-5",
        id="analytics-empty",
    )


def error_toast(message: str, header: str = "Couldn't load analytics") -> dbc.Toast:
    return dbc.Toast(
        message,
        header=header,
        icon="danger",
        dismissable=True,
        is_open=True,
        duration=12000,
        className="mb-2",
    )


def notice_toast(message: str, header: str = "Some filters were ignored") -> dbc.Toast:
    return dbc.Toast(
        message, header=header, icon="warning", dismissable=True, is_open=True, duration=10000
    )


def no_match(default_href: str = "/analytics") -> html.Div:
    return html.Div(
        [
            "No ad data for these filters. ",
            dcc.Link("Clear filters", href=default_href, id="an-clear-filters"),
        ],
        className="alert alert-light border small py-2 mb-2",
        role="status",
    )


def _card(title: str, body: Any, header_extra: Any = None, **kwargs: Any) -> dbc.Card:
    header = html.Div(
        [html.H2(title, className="h6 mb-0"), header_extra],
        className="d-flex flex-wrap gap-2 align-items-center justify-content-between",
    )
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="an-card", **kwargs)


def _loading(child: Any, **kwargs: Any) -> dcc.Loading:
    return dcc.Loading(
        child,
        type="dot",
        delay_show=250,
        color=ACCENT,
        overlay_style={"visibility": "visible", "opacity": 0.55},
        **kwargs,
    )


def controls(
    campaigns: Sequence[Mapping[str, Any]],
    min_date: date | None = None,
    max_date: date | None = None,
) -> html.Div:
    """Date range, platforms, campaigns: every control labelled and keyboard reachable."""
    campaign_options = [
        {
            "label": f"{c['name']} · {PLATFORM_LABELS.get(c['platform'], c['platform'])}",
            "value": c["id"],
        }
        for c in campaigns
    ]
    return html.Div(
        dbc.Row(
            [
                dbc.Col(
                    [*range_select("an"), *compare_select("an")],
                    xs=12,
                    sm=6,
                    lg=2,
                ),
                dbc.Col(date_inputs("an", min_date, max_date), xs=12, sm=6, lg=3),
                dbc.Col(
                    html.Fieldset(
                        [
                            html.Legend("Platforms", className="form-label"),
                            dbc.Checklist(
                                id="an-platform",
                                options=[
                                    {"label": label, "value": key}
                                    for key, label in PLATFORM_LABELS.items()
                                ],
                                value=list(PLATFORM_LABELS),
                                inline=True,
                                class_name="toggle-group an-platforms",
                                input_class_name="btn-check",
                                label_class_name="btn btn-outline-primary btn-sm",
                                label_checked_class_name="active",
                            ),
                        ],
                        className="mb-0",
                    ),
                    xs=12,
                    sm=6,
                    lg=3,
                ),
                dbc.Col(
                    [
                        html.Label(
                            "Campaigns",
                            htmlFor="an-campaign",
                            className="form-label",
                            id="an-campaign-label",
                        ),
                        dcc.Dropdown(
                            id="an-campaign",
                            options=campaign_options,
                            value=[],
                            multi=True,
                            placeholder="All campaigns",
                            className="an-campaign",
                        ),
                    ],
                    xs=12,
                    sm=6,
                    lg=4,
                ),
            ],
            className="g-2 g-lg-3 align-items-end",
        ),
        className="an-controls mb-3",
        role="group",
        **{"aria-label": "Filters"},
    )


def metric_switch(value: str = "spend") -> html.Fieldset:
    return html.Fieldset(
        [
            html.Legend("Chart metric", className="visually-hidden"),
            dbc.RadioItems(
                id="an-metric",
                options=[
                    {"label": info["label"], "value": key} for key, info in METRIC_INFO.items()
                ],
                value=value,
                inline=True,
                class_name="toggle-group metric-switch",
                input_class_name="btn-check",
                label_class_name="btn btn-outline-primary btn-sm",
                label_checked_class_name="active",
            ),
        ],
        className="mb-0",
    )


def default_caption(latest: date | None) -> str:
    """The caption of the default period (the main callback writes the URL's): it is in the
    page's first paint, the largest text of the phone's first screen."""
    if latest is None:
        return ""
    f = rm.Filters()
    period = rm.resolve_period(f, latest)
    return period_caption(period, rm.comparison(f, period), f.compare)


def analytics_page(
    campaigns: Sequence[Mapping[str, Any]] = (),
    min_date: date | None = None,
    max_date: date | None = None,
    currency: str = "USD",
) -> html.Div:
    """The page skeleton: controls with defaults, boxes the callbacks fill (sizes reserved)."""
    downloads = html.Div(
        [
            html.A(
                "Download CSV",
                id="an-csv-daily",
                href="/exports/analytics.csv",
                className="btn btn-sm btn-outline-dark",
                download="",
            ),
            html.A(
                "Creatives CSV (all)",
                id="an-csv-creatives",
                href="/exports/analytics-creatives.csv?limit=all",
                className="btn btn-sm btn-outline-dark",
                download="",
            ),
        ],
        className="d-flex gap-2 flex-wrap",
    )
    header = html.Div(
        [
            html.Div(
                [
                    html.H1("Analytics", className="h3 mb-0"),
                    html.P(
                        default_caption(max_date),
                        id="an-caption",
                        className="text-body-secondary small mb-0",
                    ),
                ]
            ),
            downloads,
        ],
        className="d-flex flex-wrap gap-2 align-items-end justify-content-between mb-3",
    )
    trend = _card(
        "Trend",
        [
            html.Div(id="an-nomatch"),
            html.Div(
                # the view callback sends the figure to a Store; the Graph is created once the
                # box is near the viewport (TREND_DRAW_JS): below the fold on a phone, Plotly
                # is neither fetched nor run while the page loads
                _loading(
                    [
                        dcc.Store(id="an-chart-figure"),
                        html.Div(
                            html.P("Loading the chart…", className="text-body-secondary small"),
                            id="an-chart-slot",
                            style={"height": "100%"},
                        ),
                    ],
                    parent_style={"height": "100%"},
                ),
                className="an-chart-box",
            ),
            dcc.Store(id="an-trend-seen", data=False),
            html.P(
                f"Shaded: the last {PROVISIONAL_DAYS} days of data are provisional — the ad "
                "platforms still restate conversions and spend for recent days, so they may change "
                "at the next sync.",
                className="small text-body-secondary mb-0 mt-1",
                id="an-provisional-note",
            ),
            html.Div(id="an-anomalies"),
        ],
        header_extra=metric_switch(),
        id="an-trend-card",
    )
    channels = _card(
        "Channel comparison",
        _loading(html.Div(channel_table([]), id="an-channels", className="an-min-table")),
    )
    cohorts = _card(
        "Cohort LTV (store-wide)",
        [
            html.P(
                "Cumulative revenue per customer by days since first order, monthly cohorts.",
                className="small text-body-secondary mb-2",
            ),
            html.Div(
                # the chart is drawn when the box scrolls into view (seen_js): below the
                # fold on a phone, Plotly's work is not part of the page's load
                _loading(
                    html.Div(id="an-cohort-plot", style={"height": "100%"}),
                    parent_style={"height": "100%"},
                ),
                className="an-cohort-box",
            ),
            dcc.Store(id="an-cohort-seen", data=False),
            html.Div(id="an-cohort-table"),
        ],
    )
    leaderboard = _card(
        "Creative leaderboard (top 20 by spend)",
        _loading(
            html.Div(
                html.P("Loading…", className="text-body-secondary"),
                id="an-leaderboard",
                className="an-min-table",
            )
        ),
    )
    return html.Div(
        [
            dcc.Location(id="analytics-url", refresh=False),
            header,
            controls(campaigns, min_date, max_date),
            _loading(html.Div(kpi_tiles(None, currency), id="an-kpis", className="mb-3")),
            html.Div(trend, className="mb-3"),
            html.Div(events_card(), className="mb-3"),
            dbc.Row(
                [dbc.Col(channels, lg=6), dbc.Col(cohorts, lg=6)],
                className="g-3 mb-3 align-items-start",
            ),
            html.Div(leaderboard),
            html.Div(
                [
                    html.Div(id="an-toast-main"),
                    html.Div(id="an-toast-creatives"),
                    html.Div(id="an-toast-cohorts"),
                ],
                className="toast-area",
                **{"aria-live": "polite"},
            ),
        ],
        id="analytics-page",
    )


# ---- the callbacks' pure halves (the product and the sales demo call these) -----------------
def visible_anomalies(anomalies: list[dict], filters: rm.Filters) -> list[dict]:
    """Platform-specific anomalies show only when that platform is in view."""
    if not filters.platforms:
        return anomalies
    return [a for a in anomalies if not a.get("platform") or a["platform"] in filters.platforms]


def main_outputs(
    view: Mapping[str, Any],
    anomalies: list[dict],
    problems: Sequence[str],
    currency: str,
) -> tuple:
    """The nine outputs of the main view (caption, KPIs, chart, anomalies, channels, no-match
    notice, two CSV links, toast) from readmodels.analytics.view_from_series' dict."""
    filters: rm.Filters = view["filters"]
    period, previous = view["period"], view["previous_period"]
    anomalies = visible_anomalies(anomalies, filters)
    metric = filters.metric
    if view["has_ad_data"] or metric in STORE_WIDE:
        figure = timeseries_figure(
            view["series"], view["previous_series"], metric, anomalies, currency, view["latest"]
        )
    else:
        figure = empty_figure("No ad data for these filters")
    nomatch = None
    if filters.filtered and not view["has_ad_data"]:
        cleared = rm.Filters(
            range=filters.range, start=filters.start, end=filters.end, metric=filters.metric
        )
        nomatch = no_match("/analytics?" + cleared.query())
    export_query = filters.query(with_metric=False)
    toast = notice_toast("; ".join(problems)) if problems else None
    return (
        period_caption(period, previous, filters.compare),
        kpi_tiles(view["kpis"], currency, filtered=filters.filtered),
        figure,
        anomaly_note(anomalies, period.start, period.end, metric),
        channel_table(view["channels"], currency),
        nomatch,
        "/exports/analytics.csv?" + export_query,
        "/exports/analytics-creatives.csv?" + export_query + "&limit=all",  # every creative
        toast,
    )


def with_fatigue(rows: list[dict], fatigue: Mapping[str, dict]) -> list[dict]:
    """Leaderboard rows with the brain's fatigue entry of each creative."""
    return [dict(r, fatigue=rm.fatigue_for(fatigue, r["external_id"], r["name"])) for r in rows]


def sync_controls(
    trigger: Any,
    search: Any,
    range_value: Any,
    start: Any,
    end: Any,
    platforms: Any,
    campaigns: Any,
    metric: Any,
    compare: Any,
    latest: date,
) -> tuple:
    """URL <-> controls: on load the URL sets the controls; a changed control writes the URL.

    Returns (search, range, start, end, platforms, campaigns, metric, compare) with no_update
    where nothing changes; raises PreventUpdate while the typed dates are not a range yet.
    """
    all_platforms = list(rm.AD_PLATFORMS)
    search = search if isinstance(search, str) else None
    if trigger not in CONTROL_IDS:
        # Page load, reload, back/forward: the URL sets the controls.
        if search is None:
            raise PreventUpdate
        filters, _ = rm.parse_filters(search)
        period = rm.resolve_period(filters, latest)
        return (
            no_update,
            filters.range,
            period.start.isoformat(),
            period.end.isoformat(),
            list(filters.platforms) or all_platforms,
            list(filters.campaigns),
            filters.metric,
            filters.compare,
        )

    # A control changed: the controls write the URL.
    current, _ = rm.parse_filters(search or "")
    start_d, end_d = _as_date(start), _as_date(end)
    dates = chosen_period("an", trigger, current, range_value, start, end, compare, latest)
    chosen = [p for p in platforms if p in rm.AD_PLATFORMS] if isinstance(platforms, list) else []
    picked = campaigns if isinstance(campaigns, list) else []
    campaign_ids = [str(c) for c in picked if str(c).isdigit()]
    params = {
        **dates,
        "platform": ",".join(chosen),
        "campaign": ",".join(campaign_ids),
        "metric": metric if metric in rm.METRICS else current.metric,
    }
    filters, _ = rm.parse_filters(params)
    period = rm.resolve_period(filters, latest)
    new_search = "?" + filters.query()
    return (
        new_search if new_search != search else no_update,
        filters.range if filters.range != range_value else no_update,
        period.start.isoformat() if period.start != start_d else no_update,
        period.end.isoformat() if period.end != end_d else no_update,
        no_update if chosen else all_platforms,  # none ticked means all: tick them again
        no_update,
        no_update,
        no_update,
    )


# ---- the page's callback wiring, shared by the product (callbacks/analytics.py) and the demo
CONTROL_PROPS = [
    ("an-range", "value"),
    ("an-dates-start", "value"),
    ("an-dates-end", "value"),
    ("an-platform", "value"),
    ("an-campaign", "value"),
    ("an-metric", "value"),
    ("an-compare", "value"),
]
URL_AND_CONTROLS = [("analytics-url", "search"), *CONTROL_PROPS]
MAIN_OUTPUTS = [
    ("an-caption", "children"),
    ("an-kpis", "children"),
    ("an-chart-figure", "data"),
    ("an-anomalies", "children"),
    ("an-channels", "children"),
    ("an-nomatch", "children"),
    ("an-csv-daily", "href"),
    ("an-csv-creatives", "href"),
    ("an-toast-main", "children"),
]
LEADERBOARD_OUTPUTS = [("an-leaderboard", "children"), ("an-toast-creatives", "children")]
COHORT_OUTPUTS = [
    ("an-cohort-table", "children"),
    ("an-toast-cohorts", "children"),
]
COHORT_CHART_OUTPUT = ("an-cohort-plot", "children")
TREND_SLOT = "an-chart-slot"
# Once a chart's box is within 200 px of the viewport, its "seen" Store turns True (and the
# chart is drawn). Runs when the box mounts; no IntersectionObserver: at once. Each call
# watches one box: the store's id and the box's class are bound in by `seen_js`.
_SEEN_JS = """function (id) {
    var dc = window.dash_clientside;
    function seen() { dc.set_props(STORE, {data: true}); }
    function watch(tries) {
        var el = document.getElementById(id);
        if (!el) { if (tries < 50) { setTimeout(function () { watch(tries + 1); }, 100); } return; }
        if (!("IntersectionObserver" in window)) { seen(); return; }
        var io = new IntersectionObserver(function (entries) {
            var near = entries.some(function (e) { return e.isIntersecting; });
            if (near) { io.disconnect(); seen(); }
        }, {rootMargin: "200px 0px"});
        io.observe(el.closest(BOX) || el);
    }
    watch(0);
    return dc.no_update;
}"""


def seen_js(store_id: str, box_selector: str) -> str:
    """The clientside function that sets `store_id` True once `box_selector` is near view."""
    return _SEEN_JS.replace("STORE", json.dumps(store_id)).replace("BOX", json.dumps(box_selector))


# The trend chart: the figure the view callback stored, in a Graph made once the box was seen;
# later figures go to that Graph (a new Graph in the slot would be a new plot, drawn from scratch).
TREND_DRAW_JS = """function (figure, seen, drawn) {
    var dc = window.dash_clientside;
    if (!seen || !figure) { return dc.no_update; }
    if (drawn && drawn.props && drawn.props.id === "an-chart") {
        dc.set_props("an-chart", {figure: figure});
        return dc.no_update;
    }
    return {namespace: "dash_core_components", type: "Graph",
            props: {id: "an-chart", figure: figure, config: CONFIG,
                    style: {height: "100%"}, responsive: true}};
}""".replace("CONFIG", json.dumps(GRAPH_CONFIG))


def cohort_graph(figure: Mapping[str, Any]) -> dcc.Graph:
    """The cohort chart, drawn into its box once the box is in view."""
    return dcc.Graph(
        id="an-cohort-chart",
        figure=figure,
        config=GRAPH_CONFIG,
        style={"height": "100%"},
        responsive=True,
    )


def outputs(props: Sequence[tuple[str, str]]) -> list[Output]:
    return [Output(cid, prop) for cid, prop in props]


def inputs(props: Sequence[tuple[str, str]]) -> list[Input]:
    return [Input(cid, prop) for cid, prop in props]


def register_view_callbacks(
    app: Any,
    main: Callable[[str], tuple],
    creatives: Callable[[str], Any],
    cohorts: Callable[[], tuple],
    guard: Callable[..., Callable[[Callable[..., Any]], Callable[..., Any]]],
    load_error: str,
) -> None:
    """The main charts, the creative leaderboard and the cohorts, each read from the URL, for
    the product (views over the database) and the demo (over the snapshot). ``guard`` is the
    app's binding of layouts.wiring.soft_fail: a failure is logged and shown as a toast.
    What they return goes to the browser with its static parts as islands (layouts/islands.py:
    a 20-row table is one component, not hundreds)."""
    from layouts.islands import compact, live_ids

    def light(out: Any) -> Any:
        return compact(out, live_ids(app))

    @app.callback(*outputs(MAIN_OUTPUTS), Input("analytics-url", "search"))
    @guard(
        "analytics: main view failed",
        fallback=lambda _search: (*([no_update] * 8), error_toast(load_error)),
    )
    def render_main(search: str | None) -> tuple:
        if search is None:
            raise PreventUpdate
        return light(main(search))

    @app.callback(*outputs(LEADERBOARD_OUTPUTS), Input("analytics-url", "search"))
    @guard(
        "analytics: creative leaderboard failed",
        fallback=lambda _search: (
            no_update,
            error_toast(load_error, "Couldn't load the creatives"),
        ),
    )
    def render_creatives(search: str | None) -> tuple:
        if search is None:
            raise PreventUpdate
        return light(creatives(search)), None

    @app.callback(*outputs(COHORT_OUTPUTS), Input("analytics-url", "pathname"))
    @guard(
        "analytics: cohorts failed",
        fallback=lambda _path: (no_update, error_toast(load_error, "Couldn't load cohorts")),
    )
    def render_cohorts(pathname: str | None) -> tuple:
        if pathname is None:
            raise PreventUpdate
        _figure, table = cohorts()
        return light([table, None])

    app.clientside_callback(
        seen_js("an-cohort-seen", ".an-cohort-box"),
        Output("an-cohort-seen", "data"),
        Input(COHORT_CHART_OUTPUT[0], "id"),
    )
    app.clientside_callback(
        seen_js("an-trend-seen", ".an-chart-box"),
        Output("an-trend-seen", "data"),
        Input(TREND_SLOT, "id"),
    )
    app.clientside_callback(
        TREND_DRAW_JS,
        Output(TREND_SLOT, "children"),
        Input("an-chart-figure", "data"),
        Input("an-trend-seen", "data"),
        State(TREND_SLOT, "children"),
    )

    @app.callback(
        Output(*COHORT_CHART_OUTPUT), Input("an-cohort-seen", "data"), prevent_initial_call=True
    )
    @guard(
        "analytics: the cohort chart failed",
        fallback=lambda _seen: cohort_graph(empty_figure("Couldn't load the cohort chart")),
    )
    def draw_cohorts(seen: Any) -> Any:
        if not seen:
            raise PreventUpdate
        figure, _table = cohorts()
        return cohort_graph(figure)
