"""Overview page (the brain on one screen): pure functions from a stored brain state to components.

Every persona's wording is in the page and CSS shows the active one (layouts/persona.py), so
switching persona is instant and a number is rendered once, identically, for everyone. The
persona given here only sets the DOM order (headline and section order); CSS applies the same
order for whichever persona is picked later. No Plotly here: numbers, tables and sparklines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from brain.narrative import humanize, series_name, short_date, template_summary
from layouts import deeplinks, fmt, periods
from layouts.components import (
    ago,
    empty_state,
    fmt_money,
    fmt_pct,
    fmt_ratio,
    missing,
    risk_badge,
    severity_badge,
    sparkline,
    status_badge,
    trend_text,
)
from layouts.persona import CARD_TITLES, PERSONAS, persona_text
from readmodels.analytics import calibration_of

__all__ = ["empty_state", "overview", "overview_page"]

SECTION_ORDER = {
    "cmo": ("kpis", "summary", "actions", "insights"),
    "vp_growth": ("kpis", "summary", "insights", "actions"),
    "director": ("actions", "kpis", "insights", "summary"),
}
# The headline number per persona (docs/product.md): VP's "blended ROAS" is MER (revenue ÷ spend).
HEADLINE_KPI = {"cmo": "ltv-roas", "vp_growth": "mer", "director": "spend"}
KPI_ORDER = ("spend", "mer", "platform-roas", "ltv-roas", "risk")
PLATFORM_NAMES = {"meta": "Meta", "google_ads": "Google", "tiktok": "TikTok", "shopify": "Shopify"}
ACTION_TYPES = {
    "shift_budget": "Budget shift",
    "pause_creative": "Pause creative",
    "scale": "Scale",
    "retention": "Retention",
    "investigate": "Investigate",
}
TIPS = (
    (
        "mer",
        "kpi-tile-mer",
        "MER = store revenue ÷ ad spend",
        "What each ad dollar brought back, counted by your store rather than by the ad "
        "platforms (which over-report).",
    ),
    (
        "risk",
        "kpi-tile-risk",
        "Risk: GREEN, YELLOW or RED",
        "ORACLE adds up what may break in the next 7–14 days: fatigued creatives, decaying "
        "channels, falling customer value and anomalies. The score runs 0–100.",
    ),
    (
        "actions",
        "ov-actions-heading",
        "Ranked actions",
        "Each move shows its impact in gross profit per week, a range and a confidence. "
        "Tap one to open it: plan it, open it in the ads manager, mark it done or dismiss it; "
        "your team sees who decided and when, and every decision can be undone.",
    ),
)


def pretty(text: Any) -> str:
    """Brain text for people: short dates, no "(the org)", metric acronyms in capitals."""
    import re

    return re.sub(r"\b(mer|cpa|ctr|cvr|roas)\b", lambda m: m.group(1).upper(), humanize(text))


def period_days(state: Mapping[str, Any]) -> int | None:
    """The period's length (stored states carry start/end; computed ones also carry days)."""
    period = state.get("period") or {}
    if period.get("days"):
        return int(period["days"])
    try:
        start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    except (KeyError, TypeError, ValueError):
        return None
    return (end - start).days + 1


def _p(persona: str) -> str:
    return persona if persona in PERSONAS else "cmo"


def platform_name(key: str | None) -> str:
    return PLATFORM_NAMES.get(key or "", (key or "–").replace("_", " ").title())


def _sections(state: Mapping[str, Any]) -> tuple[dict, dict, dict]:
    return (
        state.get("memory") or {},
        state.get("oracle") or {},
        state.get("curiosity") or {},
    )


def currency_of(state: Mapping[str, Any]) -> str:
    return (state.get("settings") or {}).get("currency") or "USD"


# ---- header and KPI strip ---------------------------------------------------------------------
def header(
    state: Mapping[str, Any], org_name: str = "", chosen: Mapping[str, Any] | None = None
) -> html.Div:
    period = state.get("period") or {}
    days = period_days(state)
    span = (
        f"{short_date(period.get('start'))} – {short_date(period.get('end'))}"
        if period.get("start")
        else ""
    )
    caption: Any = f"Overview · last {days} days ({span})" if days else "Overview"
    if chosen:  # on a phone the tiles say what they compare with: the dates stay short
        head, sep, compared = str(chosen["caption"]).partition(" vs ")
        caption = [f"Overview · {head}", html.Span(sep + compared, className="ov-caption-vs")]
    same_period = f"&{chosen['query']}" if chosen and chosen.get("query") else ""
    links = [
        html.A(
            [html.Span("⤓", **{"aria-hidden": "true"}), " Board report (PDF)"],
            href=f"/reports/board.pdf?persona={p}{same_period}",  # the period shown here
            className=f"btn btn-sm ov-report-btn only-{p}",
            id=f"report-link-{p}",
            **{"download": ""},
        )
        for p in PERSONAS
    ]
    return html.Div(
        [
            html.Div(
                [
                    html.H1(org_name or "Overview", className="h4 mb-0"),
                    html.P(caption, className="text-body-secondary small mb-0", id="ov-caption"),
                ]
            ),
            html.Div(links, className="ov-header-actions"),
        ],
        className="ov-header",
    )


def period_numbers(view: Mapping[str, Any], ltv_factor: Any = None) -> dict[str, Any]:
    """The chosen period's headline numbers from readmodels.analytics.view_from_series (the
    same sums and comparison the analytics page shows): totals, changes, daily points."""
    kpis = view["kpis"]
    filters, period = view["filters"], view["period"]

    def value(key: str) -> Any:
        return (kpis.get(key) or {}).get("value")

    def change(key: str) -> Any:
        return (kpis.get(key) or {}).get("change")

    factor = None if missing(ltv_factor) else float(ltv_factor)
    mer, roas = value("mer"), value("roas")
    series = view["series"]
    daily = [
        {
            "date": day.date().isoformat() if hasattr(day, "date") else str(day)[:10],
            "spend": None if missing(sp) else float(sp),
            "mer": None if missing(m) else float(m),
        }
        for day, sp, m in zip(series.index, series["spend"], series["mer"], strict=True)
    ]
    return {
        "caption": periods.period_caption(period, view["previous_period"], filters.compare),
        "label": dict(periods.RANGE_OPTIONS).get(filters.range, "Custom range"),
        "query": filters.query(with_metric=False),  # the board PDF link carries the same
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "days": period.days,
        "compare": filters.compare,
        "totals": {
            "spend": value("spend"),
            "store_revenue": value("store_revenue"),
            "mer": mer,
            "platform_roas": roas,
            "over_reporting": roas / mer if roas is not None and mer else None,
            "ltv_roas": mer * factor if mer is not None and factor is not None else None,
        },
        "change": {
            "spend": change("spend"),
            "mer": change("mer"),
            "platform-roas": change("roas"),
            "ltv-roas": change("mer"),  # the LTV factor is the brain's constant
        },
        "daily": daily,
        "channels": view.get("channels"),  # the analytics page's channel rows, same dates
    }


COMPARED_WITH = {"previous": "previous period", "year": "a year earlier", "weekday": "52 wk ago"}


def _change_line(chosen: Mapping[str, Any] | None, key: str, better: str | None) -> Any:
    """'▲ +4.1% vs previous period' for a tile when a period is chosen (None otherwise)."""
    if not chosen or chosen.get("compare") == "none":
        return None
    return html.Div(
        [
            periods.delta((chosen.get("change") or {}).get(key), better, compact=True),
            f" vs {COMPARED_WITH.get(chosen.get('compare') or '', 'previous period')}",
        ],
        className="ov-kpi-change",
        id=f"kpi-change-{key}",
    )


def kpi_strip(
    state: Mapping[str, Any], persona: str = "cmo", chosen: Mapping[str, Any] | None = None
) -> html.Section:
    """The KPI tiles: the brain's window, or the chosen period (``period_numbers``)."""
    memory, oracle, _ = _sections(state)
    t = dict(memory.get("totals") or {})
    cur = currency_of(state)
    daily = memory.get("daily") or []
    risk = oracle.get("risk") or {}
    days = period_days(state)
    if chosen:
        t.update(chosen["totals"])
        daily, days = chosen["daily"], chosen["days"]
    platforms = ", ".join(platform_name(p.get("platform")) for p in memory.get("platforms") or [])
    trend = t.get("mer_trend") or {}
    heads = {k: tuple(p for p in PERSONAS if HEADLINE_KPI[p] == k) for k in KPI_ORDER}
    tiles = {
        "spend": _tile(
            "spend",
            "Ad spend",
            fmt_money(t.get("spend"), cur),
            f"last {days} days" + (f" · {platforms}" if platforms else "") if days else platforms,
            sub=[
                _change_line(chosen, "spend", None),
                f"{fmt_money(t.get('store_revenue'), cur)} store revenue",
                html.Div(
                    "Last 3 days provisional: the platforms may still restate them",
                    className="ov-provisional",
                    title="Meta, Google and TikTok revise recent days' spend and conversions; "
                    "every sync re-pulls them",
                ),
            ],
            spark=sparkline(
                [d.get("spend") for d in daily],
                "Daily ad spend",
                color="#5b3df5",
                show=lambda v: fmt.money(v, cur),
            ),
            headline_for=heads["spend"],
        ),
        "mer": _tile(
            "mer",
            persona_text({"cmo": "MER", "vp_growth": "Blended ROAS (MER)", "director": "MER"}),
            fmt_ratio(t.get("mer")),
            "revenue ÷ spend",
            sub=_change_line(chosen, "mer", "up")
            if chosen
            else [
                "Last 7 days vs the 7 before: ",
                trend_text(trend.get("direction"), trend.get("change_pct")),
            ],
            spark=sparkline([d.get("mer") for d in daily], "Daily MER", color="#0b7285"),
            headline_for=heads["mer"],
        ),
        "platform-roas": _tile(
            "platform-roas",
            "Platform ROAS",
            fmt_ratio(t.get("platform_roas")),
            "platform-reported revenue ÷ spend",
            sub=[
                _change_line(chosen, "platform-roas", "up"),
                f"Platforms claim {fmt_ratio(t.get('over_reporting'))}× store revenue",
            ],
            headline_for=heads["platform-roas"],
        ),
        "ltv-roas": _tile(
            "ltv-roas",
            "LTV-ROAS",
            fmt_ratio(t.get("ltv_roas")),
            "MER × 90-day LTV factor",
            sub=[
                _change_line(chosen, "ltv-roas", "up"),
                f"LTV factor {fmt_ratio(t.get('ltv_factor'))}",
            ],
            headline_for=heads["ltv-roas"],
        ),
        "risk": _tile(
            "risk",
            "Risk",
            risk_badge(risk.get("level"), None, id="risk-level"),
            "next 7–14 days",
            sub=[
                html.Span(f"Score {risk.get('score', '–')}/100", id="risk-score"),
                f" · {risk.get('high', 0)} high, {risk.get('medium', 0)} medium",
            ],
            headline_for=heads["risk"],
        ),
    }
    first = HEADLINE_KPI[_p(persona)]
    order = [first] + [k for k in KPI_ORDER if k != first]
    return html.Section(
        [
            html.H2("Headline numbers", className="visually-hidden"),
            html.Div([tiles[k] for k in order], className="ov-kpis"),
        ],
        className="ov-sec ov-sec-kpis",
        **{"aria-label": "Headline numbers"},
    )


def _tile(
    key: str,
    label: Any,
    value: Any,
    hint: str,
    sub: Any = None,
    spark: Any = None,
    headline_for: Sequence[str] = (),
) -> html.Div:
    from layouts.components import kpi_tile

    return kpi_tile(
        key,
        label,
        value,
        hint=hint,
        sub=sub,
        spark=spark,
        headline_for=headline_for,
        value_id=None if key == "risk" else f"kpi-{key}",
    )


# ---- summary -----------------------------------------------------------------------------------
TEMPLATE_REASONS = {
    "no_key": "no AI key configured",
    "budget": "this month's AI budget is reached",
    "global_ceiling": "the AI spending ceiling is reached",
    "rejected": "the AI answer was rejected: a number did not match the facts",
    "timeout": "the AI provider timed out",
    "rate_limited": "the AI provider was busy",
    "error": "the AI provider failed",
    "pending": "the AI summary is being written",
    "missing": "no AI summary was written for this update",
}


_SHEETS: dict[int, tuple[Any, Any, dict]] = {}


def sheet_of(state: Mapping[str, Any]) -> tuple[Any, dict]:
    """(fact sheet, popover facts) of a state, built once per rendered state object."""
    from brain.facts import fact_sheet

    hit = _SHEETS.get(id(state))
    if hit is not None and hit[0] is state:
        return hit[1], hit[2]
    sheet = fact_sheet(state)
    popovers = sheet.popover_facts()
    if len(_SHEETS) >= 4:  # the cache holds the state, so its id cannot be reused meanwhile
        try:
            _SHEETS.pop(next(iter(_SHEETS)))
        except (StopIteration, KeyError, RuntimeError):  # another thread got there first
            _SHEETS.clear()
    _SHEETS[id(state)] = (state, sheet, popovers)
    return sheet, popovers


def _fact_text(
    text: str, sheet: Any, cited: Sequence[str], popovers: Mapping[str, Mapping[str, str]], key: str
) -> list:
    """The text with each number as a button that shows its fact on hover, focus or tap."""
    from brain.facts import segments

    out: list = []
    for i, (piece, fid) in enumerate(segments(text, sheet, cited)):
        fact = popovers.get(fid or "")
        if fact is None:
            out.append(piece)
            continue
        pop_id = f"fact-{key}-{i}"
        out.append(
            html.Button(
                [
                    piece,
                    html.Span(
                        f"{fact['label']}: {fact['value']} · {fact['formula']}",
                        className="fact-pop",
                        role="tooltip",
                        id=pop_id,
                    ),
                ],
                type="button",
                className="fact-ref",
                **{"aria-describedby": pop_id, "data-fact": fid},
            )
        )
    return out


def _summary_label(item: Mapping[str, Any]) -> html.Span:
    if item.get("ai"):
        when = ago(item.get("created_at")) if item.get("created_at") else ""
        words = " · ".join(x for x in ("AI summary", item.get("model") or "", when) if x)
        return html.Span(
            words,
            className="ov-tag ov-tag-ai",
            title="Written by an AI model from the brain's facts; every number was checked "
            "against them. Hover or tap a number to see its fact.",
        )
    reason = TEMPLATE_REASONS.get(str(item.get("reason") or ""), "")
    return html.Span(
        [
            html.Span("Template summary", className="ov-tag"),
            html.Span(f" {reason}", className="ov-tag-reason small text-body-secondary")
            if reason
            else None,
        ],
        title="Written from the numbers by a template",
    )


def span_words(start: Any, end: Any) -> str:
    """'31 Oct – 29 Nov' (one day: '29 Nov')."""
    if not start or start == end:
        return fmt.day(end)
    return f"{fmt.day(start)} – {fmt.day(end)}"


def brain_window_words(state: Mapping[str, Any]) -> str:
    """The brain's own window in words: 'the 30 days to 29 Nov (31 Oct – 29 Nov)'."""
    period = state.get("period") or {}
    days = period_days(state)
    if not period.get("end"):
        return "its own window"
    span = span_words(period.get("start"), period.get("end"))
    if not days:
        return f"its window ({span})"
    return f"the {days} day{'s' * (days != 1)} to {fmt.day(period['end'])} ({span})"


def differs_from_brain(state: Mapping[str, Any], chosen: Mapping[str, Any] | None) -> bool:
    """True when the date control's period is not the brain's window (the figures differ)."""
    if not chosen or not chosen.get("end"):
        return False
    period = state.get("period") or {}
    return (chosen.get("start"), chosen.get("end")) != (period.get("start"), period.get("end"))


def summary_window(state: Mapping[str, Any], chosen: Mapping[str, Any] | None) -> str | None:
    """What the summary speaks of when the date control shows another period: the stored
    summaries (template and AI) are the brain's read of its own window, said so."""
    if not differs_from_brain(state, chosen):
        return None
    days = chosen.get("days") if chosen else None
    shown = span_words((chosen or {}).get("start"), (chosen or {}).get("end"))
    return (
        f"The brain's read of {brain_window_words(state)}. The tiles above show the period "
        f"you chose: {shown}" + (f" ({days} day{'s' * (days != 1)})." if days else ".")
    )


def summary_section(
    narratives: Mapping[str, Any],
    state: Mapping[str, Any] | None = None,
    chosen: Mapping[str, Any] | None = None,
) -> html.Section:
    """The executive summary per persona: the AI text (numbers hoverable) or the template,
    labelled with why. ``narratives[p]`` is a template string or a dict (text, ai, model,
    created_at, reason, fact_ids). With ``chosen`` (the date control's period) that is not
    the brain's window, a line says which window the summary speaks of."""
    window = summary_window(state, chosen) if state is not None else None
    blocks = []
    for p in PERSONAS:
        item = narratives.get(p, "")
        item = {"text": item} if isinstance(item, str) else dict(item)
        text = str(item.get("text") or "")
        body: list | str = pretty(text)  # template text: acronyms in capitals
        if item.get("ai") and state is not None:
            sheet, popovers = sheet_of(state)
            body = _fact_text(text, sheet, item.get("fact_ids") or [], popovers or {}, p)
        blocks.append(
            html.Div(
                [
                    html.Div(
                        [html.H2("Executive summary", className="h6 mb-0"), _summary_label(item)],
                        className="d-flex flex-wrap align-items-center gap-2 mb-2",
                    ),
                    html.P(window, className="ov-summary-window", id=f"summary-window-{p}")
                    if window
                    else None,
                    html.P(body, className="ov-summary-text"),
                ],
                className=f"only-{p}",
                id=f"summary-{p}",
            )
        )
    return html.Section(
        dbc.Card(dbc.CardBody(blocks, className="ov-summary"), className="ov-card"),
        className="ov-sec ov-sec-summary",
        id="ov-summary",
    )


# ---- MEMORY ------------------------------------------------------------------------------------
def module_card(
    module: str, body: Any, extra: Any = None, heading_id: str | None = None
) -> dbc.Card:
    titles = {p: CARD_TITLES[p][module] for p in PERSONAS}
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Div(
                    [
                        html.H2(
                            [
                                html.Span(module.upper(), className="ov-module"),
                                *persona_text(titles),
                            ],
                            className="h6 mb-0 card-title-persona",
                            **({"id": heading_id} if heading_id else {}),
                        ),
                        extra,
                    ],
                    className="d-flex flex-wrap gap-2 align-items-center justify-content-between",
                )
            ),
            dbc.CardBody(body),
        ],
        className="h-100 ov-card module-card",
        id=f"card-{module}",
    )


def status_rule(p: Mapping[str, Any], breakeven: float | None) -> str:
    """The rule behind a channel's status, in words, with its numbers (the tooltip)."""
    curve = p.get("response_curve") or {}
    m = curve.get("marginal_roas_calibrated")
    if p.get("status_basis") == "marginal" or (p.get("status_basis") is None and m is not None):
        hurdle = (breakeven or 0) * 1.2
        return (
            f"Next-dollar ROAS {fmt.ratio(m)} vs breakeven {fmt.ratio(breakeven)}: Winner at "
            f"{fmt.ratio(hurdle)} or more (breakeven × 1.2, worth scaling), Loser below "
            f"{fmt.ratio(breakeven)} (the next dollar loses money), Neutral in between."
        )
    return (
        f"No response curve yet: judged on average ROAS {fmt.ratio(p.get('roas'))} against the "
        "account's (Winner above 1.15×, Loser below 0.85×)."
    )


def channel_trend(
    trend: Mapping[str, Any], metric: str = "ROAS", title: str | None = None
) -> html.Span:
    """'▲ ROAS +4.1% wk/wk': the sign and the metric always said; the arrow follows the sign."""
    change = trend.get("change_pct")
    if missing(change):
        return html.Span("–", className="text-body-secondary", title=title)
    direction = trend.get("direction") or ("up" if change > 0 else "down" if change < 0 else "flat")
    icon = {"up": "▲", "down": "▼"}.get(direction, "▶")
    css = {"up": "trend-up", "down": "trend-down"}.get(direction, "trend-flat")
    return html.Span(
        [
            html.Span(icon + " ", **{"aria-hidden": "true"}),
            f"{metric} {fmt.pct_points(change)}",
            # in the desktop table the grey ▶ says it (one line at 992-1440 px); said on cards
            html.Span(" (steady)", className="trend-note") if direction == "flat" else None,
        ],
        className=f"trend {css}",
        title=title or f"{metric}, last 7 days vs the 7 days before; within ±5% reads as steady",
    )


def period_trend(change: Any) -> dict[str, Any]:
    """A period row's ROAS change (a fraction, readmodels.analytics.channel_rows_from) as a
    trend: flat within ±0.5%, as the analytics page's arrows."""
    if missing(change):
        return {}
    direction = "up" if change >= periods.FLAT else "down" if change <= -periods.FLAT else "flat"
    return {"metric": "roas", "direction": direction, "change_pct": float(change) * 100}


def period_channels(
    platforms: Sequence[Mapping[str, Any]],
    chosen: Mapping[str, Any] | None,
    ltv_factor: Any = None,
) -> list[dict[str, Any]]:
    """The brain's channel rows with their period figures (spend, share, platform revenue,
    ROAS, LTV-ROAS, trend) from the chosen period: the analytics page's channel rows for the
    same dates. Status and next-dollar ROAS stay the brain's (its response curves). A channel
    with spend in the period that the brain has not judged yet gets a row without a status."""
    if not chosen or chosen.get("channels") is None:
        return [dict(p) for p in platforms]
    rows = {r["platform"]: r for r in chosen["channels"]}
    factor = None if missing(ltv_factor) else float(ltv_factor)
    compared = chosen.get("compare") != "none"
    out = []
    for p in [*platforms, *({"platform": k} for k in rows if k not in _keys(platforms))]:
        r = rows.get(p.get("platform"), {})
        roas = r.get("roas")
        out.append(
            {
                **p,
                "spend": r.get("spend", 0.0),
                "share_of_spend": r.get("share", 0.0),
                "platform_revenue": r.get("platform_revenue", 0.0),
                "roas": roas,
                "ltv_roas": roas * factor if roas is not None and factor is not None else None,
                "trend": period_trend(r.get("roas_change")) if compared else {},
            }
        )
    return out


def _keys(platforms: Sequence[Mapping[str, Any]]) -> set:
    return {p.get("platform") for p in platforms}


CHANNEL_RULE = (
    "Status follows the next dollar: Winner when next-dollar ROAS is at least breakeven × 1.2, "
    "Loser below breakeven, Neutral in between"
)
NEXT_DOLLAR = (
    "incremental marginal ROAS: ad-driven store revenue ÷ the next dollar of spend (organic and "
    "returning-customer revenue are not credited to ads)"
)


def channel_table(
    platforms: Sequence[Mapping[str, Any]],
    currency: str = "USD",
    breakeven: float | None = None,
    chosen: Mapping[str, Any] | None = None,
) -> html.Div:
    """Per platform: status (with its rule), spend and share, platform revenue, ROAS, LTV-ROAS,
    next-dollar ROAS and trend. With ``chosen`` (``period_numbers``; rows from
    ``period_channels``) the spend, revenue, ROAS and trend are the chosen period's and the
    status and next-dollar ROAS are labelled the brain's. Below 576 px each row is a card
    (channel and status first)."""
    brain = " (brain)" if chosen else ""
    trend_head = "Trend" if chosen else "Trend (7 d)"
    trend_title = _trend_title(chosen)
    head = html.Thead(
        html.Tr(
            [
                html.Th("Channel", scope="col"),
                html.Th("Status" + brain, scope="col", title=CHANNEL_RULE),
                html.Th("Spend", scope="col", className="text-end"),
                html.Th(
                    "Revenue", scope="col", className="text-end", title="platform-reported revenue"
                ),
                html.Th(
                    "ROAS", scope="col", className="text-end", title="platform revenue ÷ spend"
                ),
                html.Th("LTV-ROAS", scope="col", className="text-end"),
                html.Th(
                    "Next-$ ROAS" + brain, scope="col", className="text-end", title=NEXT_DOLLAR
                ),
                html.Th(trend_head, scope="col", title=trend_title),
            ]
        )
    )
    rows = [_channel_row(p, currency, breakeven, brain, trend_head, trend_title) for p in platforms]
    return html.Div(
        [
            html.Table(
                [
                    html.Caption("Channels over the period", className="visually-hidden"),
                    head,
                    html.Tbody(rows),
                ],
                className="table table-sm ov-table mb-0 stack-sm",
                id="channel-table",
            ),
            html.P(CHANNEL_RULE + ".", className="ov-footnote mt-1", id="status-rule"),
        ],
        className="table-responsive",
    )


def _trend_title(chosen: Mapping[str, Any] | None) -> str | None:
    """The trend column's tooltip: which periods the ROAS change compares."""
    if not chosen:
        return None
    if chosen.get("compare") == "none":
        return "No comparison chosen: pick one in “Compare with” to see the ROAS change"
    return f"ROAS, {chosen.get('caption')}; within ±0.5% reads as steady"


def _channel_row(
    p: Mapping[str, Any],
    currency: str,
    breakeven: float | None,
    brain: str,
    trend_head: str,
    trend_title: str | None,
) -> html.Tr:
    curve = p.get("response_curve") or {}
    judged = bool(p.get("status"))
    rule = (
        status_rule(p, breakeven)
        if judged
        else "The brain has not judged this channel yet: it had no spend in the brain's window."
    )
    return html.Tr(
        [
            html.Th(platform_name(p.get("platform")), scope="row"),
            html.Td(
                [
                    status_badge(p.get("status")) if judged else html.Span("–"),
                    html.Span(rule, className="visually-hidden"),
                ],
                title=rule,
                className="ov-status-cell",
                **{"data-label": "Status" + brain},
            ),
            html.Td(
                html.Div(  # one block: on a phone's card the share sits under the amount
                    [
                        fmt.money(p.get("spend"), currency),
                        html.Div(
                            f"{fmt.pct(p.get('share_of_spend'))} of spend",
                            className="ov-cell-sub",
                        ),
                    ],
                    className="text-end",
                ),
                className="text-end ov-spend-cell",
                **{"data-label": "Spend"},
            ),
            html.Td(
                fmt.money(p.get("platform_revenue"), currency),
                className="text-end ov-revenue-cell",
                **{"data-label": "Revenue"},
            ),
            html.Td(fmt.ratio(p.get("roas")), className="text-end", **{"data-label": "ROAS"}),
            html.Td(
                fmt.ratio(p.get("ltv_roas")), className="text-end", **{"data-label": "LTV-ROAS"}
            ),
            html.Td(
                fmt.ratio(curve.get("marginal_roas_calibrated")),
                className="text-end",
                **{"data-label": "Next-$ ROAS" + brain},
            ),
            html.Td(
                channel_trend(p.get("trend") or {}, title=trend_title),
                className="ov-trend-cell",
                **{"data-label": trend_head},
            ),
        ],
        className=f"row-{p.get('status') or 'none'}",
        id=f"channel-row-{p.get('platform')}",
    )


def memory_card(state: Mapping[str, Any], chosen: Mapping[str, Any] | None = None) -> dbc.Card:
    """MEMORY: channels (their period figures follow ``chosen``, the date control's period)
    and the totals of the brain's window (said when a date control is shown)."""
    memory, _, _ = _sections(state)
    t = memory.get("totals") or {}
    cur = currency_of(state)
    stats = [
        ("Store revenue", fmt_money(t.get("store_revenue"), cur)),
        ("Over-reporting", f"{fmt_ratio(t.get('over_reporting'))}×"),
        ("nc-ROAS", fmt_ratio(t.get("nc_roas"))),
        ("CAC", fmt_money(t.get("cac"), cur, 2)),
        ("New customers", f"{t['new_customers']:,}" if t.get("new_customers") else "–"),
        ("Breakeven ROAS", fmt_ratio(t.get("breakeven_roas"))),
    ]
    period = chosen if chosen and chosen.get("channels") is not None else None
    rows = period_channels(memory.get("platforms") or [], period, t.get("ltv_factor"))
    body = [
        channel_table(rows, cur, t.get("breakeven_roas"), period),
        html.Dl(
            [
                html.Div([html.Dt(k), html.Dd(v)], className="ov-stat")
                for k, v in stats
                if v not in ("–", "–×")
            ],
            className="ov-stats",
        ),
        html.P(
            "Over-reporting = platform-reported revenue ÷ store revenue; above 1 the platforms "
            "claim more than the store sold. nc-ROAS = first-order revenue ÷ spend."
            + (window_note(state) if chosen else ""),
            className="ov-footnote",
            id="memory-window",
        ),
    ]
    return module_card("memory", body)


def window_note(state: Mapping[str, Any]) -> str:
    """Which figures follow the date control and which are the brain's own window (status,
    next-dollar ROAS, the figures under the table): said, so a 7-day spend beside a status
    judged on the brain's 30 days is never a surprise."""
    period = state.get("period") or {}
    if not period.get("start"):
        return ""
    return (
        " The channels' spend, revenue, ROAS, LTV-ROAS and trend follow the date control; "
        "their status, next-dollar ROAS and the figures above are the brain's, from its window "
        f"{short_date(period['start'])} – {short_date(period['end'])}."
    )


# ---- ORACLE ------------------------------------------------------------------------------------
def finding_dom_id(key: str) -> str:
    """The element id of a finding (alert mails link to `/?finding=<key>`; assets/finding-link.js
    scrolls to it). Dash ids may not hold dots or braces."""
    return "finding-" + re.sub(r"[^A-Za-z0-9_-]", "-", str(key))


def _finding(
    title: Any,
    evidence: Any,
    severity: str | None = None,
    extra: Any = None,
    key: str | None = None,
) -> html.Li:
    return html.Li(
        [
            html.Div(
                [html.Span(title, className="ov-finding-title"), severity_badge(severity)],
                className="d-flex flex-wrap align-items-center gap-2",
            ),
            html.Div(evidence, className="ov-evidence"),
            extra,
        ],
        className=f"ov-finding sev-{severity or 'none'}",
        **({"id": finding_dom_id(key)} if key else {}),
    )


def creative_roas_words(f: Mapping[str, Any], calibration: float | None) -> tuple[str, str]:
    """('ROAS 0.87 → 0.33', 'platform-reported 2.26 → 0.85') of a fatigue entry: the
    creative's one ROAS (readmodels.analytics.primary_roas) and the VP's detail."""
    from readmodels.analytics import primary_roas

    before = primary_roas(f.get("roas_baseline"), calibration)
    now = primary_roas(f.get("roas_recent"), calibration)
    detail = (
        f"platform-reported {fmt_ratio(f.get('roas_baseline'))} → {fmt_ratio(f.get('roas_recent'))}"
        if calibration is not None
        else ""
    )
    return f"ROAS {fmt_ratio(before)} → {fmt_ratio(now)}", detail


def fatigue_for_action(state: Mapping[str, Any], action: Mapping[str, Any]) -> dict | None:
    """The fatigue entry behind a pause/refresh action (matched on platform and creative)."""
    target = next((t for t in action.get("targets") or [] if t.get("kind") == "creative"), None)
    if not target:
        return None
    for f in (state.get("oracle") or {}).get("fatigue") or []:
        if f.get("platform") == target.get("platform") and str(f.get("creative_id")) == str(
            target.get("creative_id")
        ):
            return f
    return None


def action_in(state: Mapping[str, Any], action_id: str) -> dict[str, Any] | None:
    """The state's CURIOSITY action with this id (None: not among its actions)."""
    actions = (state.get("curiosity") or {}).get("actions") or []
    return next((a for a in actions if str(a.get("id")) == action_id), None)


def with_one_roas(action: Mapping[str, Any], state: Mapping[str, Any]) -> dict:
    """A pause/refresh action in the page's words: the creative's one ROAS (the page's
    calibration, as on the leaderboard), signals in plain words and the org's currency; the
    VP's words keep the platform-reported one as a labelled detail. Other actions are
    returned unchanged."""
    action = dict(action)
    f = fatigue_for_action(state, action) if action.get("type") == "pause_creative" else None
    if f is None:
        return action
    from readmodels.analytics import primary_roas

    cal = calibration_of(state)
    cur = currency_of(state)
    now = fmt_ratio(primary_roas(f.get("roas_recent"), cal))
    before = fmt_ratio(primary_roas(f.get("roas_baseline"), cal))
    detail = (
        f" (platform-reported {fmt_ratio(f.get('roas_recent'))} vs "
        f"{fmt_ratio(f.get('roas_baseline'))})"
        if cal is not None
        else ""
    )
    inputs = action.get("inputs") or {}
    signals = fmt.signals(f.get("signals")) if f.get("signals") else "combined weak signals"
    cid, plat = f.get("creative_id"), platform_name(f.get("platform"))
    action["rationale"] = (
        f"Creative {cid} on {plat}: {fmt.pct(f.get('prob_7d'))} likely to fatigue within 7 days "
        f"({signals}). ROAS {now} in the last 7 days vs {before} before; expected "
        f"{fmt_ratio(inputs.get('predicted_roas_calibrated'))} next week vs "
        f"{fmt_ratio(inputs.get('alternative_roas_calibrated'))} where its budget would go. "
        f"Moving its {fmt.money(inputs.get('weekly_spend'), cur)}/week there protects "
        f"{fmt.money(action.get('impact_usd_per_week'), cur)}/week of gross profit."
    )
    micro = dict(action.get("microcopy") or {})
    micro["vp_growth"] = (
        f"{cid}: CVR {fmt_pct(f.get('cvr_change'), signed=True)}, frequency "
        f"{fmt_ratio(f.get('frequency'))}, {fmt.pct(f.get('prob_7d'))} fatigue in 7 days "
        f"({fmt.pct(f.get('prob_14d'))} in 14); ROAS {now} vs {before}{detail}."
    )
    action["microcopy"] = micro
    return action


def fatigue_findings(
    oracle: Mapping[str, Any], currency: str = "USD", calibration: float | None = None
) -> list[html.Li]:
    items = []
    for f in oracle.get("fatigue") or []:
        if f.get("severity") not in ("high", "medium"):
            continue
        days = f.get("days_to_breakeven")
        if days is None:
            cmo = "is wearing out."
        elif days <= 0:
            cmo = "has already stopped paying back."
        else:
            cmo = f"will stop paying back in ~{days} days."
        director = {
            "pause_within_72h": "Pause now.",
            "refresh_this_week": "Refresh the creative this week.",
        }.get(f.get("recommendation"), "Monitor.")
        words = {
            "cmo": f"This ad {cmo}",
            "vp_growth": (
                f"CVR {fmt_pct(f.get('cvr_change'), signed=True)}, frequency "
                f"{fmt_ratio(f.get('frequency'))}, {fmt_pct(f.get('prob_7d'))} fatigue in 7 days."
            ),
            "director": director,
        }
        roas_words, roas_detail = creative_roas_words(f, calibration)
        evidence = [
            html.Strong(f"{fmt_pct(f.get('prob_7d'))} fatigue in 7 days", className="ov-prob"),
            f" ({fmt_pct(f.get('prob_14d'))} in 14) · CVR {fmt_pct(f.get('cvr_baseline'), 1)} → "
            f"{fmt_pct(f.get('cvr_recent'), 1)} · CPA "
            f"{fmt_money(f.get('cpa_baseline'), currency, 2)} → "
            f"{fmt_money(f.get('cpa_recent'), currency, 2)} · frequency "
            f"{fmt_ratio(f.get('frequency'))} · {roas_words}",
            html.Span(f" ({roas_detail})", className="only-vp_growth roas-detail")
            if roas_detail
            else None,
            html.Div("Signals: " + fmt.signals(f.get("signals")), className="ov-hint")
            if f.get("signals")
            else None,
        ]
        items.append(
            _finding(
                [
                    f"Creative {f.get('creative_id')} · {platform_name(f.get('platform'))} ",
                    html.Span(f"“{f.get('name', '')}”", className="ov-name"),
                ],
                evidence,
                f.get("severity"),
                html.Div(persona_text(words), className="ov-persona-line"),
                key=f.get("id"),
            )
        )
    return items


def decay_findings(oracle: Mapping[str, Any]) -> list[html.Li]:
    items = []
    for d in oracle.get("roi_decay") or []:
        if not d.get("flagged"):
            continue
        items.append(
            _finding(
                f"{platform_name(d.get('platform'))} ROI decay {fmt_pct(d.get('decay'))}",
                f"ROAS {fmt_ratio(d.get('roas_baseline'))} (days 8–21) → "
                f"{fmt_ratio(d.get('roas_recent'))} (last 7 days) · spend "
                f"{fmt_pct(d.get('spend_change'), signed=True)} · trend "
                f"{fmt_pct((d.get('trend_slope_pct_per_day') or 0) / 100, 2, signed=True)}/day",
                d.get("severity"),
                key=d.get("id"),
            )
        )
    return items


def drift_findings(oracle: Mapping[str, Any], currency: str = "USD") -> list[html.Li]:
    d = oracle.get("ltv_drift") or {}
    if not d.get("flagged"):
        return []
    cohorts = d.get("recent_cohorts") or [None]
    span = fmt.months(cohorts[0], cohorts[-1])
    return [
        _finding(
            f"Customer value (LTV) drift {fmt_pct(d.get('drift'), 1)}",
            f"90-day revenue per customer {fmt_money(d.get('historical_ltv'), currency, 2)} → "
            f"{fmt_money(d.get('recent_ltv'), currency, 2)} for customers who first bought in "
            f"{span} · trend {d.get('trend') or '–'}",
            d.get("severity"),
            key="ltv_drift",
        )
    ]


def anomaly_findings(oracle: Mapping[str, Any], currency: str = "USD") -> list[html.Li]:
    items = []
    for a in oracle.get("anomalies") or []:
        series = series_name(a.get("series"))
        scope = "all channels" if a.get("scope") == "org" else platform_name(a.get("platform"))
        hints = "; ".join(h.get("text", "") for h in a.get("cause_hints") or [] if h.get("text"))
        z = a.get("z")
        unusual = (
            f"{fmt.ratio(abs(z), 1)} standard deviations {'below' if z < 0 else 'above'} normal"
            if not missing(z)
            else "unusual"
        )
        items.append(
            _finding(
                f"{fmt.day(a.get('date'))}: {series} {a.get('direction', '')} ({scope})",
                [
                    f"{series_value(a.get('series'), a.get('actual'), currency)} vs "
                    f"{series_value(a.get('series'), a.get('expected'), currency)} expected "
                    f"({unusual}) · {fmt.money(a.get('dollar_effect'), currency)} effect",
                    html.Div(hints[:1].upper() + hints[1:], className="ov-hint") if hints else None,
                ],
                a.get("severity"),
                key=a.get("id"),
            )
        )
    return items


def ai_block(
    state: Mapping[str, Any], ai: Mapping[str, Any] | None, key: str, part: Mapping[str, Any]
) -> list:
    """An AI-written note (already passed the guardrail) with its numbers tied to facts."""
    sheet, popovers = sheet_of(state)
    cited = part.get("fact_ids") or []
    out: list = []
    for i, field in enumerate(("analysis", "check_first", "recommendation", "insight")):
        text = str(part.get(field) or "")
        if not text:
            continue
        if field == "check_first":
            out.append(html.Strong(" Check first: "))
        elif out:
            out.append(" ")
        out += _fact_text(text, sheet, cited, popovers, f"{key}-{i}")
    return out


def _ai_label(ai: Mapping[str, Any]) -> html.Span:
    words = " · ".join(x for x in ("AI", ai.get("model") or "") if x)
    return html.Span(
        words,
        className="ov-tag ov-tag-ai",
        title="Written by an AI model from the brain's facts; its numbers were checked",
    )


def oracle_ai(state: Mapping[str, Any], ai: Mapping[str, Any] | None) -> html.Div | None:
    """ORACLE's AI analysis of the top risks: why, and what to check first."""
    items = (ai or {}).get("items") or {}
    if not items:
        return None
    _, oracle, _ = _sections(state)
    titles = {f.get("id"): f.get("title") for f in (oracle.get("risk") or {}).get("findings") or []}
    rows = [
        html.Li(
            [
                html.Span(pretty(titles.get(fid) or fid), className="ov-finding-title"),
                html.Div(ai_block(state, ai, f"o{i}", part), className="ov-ai-text"),
            ]
        )
        for i, (fid, part) in enumerate(items.items())
    ]
    return html.Div(
        [
            html.Div(
                [html.H3("What is most likely going on", className="ov-group-title mb-0"),
                 _ai_label(ai or {})],
                className="d-flex flex-wrap align-items-center gap-2",
            ),
            html.Ul(rows, className="ov-ai-notes"),
        ],
        className="ov-ai",
        id="oracle-ai",
    )  # fmt: skip


def oracle_card(state: Mapping[str, Any], ai: Mapping[str, Any] | None = None) -> dbc.Card:
    _, oracle, _ = _sections(state)
    cur = currency_of(state)
    risk = oracle.get("risk") or {}
    stats = oracle.get("fatigue_stats") or {}
    groups = [
        (
            "Creative fatigue",
            fatigue_findings(oracle, cur, calibration_of(state)),
            _fatigue_ok(stats),
        ),
        ("ROI decay", decay_findings(oracle), "No channel's ROAS is decaying."),
        ("LTV drift", drift_findings(oracle, cur), "Customer value is steady."),
        ("Anomalies", anomaly_findings(oracle, cur), "No anomalies in the last 14 days."),
    ]
    body = [
        html.P(
            [
                risk_badge(risk.get("level"), risk.get("score")),
                html.Span(
                    f" {risk.get('high', 0)} high · {risk.get('medium', 0)} medium · "
                    f"{risk.get('low', 0)} low findings",
                    className="ov-risk-counts",
                ),
            ],
            className="mb-2",
        ),
        oracle_ai(state, ai),
    ]
    for title, items, ok in groups:
        body.append(html.H3(title, className="ov-group-title"))
        body.append(
            html.Ul(items, className="ov-findings")
            if items
            else html.P(["✓ ", ok], className="ov-ok")
        )
    return module_card("oracle", body)


def _fatigue_ok(stats: Mapping[str, Any]) -> str:
    n = stats.get("eligible")
    return f"No creative is fatiguing ({n} checked)." if n else "No creative is fatiguing."


# ---- CURIOSITY ---------------------------------------------------------------------------------
def _amount(value: float | None, unit: str, currency: str) -> str:
    if unit.startswith("USD/day"):
        return fmt_money(value, currency) + "/day"
    if unit.startswith("USD"):
        return fmt_money(value, currency, 2)
    digits = 0 if value is not None and abs(value) >= 100 else 2
    return fmt_ratio(value, digits)


def amounts_line(action: Mapping[str, Any], currency: str = "USD") -> str:
    """Exact amounts: current → recommended (and the destination of a budget shift)."""
    a = action.get("amounts") or {}
    unit = str(a.get("unit") or "")
    if missing(a.get("current")) and missing(a.get("recommended")):
        return ""
    targets = action.get("targets") or []
    if not unit.startswith("USD"):
        return (
            f"Actual {_amount(a.get('current'), unit, currency)} vs expected "
            f"{_amount(a.get('recommended'), unit, currency)}"
        )
    src = next((t for t in targets if t.get("role") == "from"), targets[0] if targets else {})
    line = (
        f"{src.get('name') or 'Current'}: {_amount(a.get('current'), unit, currency)} → "
        f"{_amount(a.get('recommended'), unit, currency)}"
    )
    if not missing(a.get("change_pct")):
        line += f" ({fmt_pct(a.get('change_pct'), signed=True)})"
    if "destination_current" in a:
        dst = next((t for t in targets if t.get("role") == "to"), {})
        line += (
            f"; {dst.get('name') or 'destination'}: "
            f"{_amount(a.get('destination_current'), unit, currency)} → "
            f"{_amount(a.get('destination_recommended'), unit, currency)}"
        )
    return line


DECISION_WORDS = {"planned": "Planned", "done": "Done", "dismissed": "Dismissed"}
DECISION_BUTTONS = (
    ("planned", "Plan it", "btn-outline-primary"),
    ("done", "Mark done", "btn-primary"),
    ("dismissed", "Dismiss", "btn-outline-secondary"),
)


def when_text(at: Any) -> str:
    """'29 Nov, 14:02 UTC (2 h ago)' for a decision's timestamp."""
    from datetime import UTC, datetime

    try:
        t = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        return ""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    t = t.astimezone(UTC)
    return f"{fmt.day(t.date())}, {t:%H:%M} UTC ({ago(t)})"


CHECK_TAGS = {"verified": "✓ Verified", "waiting": "Not seen in data yet"}
MOVES = {"zero": "stop", "down": "fall", "up": "rise"}


def check_tag(check: Mapping[str, Any] | None) -> html.Span | None:
    """'✓ Verified' or 'Not seen in data yet' beside Done (the data's word, not the user's)."""
    if not check:
        return None
    status = check.get("status")
    word = CHECK_TAGS.get(status, "Not seen in data yet")
    return html.Span(word, className=f"ov-check-tag ov-check-tag-{status} me-1")


def _part_words(part: Mapping[str, Any], currency: str) -> str:
    """'TikTok spend $1,941/day before → $1,500/day since (should fall)'."""
    subject = {
        "creative": f"spend on {part.get('name')}",
        "campaign": f"spend on campaign {part.get('name')}",
    }.get(str(part.get("kind")), f"{platform_name(part.get('platform'))} spend")
    after = part.get("after")
    since = "no data since" if after is None else f"{fmt.money(after, currency)}/day since"
    return (
        f"{subject} {fmt.money(part.get('before'), currency)}/day before → {since} "
        f"(should {MOVES.get(str(part.get('direction')), 'move')})"
    )


def check_line(check: Mapping[str, Any] | None, currency: str = "USD") -> html.Div | None:
    """What the synced data says about an action marked Done (models/decisions.done_checks)."""
    if not check:
        return None
    since = fmt.day(check.get("since"))
    status = check.get("status")
    parts = check.get("parts") or []
    detail = "; ".join(_part_words(p, currency) for p in parts)
    detail = f" {_upper_first(detail)}." if detail else ""
    paused = all(p.get("direction") == "zero" for p in parts)
    if status == "verified" and paused:
        words = (
            f"✓ Confirmed by the data: no spend on this ad since {since} "
            f"(data through {fmt.day(check.get('through'))})."
        )
    elif status == "verified":
        words = (
            f"✓ Confirmed by the data since {since} "
            f"(data through {fmt.day(check.get('through'))}).{detail}"
        )
    elif status == "still_spending":
        words = (
            f"⚠ Still spending: {fmt.money(check.get('spend'), currency)} on this ad since it "
            f"was marked done on {since}. Check it is paused in the ads manager."
        )
    elif status == "not_seen":
        words = f"The spend has not moved as planned since {since} yet.{detail}"
    else:
        words = f"Waiting for data after {since} to confirm the spend moved."
    return html.Div(words, className=f"ov-check ov-check-{status}")


def decision_status(
    action_id: str, decision: Mapping[str, Any] | None, currency: str = "USD"
) -> list:
    """The shared state (Planned / Done / Dismissed), who and when, the data's check, Undo."""
    if not decision:
        return [
            html.Span("Open: nobody has planned or dismissed this yet", className="ov-undecided")
        ]
    word = DECISION_WORDS.get(decision.get("decision", ""), "Decided")
    who = decision.get("user") or "a teammate"
    return [
        html.Strong(word, className=f"ov-state ov-state-{decision.get('decision')}"),
        html.Span(f" by {who} · {when_text(decision.get('at'))} "),
        check_tag(decision.get("check")) if decision.get("decision") == "done" else None,
        html.Button(
            "Undo",
            id={"type": "action-undo", "action": action_id, "decision_id": decision["id"]},
            className="btn btn-link btn-sm p-0 align-baseline ov-undo",
            n_clicks=0,
            **{"aria-label": "Undo this decision"},
        ),
        check_line(decision.get("check"), currency),
    ]


def impact_text(action: Mapping[str, Any], currency: str = "USD") -> str:
    """'+$1,234 gross profit / week'."""
    return (
        f"{fmt.money(action.get('impact_usd_per_week'), currency, signed=True)} gross profit / week"
    )


ACTION_CARD = "action-card"  # an action card's <details>; its `open` turns True on first open
ACTION_FOOTER = "action-footer"  # where the card's decision footer goes once opened
ACTION_CHIP = "action-chip"  # the collapsed card's state word, updated with each decision


def chip_word(decision: Mapping[str, Any] | None) -> str:
    """The state word a collapsed card shows: Planned / Done / Dismissed, or Open."""
    return DECISION_WORDS.get((decision or {}).get("decision", ""), "Open")


def action_title(action: Mapping[str, Any]) -> str:
    return pretty(action.get("title") or ACTION_TYPES.get(action.get("type", ""), "Action"))


def action_footer(
    action: Mapping[str, Any], decision: Mapping[str, Any] | None = None, currency: str = "USD"
) -> list:
    """An opened card's Planned / Done / Dismissed buttons (the same for every persona) and
    the shared status (who and when, the data's check, Undo)."""
    aid = str(action.get("id"))
    described = {"aria-describedby": f"action-title-{aid}"}  # "Mark done" says which action
    buttons = html.Div(
        [
            html.Button(
                label,
                id={"type": "action-btn", "action": aid, "decision": key},
                className=f"btn {css} btn-sm",
                n_clicks=0,
                **described,
            )
            for key, label, css in DECISION_BUTTONS
        ],
        className="ov-action-buttons",
        role="group",
        **{"aria-label": f"Decide: {action_title(action)}"},
    )
    status = html.Div(
        decision_status(aid, decision, currency),
        id={"type": "action-status", "action": aid},
        className="ov-decision",
        **{"aria-live": "polite"},
    )
    return [buttons, status]


def action_item(
    action: Mapping[str, Any],
    decision: Mapping[str, Any] | None = None,
    currency: str = "USD",
    ai_note: Any = None,
    accounts: Mapping[str, str] | None = None,
    footer: bool = False,
) -> html.Li:
    """One action as a card collapsed to its title and impact; a tap opens the details, the
    ads-manager link and the Planned / Done / Dismissed buttons (the same for every persona).

    The decision footer (`action_footer`: the buttons and the shared status) is rendered when
    the card is first opened (`ACTION_CARD`'s `open`, set by assets/action-cards.js; the
    pages' callbacks fill `ACTION_FOOTER`), not at load: the browser mounts five fewer
    components per card. `footer=True` renders it at once (validation layouts, tests)."""
    aid = str(action.get("id"))
    band = action.get("impact_band") or {}
    micro = action.get("microcopy") or {}
    title = action_title(action)
    links = [
        html.A(
            [words, html.Span(" ↗", **{"aria-hidden": "true"})],
            href=url,
            target="_blank",
            rel="noopener noreferrer",
            className="btn btn-sm btn-outline-dark ov-deeplink",
        )
        for url, words in deeplinks.action_links(action, accounts)
    ]
    impact = html.Div(
        [
            html.Span(
                fmt.money(action.get("impact_usd_per_week"), currency, signed=True),
                className="ov-impact-value",
            ),
            html.Span(" gross profit / week", className="ov-impact-unit"),
            html.Span(
                f" (range {fmt.money(band.get('low'), currency)} to "
                f"{fmt.money(band.get('high'), currency)})",
                className="ov-impact-band",
            ),
        ],
        className="ov-impact",
    )
    meta = html.Div(
        [
            html.Span(f"#{action.get('rank', '')}", className="ov-rank"),
            html.Span(ACTION_TYPES.get(action.get("type", ""), "Action"), className="ov-type"),
            html.Span(f"{fmt.pct(action.get('confidence'))} confidence", className="ov-confidence"),
            html.Span(
                f"{str(action.get('urgency') or '–').capitalize()} urgency",
                className=f"ov-urgency urg-{action.get('urgency') or 'none'}",
            ),
        ],
        className="ov-action-meta",
    )
    amounts = amounts_line(action, currency)
    rationale = action.get("rationale") or ""
    evidence = action.get("evidence") or []
    return html.Li(
        html.Details(
            [
                html.Summary(
                    [
                        meta,
                        html.H3(title, className="ov-action-title", id=f"action-title-{aid}"),
                        impact,
                        html.Span(
                            chip_word(decision),
                            id={"type": ACTION_CHIP, "action": aid},
                            className="ov-state-chip",
                        ),
                    ],
                    className="ov-action-summary",
                ),
                html.Div(
                    persona_text(
                        {p: pretty(micro.get(p) or rationale) for p in PERSONAS}, tag=html.P
                    ),
                    className="ov-microcopy",
                ),
                html.P(amounts, className="ov-amounts") if amounts else None,
                ai_note,
                html.Details(
                    [
                        html.Summary("Why this action"),
                        html.P(pretty(rationale), className="mb-1"),
                        html.P(
                            "Evidence: " + "; ".join(fmt.evidence(e) for e in evidence),
                            className="ov-evidence mb-0",
                        )
                        if evidence
                        else None,
                    ],
                    className="ov-why",
                ),
                html.Div(links, className="ov-deeplinks") if links else None,
                html.Div(
                    action_footer(action, decision, currency) if footer else None,
                    id={"type": ACTION_FOOTER, "action": aid},
                    className="ov-action-footer",
                ),
            ],
            id={"type": ACTION_CARD, "action": aid},
            disable_n_clicks=True,  # its clicks mean nothing to Dash: no store update per click
            className="ov-action-details",
        ),
        className=f"ov-action urg-{action.get('urgency') or 'none'}",
        id=f"action-{aid}",
    )


def curiosity_card(
    state: Mapping[str, Any],
    decisions: Mapping[str, Mapping[str, Any]] | None = None,
    ai: Mapping[str, Any] | None = None,
    accounts: Mapping[str, str] | None = None,
) -> dbc.Card:
    _, _, curiosity = _sections(state)
    cur = currency_of(state)
    actions = sorted(curiosity.get("actions") or [], key=lambda a: a.get("rank") or 99)
    decisions = decisions or {}
    total = curiosity.get("total_opportunity_usd_per_week")
    extra = (
        html.Span(
            [
                html.Span(fmt_money(total, cur), className="ov-total", id="total-opportunity"),
                " gross profit / week on the table",
            ],
            className="ov-total-line",
        )
        if not missing(total)
        else None
    )
    body = (
        html.Ol(
            [
                action_item(
                    with_one_roas(a, state),
                    decisions.get(str(a.get("id"))),
                    cur,
                    curiosity_ai(state, ai, a, i),
                    accounts,
                )
                for i, a in enumerate(actions)
            ],
            className="ov-actions",
            id="action-list",
        )
        if actions
        else html.P("✓ Nothing to change right now.", className="ov-ok")
    )
    return module_card("curiosity", body, extra=extra, heading_id="ov-actions-heading")


def curiosity_ai(
    state: Mapping[str, Any], ai: Mapping[str, Any] | None, action: Mapping[str, Any], i: int
) -> html.P | None:
    """CURIOSITY's AI recommendation for one action (impact quoted from the brain)."""
    part = ((ai or {}).get("items") or {}).get(str(action.get("id")))
    if not part:
        return None
    return html.P(
        [_ai_label(ai or {}), " ", *ai_block(state, ai, f"a{i}", part)],
        className="ov-ai-note ov-ai-text",
        id=f"action-ai-{action.get('id')}",
    )


# ---- the 10-second brief -------------------------------------------------------------------------
MONEY_SERIES = {"store_revenue", "spend", "revenue", "platform_revenue", "cpa", "cac", "aov"}
HEADLINES = {
    "cmo": ("LTV-ROAS", "ltv_roas", "each ad dollar brings back this much customer value"),
    "vp_growth": ("Blended ROAS (MER)", "mer", "store revenue ÷ ad spend"),
    "director": ("Ad spend", "spend", "over the period"),
}


def series_value(series: str | None, value: Any, currency: str) -> str:
    """An anomaly's value: money for money series, a ratio otherwise."""
    if str(series or "") in MONEY_SERIES:
        return fmt.money(value, currency)
    return fmt.ratio(value)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _finding_source(oracle: Mapping[str, Any], kind: Any, fid: str) -> Mapping | None:
    """The fatigue, decay or anomaly entry a risk finding was made from."""
    key = {"fatigue": "fatigue", "roi_decay": "roi_decay", "anomaly": "anomalies"}.get(kind)
    for x in oracle.get(key or "", None) or []:
        own = f"fatigue:{x.get('platform')}:{x.get('creative_id')}" if kind == "fatigue" else None
        if (own or x.get("id")) == fid:
            return x
    return None


def _source_words(kind: Any, x: Mapping[str, Any], cur: str) -> str:
    plat = platform_name(x.get("platform"))
    if kind == "fatigue":
        return (
            f"{plat} ad {x.get('creative_id')} “{x.get('name', '')}” is wearing out: "
            f"{fmt.pct(x.get('prob_7d'))} likely to fatigue within 7 days."
        )
    if kind == "roi_decay":
        return (
            f"{plat}'s return on ad spend fell {fmt.pct(x.get('decay'))}: "
            f"{fmt.ratio(x.get('roas_recent'))} in the last 7 days vs "
            f"{fmt.ratio(x.get('roas_baseline'))} before."
        )
    where = "" if x.get("scope") == "org" else f" on {plat}"
    moved = "fell" if x.get("direction") == "down" else "rose"
    series = x.get("series")
    return (
        f"{_upper_first(series_name(series))}{where} {moved} on {fmt.day(x.get('date'))}: "
        f"{series_value(series, x.get('actual'), cur)} vs "
        f"{series_value(series, x.get('expected'), cur)} expected."
    )


def risk_words(state: Mapping[str, Any], finding: Mapping[str, Any] | None = None) -> str:
    """The top finding (or the given one) in plain words."""
    _, oracle, _ = _sections(state)
    cur = currency_of(state)
    findings = (oracle.get("risk") or {}).get("findings") or []
    finding = finding or (findings[0] if findings else None)
    if not finding:
        return "Nothing is likely to break in the next 7–14 days."
    fid, kind = str(finding.get("id") or ""), finding.get("kind")
    item = _finding_source(oracle, kind, fid)
    if item is not None:
        return _source_words(kind, item, cur)
    if kind == "ltv_drift":
        d = oracle.get("ltv_drift") or {}
        cohorts = d.get("recent_cohorts") or [None]
        return (
            f"Customer value is falling: 90-day revenue per customer "
            f"{fmt.money(d.get('recent_ltv'), cur, 2)} vs "
            f"{fmt.money(d.get('historical_ltv'), cur, 2)} for customers who first bought in "
            f"{fmt.months(cohorts[0], cohorts[-1])}."
        )
    return pretty(finding.get("title") or "")


def brief(
    state: Mapping[str, Any],
    decisions: Mapping[str, Mapping[str, Any]] | None = None,
    chosen: Mapping[str, Any] | None = None,
) -> html.Section:
    """The phone's first screen: one headline number, the top risk in words, the top action
    with its dollar impact. Plain HTML, no chart: it paints before anything else loads."""
    memory, oracle, curiosity = _sections(state)
    t = {**(memory.get("totals") or {}), **((chosen or {}).get("totals") or {})}
    cur = currency_of(state)
    risk = oracle.get("risk") or {}
    actions = sorted(curiosity.get("actions") or [], key=lambda a: a.get("rank") or 99)
    top = actions[0] if actions else None
    numbers = {
        p: (
            label,
            fmt.money(t.get(key), cur) if key == "spend" else fmt.ratio(t.get(key)),
            hint,
        )
        for p, (label, key, hint) in HEADLINES.items()
    }
    headline = [
        html.Div(
            [
                html.Div(label, className="ov-brief-label"),
                html.Div(value, className="ov-brief-number", id=f"brief-number-{p}"),
                html.Div(hint, className="ov-brief-hint"),
            ],
            className=f"only-{p}",
        )
        for p, (label, value, hint) in numbers.items()
    ]
    state_word = DECISION_WORDS.get(((decisions or {}).get(str((top or {}).get("id"))) or {})
                                    .get("decision", ""), "")  # fmt: skip
    return html.Section(
        [
            html.H2("The brief", className="visually-hidden"),
            html.Div(headline, className="ov-brief-item ov-brief-headline"),
            html.Div(
                [
                    html.Div(
                        ["What may break · ", risk_badge(risk.get("level"), None)],
                        className="ov-brief-label",
                    ),
                    html.P(risk_words(state), className="ov-brief-text", id="brief-risk"),
                ],
                className="ov-brief-item",
            ),
            html.Div(
                [
                    html.Div("What to do first", className="ov-brief-label"),
                    html.A(
                        [
                            html.Span(pretty(top.get("title") or ""), className="ov-brief-text"),
                            html.Span(
                                impact_text(top, cur),
                                className="ov-brief-impact",
                                id="brief-impact",
                            ),
                            html.Span(f" · {state_word}", className="ov-brief-state")
                            if state_word
                            else None,
                        ],
                        href=f"#action-{top.get('id')}",
                        className="ov-brief-action",
                        id="brief-action",
                    )
                    if top
                    else html.P("Nothing to change right now.", className="ov-brief-text"),
                ],
                className="ov-brief-item",
            ),
        ],
        className="ov-brief",
        id="ov-brief",
        **{"aria-label": "The brief"},
    )


# ---- tips --------------------------------------------------------------------------------------
TIP_KEYS = [key for key, *_ in TIPS]


def tips_js() -> str:
    """The clientside callback of the first-visit tips (product and demo register it)."""
    return """function(data) {
            var keys = __KEYS__;
            var dc = window.dash_clientside;
            var seen = (data && data.seen) || [];
            var changed = false;
            (dc.callback_context.triggered || []).forEach(function(t) {
                if (!t.value) { return; }
                var id = t.prop_id.split('.')[0];
                if (id.indexOf('tip-next-') === 0) {
                    var k = id.slice(9);
                    if (seen.indexOf(k) < 0) { seen = seen.concat([k]); changed = true; }
                } else if (id.indexOf('tip-skip-') === 0) {
                    seen = keys.slice(); changed = true;
                }
            });
            var open = null;
            for (var i = 0; i < keys.length; i++) {
                if (seen.indexOf(keys[i]) < 0) { open = keys[i]; break; }
            }
            // mirrored in a cookie so the page's first paint (layouts/first_paint.py) agrees
            document.cookie = 'ov_tips_seen=' + encodeURIComponent(seen.join('.')) +
                '; path=/; max-age=31536000; samesite=lax';
            var out = [changed ? {seen: seen} : dc.no_update];
            keys.forEach(function(k) { out.push(k !== open); });  // hidden unless the open one
            return out;
        }""".replace("__KEYS__", json.dumps(TIP_KEYS))


TIP_PROP = "hidden"  # the property the tips callback sets (True hides a tip)


def tips() -> list:
    """First-visit tips: one at a time, inline under the header (they never cover a number or
    a table), dismissed for good (localStorage)."""
    out: list[Any] = [dcc.Store(id="ov-tips", storage_type="local")]
    for i, (key, _target, title, text) in enumerate(TIPS):
        out.append(
            html.Div(
                [
                    html.Div(f"Tip {i + 1} of {len(TIPS)} · {title}", className="ov-tip-title"),
                    html.P(text, className="mb-2"),
                    html.Div(
                        [
                            html.Button(
                                "Got it" if i < len(TIPS) - 1 else "Done",
                                id=f"tip-next-{key}",
                                className="btn btn-primary btn-sm",
                                n_clicks=0,
                            ),
                            html.Button(
                                "Skip tips",
                                id=f"tip-skip-{key}",
                                className="btn btn-link btn-sm",
                                n_clicks=0,
                            ),
                        ],
                        className="d-flex gap-2",
                    ),
                ],
                id=f"tip-{key}",
                hidden=True,
                role="note",
                className="ov-tip",
            )
        )
    return out


# ---- the page ----------------------------------------------------------------------------------
def overview(
    state: Mapping[str, Any] | None,
    persona: str = "cmo",
    decisions: Mapping[str, Mapping[str, Any]] | None = None,
    narratives: Mapping[str, Any] | None = None,
    org_name: str = "",
    ai_notes: Mapping[str, Any] | None = None,
    accounts: Mapping[str, str] | None = None,
    chosen: Mapping[str, Any] | None = None,
) -> html.Div:
    """The overview body for one stored state (empty state when there is none).

    ``accounts`` ({platform: ad account id}) makes the actions' ads-manager links exact;
    ``chosen`` (``period_numbers``) puts the date control's period in the tiles and brief."""
    if not state or not (state.get("memory") or {}).get("totals"):
        return empty_state()
    persona = _p(persona)
    if narratives is None:
        narratives = {p: template_summary(state, p) for p in PERSONAS}
    sections = {
        "kpis": kpi_strip(state, persona, chosen),
        "summary": summary_section(narratives, state, chosen),
        "actions": html.Section(
            curiosity_card(state, decisions, (ai_notes or {}).get("curiosity"), accounts),
            className="ov-sec ov-sec-actions",
        ),
        "insights": html.Section(
            dbc.Row(
                [
                    dbc.Col(memory_card(state, chosen), lg=7, className="ov-col-memory"),
                    dbc.Col(
                        oracle_card(state, (ai_notes or {}).get("oracle")),
                        lg=5,
                        className="ov-col-oracle",
                    ),
                ],
                className="g-3",
            ),
            className="ov-sec ov-sec-insights",
        ),
    }
    return html.Div(
        [
            header(state, org_name, chosen),
            html.Div(tips(), className="ov-tips"),
            brief(state, decisions, chosen),
            html.Div([sections[k] for k in SECTION_ORDER[persona]], className="ov-sections"),
            data_notes(state),
        ],
        id="overview",
    )


def data_notes(state: Mapping[str, Any]) -> html.Details:
    """Every note the brain wrote about the limits of its data (what would enable more)."""
    notes = [str(n) for n in state.get("notes") or [] if n]
    return html.Details(
        [
            html.Summary(f"What the brain could not judge yet ({len(notes)})", className="small"),
            html.Ul([html.Li(n) for n in notes], className="small mb-0 ps-3")
            if notes
            else html.P("Nothing: the data covered every check.", className="small mb-0"),
        ],
        className="ov-notes mt-3",
        id="ov-data-notes",
        open=bool(notes) and len(notes) <= 3,
    )


def error_panel(message: str = "") -> html.Div:
    """Shown instead of a broken page when the stored state cannot be rendered."""
    return html.Div(
        [
            html.H1("The overview couldn't be shown", className="h4"),
            html.P(
                message
                or "Something in the latest insights could not be displayed. The error has been "
                "logged; the next brain update will replace it.",
                className="text-body-secondary",
            ),
            html.A("Reload", href="/", className="btn btn-outline-primary btn-sm"),
        ],
        className="empty-state py-5",
        id="overview-error",
    )


def period_control(
    filters: Any = None,
    min_date: date | None = None,
    max_date: date | None = None,
    hidden: bool = False,
) -> html.Div:
    """The overview's date control (the analytics one, layouts/periods.py): presets and the
    comparison first, native date inputs only for a custom range; kept in the URL."""
    from readmodels import analytics as rm

    filters = filters or rm.Filters()
    return html.Div(
        [
            dcc.Location(id="overview-url", refresh=False),
            dcc.Store(id="ov-period-shown", data=filters.query(with_metric=False)),
            html.Div(periods.range_select("ov", filters.range), className="ov-period-pick"),
            html.Div(
                periods.compare_select("ov", filters.compare, mt=False),
                className="ov-period-pick",
            ),
            html.Div(
                periods.date_inputs(
                    "ov",
                    min_date,
                    max_date,
                    # the URL's period, as the URL sync sets it: it has nothing to do at load
                    rm.resolve_period(filters, max_date) if max_date else None,
                ),
                id="ov-dates-box",
                className="ov-period-dates",
                hidden=filters.range != "custom",
            ),
        ],
        className="ov-period",
        id="ov-period",
        hidden=hidden,
        role="group",
        **{"aria-label": "Period"},
    )


def overview_page(body: Any, state_id: int | None, control: Any = None) -> html.Div:
    """The frame around the body: the poller, the known state id, tips memory, toasts, and
    the date control (layouts/periods.py; the product and the demo both pass one)."""
    return html.Div(
        [
            control,
            dcc.Store(id="ov-state-id", data=state_id),
            dcc.Interval(id="ov-interval", interval=30_000),
            html.Div(id="ov-toasts", className="toast-area", **{"aria-live": "polite"}),
            html.Div(body, id="ov-body"),
        ],
        id="overview-page",
    )
