"""The PDF board report: tenant-scoped, from the stored state, persona wording, 404 without one."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.conftest import login, make_org
from tests.helpers.overview import EXAMPLE, beta_state, store_state
from tests.helpers.report import pdf_text

B_MARKERS = ("Beta Secret Brand", "Beta Secret Campaign", "beta-secret-creative")


@pytest.fixture
def uncompressed(app):
    """Content streams in clear text so another org's names could be seen if they leaked."""
    app.config["BOARD_REPORT_COMPRESS"] = False
    yield
    app.config.pop("BOARD_REPORT_COMPRESS", None)


@pytest.fixture
def orgs(app):
    a = make_org(app, "Alpha Brand", "cmo@alpha.example", persona="director")
    b = make_org(app, "Beta Secret Brand", "cmo@beta.example")
    store_state(app, a["org_id"], EXAMPLE)
    store_state(app, b["org_id"], beta_state())
    return a, b


def test_board_pdf_for_own_org(app, client, orgs, uncompressed):
    a, _ = orgs
    login(client, a["email"])
    resp = client.get("/reports/board.pdf")
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF")
    disposition = resp.headers["Content-Disposition"]
    as_of = re.escape(EXAMPLE["as_of"])
    assert re.search(rf'filename="omnify-board-report-[a-z0-9-]+-{as_of}\.pdf"', disposition)
    assert "alpha" in disposition
    assert resp.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(resp.data)
    assert "Alpha Brand" in text
    assert "Recommended Actions" in text  # the member's persona (director) by default
    assert "Action needed:" in text
    assert f"{EXAMPLE['memory']['totals']['mer']:.2f}" in text  # A's stored MER
    for marker in B_MARKERS:
        assert marker not in text and marker.encode() not in resp.data


def test_persona_from_query_and_validated(app, client, orgs, uncompressed):
    a, _ = orgs
    login(client, a["email"])
    vp = pdf_text(client.get("/reports/board.pdf?persona=vp_growth").data)
    assert "Channel Performance" in vp and "This week:" in vp
    cmo = pdf_text(client.get("/reports/board.pdf?persona=cmo").data)
    assert "Attribution Truth" in cmo and "Here's the truth:" in cmo
    bad = client.get("/reports/board.pdf?persona=ceo")
    assert bad.status_code == 400
    assert "persona must be one of" in bad.get_json()["error"]


def test_other_org_gets_its_own_report(app, client, orgs, uncompressed):
    _, b = orgs
    login(client, b["email"])
    text = pdf_text(client.get("/reports/board.pdf").data)
    assert "Beta Secret Brand" in text and "Alpha Brand" not in text
    assert "7.77" in text


def test_404_json_without_a_brain_state(app, client):
    a = make_org(app, "Empty Brand", "empty@example.com")
    login(client, a["email"])
    resp = client.get("/reports/board.pdf")
    assert resp.status_code == 404
    assert "no insights yet" in resp.get_json()["error"]


def test_login_required(app, client, orgs):
    resp = client.get("/reports/board.pdf")
    assert resp.status_code in (302, 401)
    assert not resp.data.startswith(b"%PDF")


def test_compressed_by_default_and_still_a_pdf(app, client, orgs):
    a, _ = orgs
    login(client, a["email"])
    data = client.get("/reports/board.pdf").data
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert b"/FlateDecode" in data
    if shutil.which("pdftotext"):
        assert "Alpha Brand" in pdf_text(data)
