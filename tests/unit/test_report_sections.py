"""The board PDF read back: each number in its column, each finding, each impact band."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from reports.board import _findings, build_board_report
from tests.helpers.overview import EXAMPLE


def pdf_lines(pdf: bytes) -> list[str]:
    """One line per table cell or wrapped text line, in reading order."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return pdf_lines(build_board_report(EXAMPLE, "Lumen Beauty", "cmo"))


def _money(v: float) -> str:
    return f"${v:,.0f}"


def test_headline_metrics(lines):
    t = EXAMPLE["memory"]["totals"]
    header = lines.index("Risk")
    values = lines[header + 1 : header + 7]
    assert values[:5] == [
        _money(t["spend"]),
        _money(t["store_revenue"]),
        f"{t['mer']:.2f}",
        f"{t['platform_roas']:.2f}",
        f"{t['ltv_roas']:.2f}",
    ]


def test_channel_table_columns(lines):
    start = lines.index("Trend (7 d)")  # the channel table's last header cell
    assert lines[start - 7 : start] == [
        "Channel",
        "Status",
        "Spend",
        "Share",
        "ROAS",
        "LTV-ROAS",
        "Next-$ ROAS",
    ]
    names = {"meta": "Meta", "google_ads": "Google", "tiktok": "TikTok"}
    for p in EXAMPLE["memory"]["platforms"]:
        row = lines.index(names[p["platform"]], start)
        assert lines[row + 1 : row + 7] == [
            p["status"].capitalize(),
            _money(p["spend"]),
            f"{p['share_of_spend'] * 100:.0f}%",
            f"{p['roas']:.2f}",
            f"{p['ltv_roas']:.2f}",
            f"{p['response_curve']['marginal_roas_calibrated']:.2f}",
        ], p["platform"]


def test_pdf_says_the_period_the_sign_and_the_rule(lines):
    """'Last 30 days' (the number was missing), a signed ROAS trend (never 'flat' for +4.1%),
    the status rule in words."""
    text = " ".join(lines)
    assert "Last 30 days, 26 Oct to 24 Nov 2026" in text
    tiktok = EXAMPLE["memory"]["platforms"][2]
    change = tiktok["trend"]["change_pct"]
    assert f"ROAS {'+' if change > 0 else '-'}{abs(change):.1f}%" in text  # − drawn as -
    assert " flat " not in text
    assert "Status follows the next dollar" in text


def test_eur_org_pdf_prints_euros_never_dollars():
    """A EUR org's brain writes its actions in euros and the PDF prints every amount in euros."""
    from brain.state import compute_brain_state
    from brain.synthetic import generate_brand

    brand = generate_brand(42)
    state = compute_brain_state(brand.ad_daily, brand.orders, {"currency": "EUR"})
    for persona in ("cmo", "vp_growth", "director"):
        text = " ".join(pdf_lines(build_board_report(state, "Lumen EU", persona)))
        assert "$" not in text.replace("Next-$ ROAS", ""), persona
        assert f"€{state['memory']['totals']['spend']:,.0f}" in text


def test_findings_table_lists_every_finding(lines):
    findings = _findings(EXAMPLE["oracle"])
    assert len(findings) >= 4
    joined = " ".join(lines[lines.index("Finding") :])
    for title, _severity, _ in findings:
        assert " ".join(title.split()) in joined, title
    assert ["Finding", "Severity", "Evidence"] == lines[
        lines.index("Finding") : lines.index("Finding") + 3
    ]


def test_actions_with_impact_and_band_low_to_high(lines):
    joined = " ".join(lines[lines.index("Decision") :])
    for a in EXAMPLE["curiosity"]["actions"]:
        band = a["impact_band"]
        assert band["low"] < band["high"]
        expected = (
            f"{_money(a['impact_usd_per_week'])} ({_money(band['low'])}-{_money(band['high'])})"
        )
        assert expected in joined, a["title"]


def test_a_chart_per_section_drawn_server_side(lines):
    text = " ".join(lines)
    assert "Chance each flagged creative is fatigued within 7 days (%)" in text  # ORACLE
    assert "Gross profit per week of each ranked action (USD)" in text  # CURIOSITY
    assert "Platform ROAS" in text  # MEMORY (the channel chart's legend)


def test_footer_names_when_the_state_was_computed_or_only_its_data_day():
    with_time = pdf_lines(
        build_board_report({**EXAMPLE, "computed_at": "2026-11-30T06:05:00"}, "X")
    )
    assert any("brain state computed 2026-11-30 06:05 UTC" in line for line in with_time)
    state = {k: v for k, v in EXAMPLE.items() if k != "computed_at"}  # the demo's snapshots
    without = pdf_lines(build_board_report(state, "X"))
    footer = next(line for line in without if line.startswith("Omnify Brain · X"))
    assert f"brain state of data through {EXAMPLE['as_of']}" in footer
    assert "computed" not in footer and "  " not in footer
