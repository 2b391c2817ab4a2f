"""The PDF board report: tenant-scoped, from the stored state, persona wording, 404 without one."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.conftest import login, make_org
from tests.helpers.overview import EXAMPLE, beta_state, route, store_state
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


# ---- the overview's period ----------------------------------------------------------------------
def _text(data: bytes) -> str:
    """The PDF's text as a reader sees it (pypdf), whitespace collapsed."""
    import io

    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


@pytest.fixture
def with_data(app, orgs):
    """Org A's stored state (its window: 26 Oct - 24 Nov 2026) plus $300 of ad spend a day to
    30 Jun 2025 for the overview's date control to sum."""
    from models import analytics as queries
    from tests.helpers.analytics import A_PLATFORMS, load_brand

    a, b = orgs
    load_brand(app, a["org_id"], "pdfperiod", A_PLATFORMS)
    queries.clear_cache()
    yield a, b
    queries.clear_cache()


BRAIN = "The brain's read of the 30 days to 24 Nov (26 Oct – 24 Nov)"


def test_board_pdf_follows_the_overviews_period_and_comparison(app, client, with_data):
    """The link's range and compare (the overview's URL parameters) set the header, its KPIs
    with their change, and the channel figures; the brain's sections say they are its window."""
    a, _ = with_data
    login(client, a["email"])
    resp = client.get("/reports/board.pdf?persona=vp_growth&range=7d&compare=previous")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    text = _text(resp.data)
    assert (
        "Last 7 days: Jun 24, 2025 – Jun 30, 2025 (7 days) vs Jun 17, 2025 – Jun 23, 2025 "
        "(the previous period)" in text
    )
    assert "$2,100" in text  # 7 days x $300: the period's spend, as the overview's tile
    assert f"${EXAMPLE['memory']['totals']['spend']:,.0f}" not in text  # not the brain's 30 days
    assert "vs previous period" in text  # each KPI says its change and against what
    assert "Meta Winner $1,400 67% 3.00" in text  # the period's spend, the brain's status
    assert "TikTok Neutral $700 33% 2.00" in text
    assert "Status (brain)" in text and "ROAS change" in text
    assert text.count(BRAIN) >= 3  # header note, summary, ORACLE and CURIOSITY say so
    assert "Risk (brain)" in text
    assert "2025-06-24-to-2025-06-30-vs-previous.pdf" in resp.headers["Content-Disposition"]

    resp = client.get("/reports/board.pdf?persona=vp_growth&range=7d&compare=none")
    none = _text(resp.data)
    assert "(7 days) · no comparison" in none and "vs previous period" not in none
    assert "2025-06-24-to-2025-06-30.pdf" in resp.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "query",
    [
        "range=fortnight&compare=sideways",
        "range=custom&start=2025-13-45&end=yesterday",
        "range=custom&start=2025-06-30&end=2025-06-01",
        "range=custom&start=2000-01-01&end=2100-12-31",
        "range=%00%ff&compare=",
    ],
)
def test_bad_period_params_give_the_default_period(app, client, with_data, query):
    a, _ = with_data
    login(client, a["email"])
    resp = client.get(f"/reports/board.pdf?persona=cmo&{query}")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert "Last 30 days: Jun 1, 2025 – Jun 30, 2025 (30 days)" in _text(resp.data)


def test_the_period_is_summed_for_the_users_own_org_only(app, client, with_data):
    """Org B (no ad data of its own) asks for A's period: its report is its brain's window."""
    _, b = with_data
    login(client, b["email"])
    text = _text(client.get("/reports/board.pdf?range=7d").data)
    assert "Beta Secret Brand" in text
    assert "Jun 24, 2025" not in text and "$2,100" not in text and "$1,400" not in text
    assert "Last 30 days, " in text


def test_the_overviews_report_link_carries_its_period(app, client, with_data):

    a, _ = with_data
    login(client, a["email"])
    resp = route(client, "/", "?range=7d&compare=year")
    from tests.helpers.overview import text

    body = text(resp)
    for persona in ("cmo", "vp_growth", "director"):
        assert f"/reports/board.pdf?persona={persona}&range=7d&compare=year" in body
