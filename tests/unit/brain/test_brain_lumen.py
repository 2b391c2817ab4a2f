"""Lumen Beauty (docs/product.md): the brain must find every planted event of the demo story."""

from __future__ import annotations


def test_c12_fatigue_and_pause_in_top3(lumen_state):
    fat = {f["creative_id"]: f for f in lumen_state["oracle"]["fatigue"]}
    assert "C12" in fat
    c12 = fat["C12"]
    assert c12["prob_7d"] >= 0.8
    assert c12["recommendation"] == "pause_within_72h"
    assert "frequency_high" in c12["signals"]
    top3 = lumen_state["curiosity"]["actions"][:3]
    pauses = [a for a in top3 if a["type"] == "pause_creative"]
    assert any(t["creative_id"] == "C12" for a in pauses for t in a["targets"])
    # nothing else on the brand is tiring
    assert [f["creative_id"] for f in fat.values() if f["prob_7d"] >= 0.6] == ["C12"]


def test_tiktok_roi_decay(lumen, lumen_state):
    truth = lumen.truth["roi_decay"]
    decay = {d["platform"]: d for d in lumen_state["oracle"]["roi_decay"]}
    tt = decay["tiktok"]
    assert tt["flagged"] and tt["severity"] in ("high", "medium")
    assert abs(tt["decay"] - truth["decay"]) <= 0.05
    assert tt["trend_direction"] == "down"
    assert not decay["meta"]["flagged"] and not decay["google_ads"]["flagged"]


def test_ltv_drift(lumen, lumen_state):
    drift = lumen_state["oracle"]["ltv_drift"]
    assert drift["flagged"] and drift["severity"] in ("medium", "high")
    assert abs(drift["drift"] - lumen.truth["ltv_drift"]["drift"]) <= 0.03
    assert drift["recent_cohorts"] == lumen.truth["ltv_drift"]["recent_cohorts"]
    assert drift["historical_cohorts"] == lumen.truth["ltv_drift"]["historical_cohorts"]


def test_tracking_gap_anomaly(lumen, lumen_state):
    planted = lumen.truth["anomalies"][0]
    found = [a for a in lumen_state["oracle"]["anomalies"] if a["date"] == planted["date"]]
    assert len(found) == 1
    a = found[0]
    assert a["scope"] == "org"
    assert planted["series"] in [s["series"] for s in a["series_flagged"]]
    assert "tracking_gap" in [h["code"] for h in a["cause_hints"]]
    assert a["severity"] == "high"
    # and nothing else was flagged on the brand
    assert len(lumen_state["oracle"]["anomalies"]) == 1


def test_risk_and_actions(lumen_state):
    assert lumen_state["oracle"]["risk"]["level"] in ("YELLOW", "RED")
    actions = lumen_state["curiosity"]["actions"]
    shifts = [a for a in actions if a["type"] == "shift_budget"]
    assert shifts, "expected a budget shift"
    roles = {t["role"]: t["platform"] for t in shifts[0]["targets"]}
    assert roles == {"from": "tiktok", "to": "meta"}
    assert shifts[0]["amounts"]["change"] < 0
    assert abs(shifts[0]["amounts"]["change_pct"]) <= 0.2 + 1e-9
    assert any(a["type"] == "retention" for a in actions)


def test_actions_cite_existing_findings(lumen_state):
    ids = set()

    def collect(obj):
        if isinstance(obj, dict):
            if isinstance(obj.get("id"), str):
                ids.add(obj["id"])
            for v in obj.values():
                collect(v)
        elif isinstance(obj, list):
            for v in obj:
                collect(v)

    collect(lumen_state["memory"])
    collect(lumen_state["oracle"])
    for a in lumen_state["curiosity"]["actions"]:
        assert a["evidence"], a["type"]
        assert set(a["evidence"]) <= ids, (a["type"], set(a["evidence"]) - ids)
        assert set(a["microcopy"]) == {"cmo", "vp_growth", "director"}
        assert all(len(v) > 20 for v in a["microcopy"].values())


def test_microcopy_speaks_each_persona(lumen_state):
    pause = next(a for a in lumen_state["curiosity"]["actions"] if a["type"] == "pause_creative")
    assert "Pause now" in pause["microcopy"]["director"]
    assert "C12" in pause["microcopy"]["director"]
    assert "$" in pause["microcopy"]["cmo"]
    assert "%" in pause["microcopy"]["vp_growth"]


def test_memory_story(lumen_state):
    t = lumen_state["memory"]["totals"]
    plats = {p["platform"]: p for p in lumen_state["memory"]["platforms"]}
    be = t["breakeven_roas"]
    for p in plats.values():  # status follows the next dollar against breakeven (issue 15)
        m = p["response_curve"]["marginal_roas_calibrated"]
        want = "winner" if m >= be * 1.2 else "loser" if m < be else "neutral"
        assert (p["status"], p["status_basis"]) == (want, "marginal"), p["platform"]
    assert 3.2 <= plats["meta"]["roas"] <= 4.0
    assert 3000 <= plats["meta"]["spend"] / 30 <= 5000
    assert 1500 <= plats["google_ads"]["spend"] / 30 <= 2500
    assert 1400 <= plats["tiktok"]["spend"] / 30 <= 2300
    assert t["over_reporting"] > 1.0  # platforms claim more than the store sold
    assert t["mer"] == round(t["store_revenue"] / t["spend"], 4)
    assert abs(t["ltv_roas"] - t["mer"] * t["ltv_factor"]) < 1e-3
    assert len(lumen_state["memory"]["daily"]) == 30
    c12 = next(c for c in lumen_state["memory"]["creatives"] if c["creative_id"] == "C12")
    assert len(c12["sparkline"]["roas"]) == 14
