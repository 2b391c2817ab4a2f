"""A new customer's first hour in headless Chromium: sign up, import a Meta Ads Manager export
and a Shopify orders export, and see a computed overview — no platform app involved.

A worker thread (jobs.queue.ThreadWorker) runs the checks, the imports and the recompute the
import enqueues, like the embedded queue of `make run`. Screenshots of the import page at
390x844 and 1280x800 go to docs/screenshots/ (no horizontal overflow at either width).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from app import get_dash
from config import ROOT
from jobs.queue import ThreadWorker
from tests.conftest import E2E_PORT, PASSWORD, last_mail_text
from tests.fixtures import exports

pytestmark = pytest.mark.e2e
EMAIL = "founder@newbrand-e2e.example"
SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture
def worker(app, tmp_path, monkeypatch) -> Iterator[ThreadWorker]:
    monkeypatch.setattr(app.config["OMNIFY"], "IMPORT_DIR", str(tmp_path / "uploads"))
    queue = app.extensions["rq"].queue
    w = ThreadWorker([queue], connection=queue.connection)
    w.flask_app = app
    threading.Thread(target=w.work, name="e2e-rq-worker", daemon=True).start()
    yield w
    w.stop()
    for t in threading.enumerate():
        if t.name == "e2e-rq-worker":
            t.join(10)


def sign_up(dash_duo, base: str) -> None:
    d = dash_duo.driver
    d.get(base + "/signup")
    d.find_element(By.ID, "company").send_keys("Glowhaus")
    d.find_element(By.ID, "name").send_keys("Nina Founder")
    d.find_element(By.ID, "email").send_keys(EMAIL)
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(d, 10).until(lambda drv: "/signup/confirm/" in last_mail_text(EMAIL))
    link = re.search(r"https?://\S+/signup/confirm/\S+", last_mail_text(EMAIL)).group(0)
    d.get(base + urlsplit(link).path)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    dash_duo.wait_for_element("#page", timeout=20)


def import_file(dash_duo, base: str, path: Path, rows: int) -> None:
    d = dash_duo.driver
    d.get(base + "/import")
    dash_duo.wait_for_element("#imp-file", timeout=15).send_keys(str(path))
    d.find_element(By.ID, "imp-submit").click()
    button = f"Import {rows:,} rows"
    # the list re-renders while it polls: find and click in one script (no stale elements)
    click = """var b = Array.from(document.querySelectorAll('.imp-actions button'))
        .find(function(x){ return x.textContent === arguments[0]; });
        if (b) { b.click(); return true; } return false;"""
    click = click.replace("arguments[0]", "'" + button + "'")
    WebDriverWait(d, 90).until(lambda drv: drv.execute_script(click))
    done = f"{rows:,} rows imported"
    WebDriverWait(d, 120).until(
        lambda drv: (
            drv.execute_script(
                "var l = document.getElementById('imp-list'); return l ? l.textContent : '';"
            ).find(done)
            >= 0
        )
    )


def no_overflow(dash_duo) -> bool:
    return dash_duo.driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    )


def test_new_customer_imports_meta_and_shopify_and_sees_a_computed_overview(
    dash_duo, app, worker, tmp_path
):
    end = date.today() - timedelta(days=1)
    meta = tmp_path / "Glowhaus-Ads-Nov-1-2026.csv"
    shop = tmp_path / "orders_export_1.csv"
    meta_totals = exports.write_meta(meta, end, 56)
    shop_totals = exports.write_shopify(shop, end, 56)

    dash_duo.start_server(get_dash(app), navigate=False, port=E2E_PORT)
    base = dash_duo.server.url.rstrip("/")
    dash_duo.driver.set_window_size(1280, 800)
    sign_up(dash_duo, base)

    import_file(dash_duo, base, meta, meta_totals["rows"])
    assert no_overflow(dash_duo)
    dash_duo.driver.save_screenshot(str(SHOTS / "import-1280.png"))
    import_file(dash_duo, base, shop, shop_totals["orders"])

    dash_duo.driver.set_window_size(390, 844)
    dash_duo.driver.get(base + "/import")
    dash_duo.wait_for_element("#imp-list", timeout=15)
    assert no_overflow(dash_duo)
    dash_duo.driver.save_screenshot(str(SHOTS / "import-390.png"))

    # the recompute the imports queued fills the overview
    dash_duo.driver.set_window_size(1280, 800)
    dash_duo.driver.get(base + "/")
    WebDriverWait(dash_duo.driver, 120).until(
        lambda drv: (
            drv.find_elements(By.ID, "kpi-mer") or drv.refresh()
        )  # a fresh page per try until the brain state exists
    )
    spend = dash_duo.find_element("#kpi-spend").text
    assert re.search(r"\d", spend), spend
    assert re.search(r"\d", dash_duo.find_element("#kpi-mer").text)
