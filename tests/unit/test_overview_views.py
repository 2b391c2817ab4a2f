"""Overview views as pure functions: persona wording, headline emphasis, identical numbers."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from dash import html

from layouts import components, overview
from layouts.persona import CARD_TITLES, PERSONAS

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "brain_state_example.json"
NUMBER = re.compile(r"[-−+]?\$?\d[\d,]*(?:\.\d+)?%?")


@pytest.fixture(scope="module")
def state() -> dict:
    return json.loads(EXAMPLE.read_text())


@pytest.fixture(scope="module")
def lumen_state() -> dict:
    """A freshly computed Lumen Beauty state: has a fatigued creative and a pause action."""
    from brain.state import compute_brain_state
    from brain.synthetic import generate_brand

    brand = generate_brand(7)
    return compute_brain_state(brand.ad_daily, brand.orders, {"gross_margin": 0.65}, org_id=1)


# ---- tree helpers ---------------------------------------------------------------------------
def walk(node, hidden_for: str | None = None):
    """Yield (component, visible text chunks); skip `only-<p>` parts a persona does not see."""
    if isinstance(node, str | int | float):
        yield None, str(node)
        return
    if node is None:
        return
    if isinstance(node, list | tuple):
        for child in node:
            yield from walk(child, hidden_for)
        return
    classes = (getattr(node, "className", None) or "").split()
    if hidden_for and any(c.startswith("only-") and c != f"only-{hidden_for}" for c in classes):
        return
    yield node, None
    yield from walk(getattr(node, "children", None), hidden_for)


def text_of(node, persona: str | None = None) -> str:
    return " ".join(t for _, t in walk(node, persona) if t)


def find(node, component_id: str):
    for comp, _ in walk(node):
        if comp is not None and getattr(comp, "id", None) == component_id:
            return comp
    raise AssertionError(f"no component with id {component_id!r}")


def classes_of(node, class_prefix: str) -> list[str]:
    out = []
    for comp, _ in walk(node):
        for c in (getattr(comp, "className", None) or "").split() if comp is not None else []:
            if c.startswith(class_prefix):
                out.append(c)
    return out


# ---- personas ---------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", PERSONAS)
def test_card_titles_per_persona(state, persona):
    page = overview.overview(state, persona)
    for module in ("memory", "oracle", "curiosity"):
        card = find(page, f"card-{module}")
        visible = text_of(card, persona)
        assert CARD_TITLES[persona][module] in visible
        others = [CARD_TITLES[p][module] for p in PERSONAS if p != persona]
        assert not any(o in visible for o in others), "another persona's title is visible"


@pytest.mark.parametrize(
    ("persona", "kpi"), [("cmo", "ltv-roas"), ("vp_growth", "mer"), ("director", "spend")]
)
def test_headline_metric_first_and_marked(state, persona, kpi):
    strip = overview.kpi_strip(state, persona)
    tiles = [
        c
        for c, _ in walk(strip)
        if c is not None and str(getattr(c, "id", "")).startswith("kpi-tile-")
    ]
    assert tiles[0].id == f"kpi-tile-{kpi}", "the headline leads the strip"
    assert f"hl-{persona}" in tiles[0].className
    # Exactly one tile carries this persona's emphasis class (CSS keys size and order on it).
    assert sum(f"hl-{persona}" in t.className for t in tiles) == 1
    assert "Headline" in text_of(tiles[0], persona)


def test_director_leads_with_actions_cmo_with_numbers(state):
    def section_order(persona):
        page = overview.overview(state, persona)
        return [c.split("ov-sec-")[1] for c in classes_of(page, "ov-sec-")]

    assert section_order("director")[0] == "actions"
    assert section_order("cmo")[:2] == ["kpis", "summary"]
    assert section_order("vp_growth").index("insights") < section_order("vp_growth").index(
        "actions"
    )


def test_numbers_identical_across_personas(lumen_state):
    """Same data for everyone: every number on the page, and each key metric, is the same."""
    renders = {p: overview.overview(lumen_state, p) for p in PERSONAS}
    multisets = {p: Counter(NUMBER.findall(text_of(page))) for p, page in renders.items()}
    assert multisets["cmo"] == multisets["vp_growth"] == multisets["director"]
    assert sum(multisets["cmo"].values()) > 100
    for key in (
        "kpi-spend",
        "kpi-mer",
        "kpi-platform-roas",
        "kpi-ltv-roas",
        "channel-table",
        "total-opportunity",
        "risk-level",
    ):
        values = {p: text_of(find(page, key)) for p, page in renders.items()}
        assert len(set(values.values())) == 1, (key, values)
    assert (
        text_of(find(renders["cmo"], "kpi-mer")) == f"{lumen_state['memory']['totals']['mer']:.2f}"
    )


def test_numbers_follow_the_state(state):
    """The view renders the stored numbers: change one and the page changes with it."""
    changed = copy.deepcopy(state)
    changed["memory"]["totals"]["mer"] = 9.87
    assert text_of(find(overview.overview(changed), "kpi-mer")) == "9.87"
    assert text_of(find(overview.overview(state), "kpi-mer")) == (
        f"{state['memory']['totals']['mer']:.2f}"
    )


def test_action_buttons_are_the_same_honest_states_for_every_persona(lumen_state):
    page = overview.overview(lumen_state, "cmo")
    actions = lumen_state["curiosity"]["actions"]
    first = find(page, f"action-{actions[0]['id']}")
    footer = html.Div(overview.action_footer(actions[0]))  # what opening the card renders
    ids = [
        c.id for c, _ in walk(footer) if c is not None and isinstance(getattr(c, "id", None), dict)
    ]
    decisions = {i["decision"] for i in ids if i.get("type") == "action-btn"}
    assert decisions == {"planned", "done", "dismissed"}
    assert all(i["action"] == actions[0]["id"] for i in ids if i.get("type") == "action-btn")
    for persona in PERSONAS:
        visible = text_of(first, persona) + " " + text_of(footer, persona)
        assert "Plan it" in visible and "Mark done" in visible and "Dismiss" in visible
        for dishonest in ("Approve", "Execute", "Accept"):
            assert dishonest not in visible, (persona, dishonest)
        micro = overview.pretty(actions[0]["microcopy"][persona])
        assert micro in visible


def test_a_collapsed_card_has_no_decision_footer_until_it_is_opened(lumen_state):
    """The buttons and status are rendered when the card is first opened (five fewer
    components per card at load); the card says where they go and reports its opening."""
    action = lumen_state["curiosity"]["actions"][0]
    aid = str(action["id"])
    card = overview.action_item(action, {"id": 1, "decision": "planned", "user": "Ann"})
    ids = [c.id for c, _ in walk(card) if isinstance(getattr(c, "id", None), dict)]
    assert {i["type"] for i in ids} == {
        overview.ACTION_CARD,
        overview.ACTION_CHIP,  # the state word on the collapsed card, updated by decisions
        overview.ACTION_FOOTER,
    }
    assert {overview.ACTION_CARD: aid} == {i["type"]: i["action"] for i in ids[:1]}
    chip = next(c for c, _ in walk(card) if getattr(c, "id", None) == {
        "type": overview.ACTION_CHIP, "action": aid})  # fmt: skip
    assert chip.children == "Planned"
    opened = overview.action_item(action, {"id": 1, "decision": "planned"}, footer=True)
    kinds = {c.id["type"] for c, _ in walk(opened) if isinstance(getattr(c, "id", None), dict)}
    assert {"action-btn", "action-status", "action-undo"} <= kinds


def test_pause_action_links_to_the_exact_ad_in_its_ads_manager(lumen_state):
    pause = next(a for a in lumen_state["curiosity"]["actions"] if a["type"] == "pause_creative")
    item = overview.action_item(pause, accounts={"tiktok": "7000000000000000001"})
    links = [c.href for c, _ in walk(item) if getattr(c, "href", None)]
    cid = pause["targets"][0]["creative_id"]
    assert links == [
        f"https://ads.tiktok.com/i18n/perf/creative?aadvid=7000000000000000001&keyword={cid}"
    ]
    assert f"Open ad {cid} in TikTok Ads Manager" in text_of(item)


def test_deep_links_per_platform():
    from layouts.deeplinks import link

    meta = link({"kind": "creative", "platform": "meta", "creative_id": "238", "campaign_id": "9"},
                "act_123")  # fmt: skip
    assert meta[0] == (
        "https://adsmanager.facebook.com/adsmanager/manage/ads?act=123&selected_ad_ids=238"
    )
    google = link({"kind": "campaign", "platform": "google_ads", "id": "campaign:google_ads:77"},
                  "123-456-7890")  # fmt: skip
    assert google[0] == "https://ads.google.com/aw/ads?__e=1234567890&campaignId=77"
    plat = link({"kind": "platform", "platform": "meta", "id": "platform:meta"}, None)
    assert plat[0] == "https://adsmanager.facebook.com/adsmanager/manage/campaigns?"
    assert link({"kind": "cohorts", "platform": None, "id": "ltv_drift"}) is None


def test_pause_action_and_fatigue_evidence(lumen_state):
    page = overview.overview(lumen_state, "director")
    text = text_of(page, "director")
    pause = next(a for a in lumen_state["curiosity"]["actions"] if a["type"] == "pause_creative")
    assert pause["title"] in text
    fatigue = lumen_state["oracle"]["fatigue"][0]
    assert f"{fatigue['prob_7d'] * 100:.0f}% fatigue in 7 days" in text
    assert "Pause now." in text
    cmo = text_of(page, "cmo")
    assert "stopped paying back" in cmo or "will stop paying back" in cmo


def test_decision_status_shows_undo_with_decision_id(state):
    aid = state["curiosity"]["actions"][0]["id"]
    status = overview.decision_status(
        aid, {"id": 41, "decision": "planned", "at": "2026-11-25T10:00:00+00:00", "user": "Sam"}
    )
    undo = [
        c for c, _ in walk(status) if c is not None and isinstance(getattr(c, "id", None), dict)
    ]
    assert undo[0].id == {"type": "action-undo", "action": aid, "decision_id": 41}
    for persona in PERSONAS:  # one shared state, who and when, whoever looks
        assert "Planned by Sam · 25 Nov, 10:00 UTC" in " ".join(text_of(status, persona).split())
    assert "Open: nobody" in text_of(overview.decision_status(aid, None))


def test_done_pause_shows_what_the_data_says(state):
    aid = state["curiosity"]["actions"][0]["id"]
    done = {"id": 1, "decision": "done", "at": "2026-11-25T10:00:00+00:00", "user": "Sam"}
    still = {**done, "check": {"status": "still_spending", "since": "2026-11-25", "spend": 120.0}}
    ok = {**done, "check": {"status": "verified", "since": "2026-11-25", "through": "2026-11-28"}}
    assert "Still spending: €120" in text_of(overview.decision_status(aid, still, "EUR"))
    assert "no spend on this ad since 25 Nov" in text_of(overview.decision_status(aid, ok))


def test_channel_status_in_words(state):
    table = overview.channel_table(state["memory"]["platforms"])
    text = text_of(table)
    assert "Winner" in text and "Loser" in text
    assert "Meta" in text and "TikTok" in text


def test_channel_status_follows_the_next_dollar_with_its_rule(state):
    """TikTok's next dollar (0.50) is below breakeven (1.54): Loser, and the tooltip says why."""
    from brain.memory import channel_status

    be = state["memory"]["totals"]["breakeven_roas"]
    plats = {p["platform"]: p for p in state["memory"]["platforms"]}
    assert channel_status(plats["tiktok"]["response_curve"], be) == "loser"
    assert channel_status(plats["google_ads"]["response_curve"], be) == "loser"
    assert channel_status(plats["meta"]["response_curve"], be) == "winner"
    rule = overview.status_rule(plats["tiktok"], be)
    assert rule.startswith("Next-dollar ROAS 0.50 vs breakeven 1.54")
    assert "Loser below 1.54" in rule


PERIOD = {
    "caption": "Jun 24, 2025 – Jun 30, 2025 (7 days) vs Jun 17, 2025 – Jun 23, 2025 (the previous "
    "period)",
    "compare": "previous",
    "channels": [
        {"platform": "meta", "spend": 1400.0, "platform_revenue": 4200.0, "roas": 3.0,
         "roas_change": 0.0, "share": 2 / 3},
        {"platform": "tiktok", "spend": 700.0, "platform_revenue": 1400.0, "roas": 2.0,
         "roas_change": -0.25, "share": 1 / 3},
    ],
}  # fmt: skip


def test_channel_table_shows_the_chosen_periods_figures_and_the_brains_status(state):
    """With a date control period the spend, revenue, ROAS, LTV-ROAS and trend are that
    period's (the analytics rows); status and next-dollar ROAS stay the brain's, labelled."""
    be = state["memory"]["totals"]["breakeven_roas"]
    rows = overview.period_channels(state["memory"]["platforms"], PERIOD, 1.5)
    table = overview.channel_table(rows, "USD", be, PERIOD)
    tiktok = " ".join(text_of(find(table, "channel-row-tiktok")).split())
    for shown in ("$700", "33% of spend", "$1,400", "2.00", "3.00", "ROAS −25.0%", "Loser", "0.50"):
        assert shown in tiktok, (shown, tiktok)
    brain_tiktok = state["memory"]["platforms"][2]
    assert overview.fmt.money(brain_tiktok["spend"]) not in tiktok  # not the brain's 30 days
    meta = " ".join(text_of(find(table, "channel-row-meta")).split())
    assert "$1,400" in meta and "$4,200" in meta and "ROAS ±0.0% (steady)" in meta
    google = " ".join(text_of(find(table, "channel-row-google_ads")).split())
    assert "$0" in google and "Loser" in google  # no spend in the period; the brain's status
    head = text_of(table.children[0].children[1])
    assert "Status (brain)" in head and "Next-$ ROAS (brain)" in head
    cell = find(find(table, "channel-row-tiktok"), "channel-row-tiktok").children[7]
    assert cell.children.title.startswith("ROAS, Jun 24, 2025 – Jun 30, 2025 (7 days) vs")
    # without a period: the brain's own figures, as before
    plain = overview.channel_table(state["memory"]["platforms"], "USD", be)
    assert overview.fmt.money(brain_tiktok["spend"]) in text_of(plain)
    assert "(brain)" not in text_of(plain)


def test_no_comparison_leaves_the_channel_trend_blank(state):
    chosen = {**PERIOD, "compare": "none"}
    rows = overview.period_channels(state["memory"]["platforms"], chosen, 1.5)
    assert all(r["trend"] == {} for r in rows)


def test_trend_says_its_sign_and_metric():
    up = " ".join(text_of(overview.channel_trend({"direction": "flat", "change_pct": 4.1})).split())
    assert up == "▶ ROAS +4.1% (steady)"
    down = " ".join(
        text_of(overview.channel_trend({"direction": "down", "change_pct": -13.08})).split()
    )
    assert down == "▼ ROAS −13.1%"


@pytest.mark.parametrize(
    ("level", "word"), [("RED", "RED"), ("YELLOW", "YELLOW"), ("GREEN", "GREEN")]
)
def test_risk_badge_carries_text(level, word):
    badge = components.risk_badge(level, 75)
    text = text_of(badge)
    assert word in text and "75/100" in text
    assert f"risk-{level.lower()}" in badge.className


def test_risk_badge_without_data_says_so():
    assert "UNKNOWN" in text_of(components.risk_badge(None))


def test_empty_state_when_no_brain_state():
    page = overview.overview(None)
    assert page.id == "overview-empty"
    text = text_of(page)
    assert "No insights yet" in text and "connect a platform" in text
    link = next(c for c, _ in walk(page) if c is not None and getattr(c, "href", None))
    assert link.href == "/onboarding"
    assert overview.overview({"memory": {}}).id == "overview-empty"


def test_summary_labelled_template_with_persona_prefixes(state):
    section = overview.summary_section({p: f"{p} text" for p in PERSONAS})
    assert "Template summary" in text_of(section)
    page = overview.overview(state, "vp_growth")
    assert text_of(find(page, "ov-summary"), "vp_growth").count("This week:") == 1


def test_sparkline_alt_has_range_and_ignores_gaps():
    img = components.sparkline([1.0, None, 3.5, 2.0], "Daily MER")
    assert img.src.startswith("data:image/svg+xml")
    assert "from 1.00 to 2.00" in img.alt and "high 3.50" in img.alt
    assert components.sparkline([None, 2.0], "x").children == ""


def test_formatting_helpers():
    assert components.fmt_money(233022.71) == "$233,023"
    assert components.fmt_money(-5.5, decimals=2) == "−$5.50"
    assert components.fmt_pct(-0.3564, signed=True) == "−36%"
    assert components.fmt_ratio(None) == "–"
    assert overview.pretty("Investigate orders down on 2026-11-19 (the org)") == (
        "Investigate orders down on 19 Nov"
    )


def test_stored_state_period_days(state):
    stored = copy.deepcopy(state)
    stored["period"] = {"start": "2026-10-26", "end": "2026-11-24"}
    assert overview.period_days(stored) == 30
    assert "last 30 days" in text_of(overview.header(stored, "Lumen"))


def test_freshness_says_how_old_the_data_is():
    from datetime import date

    from layouts.shell import freshness_text

    today = date(2026, 11, 29)
    assert freshness_text("2026-11-24", None, today) == "Data through 24 Nov (5 days old)"
    assert freshness_text("2026-11-28", None, today) == "Data through 28 Nov (yesterday)"


def test_top_risk_in_words_with_money(state):
    """'What will break' in words a CMO reads: "$8,755 vs $19,578 expected", not "RED 100/100"."""
    findings = state["oracle"]["risk"]["findings"]
    words = [overview.risk_words(state, f) for f in findings]
    assert words[0] == "Store revenue fell on 19 Nov: $8,755 vs $19,578 expected."
    assert words[2].startswith("TikTok ad C12") and "96% likely to fatigue" in words[2]
    assert "May–Jul 2026" in words[3]
    brief = text_of(overview.brief(state))
    assert words[0] in brief and "+$" in brief


@pytest.mark.parametrize(
    "search",
    ["", "?range=7d&compare=previous_year", "?range=custom&start=2026-11-01&end=2026-11-10"],
)
def test_the_date_control_shows_the_urls_period_so_the_sync_does_nothing_at_load(search):
    """The control is rendered with the URL's range, dates and comparison (as the URL sync
    would set them): at load the sync answers 204 instead of re-rendering the control. Back
    or forward to another period still moves the control."""
    from datetime import date

    from dash.exceptions import PreventUpdate

    from layouts import periods

    latest = date(2026, 11, 29)
    control = overview.period_control(periods.page_filters(search), date(2026, 6, 1), latest)
    value = {c.id: getattr(c, "value", None) for c, _ in walk(control) if getattr(c, "id", None)}
    shown = [value[f"ov-{k}"] for k in ("range", "dates-start", "dates-end", "compare")]
    with pytest.raises(PreventUpdate):
        periods.sync_period("ov", None, search, *shown, latest)
    moved = periods.sync_period("ov", None, "?range=90d", *shown, latest)
    assert moved[1] == "90d" and moved[2] == "2026-09-01" and moved[3] == "2026-11-29"
