"""The executive dashboard in headless Chromium: personas, decisions, the PDF, a phone screen."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from extensions import db
from layouts.persona import CARD_TITLES
from models import ActionDecision
from tests.conftest import settle
from tests.helpers.overview import EXAMPLE
from tests.helpers.overview_e2e import USERS, click, in_first_screen, log_in, start
from tests.helpers.wait import wait_until

pytestmark = pytest.mark.e2e


def visible_title(dash_duo, module: str) -> str:
    header = dash_duo.find_element(f"#card-{module} .card-title-persona")
    spans = header.find_elements(By.CSS_SELECTOR, "span[class^='only-']")
    return " ".join(s.text for s in spans if s.is_displayed())


def test_personas_see_their_words_and_the_same_numbers(app, dash_duo, lumen):
    base = start(dash_duo, app)
    mer = f"{EXAMPLE['memory']['totals']['mer']:.2f}"
    for persona, email in USERS.items():
        log_in(dash_duo, base, email)
        for module in ("memory", "oracle", "curiosity"):
            assert visible_title(dash_duo, module) == CARD_TITLES[persona][module]
        assert dash_duo.find_element("#persona-select").get_attribute("value") == persona
        assert dash_duo.find_element("#kpi-mer").text == mer
    # The director switches to the CMO view: words change at once, numbers stay.
    dash_duo.wait_for_text_to_equal("#kpi-mer", mer)
    spend = dash_duo.find_element("#kpi-spend").text
    first_tile = dash_duo.find_element(".ov-kpis .ov-kpi").get_attribute("id")
    assert first_tile == "kpi-tile-spend"  # the director's headline
    Select(dash_duo.find_element("#persona-select")).select_by_value("cmo")
    dash_duo.wait_for_contains_class("#persona-root", "persona-is-cmo", timeout=5)
    assert visible_title(dash_duo, "curiosity") == CARD_TITLES["cmo"]["curiosity"]
    summary = dash_duo.find_element("#ov-summary").text
    assert "Here's the truth:" in summary and "Action needed:" not in summary
    assert dash_duo.find_element("#kpi-mer").text == mer
    assert dash_duo.find_element("#kpi-spend").text == spend
    # The CMO headline (LTV-ROAS) now leads visually: CSS order, no re-render.
    ltv = dash_duo.find_element("#kpi-tile-ltv-roas").rect
    spend_tile = dash_duo.find_element("#kpi-tile-spend").rect
    assert (ltv["y"], ltv["x"]) < (spend_tile["y"], spend_tile["x"])


def test_tips_decide_undo_and_download_pdf(app, dash_duo, lumen):
    base = start(dash_duo, app)
    log_in(dash_duo, base, USERS["cmo"], skip_tips=False)
    # First visit: the MER tip shows; "Skip tips" ends them, and they stay gone on reload.
    tip = dash_duo.wait_for_element("#tip-mer", timeout=10)
    wait_until(tip.is_displayed, 10, "the MER tip to show")
    # inline under the header: it covers nothing (the brief starts below it)
    assert tip.rect["y"] + tip.rect["height"] <= dash_duo.find_element("#ov-brief").rect["y"]
    dash_duo.find_element("#tip-skip-mer").click()
    wait_until(lambda: not tip.is_displayed(), 5, "the tip to close")
    dash_duo.driver.refresh()
    dash_duo.wait_for_element("#kpi-mer", timeout=20)
    settle(dash_duo)
    shown = [
        t for t in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".ov-tip") if t.is_displayed()
    ]
    assert not shown

    action = EXAMPLE["curiosity"]["actions"][0]["id"]
    card = f"#action-{action}"
    click(dash_duo, f"{card} summary.ov-action-summary")  # cards open on tap
    click(dash_duo, f"{card} .ov-action-buttons .btn-outline-primary")
    dash_duo.wait_for_contains_text(f"{card} .ov-decision", "Planned by", timeout=10)
    with app.app_context():
        rows = db.session.query(ActionDecision).all()
        assert [(r.action_id, r.decision, r.undone_at) for r in rows] == [(action, "planned", None)]
    click(dash_duo, f"{card} .ov-undo")
    dash_duo.wait_for_contains_text(f"{card} .ov-decision", "Open: nobody", timeout=10)
    with app.app_context():
        assert db.session.query(ActionDecision).one().undone_at is not None

    link = dash_duo.find_element("#report-link-cmo")
    assert (
        link.is_displayed() and not dash_duo.find_element("#report-link-vp_growth").is_displayed()
    )
    cookies = {c["name"]: c["value"] for c in dash_duo.driver.get_cookies()}
    resp = requests.get(link.get_attribute("href"), cookies=cookies, timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF")
    assert dash_duo.get_logs() == []


def test_phone_navbar_collapses_and_nothing_overflows(app, dash_duo, lumen):
    base = start(dash_duo, app)
    driver = dash_duo.driver
    driver.set_window_size(390, 844 + 143)  # the window's toolbar takes ~143 px
    log_in(dash_duo, base, USERS["cmo"])
    width = driver.execute_script("return window.innerWidth")
    assert 380 <= width <= 400
    toggler = dash_duo.find_element("#navbar-toggler")
    assert toggler.is_displayed()
    assert not dash_duo.find_element("#nav-analytics").is_displayed()
    toggler.click()
    dash_duo.wait_for_element("#nav-analytics", timeout=5)
    wait_until(dash_duo.find_element("#nav-analytics").is_displayed, 5, "the menu to open")
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the phone"


# ---- issue 15: honest shared states, the 10-second brief, no overflow ----------------------------
def _text_of(dash_duo, selector: str) -> str:
    element = dash_duo.find_element(selector)
    return " ".join((element.get_attribute("textContent") or "").split())


def test_done_by_the_director_is_what_the_cmo_sees(app, dash_duo, lumen):
    """No 'Executed' / 'Approved': the Director marks the pause Done; the CMO sees the same
    state with who and when, and the card links to the exact ad in TikTok Ads Manager."""
    base = start(dash_duo, app)
    pause = next(a for a in EXAMPLE["curiosity"]["actions"] if a["type"] == "pause_creative")
    card = f"#action-{pause['id']}"
    log_in(dash_duo, base, USERS["director"])
    click(dash_duo, f"{card} summary.ov-action-summary")
    link = dash_duo.find_element(f"{card} .ov-deeplink")
    assert "ads.tiktok.com/i18n/perf/creative" in link.get_attribute("href")
    assert f"keyword={pause['targets'][0]['creative_id']}" in link.get_attribute("href")
    assert "Execute" not in dash_duo.find_element(card).text
    dash_duo.wait_for_element(f"{card} .ov-action-buttons .btn", timeout=10)  # rendered on open
    buttons = dash_duo.driver.find_elements(By.CSS_SELECTOR, f"{card} .ov-action-buttons .btn")
    assert [b.text for b in buttons] == ["Plan it", "Mark done", "Dismiss"]
    click(dash_duo, f"{card} .ov-action-buttons .btn-primary")
    dash_duo.wait_for_contains_text(f"{card} .ov-decision", "Done by Director", timeout=10)
    dash_duo.wait_for_text_to_equal(f"{card} .ov-state-chip", "Done", timeout=10)  # same page
    for persona in ("cmo", "vp_growth"):
        log_in(dash_duo, base, USERS[persona])
        assert _text_of(dash_duo, f"{card} .ov-state-chip") == "Done"  # on the collapsed card
        click(dash_duo, f"{card} summary.ov-action-summary")  # opened: who and when
        dash_duo.wait_for_contains_text(f"{card} .ov-decision", "Done by Director", timeout=10)
        status = _text_of(dash_duo, f"{card} .ov-decision")
        assert status.startswith("Done by Director · "), (persona, status)
        assert "UTC" in status and "Approved" not in status and "Executed" not in status
    with app.app_context():
        assert [r.decision for r in db.session.query(ActionDecision).all()] == ["done"]


def test_phone_first_screen_answers_the_three_questions(app, dash_duo, lumen):
    """390x844: the headline number, the top risk in words and the top action with its dollar
    impact are on the first screen; the cards below are collapsed; tables are stacked cards."""
    base = start(dash_duo, app)
    driver = dash_duo.driver
    driver.set_window_size(390, 844 + 143)
    for persona in ("cmo", "director"):
        log_in(dash_duo, base, USERS[persona])
        driver.execute_script("window.scrollTo(0, 0)")
        assert driver.execute_script("return window.innerWidth") <= 400
        for selector in (f"#brief-number-{persona}", "#brief-risk", "#brief-impact"):
            assert in_first_screen(dash_duo, selector), (persona, selector)
        risk = dash_duo.find_element("#brief-risk").text
        assert "RED 100/100" not in risk and len(risk.split()) >= 5  # words, not a score
        assert dash_duo.find_element("#brief-impact").text.startswith("+$")
        assert not driver.find_elements(By.CSS_SELECTOR, ".ov-action-details[open]")
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"page is {overflow}px wider than the phone"
        # The channel table: each row a card, its status inside the screen's width.
        cells = driver.find_elements(By.CSS_SELECTOR, "#channel-table td.ov-status-cell")
        assert len(cells) == len(EXAMPLE["memory"]["platforms"])
        for cell in cells:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
            assert cell.is_displayed() and cell.rect["x"] + cell.rect["width"] <= 390
    # A tap opens a card.
    first = EXAMPLE["curiosity"]["actions"][0]["id"]
    click(dash_duo, f"#action-{first} summary.ov-action-summary")
    buttons = dash_duo.wait_for_element(f"#action-{first} .ov-action-buttons", timeout=10)
    assert buttons.is_displayed()


def test_desktop_brief_and_status_rule(app, dash_duo, lumen):
    base = start(dash_duo, app)
    dash_duo.driver.set_window_size(1280, 800 + 143)
    log_in(dash_duo, base, USERS["vp_growth"])
    for selector in ("#brief-number-vp_growth", "#brief-risk", "#brief-impact"):
        assert in_first_screen(dash_duo, selector), selector
    rows = {
        r.find_element(By.CSS_SELECTOR, "th").text: r
        for r in dash_duo.driver.find_elements(By.CSS_SELECTOR, "#channel-table tbody tr")
    }
    tiktok = rows["TikTok"].find_element(By.CSS_SELECTOR, "td.ov-status-cell")
    assert "Loser" in tiktok.text  # next dollar 0.50 < breakeven 1.54
    assert tiktok.get_attribute("title").startswith("Next-dollar ROAS 0.50 vs breakeven 1.54")
    assert "ROAS" in rows["TikTok"].text and (
        "+" in rows["TikTok"].text or "−" in rows["TikTok"].text
    )
    assert dash_duo.get_logs() == []


def test_an_alert_links_to_its_finding_on_the_overview(app, dash_duo, lumen):
    """Alert mails link to /?finding=<key> (jobs/alerts.finding_link): the page scrolls to that
    finding and marks it, whatever characters the key holds."""
    from jobs.alerts import finding_link

    base = start(dash_duo, app)
    log_in(dash_duo, base, USERS["cmo"])
    dash_duo.driver.get(base + finding_link("anomaly", "fatigue:tiktok:C12"))
    linked = dash_duo.wait_for_element("#finding-fatigue-tiktok-C12.ov-finding-linked", timeout=20)
    assert "C12" in linked.text
    in_view = (
        "const r = arguments[0].getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= innerHeight;"
    )
    WebDriverWait(dash_duo.driver, 10).until(lambda d: d.execute_script(in_view, linked))
    assert len(dash_duo.driver.find_elements("css selector", ".ov-finding-linked")) == 1


def test_an_open_card_stays_open_when_a_newer_state_arrives(app, dash_duo, lumen):
    """The poll renders the overview again for a newer brain state: the card the reader had
    open is open again, its buttons with it; a card they closed stays closed."""
    import copy

    from tests.helpers.overview import store_state

    base = start(dash_duo, app)
    log_in(dash_duo, base, USERS["cmo"])
    first, second = (a["id"] for a in EXAMPLE["curiosity"]["actions"][:2])
    click(dash_duo, f"#action-{first} summary.ov-action-summary")
    dash_duo.wait_for_element(f"#action-{first} .ov-action-buttons .btn", timeout=10)
    click(dash_duo, f"#action-{second} summary.ov-action-summary")  # opened, then closed
    dash_duo.wait_for_element(f"#action-{second} .ov-action-buttons .btn", timeout=10)
    click(dash_duo, f"#action-{second} summary.ov-action-summary")
    newer = copy.deepcopy(EXAMPLE)
    newer["memory"]["totals"]["mer"] = 3.33
    store_state(app, lumen["org_id"], newer)
    dash_duo.driver.execute_script(  # the 30 s poll, now
        "window.dash_clientside.set_props('ov-interval', {n_intervals: 99})"
    )
    dash_duo.wait_for_text_to_equal("#kpi-mer", "3.33", timeout=15)  # the new body is shown

    def is_open(action_id: str) -> bool:
        return dash_duo.driver.execute_script(
            "var d = document.querySelector(arguments[0]); return !!(d && d.open);",
            f"#action-{action_id} details.ov-action-details",
        )

    wait_until(lambda: is_open(first), 10, "the card read before to open again")
    dash_duo.wait_for_element(f"#action-{first} .ov-action-buttons .btn", timeout=10)
    assert not is_open(second)
    assert dash_duo.get_logs() == []
