"""CURIOSITY — what to do tomorrow: ranked actions with their dollar impact.

One unit everywhere: USD of gross profit per week = revenue change x gross_margin -
spend change, over 7 days. Each action carries the ``inputs`` its impact was computed
from, so the number can be re-derived (and tested) from the state alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from brain import thresholds as T
from brain._util import div, money, ratio
from brain.memory import marginal_rel_se
from brain.narrative import currency_symbol, text_currency
from brain.prep import Prepared

LABELS = {"meta": "Meta", "google_ads": "Google Ads", "tiktok": "TikTok"}


def label(platform: str | None) -> str:
    """Human name of a platform key."""
    if platform is None:
        return "the store"
    return LABELS.get(platform, platform.replace("_", " ").title())


def action_id(kind: str, target_ids: list[str]) -> str:
    """Stable id: a hash of the type and the targets."""
    raw = kind + "|" + "|".join(sorted(target_ids))
    return "act_" + hashlib.sha256(raw.encode()).hexdigest()[:12]


def _usd(x: float | None, cents: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    sign, sym = ("-" if x < 0 else ""), currency_symbol()
    return f"{sign}{sym}{abs(x):,.2f}" if cents else f"{sign}{sym}{abs(x):,.0f}"


def _num1(x: float | None) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.1f}"


_MONEY_SERIES = {"spend", "store_revenue", "platform_revenue", "cpa"}


def _fmt_val(a: dict, key: str) -> str:
    """An anomaly's expected/actual value in words: dollars for money, else plain."""
    v = a.get(key)
    if v is None:
        return "n/a"
    if a["series"] in _MONEY_SERIES:
        return _usd(v, cents=a["series"] == "cpa")
    if a["series"] in ("orders", "conversions", "clicks"):
        return f"{v:,.0f}"
    return f"{v:.4f}" if a["series"] == "ctr" else f"{v:.2f}"


def _num2(x: float | None) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2f}"


def _pct(x: float | None, signed: bool = True) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x * 100:+.0f}%" if signed else f"{x * 100:.0f}%"


def _band(impact: float, confidence: float) -> dict:
    half = T.BAND_MIN + T.BAND_SCALE * (1.0 - max(0.0, min(1.0, confidence)))
    lo, hi = impact * (1.0 - half), impact * (1.0 + half)
    return {"low": money(min(lo, hi)), "high": money(max(lo, hi))}


def _action(
    kind: str,
    title: str,
    targets: list[dict],
    amounts: dict,
    impact: float,
    band: dict,
    confidence: float,
    urgency: str,
    severity: str,
    rationale: str,
    evidence: list[str],
    microcopy: dict,
    inputs: dict,
) -> dict:
    return {
        "id": action_id(kind, [t["id"] for t in targets]),
        "type": kind,
        "title": title,
        "targets": targets,
        "amounts": amounts,
        "impact_usd_per_week": money(impact),
        "impact_band": band,
        "confidence": ratio(confidence),
        "urgency": urgency,
        "severity": severity,
        "score": 0.0,
        "rationale": rationale,
        "evidence": evidence,
        "microcopy": microcopy,
        "inputs": inputs,
    }


def _recent_daily(prep: Prepared, arr: np.ndarray) -> np.ndarray:
    L = prep.window
    return arr[..., L - T.RECENT_DAYS : L].sum(axis=-1) / T.RECENT_DAYS


# --------------------------------------------------------------------------- shift
def _curve(alpha: float, s0: float, r0: float, s: np.ndarray | float) -> np.ndarray:
    return r0 * (np.asarray(s, dtype=float) / s0) ** alpha


def curve_gate(prep: Prepared, rc: dict) -> str | None:
    """Why a curve-based action is not allowed on this platform (None: it is)."""
    hist = prep.window - (prep.ad_first if prep.ad_first is not None else prep.window)
    if hist < T.ACTION_MIN_DAYS:
        return (
            f"{hist} days of ad history; budget actions need {T.ACTION_MIN_DAYS} "
            f"({T.ACTION_MIN_DAYS - hist} more days)"
        )
    if rc["status"] != "ok":
        return f"{rc['days']} usable days with spend; a response curve needs {T.RESPONSE_MIN_DAYS}"
    if (rc.get("spend_variation") or 0.0) < T.ACTION_MIN_SPEND_VARIATION:
        return (
            f"daily spend barely varied (sd {100 * (rc.get('spend_variation') or 0):.0f}%); "
            "a budget test of +-20-30% for a week would show the curve"
        )
    if rc.get("marginal_roas_calibrated") is None:
        return "no incremental calibration yet (see memory.incremental)"
    if (rc["confidence"] or 0.0) < T.ACTION_MIN_CONFIDENCE:
        return (
            f"curve confidence {100 * (rc['confidence'] or 0):.0f}% is below "
            f"{100 * T.ACTION_MIN_CONFIDENCE:.0f}%; more days with varied spend would raise it"
        )
    return None


def _trim_alternative(
    src: str, dst: str, delta: float, trim_impact: float, md_after: float, be: float
) -> dict:
    """The cheaper alternative when both platforms are below breakeven: cut the source."""
    return {
        "title": f"Or cut {label(src)} by {_usd(delta)}/day",
        "impact_usd_per_week": money(trim_impact),
        "reason": (
            f"{label(dst)}'s next dollar ({md_after:.2f} after the move) is also below "
            f"breakeven ({be:.2f}): if the budget need not be spent, cutting {label(src)} "
            f"by {_usd(delta)}/day instead saves about {_usd(trim_impact)} a week."
        ),
    }


def _shift_pair(prep: Prepared, memory: dict) -> tuple[tuple, tuple] | None:
    """The platforms with the lowest and highest marginal ROAS, if their gap beats the noise."""
    plats = memory["platforms"]
    cands = []
    for i, p in enumerate(plats):
        rc = p["response_curve"]
        if curve_gate(prep, rc) is not None:
            continue
        s0 = float(_recent_daily(prep, prep.plat["spend"][i]))
        if s0 <= 0:
            continue
        cands.append((rc["marginal_roas_calibrated"], p["platform"], i, rc, s0))
    if len(cands) < 2:
        return None
    cands.sort(key=lambda c: (c[0], c[1]))
    lo, hi = cands[0], cands[-1]
    gap_se = float(np.hypot(lo[0] * marginal_rel_se(lo[3]), hi[0] * marginal_rel_se(hi[3])))
    if hi[0] - lo[0] < max(T.SHIFT_MIN_GAP, T.SHIFT_GAP_SE * gap_se):
        return None
    return lo, hi


def _shift_band(
    memory: dict, src: str, dst: str, rc_s: dict, rc_d: dict, gain: Callable, gm: float
) -> tuple[float, float]:
    """Honest band: the incremental factors' and elasticities' errors, one sd each way."""
    a_s, a_d = rc_s["alpha"], rc_d["alpha"]
    se_s, se_d = rc_s["alpha_se"] or 0.0, rc_d["alpha_se"] or 0.0
    rf_s = _factor_rel_se(memory, src)
    rf_d = _factor_rel_se(memory, dst)
    clamp = lambda a: float(np.clip(a, T.ALPHA_MIN, T.ALPHA_MAX))  # noqa: E731
    low = 7.0 * gm * gain(clamp(a_d - se_d), clamp(a_s + se_s), 1.0 - rf_d, 1.0 + rf_s)
    high = 7.0 * gm * gain(clamp(a_d + se_d), clamp(a_s - se_s), 1.0 + rf_d, 1.0 - rf_s)
    return low, high


def _shift(
    prep: Prepared, memory: dict, oracle: dict, cal: float, gm: float, gated: list[dict]
) -> list[dict]:
    decay = {d["platform"]: d for d in oracle["roi_decay"]}
    pair = _shift_pair(prep, memory)
    if pair is None:
        return []
    lo, hi = pair
    _, src, _, rc_s, s_src = lo
    _, dst, _, rc_d, s_dst = hi
    a_s, a_d = rc_s["alpha"], rc_d["alpha"]
    f_s, f_d = rc_s["incremental_factor"], rc_d["incremental_factor"]
    r_src = rc_s["roas_now"] * s_src * f_s  # incremental revenue per day at current spend
    r_dst = rc_d["roas_now"] * s_dst * f_d
    cap = T.SHIFT_MAX_SOURCE_SHARE * s_src
    grid = np.linspace(0.0, cap, 401)
    m_src = a_s * _curve(a_s, s_src, r_src, s_src - grid) / np.maximum(s_src - grid, 1e-9)
    m_dst = a_d * _curve(a_d, s_dst, r_dst, s_dst + grid) / (s_dst + grid)
    cross = np.flatnonzero(m_dst - m_src <= 0)
    delta = float(grid[cross[0]]) if len(cross) else cap
    delta = float(np.floor(delta))  # whole dollars a day
    if delta <= 0:
        return []

    def gain(ad: float, as_: float, fd: float = 1.0, fs: float = 1.0) -> float:
        up = _curve(ad, s_dst, r_dst * fd, s_dst + delta) - r_dst * fd
        down = r_src * fs - _curve(as_, s_src, r_src * fs, s_src - delta)
        return float(up - down)

    d_rev = gain(a_d, a_s)
    impact = 7.0 * gm * d_rev
    low, high = _shift_band(memory, src, dst, rc_s, rc_d, gain, gm)
    if min(low, high) <= 0:
        # evidence gate: the gain is not yet distinguishable from zero (1 sd band)
        gated.append(
            {
                "platform": f"{src}->{dst}",
                "reason": (
                    f"moving budget from {label(src)} to {label(dst)} would gain between "
                    f"{_usd(min(low, high))} and {_usd(max(low, high))} a week: not yet "
                    "distinguishable from zero; more days with varied spend would settle it"
                ),
            }
        )
        return []
    conf = float(min(rc_s["confidence"], rc_d["confidence"]))
    dec = decay.get(src, {})
    urgency = dec.get("severity") or "low"
    evidence = [f"platform:{src}", f"platform:{dst}", rc_s["id"], rc_d["id"]]
    if dec.get("flagged"):
        evidence.append(dec["id"])
    be = 1.0 / gm
    ms, md = rc_s["marginal_roas_calibrated"], rc_d["marginal_roas_calibrated"]
    targets = [
        {
            "kind": "platform",
            "role": "from",
            "id": f"platform:{src}",
            "name": label(src),
            "platform": src,
        },
        {
            "kind": "platform",
            "role": "to",
            "id": f"platform:{dst}",
            "name": label(dst),
            "platform": dst,
        },
    ]
    rationale = (
        f"Incremental marginal ROAS (ad-driven store revenue / spend of the next dollar) "
        f"is {ms:.2f} on "
        f"{label(src)} "
        f"and {md:.2f} on {label(dst)} (breakeven {be:.2f}). Moving {_usd(delta)}/day "
        f"({delta / s_src * 100:.0f}% of {label(src)}'s {_usd(s_src)}/day, capped at "
        f"{T.SHIFT_MAX_SOURCE_SHARE * 100:.0f}%) adds about {_usd(d_rev)}/day of incremental "
        "store revenue."
    )
    # both below breakeven: the move still beats leaving the money where it is, but
    # cutting the source outright saves more -- say so instead of implying Meta "wins"
    md_after = float(a_d * _curve(a_d, s_dst, r_dst, s_dst + delta) / (s_dst + delta))
    trim = None
    if md_after < be:
        lost = r_src - float(_curve(a_s, s_src, r_src, s_src - delta))
        trim = _trim_alternative(src, dst, delta, 7.0 * (delta - gm * lost), md_after, be)
        rationale += " " + trim["reason"]
    micro = {
        "cmo": (
            f"Move about {_usd(delta)} a day from {label(src)} to {label(dst)}: same total budget, "
            f"about {_usd(impact)} more gross profit a week."
            + (
                f" Both are below breakeven at the margin; cutting {label(src)} instead "
                f"saves about {_usd(trim['impact_usd_per_week'])} a week."
                if trim
                else ""
            )
        ),
        "vp_growth": (
            f"Incremental marginal ROAS {ms:.2f} ({label(src)}) vs {md:.2f} ({label(dst)}), "
            "breakeven "
            f"{be:.2f}; "
            f"confidence {conf * 100:.0f}%; +{_usd(impact)}/week (range {_usd(low)} to "
            f"{_usd(high)})."
        ),
        "director": (
            f"Shift {_usd(delta)}/day now: {label(src)} {_usd(s_src)} -> "
            f"{_usd(s_src - delta)}/day, "
            f"{label(dst)} {_usd(s_dst)} -> {_usd(s_dst + delta)}/day."
        ),
    }
    action = _action(
        "shift_budget",
        f"Shift {_usd(delta)}/day from {label(src)} to {label(dst)}",
        targets,
        {
            "current": money(s_src),
            "recommended": money(s_src - delta),
            "change": money(-delta),
            "change_pct": ratio(-delta / s_src),
            "destination_current": money(s_dst),
            "destination_recommended": money(s_dst + delta),
            "unit": "USD/day",
        },
        impact,
        {"low": money(min(low, high)), "high": money(max(low, high))},
        conf,
        urgency,
        urgency,
        rationale,
        evidence,
        micro,
        {
            "gross_margin": ratio(gm),
            "revenue_change_per_day": money(d_rev),
            "spend_change_per_day": 0.0,
            "formula": "7 x (gross_margin x revenue_change_per_day - spend_change_per_day)",
        },
    )
    if trim:
        action["alternative"] = trim
        for persona in ("vp_growth", "director"):
            micro[persona] += (
                f" Or cut {label(src)} only: about {_usd(trim['impact_usd_per_week'])}/week "
                "saved (both channels are below breakeven at the margin)."
            )
    return [action]


def _factor_rel_se(memory: dict, platform: str) -> float:
    f = (memory.get("incremental") or {}).get("factors", {}).get(platform) or {}
    if not f.get("factor"):
        return 0.0
    return float(min(0.9, (f.get("se") or 0.0) / f["factor"]))


# --------------------------------------------------------------------------- pause
def _pause(prep: Prepared, memory: dict, oracle: dict, cal: float, gm: float) -> list[dict]:
    out = []
    creative_ids = {c["id"] for c in memory["creatives"]}
    L = prep.window
    rec = slice(L - T.RECENT_DAYS, L)
    idx = {(prep.platforms[prep.cr_platform[i]], str(prep.cr_id[i])): i for i in range(prep.n_cr)}
    camp_sp = np.bincount(
        prep.cr_campaign, weights=prep.cube["spend"][:, rec].sum(1), minlength=len(prep.camp_id)
    )
    camp_rv = np.bincount(
        prep.cr_campaign, weights=prep.cube["revenue"][:, rec].sum(1), minlength=len(prep.camp_id)
    )
    plat_sp = prep.plat["spend"][:, rec].sum(1)
    plat_rv = prep.plat["revenue"][:, rec].sum(1)
    be = 1.0 / gm
    for f in oracle["fatigue"]:
        if f["prob_7d"] < T.FATIGUE_REFRESH:
            continue
        i = idx.get((f["platform"], f["creative_id"]))
        if i is None:
            continue
        s_i = float(prep.cube["spend"][i, rec].sum())
        r_i = float(prep.cube["revenue"][i, rec].sum())
        c = prep.cr_campaign[i]
        alt = float(div(camp_rv[c] - r_i, camp_sp[c] - s_i))
        alt_src = "campaign"
        if not np.isfinite(alt) or camp_sp[c] - s_i < 0.1 * s_i:
            p = prep.cr_platform[i]
            alt = float(div(plat_rv[p] - r_i, plat_sp[p] - s_i))
            alt_src = "platform"
        if not np.isfinite(alt):
            alt, alt_src = 0.0, "none"
        alt_cal = alt * cal
        roas_cal = float(f["roas_recent_calibrated"] or 0.0)
        pred = roas_cal * (1.0 - float(f["predicted_drop_7d"] or 0.0))
        weekly = 7.0 * float(f["daily_spend"] or 0.0)
        impact = max(0.0, gm * weekly * (alt_cal - pred))
        prob = float(f["prob_7d"])
        urgency = "high" if prob > T.FATIGUE_PAUSE else "medium"
        cid = f["creative_id"]
        dtb = f["days_to_breakeven"]
        payback = (
            "has already stopped paying back"
            if dtb == 0
            else f"will stop paying back in ~{dtb} days"
            if dtb is not None
            else "is losing efficiency fast"
        )
        evidence = [f["id"]]
        mid = f"creative:{f['platform']}:{cid}"
        if mid in creative_ids:
            evidence.append(mid)
        cvr = f["cvr_change"]
        # one ROAS for a creative everywhere: the calibrated one the brain judges by; the
        # platform-reported figures only as a labelled detail
        k = float(div(roas_cal, f["roas_recent"])) if f["roas_recent"] else float("nan")
        base_cal = float(f["roas_baseline"]) * k if f["roas_baseline"] is not None else None
        reported = f"platform-reported {_num2(f['roas_recent'])} vs {_num2(f['roas_baseline'])}"
        rationale = (
            f"Creative {cid} on {label(f['platform'])}: fatigue probability "
            f"{prob * 100:.0f}% within 7 days "
            f"(signals: {', '.join(f['signals']) or 'combined weak signals'}). ROAS "
            f"{roas_cal:.2f} in the last 7 days vs {_num2(base_cal)} before ({reported}); "
            f"expected {pred:.2f} next week vs {alt_cal:.2f} for the rest of its {alt_src}. "
            f"Moving its {_usd(weekly)}/week there protects {_usd(impact)}/week of gross profit."
        )
        micro = {
            "cmo": (
                f"Creative {cid} on {label(f['platform'])} is wearing out and {payback}; "
                f"pausing it "
                f"protects about {_usd(impact)} of profit a week."
            ),
            "vp_growth": (
                f"{cid}: CVR {_pct(cvr)}, frequency "
                f"{_num1(f['frequency'])}, "
                f"{prob * 100:.0f}% fatigue in 7 days ({(f['prob_14d'] or 0) * 100:.0f}% in 14); "
                f"ROAS {roas_cal:.2f} vs {_num2(base_cal)} ({reported})."
            ),
            "director": (
                f"Pause now: {cid} ({f['name']}, {f['campaign_name']}) - "
                f"{_usd(f['daily_spend'], True)}/day, "
                f"ROAS {roas_cal:.2f} vs breakeven {be:.2f}."
                if urgency == "high"
                else f"Refresh this week: {cid} ({f['name']}) - "
                f"{_usd(f['daily_spend'], True)}/day, "
                f"ROAS {roas_cal:.2f} vs breakeven {be:.2f}."
            ),
        }
        targets = [
            {
                "kind": "creative",
                "id": mid,
                "creative_id": cid,
                "name": f["name"],
                "platform": f["platform"],
                "campaign_id": f["campaign_id"],
            }
        ]
        daily = float(f["daily_spend"] or 0.0)
        out.append(
            _action(
                "pause_creative",
                f"Pause creative {cid} ({label(f['platform'])})",
                targets,
                {
                    "current": money(daily),
                    "recommended": 0.0,
                    "change": money(-daily),
                    "change_pct": -1.0 if daily > 0 else None,
                    "unit": "USD/day",
                },
                impact,
                _band(impact, prob),
                prob,
                urgency,
                f["severity"],
                rationale,
                evidence,
                micro,
                {
                    "gross_margin": ratio(gm),
                    "weekly_spend": money(weekly),
                    "alternative_roas_calibrated": ratio(alt_cal),
                    "predicted_roas_calibrated": ratio(pred),
                    "spend_change_per_week": 0.0,
                    "formula": "max(0, gross_margin x weekly_spend x (alternative - "
                    "predicted ROAS))",
                },
            )
        )
    return out


# --------------------------------------------------------------------------- scale
def _scale(prep: Prepared, memory: dict, oracle: dict, cal: float, gm: float) -> list[dict]:
    be = 1.0 / gm
    hurdle = be * T.SCALE_BREAKEVEN_MULT
    decaying = {d["platform"] for d in oracle["roi_decay"] if d["flagged"]}
    L = prep.window
    rec = slice(L - T.RECENT_DAYS, L)
    out = []
    curves = {p["platform"]: p["response_curve"] for p in memory["platforms"]}
    cands = []  # (kind, id, name, platform, s0 daily, roas_now, alpha, se, conf, evidence)
    for i, p in enumerate(memory["platforms"]):
        rc = p["response_curve"]
        if curve_gate(prep, rc) is not None or p["platform"] in decaying:
            continue
        s0 = float(_recent_daily(prep, prep.plat["spend"][i]))
        cands.append(
            ("platform", p["id"], label(p["platform"]), p["platform"], s0, rc["roas_now"], rc, 1.0)
        )
    n_camp = len(prep.camp_id)
    camp_sp = np.bincount(
        prep.cr_campaign, weights=prep.cube["spend"][:, rec].sum(1), minlength=n_camp
    )
    camp_rv = np.bincount(
        prep.cr_campaign, weights=prep.cube["revenue"][:, rec].sum(1), minlength=n_camp
    )
    for c in memory["campaigns"]:
        rc = curves.get(c["platform"])
        if rc is None or curve_gate(prep, rc) is not None or c["platform"] in decaying:
            continue
        hit = np.flatnonzero(
            (prep.camp_id == c["campaign_id"])
            & (np.array(prep.platforms, dtype=object)[prep.camp_platform] == c["platform"])
        )
        if not len(hit):
            continue
        k = int(hit[0])
        s0 = camp_sp[k] / T.RECENT_DAYS
        roas_now = float(div(camp_rv[k], camp_sp[k]))
        if not np.isfinite(roas_now):
            continue
        cands.append(("campaign", c["id"], c["name"], c["platform"], s0, roas_now, rc, 0.8))
    for kind, tid, name, plat, s0, roas_now, rc, conf_mult in cands:
        if s0 < T.SCALE_MIN_DAILY_SPEND or roas_now is None:
            continue
        alpha = rc["alpha"]
        cal = float(rc["incremental_factor"])
        marginal = alpha * roas_now * cal
        # the lower end of the band must clear the hurdle: scaling on a guess loses money
        if marginal * (1.0 - marginal_rel_se(rc)) <= hurdle:
            continue
        pct = T.SCALE_PCT_HIGH if marginal >= T.SCALE_STRONG_MULT * be else T.SCALE_PCT_LOW
        delta = float(np.floor(pct * s0))
        if delta <= 0:
            continue
        r0 = roas_now * s0 * cal
        d_rev = float(_curve(alpha, s0, r0, s0 + delta) - r0)
        impact = 7.0 * (gm * d_rev - delta)
        if impact <= 0:
            continue
        rel = marginal_rel_se(rc)
        band = {
            "low": money(7.0 * (gm * d_rev * (1.0 - rel) - delta)),
            "high": money(7.0 * (gm * d_rev * (1.0 + rel) - delta)),
        }
        conf = float(rc["confidence"]) * conf_mult
        micro = {
            "cmo": (
                f"{name} still earns more than it costs at the margin: adding "
                f"{pct * 100:.0f}% budget "
                f"should add about {_usd(impact)} of profit a week."
            ),
            "vp_growth": (
                f"Incremental marginal ROAS {marginal:.2f} vs hurdle {hurdle:.2f} (breakeven x "
                f"{T.SCALE_BREAKEVEN_MULT}); elasticity {alpha:.2f}; confidence {conf * 100:.0f}%."
            ),
            "director": (
                f"Raise {name} from {_usd(s0)}/day to {_usd(s0 + delta)}/day (+{pct * 100:.0f}%)."
            ),
        }
        evidence = [tid, rc["id"]]
        out.append(
            _action(
                "scale",
                f"Scale {name} +{pct * 100:.0f}%",
                [{"kind": kind, "id": tid, "name": name, "platform": plat}],
                {
                    "current": money(s0),
                    "recommended": money(s0 + delta),
                    "change": money(delta),
                    "change_pct": ratio(delta / s0),
                    "unit": "USD/day",
                },
                impact,
                band,
                conf,
                "low",
                "low",
                (
                    f"{name}: incremental marginal ROAS {marginal:.2f} (elasticity "
                    f"{alpha:.2f} x platform ROAS "
                    f"{roas_now:.2f} x incremental factor {cal:.2f}) is above {hurdle:.2f}; "
                    f"+{_usd(delta)}/day should add {_usd(d_rev)}/day of incremental store "
                    "revenue."
                ),
                evidence,
                micro,
                {
                    "gross_margin": ratio(gm),
                    "revenue_change_per_day": money(d_rev),
                    "spend_change_per_day": money(delta),
                    "formula": "7 x (gross_margin x revenue_change_per_day - spend_change_per_day)",
                },
            )
        )
    return out


# --------------------------------------------------------------------------- retention
def _retention(oracle: dict, gm: float) -> list[dict]:
    d = oracle["ltv_drift"]
    if d.get("severity") not in ("medium", "high"):
        return []
    gap = float(d["historical_ltv"]) - float(d["recent_ltv"])
    ncpw = float(d["new_customers_per_week"] or 0.0)
    impact = gm * ncpw * gap * T.RETENTION_RECOVERY_SHARE
    conf = 0.75 if not d.get("note") else 0.5
    sev = d["severity"]
    cohorts = d["recent_cohorts"]
    span = f"{cohorts[0]} to {cohorts[-1]}" if cohorts else "recent"
    micro = {
        "cmo": (
            f"New customers are worth less: 90-day value fell from {_usd(d['historical_ltv'])} to "
            f"{_usd(d['recent_ltv'])}. A retention push could win back about "
            f"{_usd(impact)} of profit a week."
        ),
        "vp_growth": (
            f"LTV drift {d['drift'] * 100:.1f}% (3 newest mature cohorts vs the 6 before), trend "
            f"{d['trend']}; confidence {conf * 100:.0f}%."
        ),
        "director": (
            f"Launch a post-purchase flow for the {span} cohorts: second-order offer at day 21-30, "
            f"replenishment reminders; target "
            f"{_usd(gap * T.RETENTION_RECOVERY_SHARE, True)} more per customer."
        ),
    }
    return [
        _action(
            "retention",
            "Win back customer value (LTV drift)",
            [{"kind": "cohorts", "id": "ltv_drift", "name": f"Cohorts {span}", "platform": None}],
            {
                "current": money(d["recent_ltv"]),
                "recommended": money(d["historical_ltv"]),
                "change": money(gap),
                "change_pct": ratio(gap / d["recent_ltv"]) if d["recent_ltv"] else None,
                "unit": "USD/customer (90-day LTV)",
            },
            impact,
            _band(impact, conf),
            conf,
            sev,
            sev,
            (
                f"90-day revenue per customer is {_usd(d['recent_ltv'], True)} for "
                f"cohorts {span} vs "
                f"{_usd(d['historical_ltv'], True)} for the 6 before (drift "
                f"{d['drift'] * 100:.1f}%). "
                f"Winning back {T.RETENTION_RECOVERY_SHARE * 100:.0f}% of the gap on "
                f"{ncpw:.0f} new customers a week is worth {_usd(impact)}/week of gross profit."
            ),
            ["ltv_drift", "memory:ltv"],
            micro,
            {
                "gross_margin": ratio(gm),
                "new_customers_per_week": ratio(ncpw),
                "ltv_gap": money(gap),
                "recovery_share": T.RETENTION_RECOVERY_SHARE,
                "spend_change_per_week": 0.0,
                "formula": "gross_margin x new_customers_per_week x ltv_gap x recovery_share",
            },
        )
    ]


# --------------------------------------------------------------------------- investigate
_SPEND_SERIES = {"spend"}


def _investigate(oracle: dict, gm: float) -> list[dict]:
    out = []
    for a in oracle["anomalies"]:
        if a["severity"] != "high":
            continue
        effect = float(a["dollar_effect"] or 0.0)
        spend_like = a["series"] in _SPEND_SERIES
        impact = effect if spend_like else gm * effect
        z = abs(float(a["z"] or 0.0))
        conf = float(np.clip(0.5 + 0.5 * (z - T.ANOMALY_Z) / 6.5, 0.5, 0.95))
        where = label(a["platform"]) if a["platform"] else "all channels"
        hint = a["cause_hints"][0]
        series = a["series"].replace("_", " ")
        change = div(
            float(a["actual"] or 0.0) - float(a["expected"] or 0.0), float(a["expected"] or 0.0)
        )
        micro = {
            "cmo": (
                f"{series.capitalize()} for {where} on {a['date']} was "
                f"{_pct(float(change))} vs normal; "
                f"likely cause: {hint['text']}. About {_usd(impact)} of profit is at stake."
            ),
            "vp_growth": (
                f"{a['series']} z {a['z']:+.1f} on {a['date']} (expected "
                f"{_fmt_val(a, 'expected')}, "
                f"actual {_fmt_val(a, 'actual')}); "
                f"{len(a['series_flagged'])} series flagged; confidence {conf * 100:.0f}%."
            ),
            "director": (
                f"Investigate now: {series} on {a['date']} ({where}) - "
                f"{hint['code'].replace('_', ' ')}; "
                f"check tracking, budgets and the sync log."
            ),
        }
        out.append(
            _action(
                "investigate",
                f"Investigate {series} {a['direction']} on {a['date']} ({where})",
                [
                    {
                        "kind": "anomaly",
                        "id": a["id"],
                        "name": f"{series} {a['date']}",
                        "platform": a["platform"],
                    }
                ],
                {
                    "current": a["actual"],
                    "recommended": a["expected"],
                    "change": money(float(a["expected"] or 0.0) - float(a["actual"] or 0.0)),
                    "change_pct": ratio(-float(change)) if np.isfinite(change) else None,
                    "unit": "series units",
                },
                impact,
                _band(impact, conf),
                conf,
                "high",
                "high",
                (
                    f"{a['series']} on {a['date']} ({where}): expected {_fmt_val(a, 'expected')}, "
                    f"actual {_fmt_val(a, 'actual')}, "
                    f"robust z {a['z']:+.1f}; dollar effect {_usd(effect)}. "
                    f"{hint['text'].capitalize()}."
                ),
                [a["id"]],
                micro,
                {
                    "gross_margin": ratio(gm),
                    "dollar_effect": money(effect),
                    "effect_kind": "spend" if spend_like else "revenue",
                    "formula": "dollar_effect (spend) or gross_margin x dollar_effect "
                    "(revenue), one occurrence",
                },
            )
        )
    return out


# --------------------------------------------------------------------------- ranking
def compute_curiosity(prep: Prepared, memory: dict, oracle: dict) -> dict:
    """Candidate actions of every type, scored and trimmed to the top 5 (<= 2 per type);
    their text in the org's currency."""
    with text_currency(prep.settings.currency):
        return _compute_curiosity(prep, memory, oracle)


def _compute_curiosity(prep: Prepared, memory: dict, oracle: dict) -> dict:
    gm = prep.settings.gross_margin
    cal = float(memory["totals"].get("calibration") or 1.0)
    gated: list[dict] = []
    cands = (
        _shift(prep, memory, oracle, cal, gm, gated)
        + _pause(prep, memory, oracle, cal, gm)
        + _scale(prep, memory, oracle, cal, gm)
        + _retention(oracle, gm)
        + _investigate(oracle, gm)
    )
    max_imp = max([a["impact_usd_per_week"] or 0.0 for a in cands] + [0.0])
    lv = T.LEVEL_VALUE
    for a in cands:
        imp = max(0.0, a["impact_usd_per_week"] or 0.0)
        score = (
            T.SCORE_W_IMPACT * (imp / max_imp if max_imp > 0 else 0.0)
            + T.SCORE_W_URGENCY * lv.get(a["urgency"], 0.2)
            + T.SCORE_W_CONFIDENCE * (a["confidence"] or 0.0)
            + T.SCORE_W_SEVERITY * lv.get(a["severity"], 0.2)
        )
        a["score"] = ratio(score)
    cands.sort(key=lambda a: (-a["score"], a["id"]))
    chosen: list[dict] = []
    per_type: dict[str, int] = {}
    seen = set()
    for a in cands:
        if a["id"] in seen or per_type.get(a["type"], 0) >= T.MAX_PER_TYPE:
            continue
        chosen.append(a)
        seen.add(a["id"])
        per_type[a["type"]] = per_type.get(a["type"], 0) + 1
        if len(chosen) >= T.TOP_ACTIONS:
            break
    for rank, a in enumerate(chosen, 1):
        a["rank"] = rank
    total = round(sum(a["impact_usd_per_week"] or 0.0 for a in chosen), 2)
    for p in memory["platforms"]:
        why = curve_gate(prep, p["response_curve"])
        if why is not None:
            gated.append({"platform": p["platform"], "reason": why})
    return {
        "id": "curiosity",
        "gated": gated,
        "actions": chosen,
        "candidates": len(cands),
        "total_opportunity_usd_per_week": money(total),
        "unit": "USD of gross profit per week",
    }
