"""Integrations in headless Chromium: connect Shopify against the fake, Sync now, watch the bar.

A worker thread (jobs.queue.ThreadWorker) runs the queued syncs and the brain recompute the
sync enqueues, like the embedded queue of `make run`; the page polls the SyncJob rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from extensions import db
from jobs.queue import ThreadWorker
from models import BrainState, Connection
from models.credentials import encrypt_credentials
from tests.conftest import make_org, settle
from tests.fakes.shopify import DEFAULT_TOKEN as SHOPIFY_TOKEN
from tests.helpers.e2e import start_logged_in

pytestmark = pytest.mark.e2e
EMAIL = "owner@glow-e2e.example"


@pytest.fixture
def cfg(app, monkeypatch, fake_shopify):
    config = app.config["OMNIFY"]
    monkeypatch.setattr(config, "SHOPIFY_API_BASE", fake_shopify.url)
    monkeypatch.setattr(config, "SYNC_RETRY_INTERVALS", "0")
    monkeypatch.setattr(config, "INTEGRATION_RETRY_BASE", 0.01)
    return config


@pytest.fixture
def worker(app) -> Iterator[ThreadWorker]:
    """The embedded queue's worker, started by the test (testing mode starts none)."""
    queue = app.extensions["rq"].queue
    w = ThreadWorker([queue], connection=queue.connection)
    w.flask_app = app
    yield w
    w.stop()
    for t in threading.enumerate():
        if t.name == "e2e-rq-worker":
            t.join(10)


def run(w: ThreadWorker) -> None:
    threading.Thread(target=w.work, name="e2e-rq-worker", daemon=True).start()


def log_in(dash_duo, app) -> str:
    return start_logged_in(app, dash_duo, EMAIL)


def click(dash_duo, element) -> None:
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    element.click()


def bar_value(dash_duo) -> int | None:
    bars = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#int-card-shopify [role=progressbar]")
    return int(bars[0].get_attribute("aria-valuenow")) if bars else None


def wait_for_full_bar(dash_duo, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (
                bar_value(dash_duo) == 100
                and "Sync finished"
                in dash_duo.find_element("#int-card-shopify .int-progress-caption").text
            ):
                return
        except Exception:  # noqa: S110 - re-rendered between find and read; look again
            pass
        time.sleep(0.25)
    raise AssertionError(f"the Shopify bar stopped at {bar_value(dash_duo)}")


def test_connect_shopify_sync_now_progress_and_dashboard(app, dash_duo, cfg, worker):
    ids = make_org(app, "Glow E2E", EMAIL)
    base = log_in(dash_duo, app)
    dash_duo.driver.get(base + "/integrations")
    shop = dash_duo.wait_for_element("#shopify-shop", timeout=15)
    # shown once Dash's copy replaces the first paint (under load the element exists hidden)
    dash_duo.wait_for_contains_text("#int-card-shopify", "Not connected", timeout=15)

    # A wrong token: inline error, nothing connected.
    shop.send_keys("glow-e2e")
    dash_duo.find_element("#shopify-token").send_keys("shpat_wrong")
    click(dash_duo, dash_duo.find_element("#shopify-connect"))
    dash_duo.wait_for_contains_text(
        "#shopify-error", "Shopify did not accept that access token", timeout=15
    )
    # the form keeps what was typed: shop and token are still there to correct
    assert dash_duo.find_element("#shopify-shop").get_attribute("value") == "glow-e2e"
    assert dash_duo.find_element("#shopify-token").get_attribute("value") == "shpat_wrong"
    token = dash_duo.find_element("#shopify-token")
    token.clear()
    token.send_keys(SHOPIFY_TOKEN)
    click(dash_duo, dash_duo.find_element("#shopify-connect"))

    # Connected: the first sync is queued (no worker yet), its bar shows and polls.
    dash_duo.wait_for_contains_text("#int-card-shopify", "Connected", timeout=15)
    dash_duo.wait_for_contains_text("#int-card-shopify .int-progress-caption", "Queued", timeout=10)
    assert bar_value(dash_duo) == 0
    run(worker)
    wait_for_full_bar(dash_duo)
    dash_duo.wait_for_contains_text(".int-history-wrap", "Succeeded", timeout=10)

    # Sync now: a second sync, again to 100 %.
    click(dash_duo, dash_duo.find_element("#int-card-shopify button.btn-outline-primary"))
    dash_duo.wait_for_contains_text(".int-toast-area", "sync started", timeout=10)
    wait_for_full_bar(dash_duo)
    dash_duo.wait_for_contains_text(".int-history-wrap", "Sync now", timeout=10)
    with app.app_context():
        assert len(db.session.execute(select(Connection)).scalars().all()) == 1
    assert SHOPIFY_TOKEN not in dash_duo.driver.page_source

    # The sync enqueued a brain recompute; once stored, the overview shows it.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.execute(
                select(BrainState.id).where(BrainState.org_id == ids["org_id"])
            ).first():
                break
        time.sleep(0.5)
    else:
        raise AssertionError("no brain state after the sync")
    dash_duo.driver.get(base + "/")
    dash_duo.wait_for_element("#overview", timeout=20)
    assert not dash_duo.driver.find_elements(By.ID, "overview-empty")
    assert "No insights yet" not in dash_duo.find_element("#page").text


def test_integrations_fit_a_phone(app, dash_duo):
    ids = make_org(app, "Glow E2E", EMAIL)
    with app.app_context():
        from models import SyncJob

        conn = Connection(
            org_id=ids["org_id"],
            platform="meta",
            external_account_id="act_12345678901234567890",
            account_name="A rather long Meta ad account name for Glow",
            status="needs_reauth",
            last_error="The Meta connection expired or was revoked. Reconnect it.",
            credentials_encrypted=encrypt_credentials({"access_token": "tok_abcdefghijkl"}),
        )
        db.session.add(conn)
        db.session.flush()
        db.session.add_all(
            [
                SyncJob(org_id=ids["org_id"], connection_id=conn.id, status="running", progress=40),
                SyncJob(
                    org_id=ids["org_id"],
                    connection_id=conn.id,
                    status="failed",
                    error="The Meta connection expired or was revoked. Reconnect it.",
                ),
            ]
        )
        db.session.commit()
    base = log_in(dash_duo, app)
    driver = dash_duo.driver
    driver.set_window_size(390, 844)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(390 + 390 - inner[0], 844 + 844 - inner[1])
    driver.get(base + "/integrations")
    dash_duo.wait_for_element("#int-card-shopify", timeout=15)
    dash_duo.wait_for_element(".int-history", timeout=10)
    settle(dash_duo)
    width, scroll = driver.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth]"
    )
    assert width == 390
    assert scroll <= width, f"horizontal overflow: {scroll}px on a {width}px screen"
    # Cards stack: each one spans the screen.
    rects = driver.execute_script(
        "return [...document.querySelectorAll('.int-card')]"
        ".map(c => c.getBoundingClientRect().left)"
    )
    assert len(rects) == 4 and len({round(x) for x in rects}) == 1
