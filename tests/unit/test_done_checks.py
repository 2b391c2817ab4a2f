"""readmodels/done_checks.py: a Done action is Verified only when the spend moved as stated."""

from __future__ import annotations

from datetime import date, timedelta

from readmodels import done_checks as rules

SINCE = date(2026, 11, 20)
SHIFT = {
    "id": "act_shift",
    "type": "shift_budget",
    "targets": [
        {"kind": "platform", "role": "from", "platform": "tiktok", "name": "TikTok"},
        {"kind": "platform", "role": "to", "platform": "meta", "name": "Meta"},
    ],
    "amounts": {"change": -388.0},
}
SCALE = {
    "id": "act_scale",
    "type": "scale",
    "targets": [{"kind": "campaign", "id": "campaign:meta:ME-1001", "platform": "meta"}],
    "amounts": {"change": 150.0},
}
REFRESH = {
    "id": "act_refresh",
    "type": "pause_creative",
    "urgency": "medium",
    "targets": [{"kind": "creative", "creative_id": "C24", "platform": "meta", "name": "C24"}],
}
PAUSE = {**REFRESH, "urgency": "high", "id": "act_pause"}


def days(before: float, after: float, n_after: int = 5) -> dict[date, float]:
    """Seven days at `before` up to the done day, then `n_after` days at `after`."""
    out = {SINCE - timedelta(days=i): before for i in range(rules.BEFORE_DAYS)}
    out.update({SINCE + timedelta(days=i): after for i in range(1, n_after + 1)})
    return out


THROUGH = SINCE + timedelta(days=5)


def check(action: dict, spend: dict[str, dict[date, float]], through=THROUGH) -> dict:
    parts = [
        rules.judge(e, SINCE, spend[e.platform if e.kind == "platform" else e.external_id], through)
        for e in rules.expectations(action)
    ]
    return rules.verdict(parts, SINCE, through)


def test_each_checked_type_states_what_should_move():
    assert [(e.platform, e.direction) for e in rules.expectations(SHIFT)] == [
        ("tiktok", "down"),
        ("meta", "up"),
    ]
    scale = rules.expectations(SCALE)
    assert [(e.kind, e.external_id, e.direction) for e in scale] == [("campaign", "ME-1001", "up")]
    assert rules.expectations(REFRESH)[0].direction == "down"  # spend moves off it
    assert rules.expectations(PAUSE)[0].direction == "zero"
    assert rules.expectations({"type": "retention", "targets": [{"kind": "cohorts"}]}) == []


def test_shift_budget_verified_when_both_sides_moved():
    moved = check(SHIFT, {"tiktok": days(1900, 1500), "meta": days(3900, 4300)})
    assert moved["status"] == "verified"
    assert [p["status"] for p in moved["parts"]] == ["verified", "verified"]


def test_shift_budget_not_seen_when_only_one_side_moved_or_nothing_did():
    half = check(SHIFT, {"tiktok": days(1900, 1500), "meta": days(3900, 3900)})
    assert half["status"] == "not_seen"
    wrong_way = check(SHIFT, {"tiktok": days(1900, 2300), "meta": days(3900, 4300)})
    assert wrong_way["status"] == "not_seen"
    noise = check(SHIFT, {"tiktok": days(1900, 1850), "meta": days(3900, 3950)})  # < 5%
    assert noise["status"] == "not_seen"


def test_scale_up_verified_or_not_seen():
    assert check(SCALE, {"ME-1001": days(500, 650)})["status"] == "verified"
    assert check(SCALE, {"ME-1001": days(500, 480)})["status"] == "not_seen"


def test_refresh_verified_when_spend_moved_off_the_creative():
    assert check(REFRESH, {"C24": days(300, 120)})["status"] == "verified"
    assert check(REFRESH, {"C24": days(300, 300)})["status"] == "not_seen"


def test_pause_needs_zero_spend():
    assert check(PAUSE, {"C24": days(300, 0)})["status"] == "verified"
    still = check(PAUSE, {"C24": days(300, 5)})
    assert still["status"] == "still_spending" and still["spend"] == 25


def test_no_data_after_the_done_day_is_waiting_not_a_verdict():
    waiting = check(SHIFT, {"tiktok": days(1900, 0, 0), "meta": days(3900, 0, 0)}, through=SINCE)
    assert waiting["status"] == "waiting"
    # Days without a row after the done day count as zero spend (a paused ad has no rows).
    assert check(PAUSE, {"C24": days(300, 0, 0)}, through=THROUGH)["status"] == "verified"
