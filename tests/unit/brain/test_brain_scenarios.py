"""Issue 8: the brain on realistic scenario families (brain/scenarios.py), 20 seeds each.

Each family is generated independently of the brain's model (incremental response
curves, over-reporting platforms, organic and returning customers, weekly seasonality).
Rates are asserted over all seeds so a threshold tuned to one seed does not pass; the
per-brand rows are in the assertion messages. ``bench/brain_truth.py`` prints the same
table. Where a figure is still short of the issue's target the test pins what the brain
does today and says so.
"""

from __future__ import annotations

import pytest
from conftest import run_brain

from brain.scenarios import generate_scenario, score, summarize

SEEDS = range(20)
FAMILY_SHIFTS = ("sale", "pause", "budget", "fatigue", "decay", "small")
_CACHE: dict[str, list[dict]] = {}


def rows(family: str) -> list[dict]:
    if family not in _CACHE:
        out = []
        for seed in SEEDS:
            sc = generate_scenario(family, seed)
            state = run_brain(sc, events=sc.events) if sc.events else run_brain(sc)
            out.append({**score(sc, state), "_state": state})
        _CACHE[family] = out
    return _CACHE[family]


def table(family: str) -> dict:
    return summarize([{k: v for k, v in r.items() if k != "_state"} for r in rows(family)])[family]


@pytest.mark.parametrize("family", ["sale", "pause"])
def test_a_sale_or_a_pause_is_context_not_an_emergency(family):
    rs = rows(family)
    assert all(r["risk"] != "RED" for r in rs), [(r["seed"], r["risk"]) for r in rs]
    t = table(family)
    # at most one false alarm per brand on >= 95% of brands, and few in total
    over = [(r["seed"], r["false_ids"]) for r in rs if r["false_alarms"] > 1]
    assert len(over) <= 1, over
    assert t["false_alarms_per_brand"] <= 0.25, t


def test_sale_days_are_noted_with_their_context():
    for r in rows("sale"):
        st = r["_state"]
        on_sale = [a for a in st["oracle"]["anomalies"] if a.get("context")]
        for a in on_sale:
            assert a["severity"] == "low", a
            assert "known_event" in [h["code"] for h in a["cause_hints"]]
        assert any(e["kind"] == "sale" for e in st["oracle"]["events"])


def test_pauses_are_detected_as_events():
    for r in rows("pause"):
        sc = generate_scenario("pause", r["seed"])
        truth = sc.truth["events"][0]
        ev = [
            e
            for e in r["_state"]["oracle"]["events"]
            if e["kind"] == "pause" and e["platform"] == truth["platform"] and e["source"] == "auto"
        ]
        assert any(e["start"] == truth["start"] and e["end"] == truth["end"] for e in ev), (
            r["seed"],
            ev,
            truth,
        )


def test_budget_steps_raise_no_alarms_and_shifts_go_the_right_way():
    rs = rows("budget")
    t = table("budget")
    assert all(r["risk"] != "RED" for r in rs)
    assert t["max_false_alarms"] <= 1, t
    shifts = [r["shift"] for r in rs if "shift" in r]
    # a shift is proposed only when its gain's band clears zero (after shrinkage): 6 of 20
    assert len(shifts) >= 5, len(shifts)
    assert all(s["direction_right"] for s in shifts), shifts
    # incremental marginal ROAS: median ratio to the truth near 1 (was 2.8 before issue 8)
    assert 0.85 <= t["marginal_ratio_median"] <= 1.15, t
    assert t["marginal_within_35pct"] >= 0.85, t
    # stated weekly impact vs the true incremental gross-profit change (issue target)
    assert 0.67 <= t["impact_ratio_median"] <= 1.5, t
    assert t["impact_within_tolerance"] >= 0.9, t


def test_stated_shift_impacts_are_within_tolerance_across_families():
    # the target: within +-50% of the true incremental gross-profit change (or 10%
    # of the moved dollars' weekly margin when the true gain is small) on >= 90% of brands
    shifts = [r["shift"] for fam in FAMILY_SHIFTS for r in rows(fam) if "shift" in r]
    assert len(shifts) >= 8, shifts
    within = sum(s["within"] for s in shifts)
    assert within / len(shifts) >= 0.9, shifts


def test_marginal_roas_bands_cover_the_truth():
    # the +-1 sd band of each platform's incremental marginal ROAS holds the truth about as
    # often as it should (68% for a calibrated band; 52-57% before the SE inflation)
    inside = total = 0
    for fam in FAMILY_SHIFTS:
        for r in rows(fam):
            sc = generate_scenario(fam, r["seed"])
            for p in r["_state"]["memory"]["platforms"]:
                band = p["response_curve"].get("marginal_roas_band")
                if band:
                    total += 1
                    inside += (
                        band["low"] <= sc.truth["marginal_roas"][p["platform"]] <= band["high"]
                    )
    assert total >= 100 and inside / total >= 0.68, (inside, total)


def test_every_proposed_shift_goes_the_right_way_and_its_band_is_honest():
    n = covered = 0
    for fam in FAMILY_SHIFTS:
        for r in rows(fam):
            if "shift" not in r:
                continue
            s = r["shift"]
            assert s["direction_right"], (fam, r["seed"], s)
            act = next(
                a for a in r["_state"]["curiosity"]["actions"] if a["type"] == "shift_budget"
            )
            n += 1
            covered += act["impact_band"]["low"] <= s["true"] <= act["impact_band"]["high"]
    assert n >= 8 and covered / n >= 0.8, (n, covered)


def test_no_family_overstates_marginal_roas_any_more():
    for fam in ("sale", "pause", "fatigue", "decay", "small"):
        t = table(fam)
        assert 0.65 <= t["marginal_ratio_median"] <= 1.25, (fam, t)


def test_scale_actions_do_not_lose_money():
    scales = [
        s for fam in ("budget", "sale", "pause", "small") for r in rows(fam) for s in r["scales"]
    ]
    losing = [s for s in scales if s["loses_money"]]
    assert len(losing) <= max(1, len(scales) // 10), losing


def test_gradual_fatigue_is_found_without_false_flags():
    t = table("fatigue")
    assert t["found_rate"] >= 0.9, t  # was 0.65 before issue 8
    assert t["max_false_alarms"] <= 1, t


def test_small_creatives_are_not_called_fatigued():
    for r in rows("small"):
        fat = [f for f in r["_state"]["oracle"]["fatigue"] if f["prob_7d"] >= 0.6]
        assert all(f["conversions_21d"] >= 30 for f in fat), (r["seed"], fat)
    assert table("small")["max_false_alarms"] <= 1


def test_roi_slides_of_35_percent_are_found():
    t = table("decay")
    assert t["found_rate"] >= 0.95, t
    assert t["max_false_alarms"] <= 1, t


def test_weak_slides_show_as_a_trend():
    t = table("slide")
    assert t["trend_down_rate"] >= 0.75, t
    assert t["max_false_alarms"] <= 1, t


def test_short_histories_get_notes_not_guesses():
    for r in rows("short"):
        st = r["_state"]
        acts = [a for a in st["curiosity"]["actions"] if a["type"] in ("shift_budget", "scale")]
        assert not acts, (r["seed"], [a["title"] for a in acts])
        assert any("days of ad history" in n for n in st["notes"]), (r["seed"], st["notes"])
        assert r["false_alarms"] <= 1


def test_an_unrecorded_sale_is_detected_and_kept_out_of_the_fits():
    over, ratios = [], []
    for seed in SEEDS:
        sc = generate_scenario("sale", seed)
        state = run_brain(sc)  # no events given: the brand never told us
        truth = sc.truth["events"][0]
        auto = [
            e for e in state["oracle"]["events"] if e["kind"] == "sale" and e["source"] == "auto"
        ]
        assert any(e["start"] <= truth["end"] and truth["start"] <= e["end"] for e in auto), (
            seed,
            auto,
            truth,
        )
        r = score(sc, state)
        assert r["risk"] != "RED", (seed, r)
        if r["false_alarms"] > 1:
            over.append((seed, r["false_ids"]))
        ratios += list(r["marginal_ratio"].values())
    assert len(over) <= 1, over
    # without the detection the sale days made marginal ROAS 2.3x the truth (median)
    ratios.sort()
    assert 0.7 <= ratios[len(ratios) // 2] <= 1.3, ratios


def test_a_shift_into_a_channel_below_breakeven_says_cutting_saves_more():
    # with both channels below breakeven the move still beats standing still, but cutting
    # the source saves more: the action must say so rather than imply the destination "wins"
    seen_alt = seen_plain = 0
    for fam in FAMILY_SHIFTS:
        for r in rows(fam):
            st = r["_state"]
            act = next((a for a in st["curiosity"]["actions"] if a["type"] == "shift_budget"), None)
            if act is None:
                continue
            be = st["memory"]["totals"]["breakeven_roas"]
            dst = next(t["platform"] for t in act["targets"] if t["role"] == "to")
            curve = next(p for p in st["memory"]["platforms"] if p["platform"] == dst)
            m_dst = curve["response_curve"]["marginal_roas_calibrated"]
            alt = act.get("alternative")
            if m_dst < be:
                assert alt, (fam, r["seed"], act["title"])
                assert alt["impact_usd_per_week"] > 0
                assert "below breakeven" in act["microcopy"]["cmo"]
                seen_alt += 1
            elif alt is None:
                assert "below breakeven" not in act["microcopy"]["cmo"]
                seen_plain += 1
    assert seen_alt >= 5 and seen_plain >= 1, (seen_alt, seen_plain)
