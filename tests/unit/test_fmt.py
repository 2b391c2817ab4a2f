"""The one formatter (layouts/fmt.py): the org's currency, signs, rounding and plain words."""

from __future__ import annotations

from datetime import date

from layouts import fmt


def test_money_in_the_orgs_currency_with_a_real_minus():
    assert fmt.money(8754.51, "EUR") == "€8,755"
    assert fmt.money(8754.51, "GBP", 2) == "£8,754.51"
    assert fmt.money(-12.5, "USD", 2) == "−$12.50"
    assert fmt.money(1234, "USD", signed=True) == "+$1,234"
    assert fmt.money(5_500_000, "USD", compact=True) == "$5.50M"
    assert fmt.money(None) == "–" and fmt.money(float("nan")) == "–"
    assert "$" not in fmt.money(100, "EUR")


def test_percentages_ratios_and_counts_round_like_people():
    assert fmt.pct(0.041, 1, signed=True) == "+4.1%"
    assert fmt.pct(-0.131, 1, signed=True) == "−13.1%"
    assert fmt.pct(0.0, 0, signed=True) == "±0%"
    assert fmt.pct_points(4.1) == "+4.1%"
    assert fmt.ratio(2.345) == "2.35"  # half up, not the bank's half even
    assert fmt.count(243.0) == "243"


def test_dates_and_cohorts_in_words():
    assert fmt.day("2026-11-24") == "24 Nov"
    assert fmt.day(date(2026, 11, 24), with_year=True) == "24 Nov 2026"
    assert fmt.months("2026-05", "2026-07") == "May–Jul 2026"
    assert fmt.months("2025-12", "2026-02") == "Dec 2025–Feb 2026"


def test_signals_and_evidence_in_plain_words():
    assert fmt.signals(["cvr_drop", "cpa_rise"]) == (
        "conversion rate falling, cost per purchase rising"
    )
    assert fmt.evidence("fatigue:tiktok:C12") == "creative fatigue · TikTok C12"
    assert fmt.trend(4.1, "ROAS") == "ROAS +4.1% vs the 7 days before"
