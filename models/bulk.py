"""Write many rows to PostgreSQL at COPY speed: a binary COPY built with numpy, then one merge.

``copy_to_staging`` encodes columns (numpy arrays, pandas Series or lists) as a PostgreSQL
binary COPY stream without a Python call per row (lengths and bytes are scattered into one
buffer with numpy), sends it into a temporary staging table (dropped at commit) and returns the
staging table's name. The caller then merges it into the real table with ONE statement
(``INSERT ... SELECT ... ON CONFLICT ...``), inside the caller's transaction.

Types: int4, int8, float8, bool, date, timestamptz, text. NULL: None/NaT, except in float8
columns, where None and NaN both travel as NaN (the merge says ``NULLIF(col, 'NaN')`` where a NULL
is meant): a stream without NULLs and text is fixed-width, encoded in one numpy record array.
Money travels as float8 and is cast in the merge (float8 -> numeric rounds exactly as a bound
Python float does).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy.orm import Session

PG_EPOCH = date(2000, 1, 1)
PG_EPOCH_DAYS = (PG_EPOCH - date(1970, 1, 1)).days
PG_EPOCH_ORDINAL = PG_EPOCH.toordinal()
PG_EPOCH_US = PG_EPOCH_DAYS * 86_400 * 1_000_000
# Rows per buffer handed to the connection: big enough that numpy's per-call cost is nothing,
# small enough that the server is storing one while the next is built.
CHUNK_ROWS = 65_536
HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
FIXED = {"int4": ">i4", "int8": ">i8", "float8": ">f8", "bool": "?", "date": ">i4"}
FIXED["timestamptz"] = ">i8"

Column = tuple[str, str, Any]  # (name, PostgreSQL type, values)


class NotExact(ValueError):
    """A value the direct encoding cannot give exactly as the SQL cast would (the caller
    then goes through a staging table and the cast)."""


def as_float64(values: Any) -> np.ndarray:
    """Numbers (a list, array or Series) as one float64 array, None and what is not a number
    as NaN. A list of numbers converts at C speed; anything else through pandas' coercion."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iufb":
        return values.astype(np.float64, copy=False)
    try:
        return np.asarray(values, dtype=np.float64)  # None -> NaN, Decimal and "1.5" -> floats
    except (TypeError, ValueError):
        series = pd.to_numeric(pd.Series(values), errors="coerce")
        return series.to_numpy(np.float64, na_value=np.nan)


def numeric_units(values: Any, scale: int, precision: int) -> tuple[np.ndarray, np.ndarray]:
    """Floats as integer units of ``10**-scale`` (cents for scale 2) and a NULL mask (NaN and
    None), exactly as PostgreSQL's ``CAST(float8 AS numeric(precision, scale))`` gives them:
    each value must be the double nearest to its units (``units / 10**scale == value``), so
    its 15 significant digits (what the cast prints) are those units. Raises
    :class:`NotExact` otherwise, or when a value overflows the precision."""
    arr = as_float64(values)
    null = np.isnan(arr)
    x = np.where(null, 0.0, arr)
    factor = 10.0**scale
    units = np.rint(x * factor)
    limit = min(10.0**precision, 10.0**15)
    if not (np.abs(units) < limit).all() or not (units / factor == x).all():
        raise NotExact(f"values not exact in numeric({precision}, {scale})")
    return units.astype(np.int64), null


def _encode_numeric(kind: str, values: Any) -> tuple[np.ndarray, np.ndarray]:
    """``numeric(p,s)``'s binary form: int16 ndigits, weight, sign, dscale, then base-10000
    digits; a fixed layout with leading zero digits (the server strips them)."""
    precision, scale = (int(v) for v in kind[len("numeric(") : -1].split(","))
    units, null = numeric_units(values, scale, precision)
    frac_groups = -(-scale // 4)
    int_groups = max(1, -(-(precision - scale) // 4))
    ndigits = int_groups + frac_groups
    mag = np.abs(units[~null])
    fraction = (mag % 10**scale) * 10 ** (4 * frac_groups - scale)
    whole = mag // 10**scale
    rec = np.zeros(len(mag), np.dtype([("h", ">i2", (4,)), ("g", ">i2", (ndigits,))]))
    rec["h"][:, 0] = ndigits
    rec["h"][:, 1] = int_groups - 1  # weight of the first digit
    rec["h"][:, 2] = np.where(units[~null] < 0, 0x4000, 0)
    rec["h"][:, 3] = scale
    for i in range(int_groups):
        rec["g"][:, int_groups - 1 - i] = (whole // 10 ** (4 * i)) % 10000
    for i in range(frac_groups):
        rec["g"][:, ndigits - 1 - i] = (fraction // 10 ** (4 * i)) % 10000
    width = rec.dtype.itemsize
    lens = np.where(null, -1, width).astype(np.int64)
    return lens, rec.view(np.uint8).reshape(-1)


def text_values(values: Any) -> tuple[list, np.ndarray, bool]:
    """(the non-NULL values, the NULL mask, whether they are all ``str``), at C speed: None,
    NaN and NaT are NULL."""
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=object)
    if isinstance(values, np.ndarray):
        arr = values.astype(object, copy=False)
    else:  # a list of str straight to objects (no fixed-width unicode array on the way)
        arr = np.asarray(values, dtype=object)
    null = pd.isna(arr)
    present = arr[~null] if null.any() else arr
    all_str = not len(present) or pd.api.types.infer_dtype(present, skipna=False) == "string"
    return present.tolist(), null, all_str


def longest_text(values: Any) -> int:
    """The most characters of any non-NULL value (as text)."""
    present, _, all_str = text_values(values)
    return max(map(len, present if all_str else map(str, present)), default=0)


def _encode_text(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Text as UTF-8; None and NaN are NULL. Plain-ASCII strings (ids, names: nearly all) are
    encoded in one piece, their byte lengths being their lengths."""
    present, null, all_str = text_values(values)
    lens = np.full(len(null), -1, np.int64)
    if all_str:
        joined = "".join(present)
        if joined.isascii():
            lens[~null] = np.fromiter(map(len, present), np.int64, len(present))
            return lens, np.frombuffer(joined.encode("ascii"), np.uint8)
    enc = [str(v).encode() for v in present]
    lens[~null] = np.fromiter(map(len, enc), np.int64, len(enc))
    return lens, np.frombuffer(b"".join(enc), np.uint8)


def _encode(kind: str, values: Any) -> tuple[np.ndarray, np.ndarray]:
    """(per-row data length or -1 for NULL, the non-NULL values' bytes as uint8)."""
    if kind.startswith("numeric("):
        return _encode_numeric(kind, values)
    if kind == "float8null":  # a real float8 column: NaN and None are NULL
        arr = as_float64(values)
        null = np.isnan(arr)
        lens = np.where(null, -1, 8).astype(np.int64)
        return lens, np.ascontiguousarray(arr[~null].astype(">f8")).view(np.uint8)
    if kind == "text":
        return _encode_text(values)
    if kind == "date" and isinstance(values, list) and all(type(v) is date for v in values):
        # plain dates (what the connectors give): day numbers by their ordinals, 10x pandas
        arr = np.fromiter(map(date.toordinal, values), np.int64, len(values)) - PG_EPOCH_ORDINAL
        null = np.zeros(len(arr), bool)
    elif kind == "date":
        stamps = pd.to_datetime(pd.Series(values), errors="coerce")
        null = stamps.isna().to_numpy()
        arr = stamps.to_numpy("datetime64[D]").astype(np.int64) - PG_EPOCH_DAYS
    elif kind == "timestamptz":
        stamps = pd.to_datetime(pd.Series(values), utc=True, errors="coerce")
        null = stamps.isna().to_numpy()
        arr = stamps.dt.tz_localize(None).to_numpy("datetime64[us]").astype(np.int64) - PG_EPOCH_US
    elif kind == "bool":
        series = pd.Series(values, dtype=object)
        null = series.isna().to_numpy()
        arr = series.where(~null, False).astype(bool).to_numpy()
    elif kind == "float8":  # NaN is a value here (see the module's docstring)
        arr = as_float64(values)
        null = np.zeros(len(arr), bool)
    else:
        arr = as_float64(values)
        null = np.isnan(arr)
        arr = np.where(null, 0.0, arr)
    width = np.dtype(FIXED[kind]).itemsize
    lens = np.where(null, -1, width).astype(np.int64)
    data = np.ascontiguousarray(arr[~null].astype(FIXED[kind])).view(np.uint8)
    return lens, data


def binary_copy_payload(columns: Sequence[Column]) -> bytes:
    """A whole binary COPY stream (header, rows, trailer) for the given columns."""
    return b"".join(binary_copy_parts(columns))


def binary_copy_parts(columns: Sequence[Column]) -> Iterator[Any]:
    """The binary COPY stream as buffers to send one after the other (no copy joins them).

    Every column is encoded here, at once, so whatever refuses a value (``NotExact``) raises
    before the first buffer exists; the rows are then assembled ``CHUNK_ROWS`` at a time as
    the buffers are taken, so the server can store one chunk while the next is built."""
    encoded = [_encode(kind, values) for _, kind, values in columns]
    return _chunks(encoded)


def _chunks(encoded: list[tuple[np.ndarray, np.ndarray]]) -> Iterator[Any]:
    n = len(encoded[0][0]) if encoded else 0
    yield HEADER
    # where each row's bytes start in its column's data (NULLs have none)
    starts = [np.concatenate(([0], np.cumsum(np.maximum(lens, 0)))) for lens, _ in encoded]
    for a in range(0, n, CHUNK_ROWS):
        b = min(n, a + CHUNK_ROWS)
        part = [
            (lens[a:b], data[at[a] : at[b]])
            for (lens, data), at in zip(encoded, starts, strict=True)
        ]
        yield _rows(part, b - a)
    yield b"\xff\xff"  # trailer: int16 -1


def _rows(encoded: list[tuple[np.ndarray, np.ndarray]], n: int) -> memoryview:
    """``n`` rows of the COPY stream (no header or trailer)."""
    if all(lens[0] >= 0 and (lens == lens[0]).all() for lens, _ in encoded):
        return _fixed_rows(encoded, n)
    sizes = [4 + np.maximum(lens, 0) for lens, _ in encoded]
    row_size = 2 + np.sum(sizes, axis=0)
    starts = np.concatenate(([0], np.cumsum(row_size)[:-1]))
    buf = np.zeros(int(row_size.sum()), np.uint8)
    nfields = np.frombuffer(np.array([len(encoded)], ">i2").tobytes(), np.uint8)
    buf[starts] = nfields[0]
    buf[starts + 1] = nfields[1]
    field = starts + 2
    for (lens, data), size in zip(encoded, sizes, strict=True):
        lb = lens.astype(">i4").view(np.uint8).reshape(-1, 4)
        for k in range(4):
            buf[field + k] = lb[:, k]
        present = lens >= 0
        if data.size:
            dst0 = field[present] + 4
            ln = lens[present]
            src0 = np.concatenate(([0], np.cumsum(ln)[:-1]))
            buf[np.repeat(dst0 - src0, ln) + np.arange(data.size)] = data
        field = field + size
    return memoryview(buf)


def _fixed_rows(encoded: list, n: int) -> memoryview:
    """No NULLs and every column one width (no text of mixed lengths): every row has one
    layout, so one record array holds them all."""
    fields: list[tuple] = [("_n", ">i2")]
    for i, (lens, _) in enumerate(encoded):
        fields += [(f"l{i}", ">i4"), (f"v{i}", np.uint8, (int(lens[0]),))]
    rec = np.zeros(n, np.dtype(fields))
    rec["_n"] = len(encoded)
    for i, (lens, data) in enumerate(encoded):
        rec[f"l{i}"] = lens[0]
        rec[f"v{i}"] = data.reshape(n, int(lens[0]))
    return memoryview(rec.view(np.uint8))


def copy_into(session: Session, name: str, columns: Sequence[Column]) -> None:
    """COPY the columns straight into table ``name`` (the caller's transaction); kinds as in
    ``_encode`` (``numeric(p,s)``, ``float8null`` for the table's own types)."""
    parts = binary_copy_parts(columns)  # raises (NotExact) before anything is sent
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur:
        _copy_in(cur, name, columns, parts)


def _copy_in(cur: Any, name: str, columns: Sequence[Column], parts: Iterator[Any]) -> None:
    """Send ``parts`` as table ``name``'s binary COPY; psycopg's queued writer sends each
    buffer from a thread while the next one is built."""
    quoted = ", ".join(f'"{c}"' for c, _, _ in columns)
    statement = f'COPY "{name}" ({quoted}) FROM STDIN (FORMAT BINARY)'
    with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        for part in parts:
            copy.write(part)


def copy_to_staging(session: Session, name: str, columns: Sequence[Column]) -> str:
    """COPY the columns into a new temporary table ``name`` (dropped at commit); returns it."""
    raw = session.connection().connection.driver_connection  # psycopg 3, same transaction
    defs = ", ".join(f'"{c}" {kind}' for c, kind, _ in columns)
    with raw.cursor() as cur:
        cur.execute(f'DROP TABLE IF EXISTS "{name}"')
        cur.execute(f'CREATE TEMP TABLE "{name}" ({defs}) ON COMMIT DROP')
        _copy_in(cur, name, columns, binary_copy_parts(columns))
    return name


def execute_raw(session: Session, statement: str) -> int:
    """Run one statement on the session's connection; returns the affected row count."""
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur:
        cur.execute(statement)
        return cur.rowcount
