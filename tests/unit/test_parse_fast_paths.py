"""The parse fast paths give exactly what the forgiving parsers give (or the same error)."""

from __future__ import annotations

import json
import math
import random

import pytest

from integrations.errors import BadResponse
from integrations.http import loads
from integrations.meta import MetaAdsClient, decode_insights_page
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


# Shapes the typed decoder must get right itself, or hand to the general path.
PAGE_VARIANTS = [
    *VARIANTS,
    {"actions": []},
    {"action_values": []},
    {"actions": [], "action_values": []},
    {"actions": [{"action_type": "link_click", "value": "4"}]},
    {"actions": [{"action_type": "purchase", "value": "2"}, {"action_type": "purchase"}]},
    {"actions": [{"action_type": "purchase", "value": 2}]},
    {
        "actions": [
            {"action_type": "purchase", "value": "1"},
            {"action_type": "purchase", "value": "2"},
        ]
    },
    {"actions": [{"action_type": "purchase", "value": "2", "1d_click": "1"}]},
    {"actions": [{"action_type": "video_view", "value": "n/a"}]},
    {"action_values": [{"action_type": "purchase", "value": "nan"}]},
    {"action_values": None},
    {  # the value of the type counted, not the first of the family
        "actions": [{"action_type": "omni_purchase", "value": "3"}],
        "action_values": [
            {"action_type": "purchase", "value": "1"},
            {"action_type": "omni_purchase", "value": "99"},
        ],
    },
    {"spend": "0"},
    {"spend": "-0.00"},
    {"spend": "1e3"},
    {"spend": 12},
    {"impressions": "1e3"},
    {"impressions": "1.0"},
    {"impressions": 12.0},
    {"impressions": 12.5},
    {"impressions": "99999999999999999999"},
    {"reach": "null"},
    {"frequency": "null"},
    {"frequency": "1e400"},
    {"date_start": "2026-02-30"},
    {"campaign_name": ""},
    {"ad_name": None},
    {"extra_field": {"nested": [1, 2]}},
]
MISSING = ["actions", "action_values", "reach", "frequency", "campaign_name", "ad_name"]


def _general(body: bytes):
    """The general path: decode to dicts, then one row per item (or its error)."""
    client = MetaAdsClient("http://127.0.0.1:9", "token-not-used")
    try:
        payload = loads(body)
        return ("rows", client.page_rows(payload), payload.get("paging"))
    except BadResponse as exc:
        return ("error", str(exc))


def _page(item, **extra) -> bytes:
    second = {**PLAIN, "ad_id": "2385002", "actions": [], "action_values": []}
    return json.dumps({"data": [item, second], "paging": {"cursors": {}}, **extra}).encode()


def _assert_same(body: bytes) -> bool:
    """The typed decoder's rows equal the general path's (with the same types), or it
    declines; returns whether it answered."""
    fast = decode_insights_page(body)
    if fast is None:
        return False
    general = _general(body)
    assert general[0] == "rows", "the fast path accepted a page the general path refuses"
    assert fast[0] == general[1] and fast[1] == general[2]
    for a, b in zip(fast[0], general[1], strict=True):
        assert [type(v) for v in a.values()] == [type(v) for v in b.values()]
        assert list(a) == list(b)
    return True


@pytest.mark.parametrize("change", PAGE_VARIANTS, ids=[json.dumps(v)[:40] for v in PAGE_VARIANTS])
def test_typed_page_decoder_gives_the_general_rows(change):
    _assert_same(_page({**PLAIN, **change}))


@pytest.mark.parametrize("field", MISSING)
def test_typed_page_decoder_with_a_field_missing(field):
    item = {k: v for k, v in PLAIN.items() if k != field}
    assert _assert_same(_page(item))  # optional fields: the fast path answers


def test_typed_page_decoder_answers_plain_pages_and_declines_the_rest():
    assert _assert_same(_page(PLAIN))
    assert _assert_same(_page({**PLAIN, "actions": [], "action_values": []}))
    for body in (
        _page(PLAIN, error={"code": 1, "message": "x"}),  # the general path raises
        _page({**PLAIN, "spend": "1,234.50"}),
        json.dumps({"paging": {}}).encode(),
        b'{"data": [',
        b"[]",
    ):
        assert decode_insights_page(body) is None


def test_typed_page_decoder_numbers_match_python_parsing():
    """Random money, counts and ratios in the numeral forms platforms send."""
    rng = random.Random(12)
    items = []
    for i in range(3000):
        x = rng.uniform(-1e6, 1e9) * rng.choice((1, 1e-6, 1e-3))
        spend = rng.choice((f"{x:.2f}", repr(x), f"{x:.6f}", f"{x:e}", str(int(x))))
        item = {
            **PLAIN,
            "ad_id": str(i),
            "spend": spend,
            "impressions": str(rng.randrange(10**12)),
            "frequency": f"{rng.random() * 9:.{rng.randrange(1, 17)}f}",
            "actions": [{"action_type": "purchase", "value": repr(rng.random() * 1e4)}],
            "action_values": [{"action_type": "purchase", "value": f"{x / 7:.2f}"}],
        }
        items.append(item)
    assert _assert_same(json.dumps({"data": items}).encode())


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
