"""Self-checks of the fakes: fast JSON paths match the reference wire format, data is lazy."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from integrations.meta import INSIGHT_FIELDS
from integrations.tiktok import METRICS
from tests.fakes.base import PRESETS
from tests.fakes.data import AdDataset, OrderDataset
from tests.fakes.meta import FakeMeta
from tests.fakes.tiktok import FakeTikTok

ODD_ROW = {
    "date": dt.date(2025, 1, 2),
    "campaign_id": "c-1",
    "campaign_name": 'Spring "Glow" — été',
    "creative_id": "a\\1",
    "creative_name": "C12 ✨",
    "spend": 0.1,
    "impressions": 0,
    "clicks": 0,
    "conversions": 0,
    "platform_revenue": 0.0,
    "reach": None,
    "frequency": None,
}


@pytest.mark.parametrize("fields", [list(INSIGHT_FIELDS), ["ad_id", "spend", "date_start"]])
def test_meta_fast_json_matches_reference(fields):
    fake = FakeMeta()
    rows = fake.dataset.rows()[:50] + [ODD_ROW]
    assert json.loads(fake.wire_json(rows, fields, "1")) == fake.wire_rows(rows, fields, "1")


def test_tiktok_fast_json_matches_reference():
    rows = FakeTikTok().dataset.rows()[:50] + [ODD_ROW]
    metrics = [*METRICS, "unknown_metric"]
    expected = [FakeTikTok.wire_row(r, metrics) for r in rows]
    assert json.loads(FakeTikTok.wire_json(rows, metrics)) == expected


def test_generated_data_is_deterministic_and_lazy():
    a = AdDataset("meta", n_ads=3000, n_days=90, end=dt.date(2025, 3, 31))
    b = AdDataset("meta", n_ads=3000, n_days=90, end=dt.date(2025, 3, 31))
    assert a.count(a.start, a.end) == 270_000
    assert a.slice(a.start, a.end, 269_990, 270_010) == b.slice(b.start, b.end, 269_990, 270_010)
    assert len(a.slice(a.start, a.end, 269_990, 270_010)) == 10
    assert a.row(5, a.end) == a.slice(a.end, a.end, 5, 6)[0]
    assert a.count(dt.date(2020, 1, 1), dt.date(2020, 1, 2)) == 0


def test_restate_changes_only_that_day():
    ds = AdDataset("tiktok", n_ads=3, n_days=5)
    before = ds.rows()
    ds.restate()
    after = ds.rows()
    changed = {r["date"] for r, s in zip(before, after, strict=True) if r != s}
    assert changed == {ds.end}


def test_order_dataset_first_orders_and_refunds():
    ds = OrderDataset()
    assert ds.totals()["first_orders"] == len({o.customer_id for o in ds.orders if o.customer_id})
    assert any(o.refunded for o in ds.orders)
    assert all(o.updated_at >= o.created_at for o in ds.orders)


def test_unknown_scenario_is_an_error():
    fake = FakeMeta()
    with pytest.raises(KeyError):
        fake.set_scenario("nope")
    assert set(PRESETS) >= {
        "pagination",
        "rate_limited",
        "server_errors",
        "usage_100",
        "expired_token",
        "malformed_json",
        "restated_yesterday",
    }
    assert fake.set_scenario("rate_limited", retry_after="5").retry_after == "5"
    fake.reset()
    assert fake.scenario.rate_limit == 0
