"""Issue 15's "Done means" items that had no browser test yet: the board PDF downloaded from the
page (its text: the period with its number, dollars, signed trends, the status rule, the
decision taken on the page), the CSV exports as the page links them (the screen's columns,
every row, the brain's fatigue), and the channel tables inside their cards at 390 and 1280."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pandas as pd
import pytest
import requests
from pypdf import PdfReader

from extensions import db
from models import analytics as queries
from readmodels.analytics import CREATIVE_EXPORT_COLUMNS, DAILY_EXPORT_COLUMNS
from tests.helpers.analytics import A_PLATFORMS, END, load_brand
from tests.helpers.overview import EXAMPLE
from tests.helpers.overview_e2e import USERS, click, log_in, start

pytestmark = pytest.mark.e2e


def _get(dash_duo, href: str) -> requests.Response:
    """Download a link as the browser would (its session cookie)."""
    cookies = {c["name"]: c["value"] for c in dash_duo.driver.get_cookies()}
    resp = requests.get(href, cookies=cookies, timeout=30)
    assert resp.status_code == 200, (href, resp.status_code)
    return resp


def _pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def test_board_pdf_from_the_page_says_period_dollars_signs_and_the_decision(app, dash_duo, lumen):
    base = start(dash_duo, app)
    pause = next(a for a in EXAMPLE["curiosity"]["actions"] if a["type"] == "pause_creative")
    card = f"#action-{pause['id']}"
    log_in(dash_duo, base, USERS["director"])
    click(dash_duo, f"{card} summary.ov-action-summary")
    click(dash_duo, f"{card} .ov-action-buttons .btn-primary")  # Mark done
    dash_duo.wait_for_contains_text(f"{card} .ov-decision", "Done by Director", timeout=10)

    log_in(dash_duo, base, USERS["vp_growth"])  # the VP downloads the board report
    link = dash_duo.find_element("#report-link-vp_growth")
    assert link.is_displayed()
    resp = _get(dash_duo, link.get_attribute("href"))
    assert resp.headers["Content-Type"] == "application/pdf" and resp.content.startswith(b"%PDF")
    text = _pdf_text(resp.content)
    assert "Last 30 days, 26 Oct to 24 Nov 2026" in text  # the number of days is said
    totals = EXAMPLE["memory"]["totals"]
    assert f"${totals['spend']:,.0f}" in text and f"${totals['store_revenue']:,.0f}" in text
    assert "actual 8,754.51" not in text  # amounts carry their currency
    tiktok = next(p for p in EXAMPLE["memory"]["platforms"] if p["platform"] == "tiktok")
    change = tiktok["trend"]["change_pct"]
    assert f"ROAS {'+' if change > 0 else '-'}{abs(change):.1f}%" in text  # signed
    assert " flat " not in text
    assert "Status follows the next dollar" in text
    assert "Done by Director" in text  # the decision taken on the page, same words
    assert "Executed" not in text and "Approved" not in text
    assert dash_duo.get_logs() == []


def _many_creatives_brand(app, org_id: int) -> int:
    """27 creatives (9 per platform, one of them TikTok's fatigued C12) for 14 days."""
    from models.seed import load_frames

    rows = []
    for i in range(14):
        day = pd.Timestamp(END - timedelta(days=13 - i))
        for platform in ("meta", "google_ads", "tiktok"):
            for k in range(9):
                creative = "C12" if (platform, k) == ("tiktok", 0) else f"{platform}-cr{k}"
                rows.append(
                    {
                        "date": day,
                        "platform": platform,
                        "campaign_id": f"{platform}-camp",
                        "campaign_name": f"{platform} campaign",
                        "creative_id": creative,
                        "creative_name": f"{platform} creative {k}",
                        "spend": 10.0 + k,
                        "impressions": 10_000,
                        "clicks": 100,
                        "conversions": 5,
                        "platform_revenue": 30.0 + k,
                        "reach": 5_000,
                        "frequency": 2.0,
                    }
                )
    orders = pd.DataFrame(
        [
            {
                "order_id": f"o{i}",
                "placed_on": pd.Timestamp(END - timedelta(days=i)),
                "customer_id": f"c{i}",
                "revenue": 80.0,
                "is_first_order": True,
                "utm_source": "facebook",
            }
            for i in range(14)
        ]
    )
    with app.app_context():
        load_frames(org_id, pd.DataFrame(rows), orders)
        db.session.commit()
    return 27


def _csv_rows(resp: requests.Response) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(resp.text))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_csv_exports_have_the_screens_columns_and_every_row(app, dash_duo, lumen):
    n_creatives = _many_creatives_brand(app, lumen["org_id"])
    queries.clear_cache()
    base = start(dash_duo, app)
    log_in(dash_duo, base, USERS["vp_growth"])
    dash_duo.driver.get(base + "/analytics?range=7d&compare=previous")
    dash_duo.wait_for_contains_text("#an-caption", "(7 days)", timeout=15)
    dash_duo.wait_for_element("#an-leaderboard table", timeout=15)

    daily = _get(dash_duo, dash_duo.find_element("#an-csv-daily").get_attribute("href"))
    assert "_2025-06-24_2025-06-30" in daily.headers["Content-Disposition"]  # filters in name
    columns, rows = _csv_rows(daily)
    assert columns == DAILY_EXPORT_COLUMNS
    assert [r["date"] for r in rows] == [f"2025-06-{d}" for d in range(24, 31)]  # one per day
    assert rows[0]["compared_date"] == "2025-06-17"  # the comparison the screen shows
    assert {r["ctr_pct"] for r in rows} == {"1.0"}  # 27 x 100 clicks / 27 x 10,000: a percent
    assert {r["conversions"] for r in rows} == {"135"}  # whole, not 135.0

    shown = len(dash_duo.driver.find_elements("css selector", "#an-leaderboard-table tbody tr"))
    assert shown == 20  # the page's top 20 ...
    creatives = _get(dash_duo, dash_duo.find_element("#an-csv-creatives").get_attribute("href"))
    columns, rows = _csv_rows(creatives)
    assert columns == CREATIVE_EXPORT_COLUMNS
    assert len(rows) == n_creatives  # ... and the export has all of them
    c12 = next(r for r in rows if r["creative_id"] == "C12")
    fatigue = next(f for f in EXAMPLE["oracle"]["fatigue"] if f["creative_id"] == "C12")
    assert float(c12["fatigue_probability"]) == pytest.approx(fatigue["prob_7d"], abs=1e-3)
    assert all(r["fatigue_probability"] == "" for r in rows if r["creative_id"] != "C12")


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["390", "1280"])
def test_channel_tables_fit_their_cards(app, dash_duo, lumen, size):
    """The overview's channel table (now with a revenue column) and the analytics one never
    scroll sideways inside their cards: stacked cards on a phone, full tables on a desktop."""
    load_brand(app, lumen["org_id"], "fit", A_PLATFORMS)
    queries.clear_cache()
    base = start(dash_duo, app)
    driver = dash_duo.driver
    driver.set_window_size(size[0], size[1] + 143)
    log_in(dash_duo, base, USERS["cmo"])
    for path, table in (
        ("/?range=7d", "channel-table"),
        ("/analytics?range=7d", "an-channel-table"),
    ):
        driver.get(base + path)
        dash_duo.wait_for_element(f"#{table} tbody tr", timeout=15)
        dash_duo.wait_for_contains_text(
            "#ov-caption" if path[1] == "?" else "#an-caption", "(7 days)"
        )
        wide = driver.execute_script(
            "var t = document.getElementById(arguments[0]);"
            "return [t.scrollWidth, t.parentElement.clientWidth, "
            "document.documentElement.scrollWidth, window.innerWidth];",
            table,
        )
        assert wide[0] <= wide[1], (path, size, wide)  # the table inside its box
        assert wide[2] <= wide[3], (path, size, wide)  # the page inside the window
        status = driver.find_element("css selector", f"#{table} tbody tr td")
        assert status.rect["x"] + status.rect["width"] <= wide[3], (path, size)
