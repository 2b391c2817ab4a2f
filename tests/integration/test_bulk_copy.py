"""The numpy-built binary COPY stream and the column-wise upsert (the sync and seeding path)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from extensions import db
from models import AdMetricDaily, Campaign, Connection, Creative
from models.bulk import CHUNK_ROWS, NotExact, copy_into, copy_to_staging, numeric_units
from models.upsert import COPY_THRESHOLD, upsert_columns
from tests.conftest import make_org


def _pg(app) -> bool:  # noqa: ANN001
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_binary_copy_round_trips_every_type_and_null(app) -> None:
    if not _pg(app):
        pytest.skip("binary COPY is PostgreSQL's")
    columns = [
        ("i", "int4", [1, None, -3]),
        ("big", "int8", np.array([2**40, 5, -(2**62)])),
        ("t", "text", ["plain", None, "ünï\tco\\de\n"]),
        ("f", "float8", [1.5, None, float("nan")]),
        ("d", "date", [date(2024, 2, 29), None, date(1999, 12, 31)]),
        (
            "ts",
            "timestamptz",
            [datetime(2024, 1, 2, 12, tzinfo=UTC), None, datetime(1990, 5, 5, 1, 2, 3, 7)],
        ),
        ("b", "bool", [True, None, False]),
    ]
    with app.app_context():
        stage = copy_to_staging(db.session, "tmp_roundtrip", columns)
        raw = db.session.connection().connection.driver_connection
        rows = raw.execute(f'SELECT i, big, t, f, d, ts, b FROM "{stage}"').fetchall()  # noqa: S608
        db.session.rollback()
    assert rows[0] == (
        1,
        2**40,
        "plain",
        1.5,
        date(2024, 2, 29),
        datetime(2024, 1, 2, 12, tzinfo=UTC),
        True,
    )
    assert rows[1][0] is None and rows[1][2] is None and rows[1][4:] == (None, None, None)
    assert np.isnan(rows[1][3]) and np.isnan(rows[2][3])  # float8 NULLs travel as NaN
    assert rows[2][:3] == (-3, -(2**62), "ünï\tco\\de\n")
    assert rows[2][4:] == (
        date(1999, 12, 31),
        datetime(1990, 5, 5, 1, 2, 3, 7, tzinfo=UTC),  # naive = UTC
        False,
    )


def test_binary_copy_across_chunks_keeps_every_row(app) -> None:
    """More rows than one chunk, with NULLs and text of mixed lengths (the general layout) and
    without (the fixed one): every row arrives whole, in order, across the chunk seams."""
    if not _pg(app):
        pytest.skip("binary COPY is PostgreSQL's")
    n = CHUNK_ROWS * 2 + 17
    ids = np.arange(n, dtype=np.int64)
    names = [None if i % 7 == 0 else "x" * (i % 13) + str(i) for i in range(n)]
    counts = [None if i % 5 == 0 else i % 1000 for i in range(n)]
    with app.app_context():
        raw = db.session.connection().connection.driver_connection
        mixed = copy_to_staging(
            db.session,
            "tmp_chunks",
            [("i", "int8", ids), ("t", "text", names), ("c", "int4", counts)],
        )
        got = raw.execute(f'SELECT i, t, c FROM "{mixed}" ORDER BY i').fetchall()  # noqa: S608
        fixed = copy_to_staging(
            db.session, "tmp_fixed", [("i", "int8", ids), ("v", "int4", ids % 1000)]
        )
        got_fixed = raw.execute(f'SELECT i, v FROM "{fixed}" ORDER BY i').fetchall()  # noqa: S608
        db.session.rollback()
    assert len(got) == n and len(got_fixed) == n
    assert [r[0] for r in got] == list(range(n))
    assert [r[1] for r in got] == names
    assert [r[2] for r in got] == counts
    assert got_fixed[-1] == (n - 1, (n - 1) % 1000) and got_fixed[CHUNK_ROWS] == (
        CHUNK_ROWS,
        CHUNK_ROWS % 1000,
    )


def _creatives(org_id: int, *external_ids: str) -> list[int]:
    """One connection and campaign with these creatives (in the caller's app context)."""
    conn = Connection(org_id=org_id, platform="meta", external_account_id="act_1")
    db.session.add(conn)
    db.session.flush()
    camp = Campaign(org_id=org_id, connection_id=conn.id, platform="meta", external_id="c1")
    db.session.add(camp)
    db.session.flush()
    creatives = [
        Creative(
            org_id=org_id,
            connection_id=conn.id,
            campaign_id=camp.id,
            platform="meta",
            external_id=ext,
        )
        for ext in external_ids
    ]
    db.session.add_all(creatives)
    db.session.flush()
    return [c.id for c in creatives]


@pytest.mark.parametrize("n", [10, COPY_THRESHOLD + 10])  # the row path and the COPY path
def test_upsert_columns_last_row_wins_nulls_and_money(app, n: int) -> None:
    ids = make_org(app, "Acme", "a@acme.example")
    with app.app_context():
        (cre_id,) = _creatives(ids["org_id"], "k1")
        days = pd.date_range("2020-01-01", periods=n).to_numpy("datetime64[D]")
        days[-1] = days[0]  # a repeated key: the later row wins
        columns = {
            "org_id": np.full(n, ids["org_id"]),
            "creative_id": np.full(n, cre_id),
            "date": days,
            "spend": np.full(n, 10.25),
            "impressions": np.arange(n),
            "clicks": np.zeros(n, np.int64),
            "conversions": np.full(n, 0.5),
            "platform_revenue": np.full(n, 1234.5),
            "reach": np.where(np.arange(n) % 2 == 0, np.nan, 7.0),  # NaN -> NULL
            "frequency": np.full(n, np.nan),
        }
        written = upsert_columns(
            db.session,
            AdMetricDaily.__table__,
            columns,
            keys=("creative_id", "date"),
            update=("spend", "impressions", "reach", "frequency"),
        )
        db.session.commit()
        rows = db.session.execute(
            select(AdMetricDaily).order_by(AdMetricDaily.date, AdMetricDaily.id)
        ).scalars()
        got = {r.date: r for r in rows}
        first = got[date(2020, 1, 1)]
    assert written == n - 1 and len(got) == n - 1
    assert first.impressions == n - 1  # the later duplicate won
    assert first.spend == Decimal("10.25") and first.platform_revenue == Decimal("1234.50")
    assert got[date(2020, 1, 2)].reach == 7 and got[date(2020, 1, 3)].reach is None
    assert first.frequency is None


MONEY_VALUES = [0.0, -0.0, 0.01, -0.01, 0.1, 0.29, 1.0, 10.25, -1234.56, 99.99, 100000000000.07]
MONEY_VALUES += [9999999999.99, -999999999999.99, 123456789012.34, 0.07, float("nan"), None]


def test_numeric_binary_copy_equals_the_sql_cast(app) -> None:
    """Money sent as numeric(14,2) binary gives what CAST(float8 AS numeric(14,2)) gives."""
    if not _pg(app):
        pytest.skip("binary COPY is PostgreSQL's")
    rng = np.random.default_rng(3)
    values = MONEY_VALUES + list(np.round(rng.uniform(-1e6, 1e9, 2000), 2))
    with app.app_context():
        raw = db.session.connection().connection.driver_connection
        raw.execute("CREATE TEMP TABLE money_direct (i int4, m numeric(14,2))")
        copy_into(
            db.session,
            "money_direct",
            [("i", "int4", np.arange(len(values))), ("m", "numeric(14,2)", values)],
        )
        stage = copy_to_staging(
            db.session,
            "tmp_money",
            [("i", "int4", np.arange(len(values))), ("m", "float8", values)],
        )
        cast = "CAST(NULLIF(s.m, 'NaN') AS numeric(14,2))"
        rows = raw.execute(
            f"SELECT d.m, {cast}, d.m::text, {cast}::text "  # noqa: S608
            f'FROM money_direct d JOIN "{stage}" s USING (i) ORDER BY i'
        ).fetchall()
        db.session.rollback()
    assert len(rows) == len(values)
    assert all(r[0] == r[1] and r[2] == r[3] for r in rows), [r for r in rows if r[2] != r[3]]
    assert rows[len(MONEY_VALUES) - 2][0] is None and rows[len(MONEY_VALUES) - 1][0] is None


@pytest.mark.parametrize("value", [0.125, 1 / 3, 1e15, 12.345])
def test_numeric_encoding_refuses_what_it_cannot_give_exactly(value) -> None:
    with pytest.raises(NotExact):
        numeric_units([1.0, value], scale=2, precision=14)


@pytest.mark.parametrize("odd", [None, 0.125])  # whole cents (sent exact) / one that is not
def test_copy_merge_money_equals_the_row_path(app, odd: float | None) -> None:
    """The COPY merge stages money as exact numeric when every value is whole cents, else as
    float8 cast by the server: either way each stored value is the one the row path (bound
    Python floats) stores."""
    if not _pg(app):
        pytest.skip("the COPY merge is PostgreSQL's")
    ids = make_org(app, "Acme", "a@acme.example")
    n = COPY_THRESHOLD + 10
    money = [v for v in MONEY_VALUES if v is not None and v == v]  # the columns are NOT NULL
    spend = (money * (n // len(money) + 1))[:n]
    if odd is not None:
        spend[5] = odd
    with app.app_context():
        creatives = _creatives(ids["org_id"], "copy", "rows")
        days = pd.date_range("2000-01-01", periods=n).to_numpy("datetime64[D]")
        for cid, rows in ((creatives[0], slice(0, n)), (creatives[1], None)):
            chunks = [slice(0, n)] if rows else [slice(i, i + 50) for i in range(0, n, 50)]
            for part in chunks:  # 50 rows at a time: under COPY_THRESHOLD, the row path
                m = len(days[part])
                upsert_columns(
                    db.session,
                    AdMetricDaily.__table__,
                    {
                        "org_id": [ids["org_id"]] * m,
                        "creative_id": [cid] * m,
                        "date": days[part],
                        "spend": spend[part],
                        "impressions": [0] * m,
                        "clicks": [0] * m,
                        "conversions": [0.0] * m,
                        "platform_revenue": spend[::-1][part],
                    },
                    keys=("creative_id", "date"),
                    update=("spend", "platform_revenue"),
                )
        db.session.commit()
        got = {
            cid: [
                (r.spend, r.platform_revenue)
                for r in db.session.execute(
                    select(AdMetricDaily)
                    .where(AdMetricDaily.creative_id == cid)
                    .order_by(AdMetricDaily.date)
                ).scalars()
            ]
            for cid in creatives
        }
    assert len(got[creatives[0]]) == n
    assert got[creatives[0]] == got[creatives[1]]
    assert got[creatives[0]][2][0] == Decimal("0.01")
    assert got[creatives[0]][5][0] == (Decimal("0.13") if odd else Decimal("0.29"))


@pytest.mark.parametrize(
    "values",
    [
        [1, 2, None, 2**40, -7],
        [1.5, float("nan"), None, Decimal("2.25"), "3.5"],
        ["abc", "", None, "12", 4],  # not numbers: NaN, as pandas' coercion gives
        np.array([1, 2, 3], np.int32),
        pd.Series([1, None, 3], dtype="Int64"),
        [True, False, None],
    ],
)
def test_as_float64_is_pandas_coercion(values) -> None:
    from models.bulk import as_float64

    expected = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(
        np.float64, na_value=np.nan
    )
    np.testing.assert_array_equal(as_float64(values), expected)


def test_plain_dates_round_trip(app) -> None:
    """A list of plain dates (the connectors' rows) takes the ordinal encoding: the same days
    back, before and after PostgreSQL's 2000-01-01 epoch."""
    if not _pg(app):
        pytest.skip("binary COPY is PostgreSQL's")
    days = [date(1900, 3, 1), date(1999, 12, 31), date(2000, 1, 1), date(2024, 2, 29)]
    days += [date(2026, 11, 30), date(2100, 1, 1)]
    with app.app_context():
        stage = copy_to_staging(db.session, "tmp_days", [("d", "date", days)])
        raw = db.session.connection().connection.driver_connection
        got = [r[0] for r in raw.execute(f'SELECT d FROM "{stage}"').fetchall()]  # noqa: S608
        db.session.rollback()
    assert got == days
