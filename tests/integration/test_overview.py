"""Overview through the real Dash endpoint: tenant scoping, decisions, polling, shell status."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from brain.narrative import short_date
from callbacks import render_cache
from extensions import db
from models import ActionDecision, Connection
from tests.conftest import csrf_headers, login, make_org
from tests.helpers.overview import (
    EXAMPLE,
    beta_state,
    open_card,
    poll,
    post,
    route,
    store_state,
    text,
)

MER = f'"{EXAMPLE["memory"]["totals"]["mer"]:.2f}"'  # as the KPI tile renders it
THROUGH = "Data through " + short_date(EXAMPLE["as_of"])
ALL_ACTIONS = [x["id"] for x in EXAMPLE["curiosity"]["actions"]]  # every card has a state word
B_MARKERS = ("Beta Secret Brand", "Beta Secret Campaign", "beta-secret-creative", "7.77")
DECIDE = (
    '..{"action":["ALL"],"type":"action-status"}.children'
    '...{"action":["ALL"],"type":"action-chip"}.children...ov-toasts.children..'
)


def _sid(component_id: dict) -> str:
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def decide(client, trigger: dict, shown: list[str]):
    """Fire the decision callback as the renderer does after one click."""
    buttons, undos = [], []
    if trigger["type"] == "action-btn":
        buttons.append({"id": trigger, "property": "n_clicks", "value": 1})
    else:
        undos.append({"id": trigger, "property": "n_clicks", "value": 1})
    return post(
        client,
        {
            "output": DECIDE,
            "outputs": [
                [
                    {"id": {"type": "action-status", "action": a}, "property": "children"}
                    for a in shown
                ],
                [
                    {"id": {"type": "action-chip", "action": a}, "property": "children"}
                    for a in ALL_ACTIONS
                ],
                {"id": "ov-toasts", "property": "children"},
            ],
            "inputs": [buttons, undos],
            "changedPropIds": [f"{_sid(trigger)}.n_clicks"],
        },
    )


def decisions(app, org_id: int | None = None) -> list[ActionDecision]:
    with app.app_context():
        stmt = select(ActionDecision)
        if org_id is not None:
            stmt = stmt.where(ActionDecision.org_id == org_id)
        rows = db.session.execute(stmt).scalars().all()
        db.session.expunge_all()
        return rows


def assert_no_b(body: str) -> None:
    for marker in B_MARKERS:
        assert marker not in body, f"org B's {marker!r} leaked"


# ---- router -------------------------------------------------------------------------------------
def test_router_renders_own_org_only(app, client, orgs):
    a, b = orgs
    login(client, a["email"])
    resp = route(client)
    assert resp.status_code == 200
    body = text(resp)
    assert "Alpha Brand" in body
    assert MER in body  # A's MER, as stored
    assert "Attribution Truth" in body and "Template summary" in body
    assert EXAMPLE["curiosity"]["actions"][0]["id"] in body
    assert_no_b(body)
    # And the other way round: B sees B.
    client.post("/logout", data={"csrf_token": csrf_headers(client)["X-CSRFToken"]})
    login(client, b["email"])
    body_b = text(route(client))
    assert '"7.77"' in body_b and "Alpha Brand" not in body_b


def test_router_empty_state_without_brain_state(app, client):
    a = make_org(app, "Fresh Brand", "new@fresh.example")
    login(client, a["email"])
    body = text(route(client))
    assert "No insights yet" in body and "/onboarding" in body


def test_router_reads_latest_stored_state(app, client, orgs):
    a, _ = orgs
    newer = copy.deepcopy(EXAMPLE)
    newer["memory"]["totals"]["mer"] = 3.33
    store_state(app, a["org_id"], newer)
    login(client, a["email"])
    body = text(route(client))
    assert '"3.33"' in body and MER not in body


# ---- decisions ----------------------------------------------------------------------------------
def test_decision_is_recorded_for_own_org(app, client, orgs):
    a, b = orgs
    login(client, a["email"])
    aid = EXAMPLE["curiosity"]["actions"][1]["id"]
    shown = [x["id"] for x in EXAMPLE["curiosity"]["actions"]]
    resp = decide(client, {"type": "action-btn", "action": aid, "decision": "planned"}, shown)
    assert resp.status_code == 200
    body = text(resp)
    assert "Planned" in body and "action-undo" in body
    assert_no_b(body)
    rows = decisions(app)
    assert [(r.org_id, r.action_id, r.decision, r.user_id) for r in rows] == [
        (a["org_id"], aid, "planned", a["user_id"])
    ]
    out = resp.get_json()["response"]
    status_keys = [k for k in out if '"action-status"' in k]
    assert len(status_keys) == len(shown)  # one status per action shown
    mine = out[_sid({"type": "action-status", "action": aid})]["children"]
    assert "action-undo" in json.dumps(mine)
    # every card's state word, opened or not: this one Planned, the others still Open
    chips = {k: v["children"] for k, v in out.items() if '"action-chip"' in k}
    assert chips.pop(_sid({"type": "action-chip", "action": aid})) == "Planned"
    assert len(chips) == len(shown) - 1 and set(chips.values()) == {"Open"}


def test_unknown_or_foreign_action_is_refused(app, client, orgs):
    a, b = orgs
    login(client, a["email"])
    shown = [x["id"] for x in EXAMPLE["curiosity"]["actions"]]
    foreign = beta_state()["curiosity"]["actions"][0]["id"]  # exists, but in org B's state
    for action_id in (foreign, "act_doesnotexist", ""):
        resp = decide(
            client, {"type": "action-btn", "action": action_id, "decision": "planned"}, shown
        )
        assert resp.status_code == 200
        body = text(resp)
        assert "Action not found" in body
        assert_no_b(body)
    bad_word = decide(client, {"type": "action-btn", "action": shown[0], "decision": "x"}, shown)
    assert "Not saved" in text(bad_word)
    assert decisions(app) == []


def test_cannot_undo_another_orgs_decision(app, client, orgs):
    a, b = orgs
    from models.decisions import record_decision

    b_action = beta_state()["curiosity"]["actions"][0]["id"]
    with app.app_context():
        b_decision = record_decision(b["org_id"], b["user_id"], b_action, "planned").id
    login(client, a["email"])
    shown = [x["id"] for x in EXAMPLE["curiosity"]["actions"]]
    for decision_id in (b_decision, "1; drop table", None):
        resp = decide(
            client,
            {"type": "action-undo", "action": b_action, "decision_id": decision_id},
            shown,
        )
        assert resp.status_code == 200
        body = text(resp)
        assert "Nothing to undo" in body
        assert_no_b(body)
    (row,) = decisions(app, b["org_id"])
    assert row.undone_at is None


def test_undo_own_decision_restores_previous(app, client, orgs):
    a, _ = orgs
    login(client, a["email"])
    aid = EXAMPLE["curiosity"]["actions"][0]["id"]
    shown = [aid]
    decide(client, {"type": "action-btn", "action": aid, "decision": "dismissed"}, shown)
    decide(client, {"type": "action-btn", "action": aid, "decision": "done"}, shown)
    latest = max(decisions(app, a["org_id"]), key=lambda r: r.id)
    assert latest.decision == "done"
    resp = decide(client, {"type": "action-undo", "action": aid, "decision_id": latest.id}, shown)
    assert "Dismissed" in text(resp)
    with app.app_context():
        from models.decisions import latest_decisions

        assert latest_decisions(a["org_id"]) == {aid: "dismissed"}


def test_mounting_undo_button_does_not_record(app, client, orgs):
    a, _ = orgs
    login(client, a["email"])
    aid = EXAMPLE["curiosity"]["actions"][0]["id"]
    payload = {
        "output": DECIDE,
        "outputs": [
            [{"id": {"type": "action-status", "action": aid}, "property": "children"}],
            [{"id": {"type": "action-chip", "action": aid}, "property": "children"}],
            {"id": "ov-toasts", "property": "children"},
        ],
        "inputs": [
            [
                {
                    "id": {"type": "action-btn", "action": aid, "decision": "planned"},
                    "property": "n_clicks",
                    "value": 0,
                }
            ],
            [],
        ],
        "changedPropIds": [
            f"{_sid({'type': 'action-btn', 'action': aid, 'decision': 'planned'})}.n_clicks"
        ],
    }
    assert post(client, payload).status_code == 204
    assert decisions(app) == []


def test_poll_rerenders_only_for_a_newer_state(app, client, orgs):
    a, b = orgs
    login(client, a["email"])
    assert poll(client, a["state_id"]).status_code == 204  # nothing new
    newer = copy.deepcopy(EXAMPLE)
    newer["memory"]["totals"]["mer"] = 4.56
    new_id = store_state(app, a["org_id"], newer)
    resp = poll(client, a["state_id"])
    assert resp.status_code == 200
    out = resp.get_json()["response"]
    assert out["ov-state-id"]["data"] == new_id
    body = text(resp)
    assert '"4.56"' in body and THROUGH in body
    assert_no_b(body)
    assert poll(client, b["state_id"]).status_code == 200  # B's id is just "not ours": A's state


def test_shell_shows_freshness_and_connection_issues(app, client, orgs):
    a, b = orgs
    with app.app_context():
        now = datetime.now(UTC)
        db.session.add_all(
            [
                Connection(
                    org_id=a["org_id"],
                    platform="meta",
                    external_account_id="a1",
                    status="active",
                    last_synced_at=now - timedelta(hours=2, minutes=5),
                ),
                Connection(
                    org_id=a["org_id"],
                    platform="tiktok",
                    external_account_id="a2",
                    status="needs_reauth",
                    last_synced_at=now - timedelta(days=3),
                ),
                Connection(
                    org_id=b["org_id"],
                    platform="google_ads",
                    external_account_id="b1",
                    status="error",
                    last_synced_at=now,
                ),
                Connection(
                    org_id=b["org_id"],
                    platform="meta",
                    external_account_id="b2",
                    status="error",
                    last_synced_at=now,
                ),
            ]
        )
        db.session.commit()
    login(client, a["email"])
    layout = text(client.get("/_dash-layout"))
    assert THROUGH in layout and "synced 2 h ago" in layout
    assert "1 issue" in layout and "2 issues" not in layout
    assert_no_b(layout)


def test_shell_without_connections_has_no_badge(app, client, orgs):
    a, _ = orgs
    login(client, a["email"])
    layout = text(client.get("/_dash-layout"))
    assert "nav-integrations-issues" not in layout
    assert THROUGH in layout and "synced" not in layout


def test_decisions_count_per_org_helper(app, orgs):
    a, b = orgs
    from models.decisions import UnknownAction, action_ids, record_decision, undo_decision

    with app.app_context():
        assert action_ids(a["org_id"]) == {x["id"] for x in EXAMPLE["curiosity"]["actions"]}
        with pytest.raises(UnknownAction):
            record_decision(a["org_id"], a["user_id"], next(iter(action_ids(b["org_id"]))), "done")
        row = record_decision(
            a["org_id"], a["user_id"], EXAMPLE["curiosity"]["actions"][0]["id"], "done"
        )
        assert undo_decision(b["org_id"], row.id) is None
        assert undo_decision(a["org_id"], row.id) is not None
        assert undo_decision(a["org_id"], row.id) is None  # already undone
        assert db.session.scalar(select(func.count(ActionDecision.id))) == 1


def test_viewer_cannot_decide(app, client):
    a = make_org(app, "A", "v@a.example", role="viewer")
    store_state(app, a["org_id"], EXAMPLE)
    login(client, a["email"])
    ids = [x["id"] for x in EXAMPLE["curiosity"]["actions"]]
    resp = decide(client, {"type": "action-btn", "action": ids[0], "decision": "planned"}, ids)
    assert "Viewers" in text(resp)
    assert decisions(app) == []


# ---- honest decision states (issue 15) ---------------------------------------------------------
def _pause() -> dict:
    return next(a for a in EXAMPLE["curiosity"]["actions"] if a["type"] == "pause_creative")


def _creative_spend(app, org_id: int, account: str, days: dict[date, float]) -> None:
    """The paused creative of the example state with daily spend on the given days."""
    from models.data import AdMetricDaily, Creative

    target = _pause()["targets"][0]
    with app.app_context():
        conn = Connection(org_id=org_id, platform="tiktok", external_account_id=account)
        db.session.add(conn)
        db.session.flush()
        cr = Creative(
            org_id=org_id,
            connection_id=conn.id,
            platform="tiktok",
            external_id=target["creative_id"],
            name="x",
        )
        db.session.add(cr)
        db.session.flush()
        for d, spend in days.items():
            db.session.add(AdMetricDaily(org_id=org_id, creative_id=cr.id, date=d, spend=spend))
        db.session.commit()


def test_done_pause_is_checked_against_the_data_for_every_persona(app, client, orgs):
    """Done is what the user reports; the page then says what the synced spend shows. Org B's
    spend on a creative with the same id never counts for org A."""
    a, b = orgs
    pause = _pause()
    shown = [x["id"] for x in EXAMPLE["curiosity"]["actions"]]
    today = datetime.now(UTC).date()
    _creative_spend(app, a["org_id"], "7000000000000000001", {today - timedelta(days=1): 50.0})
    _creative_spend(app, b["org_id"], "7000000000000000002", {today + timedelta(days=1): 99.0})
    login(client, a["email"])
    resp = decide(client, {"type": "action-btn", "action": pause["id"], "decision": "done"}, shown)
    mine = json.dumps(resp.get_json()["response"][_sid({"type": "action-status",
                                                        "action": pause["id"]})])  # fmt: skip
    assert "Done" in mine and "Waiting for data after" in mine  # no data after today yet
    assert "Still spending" not in mine  # org B's spend tomorrow is not ours
    with app.app_context():  # the next sync brings a day with spend on the ad: say so
        from models.data import AdMetricDaily, Creative

        cr = db.session.execute(select(Creative).where(Creative.org_id == a["org_id"])).scalar_one()
        db.session.add(
            AdMetricDaily(org_id=a["org_id"], creative_id=cr.id, date=today + timedelta(days=1),
                          spend=37.5)
        )  # fmt: skip
        db.session.commit()
    page = text(route(client)) + text(open_card(client, pause["id"]))
    assert "Still spending: $38 on this ad since it was marked done" in page
    assert (
        "aadvid=7000000000000000001" in page
        and f"keyword={pause['targets'][0]['creative_id']}" in page
    )
    assert "Approved" not in page and "Executed" not in page
    with app.app_context():  # a zero-spend day after it: the data confirms the pause
        db.session.execute(
            AdMetricDaily.__table__.update()
            .where(AdMetricDaily.org_id == a["org_id"], AdMetricDaily.date > today)
            .values(spend=0)
        )
        db.session.commit()
    footer = text(open_card(client, pause["id"]))
    assert "Confirmed by the data: no spend on this ad since" in footer


def test_an_opened_card_gets_its_buttons_and_the_standing_decision(app, client, orgs):
    """Collapsed cards carry no decision buttons; opening one renders them with the shared
    decision as it stands now. Another org's action id renders nothing of that org."""
    a, _ = orgs
    shown = [x["id"] for x in EXAMPLE["curiosity"]["actions"]]
    aid = shown[0]
    login(client, a["email"])
    page = text(route(client))
    assert "action-btn" not in page and "action-footer" in page
    footer = text(open_card(client, aid))
    assert "Plan it" in footer and "Mark done" in footer and "Open: nobody" in footer
    decide(client, {"type": "action-btn", "action": aid, "decision": "planned"}, shown)
    assert "Planned" in text(open_card(client, aid))
    other = text(open_card(client, beta_state()["curiosity"]["actions"][0]["id"]))
    assert "Beta Secret" not in other and "Plan it" not in other
    assert "no longer in the latest insights" in other


def test_legacy_accepted_rows_read_as_planned(app, orgs):
    a, _ = orgs
    from models.decisions import decision_summaries

    aid = EXAMPLE["curiosity"]["actions"][0]["id"]
    with app.app_context():
        db.session.add(ActionDecision(org_id=a["org_id"], action_id=aid, decision="accepted"))
        db.session.commit()
        assert decision_summaries(a["org_id"])[aid]["decision"] == "planned"


def _platform_spend(app, org_id: int, platform: str, days: dict[date, float]) -> None:
    """One creative on the platform with daily spend on the given days."""
    from models.data import AdMetricDaily, Creative

    with app.app_context():
        conn = Connection(org_id=org_id, platform=platform, external_account_id=f"acc-{platform}")
        db.session.add(conn)
        db.session.flush()
        cr = Creative(org_id=org_id, connection_id=conn.id, platform=platform,
                      external_id=f"{platform}-ad", name="x")  # fmt: skip
        db.session.add(cr)
        db.session.flush()
        for d, spend in days.items():
            db.session.add(AdMetricDaily(org_id=org_id, creative_id=cr.id, date=d, spend=spend))
        db.session.commit()


@pytest.mark.parametrize(
    ("tiktok_after", "meta_after", "word"),
    [(1500.0, 4300.0, "✓ Verified"), (1900.0, 3900.0, "Not seen in data yet")],
)
def test_done_shift_budget_is_verified_only_when_the_spend_moved(
    app, client, orgs, tiktok_after, meta_after, word
):
    """A budget shift marked Done: Verified once TikTok's daily spend fell and Meta's rose
    after the done day; 'Not seen in data yet' while the spend stayed where it was."""
    from models.decisions import decision_summaries, done_checks

    a, _ = orgs
    shift = next(x for x in EXAMPLE["curiosity"]["actions"] if x["type"] == "shift_budget")
    login(client, a["email"])
    shown = [x["id"] for x in EXAMPLE["curiosity"]["actions"]]
    decide(client, {"type": "action-btn", "action": shift["id"], "decision": "done"}, shown)
    today = datetime.now(UTC).date()
    before = [today - timedelta(days=i) for i in range(7)]
    after = [today + timedelta(days=i) for i in (1, 2, 3)]
    for platform, level, moved in (("tiktok", 1900.0, tiktok_after), ("meta", 3900.0, meta_after)):
        days = {**dict.fromkeys(before, level), **dict.fromkeys(after, moved)}
        _platform_spend(app, a["org_id"], platform, days)
    with app.app_context():
        standing = decision_summaries(a["org_id"], [shift["id"]])
        check = done_checks(a["org_id"], [shift], standing)[shift["id"]]
    assert check["status"] == ("verified" if word.startswith("✓") else "not_seen")
    assert [p["platform"] for p in check["parts"]] == ["tiktok", "meta"]
    page = text(open_card(client, shift["id"]))  # the card's footer, rendered when opened
    assert word in page
    assert "TikTok spend $1,900/day before" in page


def test_period_tiles_follow_the_url_and_fall_back_to_the_brain_window(
    app, client, orgs, monkeypatch
):
    """With ad data the tiles sum the chosen period (the analytics read model); when that
    fails the overview still renders, with the brain's own window."""
    from models import analytics as queries
    from tests.helpers.analytics import A_PLATFORMS, load_brand

    a, _ = orgs
    load_brand(app, a["org_id"], "ovperiod", A_PLATFORMS)  # $300 of spend a day
    queries.clear_cache()
    login(client, a["email"])
    search = "?range=7d&compare=none"
    body = text(route(client, "/", search))
    assert '"$2,100"' in body and "(7 days)" in body and "no comparison" in body
    assert "ov-period-shown" in body and "range=7d&compare=none" in body
    assert "status, next-dollar ROAS and the figures above are the brain's" in body

    def broken(*_args, **_kwargs):
        raise RuntimeError("the analytics read model is down")

    monkeypatch.setattr(queries, "analytics_view", broken)
    with app.app_context():  # the body above is cached: render during the outage
        render_cache.clear()
    body = text(route(client, "/", search))
    assert MER in body and "overview-error" not in body  # the brain's window, not an error
    assert "follow the date control" not in body  # no chosen period: nothing to say
    monkeypatch.undo()  # the read model is back: the fallback body was not cached
    assert '"$2,100"' in text(route(client, "/", search))
    queries.clear_cache()
