"""Batched idempotent upserts (INSERT ... ON CONFLICT) for synced rows, on PostgreSQL and SQLite.

Re-running a sync writes the same rows again: the unique keys make it a no-op for unchanged
data and an update for restated days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.ad_columns import METRIC_FIELDS, AdColumns
from models.bulk import (
    NotExact,
    as_float64,
    copy_into,
    copy_to_staging,
    execute_raw,
    longest_text,
    numeric_units,
)
from models.data import AdMetricDaily, Campaign, Creative, Order
from models.org import Organization

BATCH = 5000
COPY_THRESHOLD = 2000  # above this many rows, PostgreSQL goes through COPY + one INSERT…SELECT
ORDER_FIELDS = (
    "placed_at",
    "customer_external_id",
    "revenue",
    "is_first_order",
    "utm_source",
    "source_updated_at",
)


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upserts are written for PostgreSQL and SQLite, not {dialect}")


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Iterable[str],
    newer: str | None = None,
) -> int:
    """INSERT rows; on a key conflict update the given columns. Returns rows written.

    `newer` names a timestamp column: a conflicting row only wins when it is not older than
    the stored one (webhooks can arrive out of order).
    """
    if not rows:
        return 0
    update = list(update)
    # One row per key, the last one winning (a paged API can return a row twice, e.g. an order
    # updated mid-backfill); ON CONFLICT cannot touch the same row twice in one statement.
    rows = list({tuple(r[k] for k in keys): r for r in rows}.values())
    if session.get_bind().dialect.name == "postgresql" and len(rows) >= COPY_THRESHOLD:
        return _copy_upsert(session, table, rows, keys, update, newer)
    for i in range(0, len(rows), BATCH):
        stmt = _insert(session, table)
        where = None
        if newer is not None:
            stored, incoming = table.c[newer], stmt.excluded[newer]
            where = or_(stored.is_(None), incoming.is_(None), incoming >= stored)
        if not update:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        else:
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}, where=where
            )
        session.execute(stmt, list(rows[i : i + BATCH]))
    return len(rows)


def _copy_upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: list[str],
    newer: str | None = None,
) -> int:
    """Rows (already one per key) -> columns -> the binary COPY merge."""
    names = list(rows[0].keys())
    columns = {name: [row[name] for row in rows] for name in names}
    return _copy_merge(session, table, columns, keys, update, newer)


def upsert_columns(
    session: Session,
    table: Table,
    columns: dict[str, Sequence[Any]],
    keys: Sequence[str],
    update: Iterable[str],
    newer: str | None = None,
) -> int:
    """Like :func:`upsert` for rows given column-wise (no dict per row on PostgreSQL)."""
    update = list(update)
    n = len(next(iter(columns.values()))) if columns else 0
    if not n:
        return 0
    if session.get_bind().dialect.name != "postgresql" or n < COPY_THRESHOLD:
        names = list(columns)
        values = [python_values(v) for v in columns.values()]
        rows = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
        return upsert(session, table, rows, keys, update, newer)
    return _copy_merge(session, table, _last_per_key(columns, keys), keys, update, newer)


def _last_per_key(columns: dict[str, Sequence[Any]], keys: Sequence[str]) -> dict:
    """One row per key, the last one winning (as upsert() does): ON CONFLICT cannot touch the
    same row twice in one statement."""
    keyframe = pd.DataFrame({k: columns[k] for k in keys})
    dup = keyframe.duplicated(keep="last").to_numpy()
    if dup.any():
        keep = ~dup
        columns = {c: np.asarray(v, dtype=object)[keep] for c, v in columns.items()}
    return columns


BULK_THRESHOLD = 2000  # rows: a smaller load into an empty table takes the ordinary merge


def bulk_load_empty(
    session: Session, table: Table, columns: dict[str, Sequence[Any]], keys: Sequence[str]
) -> int | None:
    """PostgreSQL only: insert many rows into a table that holds none yet, with its indexes
    and key constraints dropped during the insert and rebuilt after it (one sort per index
    instead of a B-tree descent and a foreign-key lookup per row). Returns the rows written,
    or ``None`` (nothing done) when the table has rows, the load is small, or the database is
    not PostgreSQL: the caller then upserts as usual.

    Gives exactly the rows of ``upsert_columns(..., update=())``: the same de-duplication, the
    same ``INSERT ... SELECT ... ORDER BY`` keys (so the same ids), and rebuilding a unique or
    foreign key checks every row as inserting did (a violation raises, and the caller's
    transaction rolls back whole, indexes included). The table is locked (ACCESS EXCLUSIVE)
    until the caller commits: it was empty, so no reader loses rows it could have seen."""
    n = len(next(iter(columns.values()))) if columns else 0
    if session.get_bind().dialect.name != "postgresql" or n < BULK_THRESHOLD:
        return None
    name = table.name
    is_empty = f'SELECT NOT EXISTS (SELECT 1 FROM "{name}")'  # noqa: S608 - our table name
    if not session.execute(text(is_empty)).scalar():
        return None
    execute_raw(session, f'LOCK TABLE "{name}" IN ACCESS EXCLUSIVE MODE')
    if not session.execute(text(is_empty)).scalar():  # rows arrived meanwhile
        return None
    constraints, indexes = _keys_and_indexes(session, name)
    for con, _ in reversed(constraints):  # foreign keys first: one may use our own key
        execute_raw(session, f'ALTER TABLE "{name}" DROP CONSTRAINT "{con}"')
    for index, _ in indexes:
        execute_raw(session, f'DROP INDEX "{index}"')
    try:
        written = _copy_direct(session, table, columns, keys)
    except NotExact:  # through a staging table and the SQL casts instead
        columns = _last_per_key(columns, keys)
        written = _copy_merge(session, table, columns, keys, [], conflict=False)
    execute_raw(session, "SET LOCAL maintenance_work_mem = '256MB'")  # index sorts in memory
    for con, definition in constraints:
        execute_raw(session, f'ALTER TABLE "{name}" ADD CONSTRAINT "{con}" {definition}')
    for _, definition in indexes:
        execute_raw(session, definition)
    return written


def _copy_direct(
    session: Session, table: Table, columns: dict[str, Sequence[Any]], keys: Sequence[str]
) -> int:
    """COPY straight into the (index-free) table, rows in key order: the rows, values and ids
    of ``INSERT ... SELECT CAST(...) ... ORDER BY keys`` (see ``_reserved_ids``). Raises
    :class:`NotExact`, having written nothing, where that cannot be promised: money that is
    not whole cents as a float, text longer than its column (the cast would cut it), or text
    keys under a collation that does not sort as Python does."""
    text_keys = [k for k in keys if isinstance(table.c[k].type, String)]
    if text_keys:
        collation = session.execute(
            text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        ).scalar()
        custom = session.execute(
            text(
                "SELECT count(*) FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) "
                "AND attname = ANY(:k) AND attcollation <> 100"  # 100: the database default
            ),
            {"t": table.name, "k": text_keys},
        ).scalar()
        if custom or collation not in ("C", "POSIX", "C.UTF-8", "C.utf8"):
            raise NotExact(f"text keys sorted by collation {collation!r}")
    order = _last_per_key_sorted(columns, keys)
    staged = []
    for name, values in columns.items():
        sa_type = table.c[name].type
        kind = copy_kind(sa_type)
        if isinstance(sa_type, Numeric) and not isinstance(sa_type, Float):
            kind = f"numeric({sa_type.precision},{sa_type.scale})"
        elif kind == "float8":
            kind = "float8null"
        ordered = _take(values, order)
        if kind == "text" and getattr(sa_type, "length", None):
            if longest_text(ordered) > sa_type.length:
                raise NotExact(f"{name}: text longer than {sa_type.length}")
        if kind.startswith("numeric("):
            numeric_units(ordered, sa_type.scale, sa_type.precision)  # raises before any write
        staged.append((name, kind, ordered))
    staged += _reserved_ids(session, table, columns, len(order))
    copy_into(session, table.name, staged)
    return len(order)


def _reserved_ids(session: Session, table: Table, columns: dict, n: int) -> list:
    """The ids the rows would take one by one from the table's sequence, taken in one step
    (the table is locked: no one else inserts meanwhile) and sent with the rows: no
    ``nextval()`` per row. None when the table has no such sequence or ids are given."""
    if "id" in columns or "id" not in table.c or not n:
        return []
    seq = session.execute(
        text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": f'"{table.name}"'}
    ).scalar()
    if seq is None:
        return []
    first = session.execute(text("SELECT nextval(CAST(:s AS regclass))"), {"s": seq}).scalar()
    if n > 1:  # the sequence ends where n nextval() calls would have left it
        session.execute(
            text("SELECT setval(CAST(:s AS regclass), :v)"), {"s": seq, "v": first + n - 1}
        )
    return [("id", copy_kind(table.c["id"].type), np.arange(first, first + n, dtype=np.int64))]


def _last_per_key_sorted(columns: dict[str, Sequence[Any]], keys: Sequence[str]) -> np.ndarray:
    """Row positions in key order, one per key, the last given winning: what
    ``_last_per_key`` then ``ORDER BY`` keys select (a stable sort keeps a key's rows in their
    given order, so the last of each run is the last given)."""
    arrays = [_as_array(columns[k]) for k in keys]
    n = len(arrays[0])
    if _in_order(arrays):
        order = np.arange(n)
    elif all(a.dtype != object for a in arrays):
        order = np.lexsort(arrays[::-1])  # stable, the first key major
    else:
        frame = pd.DataFrame(dict(enumerate(arrays)))
        order = frame.sort_values(list(frame.columns), kind="stable").index.to_numpy()
    if n < 2:
        return order
    same_as_next = np.ones(n - 1, bool)
    for a in arrays:
        col = a[order]
        same_as_next &= col[1:] == col[:-1]
    return order[np.append(~same_as_next, True)]


def _in_order(arrays: list[np.ndarray]) -> bool:
    """Whether the rows are already sorted by these keys (ties allowed)."""
    if len(arrays[0]) < 2:
        return True
    ahead = np.zeros(len(arrays[0]) - 1, bool)  # an earlier key already orders the pair
    tied = np.ones(len(arrays[0]) - 1, bool)
    for a in arrays:
        ahead |= tied & (a[:-1] < a[1:])
        tied &= a[:-1] == a[1:]
    return bool((ahead | tied).all())


def _as_array(values: Any) -> Any:
    if isinstance(values, pd.Series | np.ndarray):
        return values.to_numpy() if isinstance(values, pd.Series) else values
    return np.asarray(values, dtype=object)


def _take(values: Any, order: np.ndarray) -> Any:
    if isinstance(values, pd.Series):
        return values.iloc[order].reset_index(drop=True)
    return _as_array(values)[order]


def _keys_and_indexes(session: Session, name: str) -> tuple[list, list]:
    """The table's primary, unique and foreign keys as (name, definition) in the order to
    create them (primary, unique, foreign), less a primary or unique key that another table's
    foreign key references (it cannot be dropped: it stays), and its other indexes as (name,
    CREATE INDEX statement)."""
    rows = session.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid), contype IN ('p', 'u') AND EXISTS "
            "(SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid "
            "AND r.conrelid <> c.conrelid) FROM pg_constraint c "
            "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u', 'f') "
            "ORDER BY contype = 'f', contype <> 'p', conname"
        ),
        {"t": name},
    ).all()
    constraints = [(con, definition) for con, definition, referenced in rows if not referenced]
    indexes = session.execute(
        text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = CAST(:t AS regclass) AND NOT EXISTS (SELECT 1 FROM pg_constraint "
            "c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid) ORDER BY 1"
        ),
        {"t": name},
    ).all()
    return constraints, [tuple(r) for r in indexes]


def python_values(values: Any) -> list:
    """numpy/pandas values as plain Python ones for a bound statement (NaN/NaT -> None)."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.DatetimeTZDtype):
        return [None if pd.isna(v) else v.to_pydatetime() for v in values]
    items = values.tolist() if hasattr(values, "tolist") else list(values)
    return [None if v is None or (isinstance(v, float) and v != v) else v for v in items]


def _copy_merge(
    session: Session,
    table: Table,
    columns: dict[str, Sequence[Any]],
    keys: Sequence[str],
    update: list[str],
    newer: str | None = None,
    conflict: bool = True,
) -> int:
    """Binary COPY into a staging table, then ONE INSERT ... SELECT ... ON CONFLICT (the
    caller's transaction). Only rows whose values changed are rewritten: a re-sync of
    unchanged data is cheap. ``conflict=False``: a plain INSERT ... SELECT (a table without
    its unique index, see ``bulk_load_empty``)."""
    names = list(columns)
    staged = [(name, *_staged(table, name, columns[name])) for name in names]
    stage = copy_to_staging(session, f"tmp_upsert_{table.name}", staged)
    quoted = ", ".join(f'"{c}"' for c in names)
    exprs = ", ".join(merge_expr(table, name, kind) for name, kind, _ in staged)
    key_list = ", ".join(f'"{k}"' for k in keys)
    action = "DO NOTHING"
    if update:
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in update)
        changed = " OR ".join(
            f'"{table.name}"."{c}" IS DISTINCT FROM EXCLUDED."{c}"' for c in update
        )
        if newer is not None:
            stored, incoming = f'"{table.name}"."{newer}"', f'EXCLUDED."{newer}"'
            changed = (
                f"({changed}) AND ({stored} IS NULL OR {incoming} IS NULL "
                f"OR {incoming} >= {stored})"
            )
        action = f"DO UPDATE SET {sets} WHERE {changed}"
    on_conflict = f" ON CONFLICT ({key_list}) {action}" if conflict else ""
    execute_raw(
        session,
        f'INSERT INTO "{table.name}" ({quoted}) SELECT {exprs} FROM "{stage}" '  # noqa: S608
        f"ORDER BY {key_list}{on_conflict}",
    )
    return len(staged[0][2])


def _staged(table: Table, name: str, values: Sequence[Any]) -> tuple[str, Any]:
    """How a column travels into the staging table: its COPY kind and its values (numbers
    converted once, here). A stream whose columns are all fixed-width and never NULL is one
    numpy record array (``models.bulk._fixed_rows``, several times faster than the general
    layout), so a NULL travels as NaN wherever a float8 carries the value exactly: money that
    is whole cents without NULLs as exact ``numeric(p,s)`` (the server then casts nothing;
    float8 -> numeric costs ~1 us a value), other money, and integers with a NULL, as float8
    cast in the merge (NaN -> NULL; exact for integers below 2**53, which the integer encoding
    assumes anyway)."""
    sa_type = table.c[name].type
    kind = copy_kind(sa_type)
    if kind not in ("int4", "int8", "float8"):
        return kind, values
    numbers = as_float64(values)
    if isinstance(sa_type, Numeric) and not isinstance(sa_type, Float):
        try:
            _, null = numeric_units(numbers, sa_type.scale, sa_type.precision)
        except NotExact:
            return kind, numbers
        exact = f"numeric({sa_type.precision},{sa_type.scale})"
        return (kind, numbers) if null.any() else (exact, numbers)
    if kind != "float8" and np.isnan(numbers).any():
        return "float8", numbers
    return kind, numbers


def copy_kind(sa_type: Any) -> str:
    """The binary COPY type a column's values travel as (money as float8, cast in the merge)."""
    if isinstance(sa_type, Boolean):
        return "bool"
    if isinstance(sa_type, DateTime):
        return "timestamptz"
    if isinstance(sa_type, Date):
        return "date"
    if isinstance(sa_type, BigInteger):
        return "int8"
    if isinstance(sa_type, Integer):
        return "int4"
    if isinstance(sa_type, Numeric | Float):
        return "float8"
    if isinstance(sa_type, String):
        return "text"
    raise NotImplementedError(f"no COPY encoding for {sa_type!r}")


def merge_expr(table: Table, name: str, kind: str) -> str:
    """The staging column as the target column's type (NaN in a float8 column means NULL)."""
    expr = f'"{name}"'
    if kind == "float8":
        expr = f"NULLIF({expr}, 'NaN')"
    target = table.c[name].type.compile(dialect=postgresql.dialect())
    return f"CAST({expr} AS {target})"


def bump_data_version(session: Session, org_id: int) -> None:
    """Mark the org's synced data as changed (in the writer's transaction)."""
    session.execute(
        update(Organization)
        .where(Organization.id == org_id)
        .values(data_version=Organization.data_version + 1)
    )


def upsert_campaigns_and_creatives(
    session: Session,
    org_id: int,
    connection_id: int,
    platform: str,
    ads: AdColumns | Sequence[dict],
) -> dict[str, int]:
    """Make sure every campaign and creative exists; returns creative external id -> row id."""
    ads = ads if isinstance(ads, AdColumns) else AdColumns.from_rows(ads)
    upsert(
        session,
        Campaign.__table__,
        [
            {
                "org_id": org_id,
                "connection_id": connection_id,
                "platform": platform,
                "external_id": cid,
                "name": name or "",
                "status": "active",
            }
            for cid, name in ads.campaigns.items()
        ],
        keys=("connection_id", "external_id"),
        update=("name",),
    )
    campaign_ids = dict(
        session.execute(
            select(Campaign.external_id, Campaign.id).where(Campaign.connection_id == connection_id)
        ).all()
    )
    upsert(
        session,
        Creative.__table__,
        [
            {
                "org_id": org_id,
                "connection_id": connection_id,
                "platform": platform,
                "external_id": key,
                "name": seen.name,
                "campaign_id": campaign_ids.get(seen.campaign_id),
                "status": "active",
                "launched_on": seen.launched_on,
            }
            for key, seen in ads.creatives.items()
        ],
        keys=("connection_id", "external_id"),
        update=("name", "campaign_id"),
    )
    return dict(
        session.execute(
            select(Creative.external_id, Creative.id).where(Creative.connection_id == connection_id)
        ).all()
    )


def upsert_ad_metrics(
    session: Session, org_id: int, creative_ids: dict[str, int], ads: AdColumns | Sequence[dict]
) -> int:
    """The fetched daily metrics, on their (creative, date) key."""
    ads = ads if isinstance(ads, AdColumns) else AdColumns.from_rows(ads)
    return upsert_metric_columns(session, ads.metric_columns(org_id, creative_ids))


def upsert_metric_columns(session: Session, columns: dict[str, Sequence[Any]]) -> int:
    """Daily ad metrics given column-wise (org_id, creative_id, date, METRIC_FIELDS), on their
    natural key: a sync and a file import of the same day write the same row."""
    return upsert_columns(
        session,
        AdMetricDaily.__table__,
        columns,
        keys=("creative_id", "date"),
        update=METRIC_FIELDS,
    )


def upsert_orders(session: Session, org_id: int, connection_id: int, orders: Sequence[dict]) -> int:
    rows = [
        {
            "org_id": org_id,
            "connection_id": connection_id,
            "external_id": str(o["order_id"]),
            "placed_at": o["placed_at"],
            "customer_external_id": o.get("customer_id"),
            "revenue": o["revenue"],
            "is_first_order": bool(o["is_first_order"]),
            "utm_source": o.get("utm_source"),
            "source_updated_at": o.get("updated_at"),
        }
        for o in orders
    ]
    return upsert(
        session,
        Order.__table__,
        rows,
        keys=("connection_id", "external_id"),
        update=ORDER_FIELDS,
        newer="source_updated_at",
    )
