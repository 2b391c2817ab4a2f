"""callbacks/render_cache.py: the overview and analytics outputs are cached, never stale.

Each test renders once (filling the cache), changes one thing the page is drawn from the way
the product does, and checks the next request shows the change; and org B is never served
org A's cached output."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from callbacks import render_cache
from extensions import db
from models import ActionDecision
from models.brain_state import Narrative
from tests.conftest import login, make_org
from tests.helpers.overview import EXAMPLE, beta_state, post, route, store_state, text

ACTIONS = [a["id"] for a in EXAMPLE["curiosity"]["actions"]]
DECIDE = (
    '..{"action":["ALL"],"type":"action-status"}.children'
    '...{"action":["ALL"],"type":"action-chip"}.children...ov-toasts.children..'
)


@pytest.fixture
def orgs(app):
    a = make_org(app, "Alpha Brand", "cmo@alpha.example", persona="cmo")
    b = make_org(app, "Beta Secret Brand", "cmo@beta.example", persona="cmo")
    a["state_id"] = store_state(app, a["org_id"], EXAMPLE)
    b["state_id"] = store_state(app, b["org_id"], beta_state())
    return a, b


def cached_entries(app) -> int:
    with app.app_context():
        return len(render_cache.cache())


def decide(client, action_id: str, decision: str):
    trigger = {"type": "action-btn", "action": action_id, "decision": decision}
    sid = json.dumps(trigger, sort_keys=True, separators=(",", ":"))
    return post(
        client,
        {
            "output": DECIDE,
            "outputs": [
                [
                    {"id": {"type": "action-status", "action": a}, "property": "children"}
                    for a in ACTIONS
                ],
                [
                    {"id": {"type": "action-chip", "action": a}, "property": "children"}
                    for a in ACTIONS
                ],
                {"id": "ov-toasts", "property": "children"},
            ],
            "inputs": [[{"id": trigger, "property": "n_clicks", "value": 1}], []],
            "changedPropIds": [f"{sid}.n_clicks"],
        },
    )


def test_overview_is_served_from_the_cache_until_a_decision_changes_it(app, client, orgs):
    a, _ = orgs
    login(client, a["email"])
    first = text(route(client))
    assert "Alpha Brand" in first and cached_entries(app) == 1
    assert text(route(client)) == first  # a hit: the same output

    assert decide(client, ACTIONS[0], "planned").status_code == 200
    after = text(route(client))
    assert after != first and "Planned" in after  # the decision shows on the next view
    with app.app_context():  # undone outside the page: still seen
        row = db.session.execute(db.select(ActionDecision)).scalar_one()
        row.undone_at = datetime.now(UTC)
        db.session.commit()
    assert text(route(client)) == first


def test_a_new_brain_state_and_new_narratives_show_on_the_next_request(app, client, orgs):
    a, _ = orgs
    login(client, a["email"])
    assert '"3.33"' not in text(route(client))
    newer = json.loads(json.dumps(EXAMPLE))
    newer["memory"]["totals"]["mer"] = 3.33
    state_id = store_state(app, a["org_id"], newer)
    assert '"3.33"' in text(route(client))

    with app.app_context():
        db.session.add(
            Narrative(
                org_id=a["org_id"],
                brain_state_id=state_id,
                persona="cmo",
                kind="summary",
                provider="template",
                text="A planted summary nobody else writes.",
            )
        )
        db.session.commit()
    assert "A planted summary nobody else writes." in text(route(client))


def test_the_first_paint_of_get_slash_follows_a_decision(app, client, orgs):
    a, _ = orgs
    login(client, a["email"])
    assert "Planned" not in client.get("/").get_data(True)
    decide(client, ACTIONS[0], "planned")
    assert "Planned" in client.get("/").get_data(True)


def test_org_b_never_gets_org_as_cached_body(app, client, orgs):
    a, b = orgs
    login(client, a["email"])
    assert "Alpha Brand" in text(route(client))
    assert "Alpha Brand" in client.get("/").get_data(True)
    client.post("/logout")
    other = app.test_client()
    login(other, b["email"])
    body = text(route(other))
    page = other.get("/").get_data(True)
    for shown in (body, page):
        assert "Beta Secret Brand" in shown and "Beta Secret Campaign" in shown
        assert "Alpha Brand" not in shown


def test_analytics_outputs_follow_new_data_and_stay_per_org(app, client, orgs):
    from tests.helpers.analytics import A_PLATFORMS, load_brand

    a, b = orgs
    load_brand(app, a["org_id"], "rcache", A_PLATFORMS)
    login(client, a["email"])
    search = "?range=7d&compare=none"
    first = text(main(client, search))
    assert text(main(client, search)) == first
    with app.app_context():  # a sync writes a corrected day and bumps the data version
        from sqlalchemy import update

        from models import Organization
        from models.data import AdMetricDaily

        latest = db.session.execute(
            db.select(db.func.max(AdMetricDaily.date)).where(AdMetricDaily.org_id == a["org_id"])
        ).scalar_one()
        db.session.execute(
            update(AdMetricDaily)
            .where(AdMetricDaily.org_id == a["org_id"], AdMetricDaily.date == latest)
            .values(spend=AdMetricDaily.spend + 1000)
        )
        db.session.execute(
            update(Organization)
            .where(Organization.id == a["org_id"])
            .values(data_version=Organization.data_version + 1)
        )
        db.session.commit()
    assert text(main(client, search)) != first

    other = app.test_client()
    login(other, b["email"])  # org B has no ad data: nothing of A's
    resp = main(other, search)
    assert resp.status_code == 204 or "an-kpis" not in text(resp)


def main(client, search: str):
    from tests.helpers.analytics import callback_payload

    return post(client, callback_payload("main", search))


def test_relative_times_expire_the_entry(app):
    from layouts.components import ago, relative_times

    now = datetime.now(UTC)
    with relative_times() as changes:
        assert ago(now - timedelta(seconds=30), now) == "just now"
        assert ago(now - timedelta(minutes=5, seconds=10), now) == "5 min ago"
    assert changes == [
        pytest.approx((now + timedelta(seconds=30)).timestamp()),
        pytest.approx((now + timedelta(seconds=50)).timestamp()),
    ]
    entry = render_cache.Rendered.of("x", expires=changes[0])
    assert entry.fresh(changes[0] - 1) and not entry.fresh(changes[0])


def _form_token(layout: str) -> str:
    """The csrf_token of the forms in a serialised layout (all the same)."""
    tokens: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and props.get("name") == "csrf_token":
                tokens.add(props["value"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(layout))
    assert len(tokens) == 1, tokens
    return tokens.pop()


def test_get_slash_shell_is_cached_per_user_with_the_requests_own_csrf_token(app, client, orgs):
    a, b = orgs
    login(client, a["email"])
    first = client.get("/").get_data(True)
    again = client.get("/").get_data(True)
    for page in (first, again):
        assert render_cache.CSRF_MARK not in page and render_cache.PAGE_MARK not in page
        assert "Alpha Brand" in page and "Beta Secret Brand" not in page
    other = app.test_client()
    login(other, b["email"])
    page = other.get("/").get_data(True)
    assert "Beta Secret Brand" in page and "Alpha Brand" not in page
    # the layout the page then fetches: its forms carry this session's token (logout works)
    layout = other.get("/_dash-layout", headers={"Referer": "http://localhost/"}).get_data(True)
    assert "Beta Secret Brand" in layout and render_cache.CSRF_MARK not in layout
    resp = other.post("/logout", data={"csrf_token": _form_token(layout)})
    assert resp.status_code in (302, 303)
    assert other.get("/api/me").status_code == 401
    with app.app_context():  # a notification for A: the cached shell is not served again
        from models.alerts import Notification

        db.session.add(
            Notification(
                org_id=a["org_id"],
                user_id=a["user_id"],
                severity="high",
                title="A planted notification title",
                body="",
            )
        )
        db.session.commit()
    client.get("/")
    layout = client.get("/_dash-layout", headers={"Referer": "http://localhost/"})
    assert "A planted notification title" in layout.get_data(True)


def test_the_summarys_window_label_follows_the_period_and_new_data(app, client):
    """The executive summary says it is the brain's window when the date control shows another
    period: the label depends on the chosen period (the query string) and on the latest data day
    (the org's data fingerprint), both in the overview's key."""
    import copy
    from datetime import date

    from models import analytics as queries
    from tests.helpers.analytics import A_PLATFORMS, load_brand

    a = make_org(app, "Alpha Brand", "cmo@alpha.example", persona="cmo")
    aligned = copy.deepcopy(EXAMPLE)  # the brain's window = the data's last 30 days
    aligned["period"] = {"start": "2025-06-01", "end": "2025-06-30", "days": 30}
    aligned["as_of"] = "2025-06-30"
    store_state(app, a["org_id"], aligned)
    load_brand(app, a["org_id"], "window", A_PLATFORMS)  # to 30 Jun 2025
    queries.clear_cache()
    login(client, a["email"])
    label = "The brain's read of the 30 days to 30 Jun (1 Jun – 30 Jun)"
    assert label not in text(route(client, "/", "?range=30d"))  # the brain's own window
    seven = text(route(client, "/", "?range=7d"))
    assert label in seven and "you chose: 24 Jun – 30 Jun (7 days)" in seven
    assert label not in text(route(client, "/", "?range=30d"))  # served from the cache, still right

    with app.app_context():  # a sync brings 1 Jul (one creative's day) and bumps the version
        from sqlalchemy import update

        from models import Organization
        from models.data import AdMetricDaily

        last = db.session.execute(
            db.select(AdMetricDaily).where(AdMetricDaily.org_id == a["org_id"]).limit(1)
        ).scalar_one()
        db.session.add(
            AdMetricDaily(
                org_id=a["org_id"], creative_id=last.creative_id, date=date(2025, 7, 1), spend=9
            )
        )
        db.session.execute(
            update(Organization)
            .where(Organization.id == a["org_id"])
            .values(data_version=Organization.data_version + 1)
        )
        db.session.commit()
    moved = text(route(client, "/", "?range=30d"))  # now 2 Jun – 1 Jul: not the brain's window
    assert label in moved and "you chose: 2 Jun – 1 Jul (30 days)" in moved
    queries.clear_cache()
