""" "Done" checked against the data, in headless Chromium: the Director marks the C12 pause Done;
while the synced rows still show spend on C12 the card says so; once a sync restates those days
to zero spend the card says "✓ Verified" (readmodels/done_checks.py, models/decisions.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from extensions import db
from models import ActionDecision, Connection
from models.upsert import upsert_ad_metrics, upsert_campaigns_and_creatives
from tests.helpers.overview import EXAMPLE
from tests.helpers.overview_e2e import USERS, click, log_in, start
from tests.helpers.wait import wait_until

pytestmark = pytest.mark.e2e

PAUSE = next(a for a in EXAMPLE["curiosity"]["actions"] if a["type"] == "pause_creative")
TARGET = PAUSE["targets"][0]  # TikTok creative C12 in campaign TI-1003
DONE_DAYS_AGO = 4


def _sync_c12(app, org_id: int, spend_by_day: dict) -> None:
    """Write C12's daily rows as a TikTok sync does (upsert: a re-pulled day is restated)."""
    with app.app_context():
        conn = db.session.query(Connection).filter_by(org_id=org_id, platform="tiktok").first()
        if conn is None:
            conn = Connection(org_id=org_id, platform="tiktok", external_account_id="tt-acc-1")
            db.session.add(conn)
            db.session.flush()
        rows = [
            {
                "date": day,
                "campaign_id": TARGET["campaign_id"],
                "campaign_name": "TikTok prospecting",
                "creative_id": TARGET["creative_id"],
                "creative_name": TARGET["name"],
                "spend": spend,
                "impressions": 1000 if spend else 0,
                "clicks": 10 if spend else 0,
                "conversions": 1 if spend else 0,
                "platform_revenue": spend * 0.8,
            }
            for day, spend in spend_by_day.items()
        ]
        ids = upsert_campaigns_and_creatives(db.session, org_id, conn.id, "tiktok", rows)
        upsert_ad_metrics(db.session, org_id, ids, rows)
        db.session.commit()


def _status(dash_duo, card: str) -> str:
    element = dash_duo.find_element(f"{card} .ov-decision")
    return " ".join((element.get_attribute("textContent") or "").split())


def _reload_until(dash_duo, card: str, words: str) -> str:
    """Reload the overview (a page view reads the latest data) until the card says ``words``."""

    def shows() -> bool:
        dash_duo.driver.refresh()
        dash_duo.wait_for_element(f"{card} summary.ov-action-summary", timeout=20)
        click(dash_duo, f"{card} summary.ov-action-summary")  # the status renders on opening
        dash_duo.wait_for_element(f"{card} .ov-decision", timeout=20)
        return words in _status(dash_duo, card)

    wait_until(shows, 30, f"the card to say {words!r}")
    return _status(dash_duo, card)


def test_a_done_pause_is_verified_only_once_the_data_shows_zero_spend(app, dash_duo, lumen):
    base = start(dash_duo, app)
    card = f"#action-{PAUSE['id']}"
    log_in(dash_duo, base, USERS["director"])
    click(dash_duo, f"{card} summary.ov-action-summary")
    click(dash_duo, f"{card} .ov-action-buttons .btn-primary")  # Mark done
    dash_duo.wait_for_contains_text(f"{card} .ov-decision", "Done by Director", timeout=10)
    assert "Verified" not in _status(dash_duo, card)  # no data after the done day yet

    # It was marked done DONE_DAYS_AGO days ago; the syncs since then brought the days after.
    done_at = datetime.now(UTC) - timedelta(days=DONE_DAYS_AGO)
    with app.app_context():
        row = db.session.query(ActionDecision).filter_by(action_id=PAUSE["id"]).one()
        row.at = done_at
        db.session.commit()
    done_day = done_at.date()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    before = {done_day - timedelta(days=i): 120.0 for i in range(7)}
    after = {done_day + timedelta(days=i): 120.0 for i in range(1, DONE_DAYS_AGO)}
    assert max(after) == yesterday

    # The ad kept spending (nobody paused it in TikTok): the card says so, no "Verified".
    _sync_c12(app, lumen["org_id"], {**before, **after})
    status = _reload_until(dash_duo, card, "Still spending")
    assert "Verified" not in status and "$360" in status  # 3 days × $120 since done

    # The platform restates those days: zero spend on C12 since the done day.
    _sync_c12(app, lumen["org_id"], dict.fromkeys(after, 0.0))
    status = _reload_until(dash_duo, card, "✓ Verified")
    assert "Done by Director" in status
    assert "Confirmed by the data: no spend on this ad since" in status
    assert "Still spending" not in status
    # every persona sees the same verdict
    log_in(dash_duo, base, USERS["cmo"])
    click(dash_duo, f"{card} summary.ov-action-summary")  # the status renders on opening
    dash_duo.wait_for_contains_text(f"{card} .ov-decision", "✓ Verified", timeout=10)
    assert "✓ Verified" in _status(dash_duo, card)
    assert dash_duo.get_logs() == []
