"""File imports end to end: upload route (CSRF, tenancy), a real RQ worker, the real DB."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from jobs.queue import FlaskSimpleWorker
from models import AdMetricDaily, Connection, Order
from models.imports import DataImport
from tests.conftest import csrf_headers, login, make_org
from tests.fixtures import exports

FIXTURES = exports.HERE
END = exports.SAMPLE_END


@pytest.fixture(autouse=True)
def import_dir(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app.config["OMNIFY"], "IMPORT_DIR", str(tmp_path / "uploads"))
    return tmp_path


def run_worker(app) -> None:
    queue = app.extensions["rq"].queue
    worker = FlaskSimpleWorker([queue], connection=queue.connection)
    worker.flask_app = app
    worker.work(burst=True)


def upload(client, path: Path, platform: str = "") -> int:
    with open(path, "rb") as f:
        resp = client.post(
            "/imports/upload",
            data={"file": (f, path.name), "platform": platform},
            headers={**csrf_headers(client), "Accept": "application/json"},
            content_type="multipart/form-data",
        )
    assert resp.status_code == 202, resp.get_data(True)
    return resp.get_json()["id"]


def status(client, import_id: int) -> dict:
    return client.get(f"/api/imports/{import_id}").get_json()


def check(app, client, path: Path) -> dict:
    import_id = upload(client, path)
    run_worker(app)
    return status(client, import_id)


def import_file(app, client, path: Path) -> dict:
    info = check(app, client, path)
    assert info["status"] == "ready", info
    resp = client.post(
        f"/imports/{info['id']}/confirm",
        headers={**csrf_headers(client), "Accept": "application/json"},
    )
    assert resp.status_code == 200, resp.get_data(True)
    run_worker(app)
    return status(client, info["id"])


def ad_totals(app, org_id: int) -> tuple:
    with app.app_context():
        n, spend = db.session.execute(
            select(func.count(AdMetricDaily.id), func.sum(AdMetricDaily.spend)).where(
                AdMetricDaily.org_id == org_id
            )
        ).one()
        return n, round(float(spend or 0), 2)


def order_totals(app, org_id: int) -> tuple:
    with app.app_context():
        n, revenue, firsts = db.session.execute(
            select(
                func.count(Order.id),
                func.sum(Order.revenue),
                func.sum(func.cast(Order.is_first_order, db.Integer)),
            ).where(Order.org_id == org_id)
        ).one()
        return n, round(float(revenue or 0), 2), int(firsts or 0)


@pytest.fixture
def owner(app, client):
    org = make_org(app, "Acme", "owner@acme.example")
    login(client, org["email"])
    return org


@pytest.mark.parametrize(
    ("name", "platform"),
    [
        ("meta_ads_export.csv", "meta"),
        ("google_ads_ad_report.csv", "google_ads"),
        ("tiktok_ads_export.csv", "tiktok"),
    ],
)
def test_each_ad_platform_export_imports_with_the_right_totals(app, client, owner, name, platform):
    expected = exports.SAMPLES[name](Path("/dev/null"), END, 14)
    info = check(app, client, FIXTURES / name)
    assert info["status"] == "ready", info
    preview = info["preview"]
    assert preview["platform"] == platform
    assert preview["rows"] == expected["rows"]
    assert preview["spend"] == pytest.approx(expected["spend"])
    assert preview["date_from"] == (END - timedelta(days=13)).isoformat()
    assert preview["date_to"] == END.isoformat()
    before = ad_totals(app, owner["org_id"])
    assert before == (0, 0)
    resp = client.post(f"/imports/{info['id']}/confirm", headers=csrf_headers(client))
    assert resp.status_code == 302
    run_worker(app)
    done = status(client, info["id"])
    assert done["status"] == "succeeded", done
    assert ad_totals(app, owner["org_id"]) == (expected["rows"], expected["spend"])
    with app.app_context():
        conn = db.session.execute(
            select(Connection).where(Connection.org_id == owner["org_id"])
        ).scalar_one()
        assert (conn.platform, conn.source, conn.credentials_encrypted) == (
            platform,
            "import",
            None,
        )
        assert conn.last_synced_at is not None


def test_shopify_orders_export_imports_one_row_per_order(app, client, owner):
    expected = exports.write_shopify(Path("/dev/null"), END, 14)
    done = import_file(app, client, FIXTURES / "shopify_orders_export.csv")
    assert done["status"] == "succeeded", done
    n, revenue, firsts = order_totals(app, owner["org_id"])
    assert (n, revenue) == (expected["orders"], expected["revenue"])
    assert 0 < firsts <= 60  # one first order per returning customer at most


def test_reimport_is_a_no_op_and_an_overlapping_file_updates_the_overlap(
    app, client, owner, tmp_path
):
    first = tmp_path / "meta_week1.csv"
    totals1 = exports.write_meta(first, END, 14, seed=1)
    import_file(app, client, first)
    assert ad_totals(app, owner["org_id"]) == (totals1["rows"], totals1["spend"])
    import_file(app, client, first)  # the same file again
    assert ad_totals(app, owner["org_id"]) == (totals1["rows"], totals1["spend"])
    # a second export overlapping the last 7 days, with restated numbers, plus 7 new days
    second = tmp_path / "meta_week2.csv"
    totals2 = exports.write_meta(second, END + timedelta(days=7), 14, seed=2)
    import_file(app, client, second)
    n, spend = ad_totals(app, owner["org_id"])
    assert n == totals1["rows"] + 7 * 3  # 7 new days x 3 ads; the overlap updated in place
    kept = exports.write_meta(tmp_path / "x.csv", END - timedelta(days=7), 7, seed=1)
    assert spend == pytest.approx(kept["spend"] + totals2["spend"], abs=0.02)


def test_shopify_reimport_changes_nothing(app, client, owner):
    import_file(app, client, FIXTURES / "shopify_orders_export.csv")
    once = order_totals(app, owner["org_id"])
    import_file(app, client, FIXTURES / "shopify_orders_export.csv")
    assert order_totals(app, owner["org_id"]) == once


def _broken(tmp_path: Path, name: str, edit) -> Path:  # noqa: ANN001
    lines = (FIXTURES / "meta_ads_export.csv").read_text().splitlines()
    lines = edit(lines)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_bad_date_is_named_by_row_and_column_and_nothing_is_written(app, client, owner, tmp_path):
    def edit(lines):  # noqa: ANN001, ANN202
        cells = lines[16].split(",")
        cells[2] = "2026-13-45"
        lines[16] = ",".join(cells)
        return lines

    info = check(app, client, _broken(tmp_path, "bad_date.csv", edit))
    assert info["status"] == "invalid"
    assert info["error"].startswith('Row 17, column "Day": "2026-13-45" is not a date')
    assert ad_totals(app, owner["org_id"]) == (0, 0)


def test_a_negative_spend_is_refused(app, client, owner, tmp_path):
    def edit(lines):  # noqa: ANN001, ANN202
        cells = lines[8].split(",")
        cells[8] = "-12.50"
        lines[8] = ",".join(cells)
        return lines

    info = check(app, client, _broken(tmp_path, "negative.csv", edit))
    assert info["status"] == "invalid"
    assert 'Row 9, column "Amount spent (USD)": -12.50 is negative' in info["error"]


def test_a_missing_column_is_named(app, client, owner, tmp_path):
    def edit(lines):  # noqa: ANN001, ANN202
        return [",".join(c for i, c in enumerate(line.split(",")) if i != 6) for line in lines]

    info = check(app, client, _broken(tmp_path, "no_ad_name.csv", edit))
    assert info["status"] == "invalid"
    assert 'column "Ad name"' in info["error"] and "Meta Ads Manager" in info["error"]


def test_utf16_from_excel_imports(app, client, owner, tmp_path):
    text = (FIXTURES / "tiktok_ads_export.csv").read_text().replace(",", "\t")
    path = tmp_path / "tiktok_unicode.txt"
    path.write_bytes(text.encode("utf-16"))  # Excel "Unicode text": UTF-16 LE with BOM, tabs
    expected = exports.write_tiktok(Path("/dev/null"), END, 14)
    done = import_file(app, client, path)
    assert done["status"] == "succeeded", done
    assert ad_totals(app, owner["org_id"]) == (expected["rows"], expected["spend"])


def test_an_empty_file_says_so(app, client, owner, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    info = check(app, client, path)
    assert info["status"] == "invalid"
    assert "empty (0 bytes)" in info["error"]


def test_xlsx_export_imports(app, client, owner, tmp_path):
    import csv as _csv

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Orders")
    with open(FIXTURES / "meta_ads_export.csv", newline="") as f:
        for row in _csv.reader(f):
            ws.append(row)
    path = tmp_path / "meta.xlsx"
    wb.save(path)
    expected = exports.write_meta(Path("/dev/null"), END, 14)
    done = import_file(app, client, path)
    assert done["status"] == "succeeded", done
    assert ad_totals(app, owner["org_id"]) == (expected["rows"], expected["spend"])


def test_another_org_cannot_see_confirm_or_discard_an_import(app, client, owner):
    info = check(app, client, FIXTURES / "meta_ads_export.csv")
    other = make_org(app, "Other", "owner@other.example")
    client.get("/logout")
    login(client, other["email"])
    assert client.get(f"/api/imports/{info['id']}").status_code == 404
    assert (
        client.post(f"/imports/{info['id']}/confirm", headers=csrf_headers(client)).status_code
        == 404
    )
    assert (
        client.post(f"/imports/{info['id']}/discard", headers=csrf_headers(client)).status_code
        == 404
    )
    run_worker(app)
    assert ad_totals(app, owner["org_id"]) == (0, 0)
    assert ad_totals(app, other["org_id"]) == (0, 0)
    with app.app_context():
        assert db.session.get(DataImport, info["id"]).status == "ready"


def test_a_viewer_cannot_import(app, client):
    org = make_org(app, "Acme", "viewer@acme.example", role="viewer")
    login(client, org["email"])
    with open(FIXTURES / "meta_ads_export.csv", "rb") as f:
        resp = client.post(
            "/imports/upload",
            data={"file": (f, "meta.csv")},
            headers={**csrf_headers(client), "Accept": "application/json"},
            content_type="multipart/form-data",
        )
    assert resp.status_code == 400 and "Viewers" in resp.get_json()["error"]


def test_an_import_connection_refuses_sync_now(app, client, owner):
    from jobs.connections import SyncRefused, check_can_sync

    import_file(app, client, FIXTURES / "meta_ads_export.csv")
    with app.app_context():
        conn = db.session.execute(
            select(Connection).where(Connection.org_id == owner["org_id"])
        ).scalar_one()
        with pytest.raises(SyncRefused, match="imported files"):
            check_can_sync(conn, "owner")


def test_upload_dir_is_cleaned_after_import(app, client, owner, import_dir):
    import_file(app, client, FIXTURES / "meta_ads_export.csv")
    assert not any((import_dir / "uploads").rglob("*.csv"))
    shutil.rmtree(import_dir / "uploads", ignore_errors=True)


def test_uploads_above_the_general_body_limit_are_accepted_up_to_the_import_limit(
    app, client, owner, tmp_path, monkeypatch
):
    """MAX_CONTENT_LENGTH (5 MB) guards every route; the upload route has its own limit."""
    big = tmp_path / "meta_6mb.csv"
    exports.write_meta_large(big, END, 40_000)
    assert big.stat().st_size > app.config["MAX_CONTENT_LENGTH"]
    assert upload(client, big)  # 202
    monkeypatch.setattr(app.config["OMNIFY"], "IMPORT_MAX_BYTES", 1024 * 1024)
    with open(big, "rb") as f:
        resp = client.post(
            "/imports/upload",
            data={"file": (f, big.name)},
            headers={**csrf_headers(client), "Accept": "application/json"},
            content_type="multipart/form-data",
        )
    assert resp.status_code == 413 and "larger than 1 MB" in resp.get_json()["error"]


def test_an_export_of_a_platform_that_syncs_through_its_api_is_refused(app, client, owner):
    """Meta connected through the API already has these days: importing its export as well
    would count the same spend twice (a disconnected account no longer blocks it)."""
    with app.app_context():
        conn = Connection(
            org_id=owner["org_id"],
            platform="meta",
            external_account_id="act_42",
            account_name="Lumen US",
            status="active",
            source="api",
        )
        db.session.add(conn)
        db.session.commit()
        conn_id = conn.id
    info = check(app, client, FIXTURES / "meta_ads_export.csv")
    assert info["status"] == "invalid"
    assert "already syncs from the connected account Lumen US" in info["error"]
    assert ad_totals(app, owner["org_id"]) == (0, 0)
    assert check(app, client, FIXTURES / "tiktok_ads_export.csv")["status"] == "ready"
    with app.app_context():
        db.session.get(Connection, conn_id).status = "disabled"
        db.session.commit()
    assert check(app, client, FIXTURES / "meta_ads_export.csv")["status"] == "ready"
