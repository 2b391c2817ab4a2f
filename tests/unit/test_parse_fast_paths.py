"""The parse fast paths give exactly what the forgiving parsers give (or the same error)."""

from __future__ import annotations

import json
import math

import pytest

from integrations.errors import BadResponse
from integrations.http import loads
from integrations.meta import MetaAdsClient
from integrations.parsing import opt_float, opt_int

PLAIN = {
    "campaign_id": "2385",
    "campaign_name": "Spring",
    "ad_id": "2385001",
    "ad_name": "UGC 1",
    "spend": "12.30",
    "impressions": "1200",
    "clicks": "31",
    "reach": "900",
    "frequency": "1.333333",
    "actions": [
        {"action_type": "link_click", "value": "31"},
        {"action_type": "omni_purchase", "value": "3"},
        {"action_type": "purchase", "value": "2"},
    ],
    "action_values": [{"action_type": "omni_purchase", "value": "99.50"}],
    "date_start": "2026-03-01",
    "date_stop": "2026-03-01",
}

# Each variant changes one field the way a platform (or a broken proxy) might.
VARIANTS = [
    {},
    {"spend": "1,234.50"},
    {"spend": ""},
    {"spend": None},
    {"spend": "-"},
    {"spend": 12.3},
    {"spend": True},
    {"spend": "nan"},
    {"spend": "inf"},
    {"spend": "1e400"},
    {"spend": "abc"},
    {"impressions": "1200.0"},
    {"impressions": None},
    {"impressions": "n/a"},
    {"clicks": 7.9},
    {"reach": ""},
    {"reach": "none"},
    {"reach": None},
    {"reach": "12.6"},
    {"reach": True},
    {"frequency": ""},
    {"frequency": "NaN"},
    {"frequency": "-inf"},
    {"frequency": None},
    {"actions": None},
    {"actions": "purchase"},
    {"actions": [{"action_type": "purchase", "value": ""}]},
    {"actions": [{"action_type": "purchase", "value": "inf"}]},
    {"actions": [{"action_type": ["purchase"], "value": "1"}, "junk", None]},
    {"actions": [{"action_type": "purchase", "value": "1"}, {"action_type": "purchase"}]},
    {"action_values": [{"action_type": "purchase", "value": "1,000.00"}]},
    {"action_values": [{"action_type": "offsite_conversion.fb_pixel_purchase", "value": "5"}]},
    {"date_start": "2026-03-01T00:00:00-0800"},
    {"date_start": 20260301},
    {"date_start": "March 1"},
    {"campaign_id": 2385},
    {"campaign_name": None},
    {"ad_name": 7},
]


def _outcome(fn, item):
    try:
        return ("row", fn(item))
    except BadResponse as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("change", VARIANTS, ids=[json.dumps(v)[:40] for v in VARIANTS])
def test_meta_fast_row_equals_checked_row(change):
    client = MetaAdsClient("http://127.0.0.1:9", "token-not-used")
    item = {**PLAIN, **change}
    fast, checked = _outcome(client._to_row, item), _outcome(client._checked_row, item)
    assert fast == checked
    if fast[0] == "row":  # same values and the same types (no 12.0 where 12 was returned)
        assert [type(v) for v in fast[1].values()] == [type(v) for v in checked[1].values()]


def test_meta_fast_row_missing_and_non_dict_items():
    client = MetaAdsClient("http://127.0.0.1:9", "token-not-used")
    for item in ({k: v for k, v in PLAIN.items() if k != "ad_id"}, "row", None, [PLAIN]):
        with pytest.raises(BadResponse):
            client._to_row(item)


@pytest.mark.parametrize(
    "value", ["1.5", " 2 ", "", "-", "none", None, 3, 2.5, True, "1,200", "12.6", "NaN", "inf"]
)
def test_opt_numbers_keep_their_meaning(value):
    """opt_float/opt_int now try the number first; blanks and junk behave as before."""
    from integrations.parsing import _blank, to_float, to_int

    def old_float(v):
        return None if _blank(v) else to_float(v)

    def old_int(v):
        return None if _blank(v) else to_int(v)

    for new, old in ((opt_float, old_float), (opt_int, old_int)):
        try:
            expected = ("ok", old(value))
        except ValueError:
            expected = ("error",)
        try:
            got = ("ok", new(value))
        except ValueError:
            got = ("error",)
        assert got == expected and type(got[-1]) is type(expected[-1])


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": [{"a": "1"}], "n": 1.5}',
        b'{"x": NaN, "y": Infinity}',  # the standard library accepts these; orjson does not
        b'{"id": 9223372036854775807, "neg": -9223372036854775808, "u": 18446744073709551615}',
        '{"é": "ü"}'.encode("utf-16"),
        b'{"dup": 1, "dup": 2}',
    ],
)
def test_loads_accepts_what_json_loads_accepts(body):
    got, expected = loads(body), json.loads(body)
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)
    if "x" in expected:
        assert math.isnan(got["x"]) and got["y"] == math.inf


@pytest.mark.parametrize("body", [b'{"data": [', b"\xff\xfe\x00", b""])
def test_loads_refuses_what_json_loads_refuses(body):
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        loads(body)
