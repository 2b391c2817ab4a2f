"""The overview's date control in headless Chromium: presets and comparison live in the URL,
drive the tiles, survive a reload, and leave the phone's first screen to the three answers."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.support.ui import Select

from models import analytics as queries
from tests.helpers.analytics import A_PLATFORMS, load_brand
from tests.helpers.overview_e2e import USERS, in_first_screen, log_in, start

pytestmark = pytest.mark.e2e


@pytest.fixture
def lumen_data(app, lumen):
    """The stored brain state plus $300 of ad spend a day for the date control to slice."""
    load_brand(app, lumen["org_id"], "period", A_PLATFORMS)
    queries.clear_cache()
    yield lumen
    queries.clear_cache()


def _wait_url(dash_duo, fragment: str, present: bool = True, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        url = dash_duo.driver.current_url
        if (fragment in url) == present:
            return url
        time.sleep(0.1)
    raise AssertionError(f"URL {dash_duo.driver.current_url!r}: {fragment!r} present={present}")


def _selected(dash_duo, selector: str) -> str:
    return Select(dash_duo.find_element(selector)).first_selected_option.get_attribute("value")


def test_preset_and_comparison_drive_the_tiles_and_stay_in_the_url(app, dash_duo, lumen_data):
    base = start(dash_duo, app)
    log_in(dash_duo, base, USERS["vp_growth"])
    dash_duo.wait_for_contains_text("#kpi-spend", "$9,000", timeout=15)  # last 30 days
    assert _selected(dash_duo, "#ov-range") == "30d"
    assert "(30 days)" in dash_duo.find_element("#ov-caption").text
    assert dash_duo.find_element("#ov-dates-box").get_attribute("hidden") is not None

    Select(dash_duo.find_element("#ov-range")).select_by_value("7d")
    _wait_url(dash_duo, "range=7d")
    dash_duo.wait_for_contains_text("#kpi-spend", "$2,100", timeout=10)
    dash_duo.wait_for_contains_text("#ov-caption", "(7 days)", timeout=10)
    assert "vs previous period" in dash_duo.find_element("#kpi-change-spend").text
    assert dash_duo.find_element("#brief-number-vp_growth").text == (
        dash_duo.find_element("#kpi-mer").text
    )  # the brief's headline is the tile's number

    Select(dash_duo.find_element("#ov-compare")).select_by_value("none")
    url = _wait_url(dash_duo, "compare=none")
    dash_duo.wait_for_contains_text("#ov-caption", "no comparison", timeout=10)
    assert not dash_duo.driver.find_elements("css selector", "#kpi-change-spend")

    dash_duo.driver.get(url)  # a shared link: same period, same numbers, same controls
    dash_duo.wait_for_contains_text("#kpi-spend", "$2,100", timeout=15)
    assert _selected(dash_duo, "#ov-range") == "7d"
    assert _selected(dash_duo, "#ov-compare") == "none"

    Select(dash_duo.find_element("#ov-range")).select_by_value("custom")  # dates appear
    deadline = time.monotonic() + 10
    while dash_duo.find_element("#ov-dates-box").get_attribute("hidden") is not None:
        assert time.monotonic() < deadline, "the custom dates never showed"
        time.sleep(0.1)
    _wait_url(dash_duo, "range=custom")
    assert dash_duo.find_element("#ov-dates-start").get_attribute("type") == "date"


def test_phone_date_control_keeps_the_three_answers_on_the_first_screen(app, dash_duo, lumen_data):
    base = start(dash_duo, app)
    driver = dash_duo.driver
    driver.set_window_size(390, 844 + 143)  # the window's toolbar takes ~143 px
    log_in(dash_duo, base, USERS["cmo"])
    driver.get(base + "/?range=90d&compare=year")
    dash_duo.wait_for_contains_text("#ov-caption", "(90 days)", timeout=15)
    assert _selected(dash_duo, "#ov-range") == "90d"
    driver.execute_script("window.scrollTo(0, 0)")
    assert driver.execute_script("return window.innerWidth") <= 400
    for selector in ("#ov-range", "#ov-compare", "#brief-number-cmo", "#brief-risk"):
        assert in_first_screen(dash_duo, selector), selector
    assert in_first_screen(dash_duo, "#brief-impact")
    for selector in ("#ov-range", "#ov-compare"):
        assert dash_duo.find_element(selector).rect["height"] >= 44, selector
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 0


def _channel_cells(dash_duo, table: str, spend: str, revenue: str) -> dict[str, tuple[str, str]]:
    """{channel: (spend, revenue)} as a table shows them (textContent: hidden columns too;
    the spend cell's first text is the amount, its share of spend follows)."""
    return dash_duo.driver.execute_script(
        "var out = {}, spend = arguments[1], revenue = arguments[2];"
        "document.querySelectorAll(arguments[0] + ' tbody tr').forEach(function (tr) {"
        "  var s = tr.querySelector(spend), r = tr.querySelector(revenue);"
        "  out[tr.querySelector('th').textContent.trim()] = ["
        "    document.createTreeWalker(s, NodeFilter.SHOW_TEXT).nextNode().textContent.trim(),"
        "    r.textContent.trim()];"
        "});"
        "return out;",
        table,
        spend,
        revenue,
    )


def test_channel_table_follows_the_period_as_analytics_does(app, dash_duo, lumen_data):
    """Same period on both pages, same channel spend and revenue; the status stays the
    brain's (TikTok's next dollar is below breakeven whatever the dates)."""
    base = start(dash_duo, app)
    dash_duo.driver.set_window_size(1280, 800 + 143)
    log_in(dash_duo, base, USERS["vp_growth"])
    dash_duo.driver.get(base + "/?range=7d&compare=previous")
    dash_duo.wait_for_contains_text("#ov-caption", "(7 days)", timeout=15)
    dash_duo.wait_for_contains_text("#channel-row-meta .ov-spend-cell", "$1,400", timeout=10)
    overview = _channel_cells(dash_duo, "#channel-table", ".ov-spend-cell", ".ov-revenue-cell")
    assert overview["Meta"] == ["$1,400", "$4,200"]  # 7 days x 2 creatives x $100 (x3)
    assert overview["TikTok"] == ["$700", "$1,400"]
    tiktok = dash_duo.find_element("#channel-row-tiktok")
    assert "Loser" in tiktok.text and "ROAS ±0.0%" in tiktok.text  # flat: same ROAS every day
    assert "STATUS (BRAIN)" in dash_duo.find_element("#channel-table thead").text.upper()

    dash_duo.driver.get(base + "/analytics?range=7d&compare=previous")
    dash_duo.wait_for_contains_text("#an-caption", "(7 days)", timeout=15)
    dash_duo.wait_for_element("#an-channel-table tbody tr", timeout=15)
    analytics = _channel_cells(
        dash_duo, "#an-channel-table", "td[data-label='Spend']", "td[data-label^='Revenue']"
    )
    assert {k: analytics[k] for k in overview if k in analytics} == {
        "Meta": overview["Meta"],
        "TikTok": overview["TikTok"],
    }
    assert set(analytics) == {"Meta", "TikTok"}


def test_summary_report_and_trend_follow_the_chosen_period_at_1280(app, dash_duo, lumen_data):
    """At 1280 px with another period than the brain's: the summary says whose window it
    reads, the board report link carries the period and its PDF prints that period's header
    and spend, and each channel's trend stays on one line."""
    import io

    import requests
    from pypdf import PdfReader

    base = start(dash_duo, app)
    driver = dash_duo.driver
    driver.set_window_size(1280, 800 + 143)
    log_in(dash_duo, base, USERS["vp_growth"])
    driver.get(base + "/?range=7d&compare=previous")
    dash_duo.wait_for_contains_text("#ov-caption", "(7 days)", timeout=15)
    window = dash_duo.find_element("#summary-window-vp_growth")
    assert window.is_displayed()
    assert "The brain's read of the 30 days to 24 Nov (26 Oct – 24 Nov)" in window.text
    assert "you chose: 24 Jun – 30 Jun (7 days)" in window.text

    lines = driver.execute_script(
        "return Array.from(document.querySelectorAll('#channel-table td.ov-trend-cell .trend'))"
        ".map(function (t) { var tops = new Set();"  # the line boxes the visible text sits on
        "  Array.from(t.getClientRects()).forEach(function (r) {"
        "    if (r.width > 2) { tops.add(Math.round(r.top)); } });"
        "  return [t.textContent, tops.size]; });"
    )
    assert lines and all(n == 1 for _, n in lines), lines  # one line each: no wrap
    assert any("(steady)" in words for words, _ in lines)  # the word is still there, read out

    Select(dash_duo.find_element("#ov-range")).select_by_value("14d")
    _wait_url(dash_duo, "range=14d")
    dash_duo.wait_for_contains_text("#ov-caption", "(14 days)", timeout=10)
    link = dash_duo.find_element("#report-link-vp_growth")
    href = link.get_attribute("href")
    assert "range=14d" in href and link.is_displayed()
    cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
    resp = requests.get(href, cookies=cookies, timeout=30)
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(resp.content)).pages
    text = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert "Last 14 days: Jun 17, 2025 – Jun 30, 2025 (14 days) vs" in text
    assert "$4,200" in text  # 14 days x $300, as the spend tile
    assert "$4,200" in dash_duo.find_element("#kpi-spend").text  # the page's figure, the same
    assert dash_duo.get_logs() == []
