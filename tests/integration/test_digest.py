"""The weekly digest: Monday 08:00 in the org's time zone (across DST changes), to CMO and
VP Growth plus those who opt in, once per week, HTML with an inline chart and a text part."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from extensions import db
from jobs.digest import due_week, send_digests
from jobs.schedule import register
from models import ActionDecision, Organization
from models.alerts import DigestLog, NotifyPref
from models.tenancy import fresh_scope
from tests.conftest import make_org
from tests.helpers.alerts import _member
from tests.helpers.overview import EXAMPLE, store_state


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "now", "due"),
    [
        # New York, autumn: EDT (UTC-4) on 26 Oct, EST (UTC-5) after 1 Nov 2026
        ("America/New_York", utc(2026, 10, 26, 11, 59), None),
        ("America/New_York", utc(2026, 10, 26, 12, 0), date(2026, 10, 26)),
        ("America/New_York", utc(2026, 11, 2, 12, 0), None),  # 07:00 EST: not yet
        ("America/New_York", utc(2026, 11, 2, 13, 0), date(2026, 11, 2)),
        # spring: EST until 8 Mar 2026, EDT on Monday 9 Mar
        ("America/New_York", utc(2026, 3, 2, 12, 30), None),
        ("America/New_York", utc(2026, 3, 2, 13, 0), date(2026, 3, 2)),
        ("America/New_York", utc(2026, 3, 9, 12, 0), date(2026, 3, 9)),
        ("America/New_York", utc(2026, 3, 9, 11, 30), None),
        # Europe: CEST -> CET on 25 Oct 2026
        ("Europe/Berlin", utc(2026, 10, 19, 6, 0), date(2026, 10, 19)),
        ("Europe/Berlin", utc(2026, 10, 26, 6, 30), None),
        ("Europe/Berlin", utc(2026, 10, 26, 7, 0), date(2026, 10, 26)),
        # Tokyo's Monday 08:00 is Sunday 23:00 UTC
        ("Asia/Tokyo", utc(2026, 11, 1, 23, 0), date(2026, 11, 2)),
        ("Asia/Kolkata", utc(2026, 11, 2, 2, 30), date(2026, 11, 2)),  # UTC+5:30
        ("UTC", utc(2026, 11, 3, 8, 0), None),  # a Tuesday
    ],
)
def test_the_digest_is_due_monday_8_local_across_dst(zone, now, due):
    assert due_week(zone, now) == due


@pytest.fixture
def lumen(app):
    org = make_org(app, "Lumen", "cmo@lumen.example", persona="cmo")
    vp = _member(app, org["org_id"], "vp@lumen.example", "vp_growth")
    director = _member(app, org["org_id"], "dir@lumen.example", "director")
    optin = _member(app, org["org_id"], "ops@lumen.example", "director")
    with app.app_context():
        db.session.get(Organization, org["org_id"]).timezone = "America/New_York"
        db.session.add(NotifyPref(org_id=org["org_id"], user_id=optin, channels={}, digest=True))
        action = EXAMPLE["curiosity"]["actions"][0]["id"]
        db.session.add(
            ActionDecision(
                org_id=org["org_id"],
                action_id=action,
                decision="planned",
                user_id=vp,
                at=utc(2026, 10, 30, 15, 0),
            )
        )
        db.session.commit()
    store_state(app, org["org_id"], EXAMPLE)
    return {**org, "vp": vp, "director": director}


def cron_digests(now: datetime) -> dict:
    """As the cron job runs it: in a worker job with no org in scope."""
    with fresh_scope():
        return send_digests(now)


def test_the_digest_goes_out_once_at_8_new_york_time_after_the_clocks_change(
    app, lumen, smtp_server, monkeypatch
):
    monkeypatch.setattr(app.config["OMNIFY"], "SMTP_URL", smtp_server.url)
    other = make_org(app, "Tokyo Co", "cmo@tokyo.example")
    with app.app_context():
        db.session.get(Organization, other["org_id"]).timezone = "Asia/Tokyo"
        db.session.commit()
        # 07:30 EST: not yet for New York; Tokyo's Monday 08:00 passed hours ago
        assert cron_digests(utc(2026, 11, 2, 12, 30)) == {"orgs": [other["org_id"]]}
        assert [m.rcpt_tos for m in smtp_server.messages] == [["cmo@tokyo.example"]]
        assert "No numbers yet" in smtp_server.messages[0].text()
        smtp_server.messages.clear()
        assert cron_digests(utc(2026, 11, 2, 13, 0)) == {"orgs": [lumen["org_id"]]}
        assert cron_digests(utc(2026, 11, 2, 13, 30)) == {"orgs": []}  # once a week
        log = db.session.execute(
            select(DigestLog).where(DigestLog.org_id == lumen["org_id"])
        ).scalar_one()
        assert (log.week, log.recipients) == (date(2026, 11, 2), 3)
    to = sorted(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert to == ["cmo@lumen.example", "ops@lumen.example", "vp@lumen.example"]
    mail = smtp_server.messages[0]
    assert mail.subject.startswith("Your week in Omnify Brain: Lumen")
    text, html = mail.text(), mail.html()
    assert "Top actions:" in text and "Decisions this week:" in text
    action_title = EXAMPLE["curiosity"]["actions"][0]["title"]
    assert f"{action_title}: planned" in text
    assert "Risk trend" in text and "/unsubscribe/" in text
    assert 'src="cid:mer-chart"' in html
    images = [p for p in mail.message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert images[0]["Content-ID"] == "<mer-chart>"


def test_the_digest_is_registered_with_the_cron_scheduler():
    registered = {}

    class Scheduler:
        def register(self, func, queue, **options):  # noqa: ANN001, ANN003, ANN202
            registered[options["name"]] = (func.__name__, options["cron"])

    register(Scheduler())
    assert registered["weekly-digest"] == ("send_digests", "*/30 * * * *")
