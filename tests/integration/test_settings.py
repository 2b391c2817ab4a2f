"""The Settings page: owners/admins edit, others read; bad input changes nothing and says
why; every change is audited; the Slack webhook is stored encrypted; tenant-safe."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import AuditLog, Organization, User
from models.alerts import alert_settings, prefs_for, thresholds
from models.credentials import decrypt_credentials
from models.events import OrgEvent
from tests.conftest import csrf_from, login, make_org
from tests.helpers.alerts import _member

SLACK = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnop"


def _post(client, url: str, data: dict):
    token = csrf_from(client.get("/settings").get_data(True))
    return client.post(url, data={**data, "csrf_token": token})


def _org(app, org_id: int) -> dict:
    with app.app_context():
        org = db.session.get(Organization, org_id)
        return {
            "name": org.name,
            "currency": org.currency,
            "timezone": org.timezone,
            "margin": org.gross_margin,
        }


def _audits(app, org_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditLog.action).where(AuditLog.org_id == org_id).order_by(AuditLog.id)
            ).scalars()
        )


COMPANY = {
    "name": "Acme Beauty",
    "currency": "EUR",
    "gross_margin": "55",
    "timezone": "Europe/Paris",
}


def test_an_owner_saves_the_company_profile_and_it_is_audited(app, client):
    org = make_org(app, "Acme", "owner@acme.example")
    login(client, org["email"])
    page = client.get("/settings")
    assert page.status_code == 200 and "Company profile" in page.get_data(True)
    resp = _post(client, "/settings/company", COMPANY)
    assert resp.status_code == 303
    saved = _org(app, org["org_id"])
    assert saved == {
        "name": "Acme Beauty",
        "currency": "EUR",
        "timezone": "Europe/Paris",
        "margin": Decimal("0.5500"),
    }
    assert "settings.company" in _audits(app, org["org_id"])
    assert "Company profile saved." in client.get("/settings").get_data(True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("gross_margin", "140", "Gross margin must be a number from 1 to 100"),
        ("gross_margin", "-5", "Gross margin must be a number from 1 to 100"),
        ("gross_margin", "abc", "Gross margin must be a number from 1 to 100"),
        ("timezone", "Mars/Olympus", "Pick a time zone from the list"),
        ("currency", "XXX", "Pick your reporting currency"),
        ("name", "   ", "Enter the company name."),
    ],
)
def test_bad_company_input_says_why_and_changes_nothing(app, client, field, value, message):
    org = make_org(app, "Acme", "owner@acme.example")
    login(client, org["email"])
    before = _org(app, org["org_id"])
    resp = _post(client, "/settings/company", {**COMPANY, field: value})
    assert resp.status_code == 400
    html = resp.get_data(True)
    assert message in html and "Nothing was saved" in html
    assert _org(app, org["org_id"]) == before
    assert "settings.company" not in _audits(app, org["org_id"])


def test_thresholds_are_validated_and_stored(app, client):
    org = make_org(app, "Acme", "owner@acme.example")
    login(client, org["email"])
    bad = _post(
        client, "/settings/thresholds", {"fatigue": "0", "roi_decay": "25", "ltv_drift": "x"}
    )
    assert bad.status_code == 400 and "Enter a percentage from 1 to 100." in bad.get_data(True)
    with app.app_context():
        assert alert_settings(org["org_id"]) is None
    ok = _post(
        client, "/settings/thresholds", {"fatigue": "80", "roi_decay": "25", "ltv_drift": "10"}
    )
    assert ok.status_code == 303, ok.get_data(True)[-3000:]
    with app.app_context():
        assert thresholds(org["org_id"]) == {"fatigue": 0.8, "roi_decay": 0.25, "ltv_drift": 0.1}
    assert "settings.thresholds" in _audits(app, org["org_id"])


def test_the_slack_webhook_is_checked_and_stored_encrypted(app, client):
    org = make_org(app, "Acme", "owner@acme.example")
    login(client, org["email"])
    bad = _post(client, "/settings/slack", {"webhook_url": "https://evil.example/services/x"})
    assert bad.status_code == 400
    assert "https://hooks.slack.com/services/" in bad.get_data(True)
    assert "evil.example" not in bad.get_data(True)
    with app.app_context():
        assert alert_settings(org["org_id"]) is None
    assert _post(client, "/settings/slack", {"webhook_url": SLACK}).status_code == 303
    with app.app_context():
        row = alert_settings(org["org_id"])
        assert SLACK.encode() not in row.slack_webhook_encrypted
        assert decrypt_credentials(row.slack_webhook_encrypted)["url"] == SLACK
    page = client.get("/settings").get_data(True)
    assert SLACK not in page and "••••mnop" in page
    audit_rows = _audits(app, org["org_id"])
    assert "settings.slack" in audit_rows
    with app.app_context():
        detail = db.session.execute(
            select(AuditLog.detail).where(AuditLog.action == "settings.slack")
        ).scalar_one()
        assert SLACK not in str(detail)
    assert _post(client, "/settings/slack", {"remove": "y"}).status_code == 303
    with app.app_context():
        assert alert_settings(org["org_id"]).slack_webhook_encrypted is None


def test_members_read_company_settings_but_set_their_own_notifications(app, client):
    org = make_org(app, "Acme", "owner@acme.example")
    _member(app, org["org_id"], "dir@acme.example", "director", role="member")
    login(client, "dir@acme.example")
    page = client.get("/settings").get_data(True)
    assert "only owners and admins change company settings" in page
    before = _org(app, org["org_id"])
    for url, data in (
        ("/settings/company", COMPANY),
        ("/settings/thresholds", {"fatigue": "80", "roi_decay": "25", "ltv_drift": "10"}),
        ("/settings/slack", {"webhook_url": SLACK}),
        ("/settings/events", {"kind": "sale", "start": "2026-11-27", "end": "2026-11-30"}),
    ):
        assert _post(client, url, data).status_code == 403, url
    assert _org(app, org["org_id"]) == before
    prefs = {f"channel_{k}": "in_app" for k in ("fatigue", "roi_decay", "ltv_drift", "risk")}
    prefs |= {"channel_anomaly": "off", "channel_sync": "slack", "digest": "y"}
    assert _post(client, "/settings/notifications", prefs).status_code == 303
    with app.app_context():
        user_id = db.session.execute(select(User.id).where(User.email == "dir@acme.example"))
        pref = prefs_for(org["org_id"], user_id.scalar_one())
        assert pref.channels["fatigue"] == "in_app" and pref.channels["anomaly"] == "off"
        assert pref.digest is True
    bad = _post(client, "/settings/notifications", {**prefs, "channel_risk": "pigeon"})
    assert bad.status_code == 400 and "Pick e-mail, Slack, in-app or off." in bad.get_data(True)


def test_data_events_are_shared_with_the_brain_and_tenant_safe(app, client):
    a = make_org(app, "Alpha", "owner@alpha.example")
    b = make_org(app, "Beta", "owner@beta.example")
    login(client, a["email"])
    bad = _post(
        client, "/settings/events", {"kind": "sale", "start": "2026-11-30", "end": "2026-11-01"}
    )
    assert bad.status_code == 400 and "End is before start." in bad.get_data(True)
    ok = _post(
        client,
        "/settings/events",
        {"kind": "sale", "start": "2026-11-27", "end": "2026-11-30", "note": "BFCM"},
    )
    assert ok.status_code == 303
    with app.app_context():
        ev = db.session.execute(select(OrgEvent)).scalar_one()
        assert ev.org_id == a["org_id"] and ev.note == "BFCM"
        ev_id = ev.id
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/settings").get_data(True))})
    login(client, b["email"])
    assert "BFCM" not in client.get("/settings").get_data(True)
    assert _post(client, f"/settings/events/{ev_id}/delete", {}).status_code == 404
    with app.app_context():
        assert db.session.get(OrgEvent, ev_id) is not None
