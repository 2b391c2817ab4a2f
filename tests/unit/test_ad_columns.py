"""A sync's ad rows as columns (models/ad_columns.py): the rows' facts, chunk by chunk."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

import models.ad_columns
from models.ad_columns import METRIC_FIELDS, AdColumns


def row(day: int, creative: str, campaign: str, spend: float, reach: int | None = None) -> dict:
    return {
        "date": dt.date(2026, 11, 1) + dt.timedelta(days=day),
        "platform": "meta",
        "campaign_id": campaign,
        "campaign_name": f"Campaign {campaign}",
        "creative_id": creative,
        "creative_name": f"{creative} on day {day}",
        "spend": spend,
        "impressions": 1000 + day,
        "clicks": 10 + day,
        "conversions": 1.5,
        "platform_revenue": spend * 3,
        "reach": reach,
        "frequency": None if reach is None else 1.25,
    }


@pytest.fixture
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(models.ad_columns, "CHUNK_ROWS", 2)


def test_rows_across_chunks_keep_their_creative_and_values(tiny_chunks):
    rows = [
        row(3, "A", "c1", 10.0, reach=500),
        row(1, "A", "c1", 11.0),
        row(2, "B", "c1", 12.0),  # B first seen in the second chunk
        row(5, "A", "c2", 13.0),  # A's newest day: it moved to campaign c2
        row(4, "B", "c1", 14.0),
    ]
    ads = AdColumns.from_rows(iter(rows))  # a generator, as the clients give
    assert len(ads) == 5
    assert ads.campaigns == {"c1": "Campaign c1", "c2": "Campaign c2"}
    a, b = ads.creatives["A"], ads.creatives["B"]
    assert (a.launched_on, a.campaign_id, a.name) == (dt.date(2026, 11, 2), "c2", "A on day 5")
    assert (b.launched_on, b.campaign_id, b.name) == (dt.date(2026, 11, 3), "c1", "B on day 4")
    cols = ads.metric_columns(7, {"A": 101, "B": 202})
    assert cols["org_id"].tolist() == [7] * 5
    assert cols["creative_id"].tolist() == [101, 101, 202, 101, 202]
    assert cols["date"].tolist() == [r["date"] for r in rows]
    assert cols["spend"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert cols["reach"][0] == 500 and all(math.isnan(v) for v in cols["reach"][1:])
    assert ads.days() == sorted({r["date"] for r in rows})


def test_columns_equal_the_rows_for_a_shuffled_backfill(tiny_chunks):
    rng = random.Random(5)
    rows = [
        row(d, f"ad{k}", f"camp{k % 3}", round(rng.uniform(0, 500), 2), rng.choice([None, 900]))
        for d in range(20)
        for k in range(7)
    ]
    rng.shuffle(rows)
    ids = {f"ad{k}": 1000 + k for k in range(7)}
    cols = AdColumns.from_rows(rows).metric_columns(3, ids)
    assert cols["creative_id"].tolist() == [ids[r["creative_id"]] for r in rows]
    for name in METRIC_FIELDS:
        expected = [math.nan if r[name] is None else float(r[name]) for r in rows]
        got = cols[name].tolist()
        assert [str(v) for v in got] == [str(v) for v in expected], name


def test_money_converts_at_each_days_rate_as_python_rounds(tiny_chunks):
    rows = [row(d, "A", "c1", s) for d, s in enumerate((10.005, 0.1, 123456.789, 3.3333335))]
    ads = AdColumns.from_rows(rows)
    rates = {r["date"]: 1.08 + i / 1000 for i, r in enumerate(rows)}
    ads.convert_money(rates)
    cols = ads.metric_columns(1, {"A": 1})
    assert cols["spend"].tolist() == [round(r["spend"] * rates[r["date"]], 6) for r in rows]
    assert cols["platform_revenue"].tolist() == [
        round(r["platform_revenue"] * rates[r["date"]], 6) for r in rows
    ]


def test_no_rows():
    ads = AdColumns.from_rows([])
    assert len(ads) == 0 and ads.days() == [] and ads.creatives == {}
    assert all(len(v) == 0 for v in ads.metric_columns(1, {}).values())
