"""Alerts end to end against a real SMTP server (aiosmtpd) and a local Slack webhook:
who receives what (persona x urgency), dedupe across recomputes, re-alert on worsening,
silent resolution, org thresholds, sync failures to admins, one-click unsubscribe
(logged out, tenant-safe) and the outbox when SMTP is absent."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from extensions import db
from jobs.alerts import connection_ok, connection_problem
from models.alerts import Alert, AlertSettings, Notification, bell, prefs_for
from models.credentials import encrypt_credentials
from tests.conftest import csrf_from, csrf_headers, login, make_org, outbox
from tests.helpers.alerts import _fatigue, _member, _state


@pytest.fixture
def team(app):
    """Lumen: CMO owner, VP Growth and Director members; Other: an unrelated org."""
    org = make_org(app, "Lumen", "cmo@lumen.example", persona="cmo")
    vp = _member(app, org["org_id"], "vp@lumen.example", "vp_growth")
    director = _member(app, org["org_id"], "dir@lumen.example", "director")
    other = make_org(app, "Other", "cmo@other.example")
    return {"org": org, "vp": vp, "director": director, "other": other}


@pytest.fixture
def smtp(app, smtp_server, monkeypatch):
    monkeypatch.setattr(app.config["OMNIFY"], "SMTP_URL", smtp_server.url)
    return smtp_server


def _to(smtp) -> list[str]:
    return sorted(r for m in smtp.messages for r in m.rcpt_tos)


def test_medium_findings_mail_vp_growth_and_director_in_their_words(app, team, smtp, fake_slack):
    org_id = team["org"]["org_id"]
    with app.app_context():
        url = fake_slack.webhook_url
        db.session.add(
            AlertSettings(org_id=org_id, slack_webhook_encrypted=encrypt_credentials({"url": url}))
        )
        db.session.commit()
    _state(app, org_id, [_fatigue(0.82, "medium")])
    assert _to(smtp) == ["dir@lumen.example", "vp@lumen.example"]
    by_to = {m.rcpt_tos[0]: m for m in smtp.messages}
    vp, director = by_to["vp@lumen.example"], by_to["dir@lumen.example"]
    assert vp.subject.startswith("This week:") and "82% fatigue probability" in vp.text()
    assert director.subject.startswith("Action needed:") and "Pause now" in director.text()
    link = "http://localhost/?finding=fatigue:tiktok:C12#card-oracle"
    assert link in vp.text() and link in (vp.html() or "")
    assert "/unsubscribe/" in vp.text() and vp.message["List-Unsubscribe-Post"]
    assert len(fake_slack.messages) == 1
    assert fake_slack.messages[0]["blocks"][1]["elements"][0]["url"] == link
    with app.app_context():
        cmo = team["org"]["user_id"]
        assert bell(org_id, cmo)["unread"] == 0  # medium: not the CMO
        assert bell(org_id, team["vp"])["unread"] == 1
        assert bell(team["other"]["org_id"], team["other"]["user_id"])["unread"] == 0


def test_high_findings_mail_everyone_once_until_they_worsen_or_resolve(app, team, smtp):
    org_id = team["org"]["org_id"]
    _state(app, org_id, [_fatigue(0.75, "medium")])
    assert len(smtp.messages) == 2
    _state(app, org_id, [_fatigue(0.78, "medium")])  # same finding, same severity: no mail
    assert len(smtp.messages) == 2
    _state(app, org_id, [_fatigue(0.93, "high")])  # worse: everyone hears, once
    worse = smtp.messages[2:]
    assert sorted(m.rcpt_tos[0] for m in worse) == [
        "cmo@lumen.example",
        "dir@lumen.example",
        "vp@lumen.example",
    ]
    assert all("(worse)" in m.subject for m in worse)
    assert any(m.subject.startswith("Here's the truth:") for m in worse)
    _state(app, org_id, [_fatigue(0.95, "high")])
    assert len(smtp.messages) == 5
    _state(app, org_id, [])  # cleared: resolved in the app, no mail
    assert len(smtp.messages) == 5
    with app.app_context():
        alert = db.session.execute(select(Alert).where(Alert.org_id == org_id)).scalar_one()
        assert alert.status == "resolved" and alert.resolved_at is not None
        items = bell(org_id, team["vp"])["items"]
        assert items and all(i["resolved"] for i in items)


def test_risk_red_alerts_everyone_and_thresholds_come_from_the_org(app, team, smtp):
    org_id = team["org"]["org_id"]
    with app.app_context():
        db.session.add(AlertSettings(org_id=org_id, thresholds={"fatigue": 0.9}))
        db.session.commit()
    _state(app, org_id, [_fatigue(0.85, "high")], risk="RED")
    subjects = [m.subject for m in smtp.messages]
    assert len(subjects) == 3 and all("Risk level" in s for s in subjects)  # 85% < 90%


def test_sync_failures_go_to_admins_once_and_clear_on_success(app, team, smtp):
    org_id = team["org"]["org_id"]
    with app.app_context():
        for _ in range(2):
            connection_problem(org_id, 7, "sync", "Meta sync failed", "Meta kept failing.")
    assert _to(smtp) == ["cmo@lumen.example"]  # the owner; members cannot reconnect
    with app.app_context():
        connection_ok(org_id, 7)
        assert db.session.execute(select(Alert.status)).scalar_one() == "resolved"
        connection_problem(org_id, 7, "sync", "Meta sync failed", "Meta kept failing.")
    assert len(smtp.messages) == 2  # a new failure after a success is a new alert


def test_preferences_route_channels(app, team, smtp):
    org_id = team["org"]["org_id"]
    with app.app_context():
        from models.alerts import NotifyPref

        db.session.add(NotifyPref(org_id=org_id, user_id=team["vp"], channels={"fatigue": "off"}))
        db.session.add(
            NotifyPref(org_id=org_id, user_id=team["director"], channels={"fatigue": "in_app"})
        )
        db.session.commit()
    _state(app, org_id, [_fatigue(0.8, "medium")])
    assert smtp.messages == []
    with app.app_context():
        assert bell(org_id, team["director"])["unread"] == 1
        assert bell(org_id, team["vp"])["unread"] == 0


def _unsubscribe_link(text: str) -> str:
    return re.search(r"http://localhost(/unsubscribe/\S+)", text).group(1)


def test_unsubscribe_works_logged_out_once_and_only_in_its_org(app, client, team, smtp):
    org_id = team["org"]["org_id"]
    other_org = team["other"]["org_id"]
    _member(app, other_org, "vp@lumen.example", "vp_growth")  # the VP is in both orgs
    _state(app, org_id, [_fatigue(0.8, "medium")])
    vp_mail = next(m for m in smtp.messages if m.rcpt_tos == ["vp@lumen.example"])
    path = _unsubscribe_link(vp_mail.text())
    page = client.get(path)  # logged out: a page with one button, nothing changed yet
    assert page.status_code == 200 and "Stop creative fatigue e-mails?" in page.get_data(True)
    with app.app_context():
        assert prefs_for(org_id, team["vp"]) is None
    done = client.post(path)
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(True)
    assert client.post(path).status_code == 200  # again: still fine, nothing new
    with app.app_context():
        assert prefs_for(org_id, team["vp"]).channels == {"fatigue": "in_app"}
        assert prefs_for(other_org, team["vp"]) is None  # the other org is untouched
    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert client.post(tampered).status_code == 404
    assert client.get("/unsubscribe/not-a-token").status_code == 404
    # the next fatigue alert reaches the VP in the app, not by mail
    before = len(smtp.messages)
    _state(app, org_id, [_fatigue(0.8, "medium", creative="C13")])
    assert [m.rcpt_tos for m in smtp.messages[before:]] == [["dir@lumen.example"]]
    with app.app_context():
        assert bell(org_id, team["vp"])["unread"] == 2


def test_the_outbox_shows_unsent_mail_to_its_orgs_admins_only(app, client, team):
    org_id = team["org"]["org_id"]
    _state(app, org_id, [_fatigue(0.93, "high")])  # no SMTP_URL in tests: the outbox
    login(client, "cmo@lumen.example")
    page = client.get("/settings").get_data(True)
    assert "Mail is not being sent." in page
    assert 'id="outbox-list"' in page and "vp@lumen.example" in page
    name = re.search(r'/settings/outbox/([^"]+)"', page).group(1)
    assert "Open the finding" in client.get(f"/settings/outbox/{name}").get_data(True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    login(client, "cmo@other.example")
    other = client.get("/settings").get_data(True)
    assert "vp@lumen.example" not in other and 'id="outbox-list"' not in other
    assert client.get(f"/settings/outbox/{name}").status_code == 404
    with app.app_context():
        assert db.session.execute(select(Notification)).scalars().first() is not None


def _bell_callback(client, trigger: str) -> dict:
    payload = {
        "output": "..bell-list.children...bell-count.children..",
        "outputs": [
            {"id": "bell-list", "property": "children"},
            {"id": "bell-count", "property": "children"},
        ],
        "inputs": [
            {"id": "bell-poll", "property": "n_intervals", "value": 1},
            {"id": "bell-mark-read", "property": "n_clicks", "value": 1},
        ],
        "changedPropIds": [trigger],
        "state": [],
    }
    resp = client.post(
        "/_dash-update-component",
        data=json.dumps(payload),
        content_type="application/json",
        headers=csrf_headers(client),
    )
    assert resp.status_code == 200, resp.get_data(True)[:300]
    return resp.get_json()["response"]


def test_the_bell_counts_unread_alerts_and_marks_them_read_per_user(app, client, team):
    org_id = team["org"]["org_id"]
    _state(app, org_id, [_fatigue(0.93, "high")])
    login(client, "vp@lumen.example")
    page = client.get("/_dash-layout").get_data(True)
    assert "1 unread alert" in page and "C12" in page
    polled = json.dumps(_bell_callback(client, "bell-poll.n_intervals"))
    assert "1 unread alert" in polled
    cleared = json.dumps(_bell_callback(client, "bell-mark-read.n_clicks"))
    assert "No unread alerts" in cleared and "C12" in cleared  # still listed, now read
    with app.app_context():
        assert bell(org_id, team["vp"])["unread"] == 0
        assert bell(org_id, team["director"])["unread"] == 1  # someone else's stays unread


def test_a_slack_outage_never_stops_the_mail(app, team, smtp, fake_slack):
    org_id = team["org"]["org_id"]
    wrong = fake_slack.url + "/services/T0001/B0001/revoked"  # Slack answers 404 no_service
    with app.app_context():
        db.session.add(
            AlertSettings(
                org_id=org_id, slack_webhook_encrypted=encrypt_credentials({"url": wrong})
            )
        )
        db.session.commit()
    _state(app, org_id, [_fatigue(0.8, "medium")])
    assert fake_slack.messages == [] and len(smtp.messages) == 2
    with app.app_context():
        assert db.session.execute(select(Alert.status)).scalar_one() == "open"


def test_production_without_smtp_keeps_org_mail_for_the_outbox_but_never_credentials(
    app, monkeypatch
):
    from jobs.notify import deliver, outbox_mails

    monkeypatch.setattr(app.config["OMNIFY"], "ENV", "production")
    with app.app_context():
        deliver(["a@x.example"], "Reset your password", "secret link")  # no org: not kept
        deliver(["a@x.example"], "Alert", "an alert", org_id=41)
        assert [m["subject"] for m in outbox_mails(41)] == ["Alert"]
        assert outbox_mails(42) == []
    assert not any("secret link" in str(m) for m in outbox())
