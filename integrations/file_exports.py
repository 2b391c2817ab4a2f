"""Read the report files brands already have: Meta Ads Manager, Google Ads, TikTok Ads and
Shopify order exports (CSV in any of the encodings Excel writes, or XLSX).

- :func:`sniff` finds the header line (Google Ads puts a title and a date range above it),
  the encoding (UTF-8, UTF-8 with BOM, UTF-16 from Excel's "Unicode text", cp1252) and the
  delimiter, and recognises the platform from its standard column names.
- :func:`read_chunks` streams the file in chunks of ``chunk_rows`` rows (pandas' chunked CSV
  reader; openpyxl's read-only mode for XLSX), so memory stays bounded whatever the size, and
  yields normalized frames: the same fields a sync produces (``jobs/connectors.py``).
- Every problem is an :class:`ImportProblem` that names the spreadsheet row and the column.

The column names are the platforms' own (as exported in English); a column may go by several
names across report versions, so each field lists its aliases.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from integrations.shopify import UNPAID_STATUSES

HEADER_SCAN_LINES = 12  # Google Ads puts a report title and a date range above the header
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%b %d, %Y", "%B %d, %Y", "%d.%m.%Y", "%Y/%m/%d")
TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "ISO8601")
BREAKDOWNS = ("age", "gender", "placement", "platform", "device platform", "region", "country")


@dataclass(frozen=True)
class Platform:
    """One export format: which headers name which field, and which fields must be there."""

    key: str
    name: str
    kind: str  # "ads" | "orders"
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    signature: tuple[str, ...]  # headers (normalized) that together identify the format
    how_to: str


PLATFORMS: dict[str, Platform] = {
    "meta": Platform(
        key="meta",
        name="Meta Ads Manager",
        kind="ads",
        columns={
            "date": ("day", "date", "reporting starts"),
            "campaign_id": ("campaign id",),
            "campaign_name": ("campaign name",),
            "creative_id": ("ad id",),
            "creative_name": ("ad name",),
            "spend": ("amount spent",),
            "impressions": ("impressions",),
            "clicks": ("link clicks", "clicks (all)"),
            "conversions": ("purchases", "website purchases"),
            "platform_revenue": (
                "purchases conversion value",
                "website purchases conversion value",
            ),
            "reach": ("reach",),
            "frequency": ("frequency",),
            "currency": ("currency",),
        },
        required=("date", "campaign_name", "creative_name", "spend", "impressions"),
        signature=("amount spent",),
        how_to="In Ads Manager, open Ads, set Breakdown → By time → Day, add the Ad ID and "
        "Campaign ID columns, then Reports → Export table data (.csv or .xlsx).",
    ),
    "google_ads": Platform(
        key="google_ads",
        name="Google Ads",
        kind="ads",
        columns={
            "date": ("day", "date"),
            "campaign_id": ("campaign id",),
            "campaign_name": ("campaign",),
            "ad_group": ("ad group",),
            "creative_id": ("ad id",),
            "creative_name": ("ad name", "ad", "headline 1"),
            "spend": ("cost",),
            "impressions": ("impr.", "impressions"),
            "clicks": ("clicks",),
            "conversions": ("conversions",),
            "platform_revenue": ("conv. value", "conversion value", "all conv. value"),
            "currency": ("currency code", "currency"),
        },
        required=("date", "campaign_name", "spend", "impressions", "clicks"),
        signature=("campaign", "cost"),
        how_to="In Google Ads, open Campaigns → Ads, segment by Day, add the Campaign ID and "
        "Ad ID columns, then Download → .csv or Excel .csv.",
    ),
    "tiktok": Platform(
        key="tiktok",
        name="TikTok Ads Manager",
        kind="ads",
        columns={
            "date": ("by day", "date", "day", "stat time"),
            "campaign_id": ("campaign id",),
            "campaign_name": ("campaign name",),
            "creative_id": ("ad id",),
            "creative_name": ("ad name",),
            "spend": ("cost", "total cost", "spend"),
            "impressions": ("impressions",),
            "clicks": ("clicks (destination)", "clicks"),
            "conversions": ("complete payment", "purchases"),
            "platform_revenue": (
                "total complete payment value",
                "complete payment value",
                "total purchase value",
            ),
            "reach": ("reach",),
            "frequency": ("frequency",),
            "currency": ("currency",),
        },
        required=("date", "campaign_name", "creative_name", "spend", "impressions"),
        signature=("ad name", "cost"),
        how_to="In TikTok Ads Manager, open Reporting → Custom reports with dimensions Ad and "
        "By Day, add Ad ID, Campaign ID, Complete payment and Total complete payment value, "
        "then Export (.csv or .xlsx).",
    ),
    "shopify": Platform(
        key="shopify",
        name="Shopify orders",
        kind="orders",
        columns={
            "order_id": ("id",),
            "name": ("name",),
            "email": ("email",),
            "financial_status": ("financial status",),
            "placed_at": ("created at",),
            "total": ("total",),
            "refunded": ("refunded amount",),
            "cancelled_at": ("cancelled at",),
            "currency": ("currency",),
        },
        required=("name", "financial_status", "placed_at", "total"),
        signature=("financial status", "lineitem name"),
        how_to="In Shopify admin, open Orders → Export → All orders → CSV for Excel or plain "
        "CSV file.",
    ),
}


class ImportProblem(ValueError):
    """A file we cannot import, in words: what is wrong, on which row and in which column."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        self.row, self.column = row, column
        where = []
        if row is not None:
            where.append(f"Row {row}")
        if column is not None:
            where.append(f'column "{column}"')
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)


@dataclass
class FileFormat:
    """What :func:`sniff` learnt about a file."""

    platform: Platform
    kind: str  # "csv" | "xlsx"
    encoding: str = "utf-8"
    sep: str = ","
    header_line: int = 0  # 0-based index of the header row among the file's rows
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # field -> header as written
    currency: str | None = None  # from a header like "Amount spent (EUR)"

    def row_number(self, index: int) -> int:
        """The spreadsheet row (1-based, as Excel shows it) of the index-th data row."""
        return self.header_line + 2 + index


def normalize_header(header: Any) -> tuple[str, str | None]:
    """``"Amount spent (USD)"`` -> ("amount spent", "USD"); also strips BOMs and spaces."""
    text = str(header or "").replace("\ufeff", "").strip()
    match = re.fullmatch(r"(.*?)\s*\(([A-Z]{3})\)", text)
    if match:
        return match.group(1).strip().lower(), match.group(2)
    return re.sub(r"\s+", " ", text).lower(), None


# ---- sniffing --------------------------------------------------------------------------------
def detect_encoding(head: bytes) -> str:
    """Excel's "Unicode text" and Google's "Excel .csv" are UTF-16 with a BOM."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if len(head) >= 4 and head[1:4:2] == b"\x00\x00" and head[0] != 0:
        return "utf-16-le"  # UTF-16 without a BOM
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "cp1252"
    return "utf-8"


def _recognise(headers: list[str], wanted: str | None) -> Platform | None:
    names = {normalize_header(h)[0] for h in headers}
    candidates = [wanted] if wanted else list(PLATFORMS)
    for key in candidates:
        platform = PLATFORMS.get(key)
        if platform and all(s in names for s in platform.signature):
            if not wanted and key == "google_ads" and "ad name" in names:
                continue  # TikTok's export also has Campaign + Cost; Google's has no "Ad name"
            return platform
    if wanted and wanted in PLATFORMS:  # the user said which: try its required columns
        platform = PLATFORMS[wanted]
        required_names = [platform.columns[f][0] for f in platform.required]
        if sum(n in names for n in required_names) >= 2:
            return platform
    return None


def _map_columns(platform: Platform, headers: list[str], line: int) -> dict[str, str]:
    by_name: dict[str, str] = {}
    for h in headers:
        by_name.setdefault(normalize_header(h)[0], h)
    mapping: dict[str, str] = {}
    for fld, aliases in platform.columns.items():
        for alias in aliases:
            if alias in by_name:
                mapping[fld] = by_name[alias]
                break
    missing = [f for f in platform.required if f not in mapping]
    if missing:
        wanted = platform.columns[missing[0]]
        names = " or ".join(f'"{a.title() if a.islower() else a}"' for a in wanted[:2])
        raise ImportProblem(
            f"This {platform.name} export has no {names} column, which we need. {platform.how_to}",
            row=line + 1,
            column=wanted[0].capitalize(),
        )
    return mapping


def _csv_rows(path: Path, encoding: str, limit: int) -> tuple[list[list[str]], str]:
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        sample = "".join(line for _, line in zip(range(limit), f, strict=False))
    first = sample.splitlines()[0] if sample else ""
    sep = max(("\t", ",", ";"), key=lambda s: sum(line.count(s) for line in sample.splitlines()))
    if not first and not sample:
        sep = ","
    rows = list(csv.reader(io.StringIO(sample), delimiter=sep))
    return rows, sep


def _xlsx_rows(path: Path, limit: int) -> list[list[str]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        return [
            ["" if v is None else str(v) for v in row]
            for row in ws.iter_rows(max_row=limit, values_only=True)
        ]
    finally:
        wb.close()


def sniff(path: str | Path, platform: str | None = None) -> FileFormat:
    """Find encoding, delimiter, header row and platform; raises ImportProblem in words."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise ImportProblem("The file is empty (0 bytes). Export the report again and upload it.")
    with open(path, "rb") as f:
        head = f.read(4096)
    is_xlsx = head.startswith(b"PK\x03\x04")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportProblem(
            "This is an old Excel .xls workbook. Save it as .xlsx or CSV and upload that."
        )
    wanted = platform if platform in PLATFORMS else None
    if is_xlsx:
        try:
            rows = _xlsx_rows(path, HEADER_SCAN_LINES)
        except Exception as exc:  # a zip that is not a workbook
            raise ImportProblem("This file is not a readable .xlsx workbook.") from exc
        fmt = FileFormat(platform=PLATFORMS["meta"], kind="xlsx")
    else:
        encoding = detect_encoding(head)
        rows, sep = _csv_rows(path, encoding, HEADER_SCAN_LINES)
        fmt = FileFormat(platform=PLATFORMS["meta"], kind="csv", encoding=encoding, sep=sep)
    for i, row in enumerate(rows):
        found = _recognise(row, wanted)
        if found is not None:
            fmt.platform, fmt.header_line = found, i
            fmt.headers = [str(h).replace("\ufeff", "").strip() for h in row]
            fmt.mapping = _map_columns(found, fmt.headers, i)
            fmt.currency = next(
                (c for h in fmt.headers for n, c in [normalize_header(h)] if c), None
            )
            _refuse_breakdowns(fmt)
            return fmt
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise ImportProblem("The file has no rows. Export the report again and upload it.")
    names = ", ".join(p.name for p in PLATFORMS.values())
    raise ImportProblem(
        f"We did not recognise this file's columns. We read exports from {names}; the first "
        'row should be the report\'s column names (for example "Day", "Campaign name", '
        '"Amount spent (USD)").'
    )


def _refuse_breakdowns(fmt: FileFormat) -> None:
    if fmt.platform.kind != "ads":
        return
    names = {normalize_header(h)[0]: h for h in fmt.headers}
    for b in BREAKDOWNS:
        if b in names and b not in ("platform",):
            raise ImportProblem(
                f"This export is broken down by {names[b]}: one ad and day appears on several "
                f"rows. Export it with the Day breakdown only. {fmt.platform.how_to}",
                row=fmt.header_line + 1,
                column=names[b],
            )


# ---- streaming -------------------------------------------------------------------------------
def raw_chunks(
    path: str | Path, fmt: FileFormat, chunk_rows: int, progress: Callable[[float], None] = None
) -> Iterator[tuple[int, pd.DataFrame]]:
    """(index of the chunk's first data row, frame of strings) for every chunk of the file."""
    path = Path(path)
    size = max(1, path.stat().st_size)
    wanted = sorted(set(fmt.mapping.values()))
    if fmt.kind == "xlsx":
        yield from _xlsx_chunks(path, fmt, wanted, chunk_rows, progress)
        return
    with open(path, "rb") as raw:
        reader = pd.read_csv(
            raw,
            encoding=fmt.encoding,
            encoding_errors="strict",
            sep=fmt.sep,
            skiprows=fmt.header_line,
            header=0,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            usecols=lambda c: str(c).replace("\ufeff", "").strip() in wanted,
            chunksize=chunk_rows,
            skip_blank_lines=True,
            on_bad_lines="error",
        )
        start = 0
        try:
            for chunk in reader:
                chunk.columns = [str(c).replace("\ufeff", "").strip() for c in chunk.columns]
                yield start, chunk
                start += len(chunk)
                if progress:
                    progress(min(1.0, raw.tell() / size))
        except UnicodeDecodeError as exc:
            raise ImportProblem(
                f"Row {start + fmt.header_line + 2} or near it is not valid {fmt.encoding} text. "
                "Save the file as CSV UTF-8 (or UTF-16 'Unicode text') and upload it again."
            ) from exc
        except pd.errors.ParserError as exc:
            line = re.search(r"line (\d+)", str(exc))
            row = int(line.group(1)) + fmt.header_line if line else None
            raise ImportProblem(
                "this row has more cells than the header has columns (a stray delimiter?).",
                row=row,
            ) from exc


def _xlsx_chunks(
    path: Path,
    fmt: FileFormat,
    wanted: list[str],
    chunk_rows: int,
    progress: Callable[[float], None] | None,
) -> Iterator[tuple[int, pd.DataFrame]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        total = max(1, (ws.max_row or 1) - fmt.header_line - 1)
        idx = [fmt.headers.index(h) for h in wanted]
        buf: list[list[str]] = []
        start = 0
        for row in ws.iter_rows(min_row=fmt.header_line + 2, values_only=True):
            cells = [_cell(row[i]) if i < len(row) else "" for i in idx]
            if not any(cells):
                continue
            buf.append(cells)
            if len(buf) >= chunk_rows:
                yield start, pd.DataFrame(buf, columns=wanted)
                start += len(buf)
                buf = []
                if progress:
                    progress(min(1.0, start / total))
        if buf:
            yield start, pd.DataFrame(buf, columns=wanted)
    finally:
        wb.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        if getattr(value, "hour", 0) or getattr(value, "minute", 0):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return value.strftime("%Y-%m-%d")
    return str(value)


def read_chunks(
    path: str | Path,
    fmt: FileFormat,
    chunk_rows: int = 50_000,
    progress: Callable[[float], None] | None = None,
) -> Iterator[pd.DataFrame]:
    """Normalized, validated chunks: ads as a sync's ad rows (date, campaign/creative ids and
    names, metrics, currency); orders as order id, placed_at (UTC), customer, revenue."""
    normalize = normalize_ads if fmt.platform.kind == "ads" else normalize_orders
    for start, chunk in raw_chunks(path, fmt, chunk_rows, progress):
        frame = normalize(chunk, fmt, start)
        if len(frame):
            yield frame


# ---- normalizing + validating ----------------------------------------------------------------
def _parse_stamps(
    values: pd.Series, rows: np.ndarray, column: str, formats: tuple[str, ...], utc: bool
) -> pd.Series:
    """Try each format on what is still unparsed; the first bad cell is an ImportProblem."""
    text = values.str.strip()
    dtype = "datetime64[ns, UTC]" if utc else "datetime64[ns]"
    out = pd.Series(pd.NaT, index=values.index, dtype=dtype)
    for f in formats:
        todo = out.isna() & (text != "")
        if not todo.any():
            break
        sample = text[todo].str[:10] if f == "%Y-%m-%d" else text[todo]
        out[todo] = pd.to_datetime(sample, format=f, errors="coerce", utc=utc)
    bad = out.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        example = "2026-11-03 14:22:05 -0500" if utc else "2026-11-03"
        kind = "a date and time" if utc else "a date"
        raise ImportProblem(
            f'"{text.iloc[i] or "(empty)"}" is not {kind} (expected e.g. {example}).',
            row=int(rows[i]),
            column=column,
        )
    return out


def parse_dates(values: pd.Series, rows: np.ndarray, column: str) -> pd.Series:
    """Dates in the formats the platforms export; ``rows`` are the spreadsheet row numbers."""
    return _parse_stamps(values, rows, column, DATE_FORMATS, utc=False).dt.date


def parse_numbers(
    values: pd.Series, rows: np.ndarray, column: str, negative_ok: bool = False
) -> np.ndarray:
    """Numbers as exported ("1,234.50", "$12", "--" for none); never negative by default."""
    try:  # the common case, plain numbers: one C-speed pass
        nums = pd.to_numeric(values).to_numpy(np.float64)
    except (ValueError, TypeError):
        text = values.str.strip().str.replace(r"[,\s$€£%]", "", regex=True)
        text = text.where(~text.isin(["", "-", "--", "—"]), "0")
        nums = pd.to_numeric(text, errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(nums)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ImportProblem(f'"{values.iloc[i]}" is not a number.', row=int(rows[i]), column=column)
    if not negative_ok and (nums < 0).any():
        i = int(np.flatnonzero(nums < 0)[0])
        raise ImportProblem(
            f"{values.iloc[i].strip()} is negative; spend and counts cannot be below zero.",
            row=int(rows[i]),
            column=column,
        )
    return nums


def _ids_or_keys(ids: pd.Series, *parts: pd.Series) -> pd.Series:
    """The export's ids; a key made from the names only where an id is blank."""
    blank = ids == ""
    if not blank.any():
        return ids
    return ids.where(~blank, _key("name:", *(p[blank] for p in parts)))


def _key(prefix: str, *parts: pd.Series) -> pd.Series:
    """A stable external id from names when the export has no id column."""
    joined = parts[0].astype(str)
    for p in parts[1:]:
        joined = joined + "\x1f" + p.astype(str)
    return joined.map(lambda s: prefix + hashlib.sha1(s.encode()).hexdigest()[:20])  # noqa: S324


def normalize_ads(chunk: pd.DataFrame, fmt: FileFormat, start: int) -> pd.DataFrame:
    m = fmt.mapping
    first = chunk[m["campaign_name"]].str.strip()
    day = chunk[m["date"]].str.strip()
    # Google Ads puts totals at the bottom ("Total: Account", "Total: Campaigns", …)
    keep = ~(first.str.lower().str.startswith("total:") | day.str.lower().str.startswith("total"))
    if not keep.all():
        chunk, first = chunk[keep], first[keep]
    rows = fmt.row_number(start) + np.flatnonzero(keep.to_numpy())
    out = pd.DataFrame(index=chunk.index)
    out["date"] = parse_dates(chunk[m["date"]], rows, m["date"])
    out["campaign_name"] = first
    if "campaign_id" in m:
        ids = chunk[m["campaign_id"]].str.strip()
        out["campaign_id"] = _ids_or_keys(ids, first)
    else:
        out["campaign_id"] = _key("name:", first)
    group = chunk[m["ad_group"]].str.strip() if "ad_group" in m else None
    if "creative_name" in m:
        names = chunk[m["creative_name"]].str.strip()
    else:
        names = group if group is not None else first
    if group is not None and "creative_name" in m and m["creative_name"] != m.get("ad_group"):
        names = names.where(names != "", group)
    out["creative_name"] = names
    if "creative_id" in m:
        ids = chunk[m["creative_id"]].str.strip()
        out["creative_id"] = _ids_or_keys(ids, first, names)
    else:
        parts = (first, group, names) if group is not None else (first, names)
        out["creative_id"] = _key("name:", *parts)
    out["spend"] = parse_numbers(chunk[m["spend"]], rows, m["spend"])
    for fld in ("impressions", "clicks", "conversions", "platform_revenue", "reach", "frequency"):
        if fld in m:
            out[fld] = parse_numbers(chunk[m[fld]], rows, m[fld])
        else:
            out[fld] = np.nan if fld in ("reach", "frequency") else 0.0
    for fld in ("impressions", "clicks"):
        out[fld] = out[fld].round().astype(np.int64)
    reach = out["reach"]
    out["reach"] = reach.round().astype("Int64") if reach.notna().any() else pd.NA
    if "currency" in m:
        cur = chunk[m["currency"]].str.strip().str.upper()
        out["currency"] = cur.where(cur != "", fmt.currency)
    else:
        out["currency"] = fmt.currency
    return out.reset_index(drop=True)


def normalize_orders(chunk: pd.DataFrame, fmt: FileFormat, start: int) -> pd.DataFrame:
    """Shopify writes one row per line item; the order's own values are on its first row."""
    m = fmt.mapping
    status = chunk[m["financial_status"]].str.strip()
    total_text = chunk[m["total"]].str.strip()
    head = ((status != "") | (total_text != "")).to_numpy()
    positions = np.flatnonzero(head)
    chunk = chunk.iloc[positions]
    status = status.iloc[positions]
    rows = fmt.row_number(start) + positions
    placed = _timestamps(chunk[m["placed_at"]], rows, m["placed_at"])
    total = parse_numbers(chunk[m["total"]], rows, m["total"])
    refunded = (
        parse_numbers(chunk[m["refunded"]], rows, m["refunded"])
        if "refunded" in m
        else np.zeros(len(chunk))
    )
    cancelled = (
        (chunk[m["cancelled_at"]].str.strip() != "").to_numpy()
        if "cancelled_at" in m
        else np.zeros(len(chunk), bool)
    )
    upper = status.str.upper().str.replace(" ", "_").to_numpy()
    counts = (upper != "VOIDED") & ~(cancelled & np.isin(upper, list(UNPAID_STATUSES)))
    out = pd.DataFrame(index=range(len(chunk)))
    name = chunk[m["name"]].str.strip().to_numpy()
    if "order_id" in m:
        ids = chunk[m["order_id"]].str.strip().to_numpy()
        out["order_id"] = np.where(ids != "", ids, name)
    else:
        out["order_id"] = name
    out["placed_at"] = placed.to_numpy()
    if "email" in m:
        email = chunk[m["email"]].str.strip().str.lower()
        out["customer_id"] = [
            "email:" + hashlib.sha256(e.encode()).hexdigest()[:24] if e else None for e in email
        ]
    else:
        out["customer_id"] = None
    out["revenue"] = np.where(counts, np.maximum(0.0, total - refunded), 0.0).round(2)
    out["counts"] = counts
    if "currency" in m:
        cur = chunk[m["currency"]].str.strip().str.upper().to_numpy()
        out["currency"] = np.where(cur != "", cur, None)
    else:
        out["currency"] = None
    return out


def _timestamps(values: pd.Series, rows: np.ndarray, column: str) -> pd.Series:
    return _parse_stamps(values, rows, column, TIMESTAMP_FORMATS, utc=True)
