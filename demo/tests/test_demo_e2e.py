"""The sales demo alone, in headless Chromium: every page at 390x844 and 1280x800 without
horizontal overflow or console errors, navigation, the persona switch, decisions kept in the tab
and reset, the board PDF downloaded as a PDF, and no request leaving 127.0.0.1.

Runs in a virtualenv with only demo/requirements.txt + demo/requirements-test.txt
(.ci/run builds it):  /tmp/demo-venv/bin/python -m pytest -c demo/tests/pytest.ini demo/tests
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
RERENDERS = (StaleElementReferenceException, NoSuchElementException)  # Dash swaps elements
PAGES = {"/": "#overview", "/analytics": "#an-leaderboard table", "/integrations": "#int-cards"}
SIZES = ((390, 844), (1280, 800))
LOCAL_HOSTS = {"127.0.0.1"}
READY_JS = """
if (document.readyState !== 'complete') return false;
if (document.querySelector('._dash-loading, [data-dash-is-loading="true"]')) return false;
var s = window.store && window.store.getState();
if (!s) return false;
var c = Object.assign({}, s.callbacks); delete c.stored; delete c.completed;
return [].concat.apply([], Object.values(c)).length === 0 && !s.isLoading;
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url():
    port = int(os.environ.get("DEMO_E2E_PORT") or _free_port())
    env = dict(os.environ, PORT=str(port))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "demo" / "app.py")],
        cwd=tempfile.gettempdir(),  # the demo must not depend on the working directory
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("demo exited: " + proc.stderr.read().decode()[-2000:])
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("demo did not answer within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def downloads():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


@pytest.fixture(scope="module")
def driver(downloads):
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--hide-scrollbars",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    chromedriver = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
    drv = webdriver.Chrome(service=Service(chromedriver), options=opts)
    drv.set_page_load_timeout(30)
    drv.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    yield drv
    drv.quit()


def viewport(drv, width: int, height: int) -> None:
    drv.set_window_size(width, height)
    iw, ih = drv.execute_script("return [window.innerWidth, window.innerHeight]")
    if (iw, ih) != (width, height):
        drv.set_window_size(width + (width - iw), height + (height - ih))


def settle(drv, timeout: float = 30) -> None:
    WebDriverWait(drv, timeout, poll_frequency=0.1).until(lambda d: d.execute_script(READY_JS))


def wait_for(drv, css: str, timeout: float = 30):
    return WebDriverWait(drv, timeout, poll_frequency=0.1, ignored_exceptions=RERENDERS).until(
        lambda d: d.find_element(By.CSS_SELECTOR, css)
    )


def open_page(drv, url: str, marker: str) -> None:
    drv.get(url)
    wait_for(drv, marker)
    settle(drv)


def click(drv, css: str) -> None:
    element = wait_for(drv, css)
    drv.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    element.click()


def severe(drv) -> list[dict]:
    return [e for e in drv.get_log("browser") if e.get("level") == "SEVERE"]


def requested_hosts(drv) -> set[str]:
    """Hosts of every request the browser sent since the last call (CDP performance log)."""
    hosts = set()
    for entry in drv.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            parsed = urlparse(message["params"]["request"]["url"])
            if parsed.scheme in ("http", "https", "ws", "wss"):
                hosts.add(parsed.hostname or "")
    return hosts


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_page_fits_logs_no_error_and_stays_local(driver, base_url, size):
    viewport(driver, *size)
    requested_hosts(driver)  # start clean
    for path, marker in PAGES.items():
        open_page(driver, base_url + path, marker)
        assert driver.find_element(By.ID, "demo-ribbon").text.startswith("Demo data")
        scroll, inner = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll <= inner, f"{path} overflows at {size}: {scroll} > {inner}"
        assert severe(driver) == [], path
    hosts = requested_hosts(driver)
    assert hosts and hosts <= LOCAL_HOSTS, hosts


def test_navigation_persona_switch_and_analytics_filters(driver, base_url):
    viewport(driver, 1280, 800)
    open_page(driver, base_url + "/", "#overview")
    root = driver.find_element(By.ID, "persona-root")
    Select(driver.find_element(By.ID, "persona-select")).select_by_value("director")
    WebDriverWait(driver, 10, ignored_exceptions=RERENDERS).until(
        lambda d: "persona-is-director" in root.get_attribute("class")
    )
    assert driver.find_element(By.ID, "report-link-director").is_displayed()
    assert not driver.find_element(By.ID, "report-link-cmo").is_displayed()

    click(driver, "#nav-analytics")  # client-side navigation: the persona stays
    wait_for(driver, "#an-leaderboard table")
    settle(driver)
    assert urlparse(driver.current_url).path == "/analytics"
    assert "persona-is-director" in driver.find_element(By.ID, "persona-root").get_attribute(
        "class"
    )
    Select(driver.find_element(By.ID, "an-range")).select_by_value("7d")
    WebDriverWait(driver, 20, ignored_exceptions=RERENDERS).until(
        lambda d: "range=7d" in d.current_url
    )
    settle(driver)
    assert "(7 days)" in driver.find_element(By.ID, "an-caption").text
    href = driver.find_element(By.ID, "an-csv-daily").get_attribute("href")
    with urllib.request.urlopen(href, timeout=10) as resp:
        lines = resp.read().decode().splitlines()
    assert lines[0].startswith("date,platforms,campaigns,spend") and len(lines) == 8

    click(driver, "#nav-integrations")
    wait_for(driver, "#int-cards")
    settle(driver)
    click(driver, "#int-cards button.btn-outline-primary")  # Sync now on the first card
    toast = wait_for(driver, "#int-toasts .toast")
    assert "Demo" in toast.text
    assert severe(driver) == []
    assert requested_hosts(driver) <= LOCAL_HOSTS


def test_decisions_stay_in_the_tab_until_reset(driver, base_url):
    viewport(driver, 390, 844)
    open_page(driver, base_url + "/", "#overview")
    driver.execute_script("sessionStorage.clear()")
    open_page(driver, base_url + "/", "#action-list")
    first = driver.find_element(By.CSS_SELECTOR, "#action-list > li")
    aid = first.get_attribute("id").removeprefix("action-")
    click(driver, f"#action-{aid} summary.ov-action-summary")  # collapsed cards open on tap
    click(driver, f"#action-{aid} .ov-action-buttons .btn-primary")  # Mark done
    status = f"#action-{aid} .ov-decision"

    def status_text(d: webdriver.Chrome) -> str:  # also while the card is collapsed
        return d.find_element(By.CSS_SELECTOR, status).get_attribute("textContent") or ""

    WebDriverWait(driver, 15, ignored_exceptions=RERENDERS).until(
        lambda d: "Done by you (demo)" in status_text(d)
    )
    chip = f"#action-{aid} .ov-state-chip"

    def chip_text(d: webdriver.Chrome) -> str:
        return (d.find_element(By.CSS_SELECTOR, chip).get_attribute("textContent") or "").strip()

    WebDriverWait(driver, 15, ignored_exceptions=RERENDERS).until(lambda d: chip_text(d) == "Done")
    open_page(driver, base_url + "/", "#action-list")  # reload: kept in sessionStorage
    WebDriverWait(driver, 15, ignored_exceptions=RERENDERS).until(
        lambda d: chip_text(d) == "Done"  # the collapsed card says so before it is opened
    )
    click(driver, f"#action-{aid} summary.ov-action-summary")  # its footer renders on opening
    WebDriverWait(driver, 15, ignored_exceptions=RERENDERS).until(
        lambda d: "Done by you (demo)" in status_text(d)
    )
    if not driver.find_element(By.ID, "demo-reset").is_displayed():
        click(driver, "#navbar-toggler")  # phones: the reset button is in the menu
        WebDriverWait(
            driver, 10, ignored_exceptions=RERENDERS
        ).until(  # wait for the menu's open animation to end
            lambda d: (
                d.find_element(By.ID, "navbar-collapse").get_attribute("class").split()
                and "show" in d.find_element(By.ID, "navbar-collapse").get_attribute("class")
                and "collapsing"
                not in d.find_element(By.ID, "navbar-collapse").get_attribute("class")
            )
        )
    click(driver, "#demo-reset")
    WebDriverWait(driver, 15, ignored_exceptions=RERENDERS).until(  # the page renders again
        lambda d: not d.find_elements(By.CSS_SELECTOR, status)
    )
    assert chip_text(driver) == "Open"
    click(driver, f"#action-{aid} summary.ov-action-summary")
    WebDriverWait(driver, 15, ignored_exceptions=RERENDERS).until(
        lambda d: "Open: nobody" in status_text(d)
    )
    assert severe(driver) == []


def test_board_pdf_downloads_as_a_pdf(driver, base_url, downloads):
    viewport(driver, 1280, 800)
    open_page(driver, base_url + "/", "#overview")
    Select(driver.find_element(By.ID, "persona-select")).select_by_value("vp_growth")
    click(driver, "#report-link-vp_growth")
    WebDriverWait(driver, 30, poll_frequency=0.2).until(
        lambda d: [p for p in downloads.glob("*.pdf") if p.stat().st_size > 0]
    )
    pdf = next(downloads.glob("*.pdf"))
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]
    assert requested_hosts(driver) <= LOCAL_HOSTS


def pdf_text(data: bytes) -> str:
    """The text drawn on the PDF's pages (ReportLab's ASCII85 + Flate streams, stdlib only)."""
    import base64
    import re
    import zlib

    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)~>\s*endstream", data, re.S):
        try:
            raw = base64.a85decode(stream.strip(), adobe=False)
            out.append(zlib.decompress(raw).decode("latin-1"))
        except (ValueError, zlib.error):
            continue
    text = "".join(re.findall(r"\((.*?)(?<!\\)\)\s*Tj", "\n".join(out)))
    return text.replace("\\(", "(").replace("\\)", ")").replace(" ", "")


def test_board_pdf_carries_the_decisions_taken_in_the_tab(driver, base_url):
    """Decisions live in sessionStorage; the PDF link carries them and the PDF prints them."""
    viewport(driver, 1280, 800)
    open_page(driver, base_url + "/", "#overview")
    driver.execute_script("sessionStorage.clear()")
    open_page(driver, base_url + "/", "#action-list")
    first = driver.find_element(By.CSS_SELECTOR, "#action-list > li")
    aid = first.get_attribute("id").removeprefix("action-")
    with urllib.request.urlopen(
        driver.find_element(By.ID, "report-link-cmo").get_attribute("href"), timeout=30
    ) as resp:
        assert "Donebyyou(demo)" not in pdf_text(resp.read())
    click(driver, f"#action-{aid} summary.ov-action-summary")
    click(driver, f"#action-{aid} .ov-action-buttons .btn-primary")  # Mark done
    WebDriverWait(driver, 15, ignored_exceptions=RERENDERS).until(
        lambda d: "decisions=" in d.find_element(By.ID, "report-link-cmo").get_attribute("href")
    )
    href = driver.find_element(By.ID, "report-link-cmo").get_attribute("href")
    assert aid in urllib.parse.unquote(href)
    with urllib.request.urlopen(href, timeout=30) as resp:
        data = resp.read()
    assert data.startswith(b"%PDF-")
    assert "Donebyyou(demo)" in pdf_text(data)  # table cells wrap: compare without spaces
    open_page(driver, base_url + "/analytics", "#an-leaderboard table")  # other pages: no error
    assert severe(driver) == []


def test_overview_date_control_changes_the_tiles_and_stays_in_the_url(driver, base_url):
    """The product's date control on the demo's overview: a preset changes the tiles, the
    caption and the channels, goes to the URL and survives a reload; the comparison too."""
    viewport(driver, 1280, 800)
    open_page(driver, base_url + "/", "#ov-range")
    assert (
        Select(driver.find_element(By.ID, "ov-range")).first_selected_option.get_attribute("value")
        == "30d"
    )
    assert "(30 days)" in driver.find_element(By.ID, "ov-caption").text
    spend_30 = driver.find_element(By.ID, "kpi-spend").text
    meta_30 = driver.find_element(By.CSS_SELECTOR, "#channel-row-meta .ov-spend-cell").text

    Select(driver.find_element(By.ID, "ov-range")).select_by_value("7d")
    WebDriverWait(driver, 20, ignored_exceptions=RERENDERS).until(
        lambda d: "range=7d" in d.current_url
    )
    WebDriverWait(driver, 20, ignored_exceptions=RERENDERS).until(
        lambda d: "(7 days)" in d.find_element(By.ID, "ov-caption").text
    )
    settle(driver)
    spend_7 = driver.find_element(By.ID, "kpi-spend").text
    assert spend_7 != spend_30 and spend_7.startswith("$")
    assert driver.find_element(By.CSS_SELECTOR, "#channel-row-meta .ov-spend-cell").text != (
        meta_30
    )
    assert "vs previous period" in driver.find_element(By.ID, "kpi-change-spend").text
    WebDriverWait(driver, 20, ignored_exceptions=RERENDERS).until(  # the report follows it
        lambda d: "range=7d" in d.find_element(By.ID, "report-link-cmo").get_attribute("href")
    )
    href = driver.find_element(By.ID, "report-link-cmo").get_attribute("href")
    with urllib.request.urlopen(href, timeout=30) as resp:
        report = pdf_text(resp.read())
    assert "Last7days:" in report and "Lastdays" not in report  # table cells: no spaces

    Select(driver.find_element(By.ID, "ov-compare")).select_by_value("none")
    WebDriverWait(driver, 20, ignored_exceptions=RERENDERS).until(
        lambda d: "compare=none" in d.current_url
    )
    WebDriverWait(driver, 20, ignored_exceptions=RERENDERS).until(
        lambda d: "no comparison" in d.find_element(By.ID, "ov-caption").text
    )
    url = driver.current_url
    open_page(driver, url, "#ov-range")  # a shared link: same period, same numbers
    assert driver.find_element(By.ID, "kpi-spend").text == spend_7
    assert (
        Select(driver.find_element(By.ID, "ov-range")).first_selected_option.get_attribute("value")
        == "7d"
    )
    assert severe(driver) == []
    assert requested_hosts(driver) <= LOCAL_HOSTS
