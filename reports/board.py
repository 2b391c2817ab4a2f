"""The PDF board report, built with ReportLab (no browser) from one brain state dict.

Pure: no Flask, database or request here, so the product's route (api/report.py, tenant-scoped
from current_user) and the sales demo (demo/) build the same report. From the state only: headline
metrics, the persona's template summary, two charts drawn with ReportLab's own graphics (daily
spend vs store revenue; ROAS per channel against breakeven), findings and ranked actions.
Standard PDF fonts keep the text searchable once streams are uncompressed (tests do that
through the BOARD_REPORT_COMPRESS setting).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from brain.narrative import (
    PERSONAS,
    humanize,
    platform_name,
    series_name,
    short_date,
    template_summary,
)
from layouts import fmt
from layouts.overview import (
    brain_window_words,
    creative_roas_words,
    differs_from_brain,
    period_channels,
    period_days,
    series_value,
    with_one_roas,
)
from layouts.periods import FLAT
from layouts.persona import CARD_TITLES
from readmodels.analytics import calibration_of

ACCENT = colors.HexColor("#5b3df5")
TEAL = colors.HexColor("#0b7285")
INK = colors.HexColor("#1f232b")
MUTED = colors.HexColor("#5c6370")
RULE = colors.HexColor("#e6e8ef")
RISK_COLORS = {"GREEN": "#0f5132", "YELLOW": "#8a6100", "RED": "#a61c28"}
PAGE_W, PAGE_H = A4
MARGIN = 16 * mm
CONTENT_W = PAGE_W - 2 * MARGIN
# Director: actions first (docs/product.md); the others read the story top-down.
REPORT_ORDER = {
    "cmo": ("summary", "memory", "oracle", "curiosity"),
    "vp_growth": ("summary", "memory", "oracle", "curiosity"),
    "director": ("curiosity", "oracle", "summary", "memory"),
}
# Standard PDF fonts speak WinAnsi: spell out what they cannot draw.
_REPLACE = {"→": "to", "−": "-", "≈": "~", "▲": "up", "▼": "down", "●": "", "✓": ""}


# ---- formatting ------------------------------------------------------------------------------
def _t(text: Any) -> str:
    """Text safe for a Paragraph: escaped markup, characters the Type 1 fonts can draw."""
    s = str(text if text is not None else "")
    for k, v in _REPLACE.items():
        s = s.replace(k, v)
    s = s.encode("cp1252", errors="replace").decode("cp1252")
    return escape(s)


# One formatter for the screen and the paper (layouts/fmt.py, Babel): money in the org's currency.
def _money(v: float | None, decimals: int = 0, currency: str = "USD") -> str:
    return fmt.money(v, currency, decimals)


def _ratio(v: float | None, decimals: int = 2) -> str:
    return fmt.ratio(v, decimals)


def _pct(v: float | None, decimals: int = 0, signed: bool = False) -> str:
    return fmt.pct(v, decimals, signed)


# ---- charts ----------------------------------------------------------------------------------
def _nice_step(top: float, ticks: int = 4) -> float:
    """A round axis step (1, 2, 2.5 or 5 x 10^k) giving about ``ticks`` gridlines."""
    raw = top / ticks
    base = 10 ** math.floor(math.log10(raw))
    return next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= raw)


def _axes(chart: Any, value_max: float, step: float, label_format: Any) -> None:
    """The house style of a chart's axes: small Helvetica labels, light rules, zero-based."""
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.strokeColor = RULE
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = value_max
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fillColor = MUTED
    chart.valueAxis.labelTextFormat = label_format
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.gridStrokeColor = RULE


def spend_revenue_chart(
    daily: Sequence[Mapping[str, Any]], currency: str = "USD"
) -> Drawing | None:
    """Daily ad spend vs store revenue over the period (a line each)."""
    if len(daily) < 2:
        return None
    spend = [float(d.get("spend") or 0) for d in daily]
    revenue = [float(d.get("store_revenue") or 0) for d in daily]
    step = _nice_step(max(max(spend), max(revenue)) or 1.0)
    value_max = math.ceil(max(max(spend), max(revenue)) * 1.05 / step) * step
    drawing = Drawing(CONTENT_W, 62 * mm)
    chart = HorizontalLineChart()
    chart.x, chart.y = 14 * mm, 12 * mm
    chart.width, chart.height = CONTENT_W - 18 * mm, 40 * mm
    chart.data = [spend, revenue]
    chart.joinedLines = 1
    chart.lines[0].strokeColor = ACCENT
    chart.lines[1].strokeColor = TEAL
    chart.lines[0].strokeWidth = chart.lines[1].strokeWidth = 1.6
    every = max(1, len(daily) // 6)
    chart.categoryAxis.categoryNames = [
        short_date(d.get("date")) if i % every == 0 else "" for i, d in enumerate(daily)
    ]
    if step >= 1000 and step % 1000 == 0:  # $10k, $20k
        _axes(chart, value_max, step, lambda v: fmt.money(v / 1000, currency) + "k")
    else:  # a short period of a small shop: $250, $500 (never "$0k")
        _axes(chart, value_max, step, lambda v: fmt.money(v, currency))
    chart.categoryAxis.labels.fillColor = MUTED
    chart.valueAxis.visibleGrid = 1
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 16 * mm, 60 * mm
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontName = "Helvetica"
    legend.fontSize = 8
    legend.colorNamePairs = [(ACCENT, "Ad spend / day"), (TEAL, "Store revenue / day")]
    legend.dx = legend.dy = 7
    legend.deltax = 90
    drawing.add(legend)
    return drawing


def channel_roas_chart(
    platforms: Sequence[Mapping[str, Any]], breakeven: float | None
) -> Drawing | None:
    """Platform ROAS and LTV-ROAS per channel, with the breakeven ROAS as a dashed line."""
    rows = [p for p in platforms if p.get("roas") is not None]
    if not rows:
        return None
    roas = [float(p.get("roas") or 0) for p in rows]
    ltv = [float(p.get("ltv_roas") or 0) for p in rows]
    value_max = math.ceil(max(roas + ltv + [breakeven or 0]) * 1.15)
    drawing = Drawing(CONTENT_W, 58 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = 14 * mm, 10 * mm
    chart.width, chart.height = CONTENT_W - 40 * mm, 38 * mm
    chart.data = [roas, ltv]
    chart.bars[0].fillColor = ACCENT
    chart.bars[1].fillColor = TEAL
    chart.bars.strokeColor = None
    chart.barSpacing = 2
    chart.groupSpacing = 18
    chart.categoryAxis.categoryNames = [platform_name(p.get("platform")) for p in rows]
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.strokeColor = RULE
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = value_max
    chart.valueAxis.valueStep = max(1, value_max // 4)
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fillColor = MUTED
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.visibleGrid = 1
    chart.valueAxis.gridStrokeColor = RULE
    chart.barLabelFormat = "%.2f"
    chart.barLabels.fontName = "Helvetica"
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    if breakeven:
        y = chart.y + chart.height * breakeven / value_max
        drawing.add(
            Line(
                chart.x,
                y,
                chart.x + chart.width,
                y,
                strokeColor=colors.HexColor("#a61c28"),
                strokeDashArray=[3, 2],
                strokeWidth=0.8,
            )
        )
        drawing.add(
            String(
                chart.x + chart.width + 2,
                y - 2,
                f"breakeven {breakeven:.2f}",
                fontName="Helvetica",
                fontSize=7,
                fillColor=colors.HexColor("#a61c28"),
                textAnchor="start",
            )
        )
    legend = Legend()
    legend.x, legend.y = 16 * mm, 56 * mm
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontName = "Helvetica"
    legend.fontSize = 8
    legend.colorNamePairs = [(ACCENT, "Platform ROAS"), (TEAL, "LTV-ROAS")]
    legend.dx = legend.dy = 7
    legend.deltax = 80
    drawing.add(legend)
    return drawing


def _bars(
    labels: Sequence[str], values: Sequence[float], caption: str, label_format: Any
) -> Drawing | None:
    """One series of bars with its values printed on them (drawn without a browser)."""
    if not values or max(values) <= 0:
        return None
    step = _nice_step(max(values) or 1.0)
    value_max = math.ceil(max(values) * 1.15 / step) * step
    drawing = Drawing(CONTENT_W, 50 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = 18 * mm, 10 * mm
    chart.width, chart.height = CONTENT_W - 24 * mm, 32 * mm
    chart.data = [list(values)]
    chart.bars[0].fillColor = ACCENT
    chart.bars.strokeColor = None
    chart.categoryAxis.categoryNames = list(labels)
    _axes(chart, value_max, step, label_format)
    chart.valueAxis.visibleGrid = 1
    chart.barLabelFormat = label_format
    chart.barLabels.fontName = "Helvetica"
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    drawing.add(
        String(chart.x, 46 * mm, caption, fontName="Helvetica-Bold", fontSize=8, fillColor=MUTED)
    )
    return drawing


def risk_chart(oracle: Mapping[str, Any]) -> Drawing | None:
    """ORACLE: 7-day fatigue probability of each flagged creative (the risk a board can see)."""
    flagged = [f for f in oracle.get("fatigue") or [] if f.get("severity") in ("high", "medium")]
    flagged = flagged[:8]
    return _bars(
        [f"{f.get('creative_id')} ({platform_name(f.get('platform'))})" for f in flagged],
        [float(f.get("prob_7d") or 0) * 100 for f in flagged],
        "Chance each flagged creative is fatigued within 7 days (%)",
        lambda v: f"{v:.0f}%",
    )


def actions_chart(actions: Sequence[Mapping[str, Any]], currency: str) -> Drawing | None:
    """CURIOSITY: gross profit per week of each ranked action."""
    rows = [a for a in actions if (a.get("impact_usd_per_week") or 0) > 0][:6]
    return _bars(
        [f"#{a.get('rank')}" for a in rows],
        [float(a.get("impact_usd_per_week") or 0) for a in rows],
        f"Gross profit per week of each ranked action ({currency})",
        lambda v: _plain(fmt.money(v, currency)),
    )


# ---- the document ----------------------------------------------------------------------------
def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body",
        parent=base["BodyText"],
        fontName="Helvetica",
        fontSize=9.5,
        leading=13,
        textColor=INK,
        alignment=TA_LEFT,
    )
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName="Helvetica-Bold", fontSize=18, leading=22
        ),
        "subtitle": ParagraphStyle("subtitle", parent=body, textColor=MUTED, fontSize=9),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=12,
            leading=16,
            spaceBefore=10,
            spaceAfter=4,
            textColor=INK,
        ),
        "kicker": ParagraphStyle(
            "kicker",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=7.5,
            leading=9,
            textColor=ACCENT,
            spaceBefore=10,
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10.5),
        "muted": ParagraphStyle("muted", parent=body, fontSize=7.5, leading=10, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10),
        "cellb": ParagraphStyle(
            "cellb", parent=body, fontSize=8, leading=10, fontName="Helvetica-Bold"
        ),
    }


def _plain(cell: Any) -> Any:
    """A plain-string cell in characters the Type 1 fonts can draw (− as -, → as to)."""
    if not isinstance(cell, str):
        return cell
    for k, v in _REPLACE.items():
        cell = cell.replace(k, v)
    return cell


def _table(data: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    data = [[_plain(c) for c in row] for row in data]
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style += [
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
            ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
            ("FONTSIZE", (0, 0), (-1, 0), 7),
        ]
    table.setStyle(TableStyle(style))
    return table


def _section_title(module: str, persona: str, s: dict, brain: str | None = None) -> list:
    """The module's kicker and title; ``brain`` ('The brain's read of the 30 days to ...') when
    the header shows another period than the one this section was computed on."""
    return [
        Spacer(1, 3 * mm),
        Paragraph(
            f"<font size='7.5' color='#5b3df5'><b>{module.upper()}</b></font><br/>"
            f"{_t(CARD_TITLES[persona][module])}",
            s["h2"],
        ),
        *([Paragraph(_t(brain + "."), s["muted"])] if brain else []),
    ]


def build_board_report(
    state: Mapping[str, Any],
    org_name: str,
    persona: str = "cmo",
    decisions: Mapping[str, Mapping[str, Any]] | None = None,
    compress: bool = True,
    summary: Mapping[str, Any] | None = None,
    chosen: Mapping[str, Any] | None = None,
) -> bytes:
    """The board report as PDF bytes, from one stored brain state (nothing recomputed).

    ``summary`` is the stored executive summary of the persona (jobs/narratives.py):
    ``{"text", "ai", "model"}``; without an AI one the template summary is printed, labelled.
    ``chosen`` is the overview's date control period (layouts.overview.period_numbers, from
    the analytics read model): the header's KPIs, the spend chart and the channel figures
    follow it with its comparison, and the brain's own sections (summary, risk, findings,
    actions, channel status) say they are the brain's window. Without it: the brain's window.
    One builder per section; the persona decides their order (``REPORT_ORDER``)."""
    persona = persona if persona in PERSONAS else "cmo"
    s = _styles()
    cur = (state.get("settings") or {}).get("currency") or "USD"
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Omnify Brain board report - {org_name}",
        author="Omnify Brain",
        subject=f"Brain state as of {state.get('as_of')}",
        invariant=0 if compress else 1,
        pageCompression=1 if compress else 0,
    )
    chosen = chosen if chosen and chosen.get("totals") else None
    brain = _brain_note(state, chosen)
    parts = {
        "summary": _summary_section(state, persona, summary, s, brain),
        "memory": _memory_section(state, persona, s, cur, chosen),
        "oracle": _oracle_section(
            state.get("oracle") or {}, persona, s, cur, calibration_of(state), brain
        ),
        "curiosity": _curiosity_section(
            state.get("curiosity") or {}, persona, decisions or {}, s, cur, state, brain
        ),
    }
    story = _header(state, org_name, s, cur, chosen, brain) + [
        block for name in REPORT_ORDER[persona] for block in parts[name]
    ]
    generated = str(state.get("computed_at") or "")[:16].replace("T", " ")
    computed = f"brain state computed {generated} UTC" if generated else "brain state"
    computed += f" of data through {state['as_of']}" if state.get("as_of") else ""

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(
            MARGIN,
            9 * mm,
            f"Omnify Brain · {org_name} · {computed} · numbers identical for every persona",
        )
        canvas.drawRightString(PAGE_W - MARGIN, 9 * mm, f"Page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _brain_note(state: Mapping[str, Any], chosen: Mapping[str, Any] | None) -> str | None:
    """'The brain's read of the 30 days to 24 Nov (26 Oct - 24 Nov)' when the chosen period
    is not the brain's window (its sections then speak of another period than the header)."""
    if not differs_from_brain(state, chosen):
        return None
    return f"The brain's read of {brain_window_words(state)}"


COMPARE_SHORT = {"previous": "previous period", "year": "a year earlier", "weekday": "52 wk ago"}


def change_words(change: float | None, compare: str = "previous") -> str:
    """'up +4.1% vs previous period' (flat only within ±0.5%, as on the screen)."""
    if compare == "none":
        return ""
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return "no previous data"
    word = "flat" if abs(change) < FLAT else "up" if change > 0 else "down"
    return f"{word} {fmt.pct(change, 1, signed=True)} vs {COMPARE_SHORT.get(compare, compare)}"


def _header(
    state: Mapping[str, Any],
    org_name: str,
    s: dict,
    cur: str,
    chosen: Mapping[str, Any] | None = None,
    brain: str | None = None,
) -> list[Any]:
    """Title, period line and the headline metrics (first whatever the persona): the chosen
    period's with its comparison when there is one, else the brain's window; ``brain``: the
    note naming the brain's window when it differs (``_brain_note``)."""
    t = dict((state.get("memory") or {}).get("totals") or {})
    risk = (state.get("oracle") or {}).get("risk") or {}
    period = state.get("period") or {}
    level = str(risk.get("level") or "-")
    risk_color = RISK_COLORS.get(level, "#1f232b")
    change: Mapping[str, Any] = {}
    compare = "none"
    if chosen:
        t.update(chosen["totals"])
        change, compare = chosen.get("change") or {}, chosen.get("compare") or "previous"
    cells = [
        ("Ad spend", _money(t.get("spend"), 0, cur), "spend"),
        ("Store revenue", _money(t.get("store_revenue"), 0, cur), None),
        ("MER (revenue ÷ spend)", _ratio(t.get("mer")), "mer"),
        ("Platform ROAS", _ratio(t.get("platform_roas")), "platform-roas"),
        ("LTV-ROAS", _ratio(t.get("ltv_roas")), "ltv-roas"),
    ]
    values = []
    for _, v, key in cells:
        words = change_words(change.get(key), compare) if key else ""
        small = f"<br/><font size='7' color='#5c6370'>{_t(words)}</font>" if words else ""
        values.append(f"<b>{_t(v)}</b>{small}")
    risk_head = "Risk (brain)" if chosen else "Risk"
    heads = [k for k, _, _ in cells] + [risk_head]
    values.append(
        f"<b><font color='{risk_color}'>{_t(level)}</font> {risk.get('score', '-')}/100</b>"
    )
    kpi = Table(
        [
            [Paragraph(_t(k), s["muted"]) for k in heads],
            [Paragraph(v, s["body"]) for v in values],
        ],
        colWidths=[CONTENT_W / len(heads)] * len(heads),
    )
    kpi.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fbfaff")),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    through = f"data through {fmt.day(state.get('as_of'), True)} · Omnify Brain"
    if chosen:
        line = (
            f"{chosen.get('label') or 'Period'}: {chosen.get('caption')} · the brain's insights "
            f"as of {fmt.day(state.get('as_of'), True)} · Omnify Brain"
        )
    else:
        line = (
            f"{_window_phrase(state)}, {fmt.day(period.get('start'))} to "
            f"{fmt.day(period.get('end'), True)} · {through}"
        )
    story = [
        Paragraph(_t(f"{org_name} - board report"), s["title"]),
        Paragraph(_t(line), s["subtitle"]),
        Spacer(1, 5 * mm),
        kpi,
    ]
    if brain:
        story.append(
            Paragraph(
                _t(
                    "Spend, revenue, MER, ROAS, the spend chart and the channel figures are for "
                    "the period above. Risk, findings, actions, creative fatigue, channel status "
                    f"and the executive summary are {brain[0].lower()}{brain[1:]}."
                ),
                s["muted"],
            )
        )
    return story + [Spacer(1, 4 * mm)]


def _window_phrase(state: Mapping[str, Any]) -> str:
    """'Last 30 days' ('The brain's window' when its length is unknown: never 'Last  days')."""
    days = period_days(state)
    return f"Last {days} day{'s' * (days != 1)}" if days else "The brain's window"


def _summary_section(
    state: Mapping[str, Any],
    persona: str,
    summary: Mapping[str, Any] | None,
    s: dict,
    brain: str | None = None,
) -> list[Any]:
    """The persona's executive summary: the stored AI one, else the labelled template; with
    ``brain`` (another period in the header) it says which window it speaks of."""
    if summary and summary.get("ai") and summary.get("text"):
        kicker = f"EXECUTIVE SUMMARY · AI SUMMARY ({summary.get('model') or 'model'})"
        summary_text = str(summary["text"])
    else:
        kicker, summary_text = (
            "EXECUTIVE SUMMARY · TEMPLATE SUMMARY",
            template_summary(state, persona),
        )
    return [
        Paragraph(_t(kicker), s["kicker"]),
        *([Paragraph(_t(brain + "."), s["muted"])] if brain else []),
        Spacer(1, 1.5 * mm),
        Paragraph(_t(summary_text), s["body"]),
        Spacer(1, 3 * mm),
    ]


def period_daily(chosen: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The chosen period's days as the spend chart's points (store revenue = spend x MER)."""
    return [
        {
            "date": d.get("date"),
            "spend": d.get("spend") or 0.0,
            "store_revenue": (d.get("spend") or 0.0) * (d.get("mer") or 0.0),
        }
        for d in chosen.get("daily") or []
    ]


def _memory_section(
    state: Mapping[str, Any],
    persona: str,
    s: dict,
    cur: str,
    chosen: Mapping[str, Any] | None = None,
) -> list[Any]:
    """MEMORY: the spend/revenue and channel charts, the channel table and the totals. With
    ``chosen`` the charts and the channels' spend, share, ROAS, LTV-ROAS and trend are that
    period's (the overview's rows, ``period_channels``); status and next-dollar ROAS stay the
    brain's, labelled so."""
    memory = state.get("memory") or {}
    t = memory.get("totals") or {}
    period = chosen if chosen and chosen.get("channels") is not None else None
    platforms = period_channels(memory.get("platforms") or [], period, t.get("ltv_factor"))

    def money(v: float | None, decimals: int = 0) -> str:
        return _money(v, decimals, cur)

    story = _section_title("memory", persona, s)
    daily = period_daily(chosen) if chosen else memory.get("daily") or []
    chart = spend_revenue_chart(daily, cur)
    if chart is not None:
        story.append(chart)
    bars = channel_roas_chart(platforms, t.get("breakeven_roas"))
    if bars is not None:
        story.append(bars)
    brain = " (brain)" if period else ""
    trend_head = "ROAS change" if period else "Trend (7 d)"
    rows = [
        [
            "Channel",
            "Status" + brain,
            "Spend",
            "Share",
            "ROAS",
            "LTV-ROAS",
            "Next-$ ROAS" + brain,
            trend_head,
        ]
    ]
    for p in platforms:
        trend = p.get("trend") or {}
        change = trend.get("change_pct")
        rows.append(
            [
                platform_name(p.get("platform")),
                str(p.get("status") or "-").capitalize(),  # "-": not judged by the brain yet
                money(p.get("spend")),
                _pct(p.get("share_of_spend")),
                _ratio(p.get("roas")),
                _ratio(p.get("ltv_roas")),
                _ratio((p.get("response_curve") or {}).get("marginal_roas_calibrated")),
                f"ROAS {fmt.pct_points(change)}"
                + (" (steady)" if trend.get("direction") == "flat" else "")
                if change is not None
                else "-",
            ]
        )
    widths = [0.13, 0.11, 0.13, 0.08, 0.08, 0.11, 0.13, 0.23]
    rule = (
        "Status follows the next dollar: Winner when next-dollar ROAS is at least "
        f"breakeven × 1.2 ({_ratio((t.get('breakeven_roas') or 0) * 1.2)}), Loser below "
        f"breakeven ({_ratio(t.get('breakeven_roas'))}), Neutral in between."
    )
    totals = (
        f"Over-reporting {_ratio(t.get('over_reporting'))}× (platform-reported revenue ÷ "
        f"store revenue) · nc-ROAS {_ratio(t.get('nc_roas'))} · CAC "
        f"{money(t.get('cac'), 2)} · breakeven ROAS {_ratio(t.get('breakeven_roas'))}"
    )
    if period:
        compared = (
            "no comparison chosen"
            if period.get("compare") == "none"
            else "ROAS change against the comparison period (within ±0.5% reads as steady)"
        )
        notes = [
            f"Spend, share, ROAS, LTV-ROAS and the charts: {period.get('caption')}; {compared}. "
            f"Status and next-dollar ROAS are the brain's, from {brain_window_words(state)}. "
            + rule,
            f"From the brain's window, {brain_window_words(state)}: MER {_ratio(t.get('mer'))}"
            f" · {totals}",
        ]
    else:
        notes = [
            rule + " Trend: ROAS in the last 7 days vs the 7 before (within ±5% reads as "
            f"steady). MER {_ratio(t.get('mer'))} over the period; last 7 days vs the 7 "
            f"before: {fmt.pct_points((t.get('mer_trend') or {}).get('change_pct'))}.",
            totals,
        ]
    story += [
        _table(rows, [w * CONTENT_W for w in widths]),
        Spacer(1, 2 * mm),
        *(Paragraph(_t(note), s["muted"]) for note in notes),
    ]

    return story


def _oracle_section(
    oracle: Mapping[str, Any],
    persona: str,
    s: dict,
    cur: str,
    calibration: float | None,
    brain: str | None = None,
) -> list[Any]:
    """ORACLE: the risk line and chart and the findings table, kept on one page."""
    risk = oracle.get("risk") or {}
    level = str(risk.get("level") or "-")
    findings = _findings(oracle, cur, calibration, persona)
    block = _section_title("oracle", persona, s, brain) + [
        Paragraph(
            _t(
                f"Risk {level} ({risk.get('score', '-')}/100): {risk.get('high', 0)} high, "
                f"{risk.get('medium', 0)} medium, {risk.get('low', 0)} low findings."
            ),
            s["body"],
        ),
        Spacer(1, 1.5 * mm),
    ]
    risk_bars = risk_chart(oracle)
    if risk_bars is not None:
        block.append(risk_bars)
    if findings:
        frows = [["Finding", "Severity", "Evidence"]] + [
            [Paragraph(_t(a), s["cellb"]), b, Paragraph(_t(c), s["cell"])] for a, b, c in findings
        ]
        block.append(_table(frows, [0.32 * CONTENT_W, 0.1 * CONTENT_W, 0.58 * CONTENT_W]))
    else:
        block.append(Paragraph("Nothing flagged.", s["body"]))
    return [KeepTogether(block)]


def _curiosity_section(
    curiosity: Mapping[str, Any],
    persona: str,
    decisions: Mapping[str, Mapping[str, Any]],
    s: dict,
    cur: str,
    state: Mapping[str, Any],
    brain: str | None = None,
) -> list[Any]:
    """CURIOSITY: the week's opportunity, the impact chart and the ranked actions (a
    creative's one ROAS in their words)."""

    def money(v: float | None, decimals: int = 0) -> str:
        return _money(v, decimals, cur)

    actions = sorted(
        (with_one_roas(a, state) for a in curiosity.get("actions") or []),
        key=lambda a: a.get("rank") or 99,
    )
    story = _section_title("curiosity", persona, s, brain)
    story.append(
        Paragraph(
            _t(
                f"{money(curiosity.get('total_opportunity_usd_per_week'))} of gross profit per "
                f"week across {len(actions)} ranked actions (gross profit per week in {cur}, "
                "with a low-high band)."
            ),
            s["body"],
        )
    )
    story.append(Spacer(1, 1.5 * mm))
    impact_bars = actions_chart(actions, cur)
    if impact_bars is not None:
        story.append(impact_bars)
    if actions:
        arows = [["#", "Action", "Impact / week", "Confidence", "Decision"]]
        for a in actions:
            band = a.get("impact_band") or {}
            micro = (a.get("microcopy") or {}).get(persona) or a.get("rationale") or ""
            d = decisions.get(str(a.get("id")))
            arows.append(
                [
                    str(a.get("rank", "")),
                    Paragraph(
                        f"<b>{_t(humanize(a.get('title', '')))}</b><br/>{_t(humanize(micro))}",
                        s["cell"],
                    ),
                    Paragraph(
                        _t(
                            f"{money(a.get('impact_usd_per_week'))} "
                            f"({money(band.get('low'))}-{money(band.get('high'))})"
                        ),
                        s["cell"],
                    ),
                    _pct(a.get("confidence")),
                    Paragraph(_t(_decision_words(d)), s["cell"]),
                ]
            )
        widths = [0.05, 0.55, 0.17, 0.1, 0.13]
        story.append(_table(arows, [w * CONTENT_W for w in widths]))
    else:
        story.append(Paragraph("Nothing to change right now.", s["body"]))

    return story


def _decision_words(d: Mapping[str, Any] | None) -> str:
    """The shared state as on the overview: Planned / Done / Dismissed by whom, on which day."""
    if not d:
        return "Open"
    word = {"planned": "Planned", "done": "Done", "dismissed": "Dismissed"}.get(
        d.get("decision", ""), "Decided"
    )
    return f"{word} by {d.get('user') or 'a teammate'}, {fmt.day(d.get('at'))}"


def _findings(
    oracle: Mapping[str, Any],
    cur: str = "USD",
    calibration: float | None = None,
    persona: str = "cmo",
) -> list[tuple[str, str, str]]:
    """(title, severity, evidence) for fatigue, ROI decay, LTV drift and anomalies; a
    creative's one ROAS, the platform-reported figure only in the VP's report."""

    def money(v: float | None, decimals: int = 0) -> str:
        return _money(v, decimals, cur)

    out = []
    for f in oracle.get("fatigue") or []:
        if f.get("severity") not in ("high", "medium"):
            continue
        roas_words, roas_detail = creative_roas_words(f, calibration)
        out.append(
            (
                f"Creative {f.get('creative_id')} ({platform_name(f.get('platform'))}) "
                f"'{f.get('name', '')}' fatiguing",
                str(f.get("severity")),
                f"{_pct(f.get('prob_7d'))} fatigue in 7 days ({_pct(f.get('prob_14d'))} in 14); "
                f"CVR {_pct(f.get('cvr_baseline'), 1)} to {_pct(f.get('cvr_recent'), 1)}; CPA "
                f"{money(f.get('cpa_baseline'), 2)} to {money(f.get('cpa_recent'), 2)}; "
                f"frequency {_ratio(f.get('frequency'))}; {roas_words}"
                + (f" ({roas_detail})" if roas_detail and persona == "vp_growth" else ""),
            )
        )
    for d in oracle.get("roi_decay") or []:
        if d.get("flagged"):
            out.append(
                (
                    f"{platform_name(d.get('platform'))} ROI decay {_pct(d.get('decay'))}",
                    str(d.get("severity")),
                    f"ROAS {_ratio(d.get('roas_baseline'))} (days 8-21) to "
                    f"{_ratio(d.get('roas_recent'))} (last 7 days); spend change "
                    f"{_pct(d.get('spend_change'))}",
                )
            )
    drift = oracle.get("ltv_drift") or {}
    cohorts = drift.get("recent_cohorts") or [None]
    if drift.get("flagged"):
        out.append(
            (
                f"LTV drift {_pct(drift.get('drift'), 1)}",
                str(drift.get("severity")),
                f"90-day revenue per customer {money(drift.get('historical_ltv'), 2)}"
                f" to {money(drift.get('recent_ltv'), 2)} for customers who first "
                f"bought in {fmt.months(cohorts[0], cohorts[-1])}",
            )
        )
    for a in oracle.get("anomalies") or []:
        hints = "; ".join(h.get("text", "") for h in a.get("cause_hints") or [])
        out.append(
            (
                f"{fmt.day(a.get('date'))}: {series_name(a.get('series'))} "
                f"{a.get('direction', '')}",
                str(a.get("severity")),
                f"{series_value(a.get('series'), a.get('actual'), cur)} vs "
                f"{series_value(a.get('series'), a.get('expected'), cur)} expected; "
                f"{fmt.money(a.get('dollar_effect'), cur)} effect. {hints}",
            )
        )
    return out


def report_filename(slug: str, as_of: str | None, chosen: Mapping[str, Any] | None = None) -> str:
    """'omnify-board-report-acme-2026-11-29.pdf'; with a chosen period, its dates and its
    comparison instead: '...-acme-2026-11-23-to-2026-11-29-vs-year.pdf'."""
    safe = re.sub(r"[^a-z0-9-]+", "-", (slug or "org").lower()).strip("-") or "org"
    if chosen and chosen.get("start") and chosen.get("end"):
        span = f"{chosen['start']}-to-{chosen['end']}"
        compare = str(chosen.get("compare") or "none")
        span += "" if compare == "none" else f"-vs-{re.sub(r'[^a-z0-9]+', '-', compare.lower())}"
        return f"omnify-board-report-{safe}-{span}.pdf"
    return f"omnify-board-report-{safe}-{as_of or 'latest'}.pdf"
