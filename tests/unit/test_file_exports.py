"""Reading platform exports: header recognition, validation in words, streaming in chunks."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from config import ROOT
from integrations.file_exports import ImportProblem, raw_chunks, read_chunks, sniff
from tests.fixtures import exports

FIXTURES = exports.HERE


@pytest.mark.parametrize(
    ("name", "platform", "header_line"),
    [
        ("meta_ads_export.csv", "meta", 0),
        ("google_ads_ad_report.csv", "google_ads", 2),  # title + date range above the header
        ("tiktok_ads_export.csv", "tiktok", 0),
        ("shopify_orders_export.csv", "shopify", 0),
    ],
)
def test_each_platform_is_recognised_from_its_own_headers(name, platform, header_line):
    fmt = sniff(FIXTURES / name)
    assert (fmt.platform.key, fmt.header_line) == (platform, header_line)


def test_meta_currency_comes_from_the_spend_header():
    assert sniff(FIXTURES / "meta_ads_export.csv").currency == "USD"


def test_google_totals_line_is_not_a_row():
    fmt = sniff(FIXTURES / "google_ads_ad_report.csv")
    rows = sum(len(f) for f in read_chunks(FIXTURES / "google_ads_ad_report.csv", fmt))
    assert rows == exports.write_google(Path("/dev/null"), exports.SAMPLE_END, 14)["rows"]


def test_a_bad_date_names_the_spreadsheet_row_below_a_preamble(tmp_path):
    lines = (FIXTURES / "google_ads_ad_report.csv").read_text().splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[0], "31/02/2026", 1)
    path = tmp_path / "g.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportProblem) as err:
        list(read_chunks(path, sniff(path)))
    assert (err.value.row, err.value.column) == (6, "Day")  # line 6 of the file, as Excel shows


def test_a_line_item_row_of_shopify_is_not_an_order():
    fmt = sniff(FIXTURES / "shopify_orders_export.csv")
    frame = next(read_chunks(FIXTURES / "shopify_orders_export.csv", fmt, 10_000))
    assert frame["order_id"].is_unique


def test_old_xls_and_unknown_files_are_refused_in_words(tmp_path):
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(ImportProblem, match="old Excel .xls"):
        sniff(xls)
    other = tmp_path / "other.csv"
    other.write_text("foo,bar\n1,2\n")
    with pytest.raises(ImportProblem, match="did not recognise"):
        sniff(other)


def test_breakdown_exports_are_refused(tmp_path):
    text = (FIXTURES / "meta_ads_export.csv").read_text().splitlines()
    text = [line + (",Age" if i == 0 else ",25-34") for i, line in enumerate(text)]
    path = tmp_path / "age.csv"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(ImportProblem, match="broken down by Age"):
        sniff(path)


def test_chunks_are_bounded_whatever_the_file_size(tmp_path):
    """Streaming proof by count: 120,000 rows at 10,000 a chunk is 12 chunks, none larger."""
    path = tmp_path / "big.csv"
    totals = exports.write_meta_large(path, date(2026, 11, 1), 120_000)
    fmt = sniff(path)
    sizes = [len(chunk) for _, chunk in raw_chunks(path, fmt, 10_000)]
    assert sizes == [10_000] * 12
    spend = sum(float(f["spend"].sum()) for f in read_chunks(path, fmt, 10_000))
    assert spend == pytest.approx(totals["spend"])


READ_100MB = """
import json, sys
from integrations.file_exports import read_chunks, sniff
path = sys.argv[1]
fmt = sniff(path)
rows = chunks = 0
for frame in read_chunks(path, fmt, 50_000):
    rows += len(frame); chunks += 1
# VmHWM is this process's own peak (ru_maxrss would inherit the forking parent's peak)
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"rows": rows, "chunks": chunks, "peak_rss_mb": int(hwm.split()[1]) / 1024}))
"""


def test_a_100_mb_export_streams_with_bounded_memory(tmp_path):
    """100 MB of Meta rows read in a fresh process: every row, in 50,000-row chunks, with a
    peak RSS far below what loading the file whole takes (pandas holds ~10x a CSV's size as
    strings)."""
    path = tmp_path / "meta_100mb.csv"
    totals = exports.write_meta_large(path, date(2026, 11, 1), 640_000)
    assert path.stat().st_size >= 100 * 1024 * 1024
    out = subprocess.run(
        [sys.executable, "-c", READ_100MB, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result = json.loads(out.stdout)
    assert result["rows"] == totals["rows"]
    assert result["chunks"] == -(-totals["rows"] // 50_000)
    assert result["peak_rss_mb"] < 250, result  # streamed ~130 MB; whole ~300 MB
