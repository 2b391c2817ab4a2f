"""Realistic scenario families with exact ground truth (issue 8), independent of the brain.

Each brand lives in a world that behaves like a real one, not like the brain's model:

* **Incremental response.** Each platform's spend buys *incremental* new-customer store
  revenue ``I_p(s) = k_p s^alpha_p`` (concave, diminishing returns). The true
  incremental marginal ROAS at spend ``s`` is ``alpha_p I_p(s) / s`` — known exactly.
* **Over-reporting.** Platforms report ``over_p x I_p(s)`` (over_p 1.2-2.2, different per
  platform) plus multiplicative attribution noise.
* **Organic and returning customers.** New customers also arrive without ads (an organic
  baseline) and returning customers buy at a steady rate; neither responds to today's
  spend, so crediting them to ads inflates every impact.
* **Weekly seasonality** on store demand (and a little on budgets), daily budget pacing
  noise, order counts drawn from Poisson and order values from a lognormal.

Families (``FAMILIES``): ``sale`` (a profitable 3-4 day sale: spend and store revenue
both about x1.9, MER held), ``pause`` (a platform paused 3 days, creatives restarted),
``budget`` (budget steps of +-30-50%), ``fatigue`` (CTR -25-30% and CVR -20% over 14
days on one creative), ``decay`` (a platform's ROAS slides 35-45% over 14 days),
``slide`` (a 20-25% slide: at the limit of what daily data shows), ``short`` (21-35 days
of ad history), ``small`` (creatives with a handful of conversions, nothing planted).

Pure numpy/pandas, seeded, anchored to ``as_of``: a (family, seed) pair always gives the
same frames. Used by ``bench/brain_truth.py`` and ``tests/unit/brain/test_brain_scenarios.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from brain.synthetic import DEFAULT_AS_OF

FAMILIES = ("sale", "pause", "budget", "fatigue", "decay", "slide", "short", "small")
PLATFORMS = ("meta", "google_ads", "tiktok")
ORDER_DAYS = 120  # store history: longer than the ad history, as on a real shop
AD_DAYS = 90
GROSS_MARGIN = 0.65
FIRST_AOV = 72.0
REPEAT_AOV = 64.0


@dataclass
class Scenario:
    """Frames for the brain, the events a user would have recorded, and the truth."""

    family: str
    seed: int
    ad_daily: pd.DataFrame
    orders: pd.DataFrame
    truth: dict
    events: list[dict] = field(default_factory=list)
    world: dict = field(default_factory=dict)  # the functions behind the truth

    def true_gain_per_week(self, src: str, dst: str, delta: float) -> float:
        """Exact change in incremental gross profit per week of moving ``delta``/day."""
        w = self.world
        gm = w["gross_margin"]
        up = self._inc(dst, delta) - self._inc(dst, 0.0)
        down = self._inc(src, 0.0) - self._inc(src, -delta)
        return float(gm * (up - down))

    def true_scale_per_week(self, platform: str, delta: float) -> float:
        """Exact change in incremental gross profit per week of adding ``delta``/day."""
        gm = self.world["gross_margin"]
        d_rev = self._inc(platform, delta) - self._inc(platform, 0.0)
        return float(gm * d_rev - 7.0 * delta)

    def _inc(self, platform: str, delta: float) -> float:
        """Incremental revenue over the last 7 days at each day's spend + delta."""
        p = self.world["platforms"][platform]
        s = np.maximum(p["spend_7"] + delta, 0.0)
        return float((p["k_7"] * s ** p["alpha"]).sum())


def _tn(rng: np.random.Generator, size: int | tuple[int, ...], clip: float = 2.5) -> np.ndarray:
    return np.clip(rng.standard_normal(size), -clip, clip)


def generate_scenario(family: str, seed: int, as_of: date | None = None) -> Scenario:
    """One brand of a scenario family. See the module docstring for the world."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, not {family!r}")
    as_of = as_of or DEFAULT_AS_OF
    rng = np.random.default_rng([FAMILIES.index(family), seed])
    n_ad = int(rng.integers(21, 36)) if family == "short" else AD_DAYS
    n = ORDER_DAYS
    dates = pd.date_range(end=pd.Timestamp(as_of), periods=n, freq="D")
    off = np.arange(-n + 1, 1)  # offset from as_of (0 = as_of)
    wd = dates.day_of_week.to_numpy()
    ad_on = off > -n_ad
    truth: dict = {"family": family, "seed": int(seed), "ad_days": n_ad, "events": []}
    events: list[dict] = []
    dem_wd, sp_wd = _weekly_patterns(rng)
    plats = _platform_worlds(rng, n)
    inc_at_base = sum(p["k"] * p["s0"] ** p["alpha"] for p in plats.values())
    organic = inc_at_base * rng.uniform(0.3, 0.9)  # organic new-customer revenue/day
    returning = (inc_at_base + organic) * rng.uniform(0.3, 0.8)
    demand = np.ones(n)  # store-wide demand multiplier (a sale lifts everything)
    spend_mult = np.ones(n)
    present = {k: ad_on.copy() for k in PLATFORMS}

    # ---- family-specific plants
    if family == "budget":
        _plant_budget_steps(rng, plats, off, truth)
    if family == "sale":
        _plant_sale(rng, off, as_of, spend_mult, demand, truth, events)
    if family == "pause":
        _plant_pause(rng, off, as_of, present, truth)
    if family in ("decay", "slide"):
        _plant_decay(rng, family, plats, off, truth)

    _simulate_platforms(rng, plats, present, (sp_wd[wd], spend_mult), (dem_wd[wd], demand), off)
    truth["platforms"] = _platform_truth(plats, off)
    truth["marginal_roas"] = {k: v["marginal_roas"] for k, v in truth["platforms"].items()}

    ad = _creatives(rng, family, plats, dates, off, truth)
    orders = _orders(rng, plats, organic * dem_wd[wd] * demand, returning * dem_wd[wd] * demand)
    orders["placed_on"] = dates.values[orders.pop("day").to_numpy()]
    world = {
        "gross_margin": GROSS_MARGIN,
        "platforms": {
            k: {
                "alpha": p["alpha"],
                "spend_7": p["spend_7"],
                "k_7": p["k_7"],
                "incremental_daily": p["inc"],  # for bench/marginal_limit.py's oracle
            }
            for k, p in plats.items()
        },
        "dates": dates,
    }
    return Scenario(family, int(seed), ad, orders, truth, events, world)


def _weekly_patterns(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Weekly seasonality of demand (Monday first), and of budgets (small)."""
    amp = rng.uniform(0.06, 0.16)
    phase = rng.uniform(0, 2 * np.pi)
    dem_wd = 1.0 + amp * np.sin(2 * np.pi * np.arange(7) / 7 + phase)
    dem_wd /= dem_wd.mean()
    sp_wd = 1.0 + 0.03 * np.sin(2 * np.pi * np.arange(7) / 7 + phase + 1.0)
    sp_wd /= sp_wd.mean()
    return dem_wd, sp_wd


def _platform_worlds(rng: np.random.Generator, n: int) -> dict[str, dict]:
    """Per platform: base budget, response curve and over-reporting."""
    plats = {}
    base_spend = {"meta": (2500, 6000), "google_ads": (1200, 3000), "tiktok": (900, 2500)}
    for key in PLATFORMS:
        s0 = rng.uniform(*base_spend[key])
        alpha = rng.uniform(0.35, 0.75)
        inc_roas = rng.uniform(0.9, 2.4)  # average incremental ROAS at s0
        plats[key] = {
            "s0": s0,
            "alpha": alpha,
            "k": inc_roas * s0 ** (1.0 - alpha),
            "over": rng.uniform(1.2, 2.2),
            "budget": np.full(n, s0),
            "mult": np.ones(n),  # efficiency multiplier (decay)
        }
    return plats


def _plant_budget_steps(
    rng: np.random.Generator, plats: dict, off: np.ndarray, truth: dict
) -> None:
    """Three budget steps of +-30-50% per platform."""
    for key in PLATFORMS:
        lvl = 1.0
        for start in sorted(rng.choice(np.arange(-80, -3), size=3, replace=False)):
            step = rng.uniform(0.3, 0.5) * rng.choice([-1.0, 1.0])
            lvl = float(np.clip(lvl * (1.0 + step), 0.45, 2.2))
            plats[key]["budget"][off >= start] = plats[key]["s0"] * lvl
    truth["budget_steps"] = True


def _plant_sale(
    rng: np.random.Generator,
    off: np.ndarray,
    as_of: date,
    spend_mult: np.ndarray,
    demand: np.ndarray,
    truth: dict,
    events: list[dict],
) -> None:
    """A recorded 3-4 day sale lifting spend and store demand alike."""
    length = int(rng.integers(3, 5))
    start = int(rng.integers(-12, -3 - length + 2))
    on = (off >= start) & (off < start + length)
    lift = rng.uniform(1.8, 2.0)
    spend_mult[on] = lift
    demand[on] = lift
    ev = {
        "kind": "sale",
        "start": (as_of + timedelta(days=start)).isoformat(),
        "end": (as_of + timedelta(days=start + length - 1)).isoformat(),
        "platform": None,
    }
    truth["events"].append(ev)
    events.append({**ev, "note": "planned sale", "source": "manual"})


def _plant_pause(
    rng: np.random.Generator, off: np.ndarray, as_of: date, present: dict, truth: dict
) -> None:
    """One platform paused for 3 days (not recorded as an event)."""
    paused = str(rng.choice(PLATFORMS))
    start = int(rng.integers(-12, -4))
    on = (off >= start) & (off < start + 3)
    present[paused] &= ~on
    truth["events"].append(
        {
            "kind": "pause",
            "start": (as_of + timedelta(days=start)).isoformat(),
            "end": (as_of + timedelta(days=start + 2)).isoformat(),
            "platform": paused,
        }
    )


def _plant_decay(
    rng: np.random.Generator, family: str, plats: dict, off: np.ndarray, truth: dict
) -> None:
    """One platform's efficiency slides over the last 14 days (35-45%, or 20-25% for slide)."""
    key = str(rng.choice(PLATFORMS))
    size = rng.uniform(0.35, 0.45) if family == "decay" else rng.uniform(0.20, 0.25)
    ramp = np.clip((off + 14) / 14.0, 0.0, 1.0)
    plats[key]["mult"] = 1.0 - size * ramp
    truth["decay"] = {"platform": key, "size": round(float(size), 4)}


def _simulate_platforms(
    rng: np.random.Generator,
    plats: dict,
    present: dict,
    spend_by_day: tuple[np.ndarray, np.ndarray],
    demand_by_day: tuple[np.ndarray, np.ndarray],
    off: np.ndarray,
) -> None:
    """Daily platform spend, incremental and reported revenue, and the last week's true
    marginal ROAS, in place. ``*_by_day``: (weekday pattern, plant multiplier) per day."""
    n = len(off)
    sp_day, spend_mult = spend_by_day
    dem_day, demand = demand_by_day
    for key, p in plats.items():
        noise = np.exp(0.14 * _tn(rng, n))
        s = p["budget"] * sp_day * spend_mult * noise
        s = np.where(present[key], s, 0.0)
        k_t = p["k"] * p["mult"] * dem_day * demand ** (1.0 - p["alpha"])
        inc = k_t * s ** p["alpha"]
        p["spend"], p["inc"], p["k_t"] = s, inc, k_t
        p["reported"] = p["over"] * inc * np.exp(0.08 * _tn(rng, n))
        last7 = off > -7
        p["spend_7"], p["k_7"] = s[last7], k_t[last7]
        m_true = p["alpha"] * inc[last7].sum() / max(s[last7].sum(), 1e-9)
        p["marginal_true"] = float(m_true)


def _platform_truth(plats: dict, off: np.ndarray) -> dict[str, dict]:
    """The true elasticity, over-reporting, marginal and incremental ROAS per platform."""
    return {
        k: {
            "alpha": round(p["alpha"], 4),
            "over_reporting": round(p["over"], 4),
            "marginal_roas": round(p["marginal_true"], 4),
            "incremental_roas": round(
                float(p["inc"][off > -7].sum() / max(p["spend"][off > -7].sum(), 1e-9)), 4
            ),
        }
        for k, p in plats.items()
    }


def _creatives(
    rng: np.random.Generator,
    family: str,
    plats: dict,
    dates: pd.DatetimeIndex,
    off: np.ndarray,
    truth: dict,
) -> pd.DataFrame:
    """Creative-level rows: spend shares, clicks and conversions split from platform totals."""
    n = len(dates)
    frames = []
    cpm0 = {"meta": 14.0, "google_ads": 28.0, "tiktok": 10.0}
    ctr0 = {"meta": 0.012, "google_ads": 0.035, "tiktok": 0.008}
    fat_key = str(rng.choice(("meta", "tiktok"))) if family == "fatigue" else None
    counter = 0
    for key, p in plats.items():
        n_camp = 3
        per = 4 if family != "small" else 6
        n_cr = n_camp * per
        weight = np.exp(0.5 * _tn(rng, n_cr))
        if family == "small":
            weight[-4:] = rng.uniform(0.01, 0.03, 4)  # tiny creatives: a few conversions a week
        ctr = ctr0[key] * np.exp(0.2 * _tn(rng, n_cr))
        cvr = np.exp(0.2 * _tn(rng, n_cr))
        ctr_t = np.repeat(ctr[:, None], n, axis=1)
        cvr_t = np.repeat(cvr[:, None], n, axis=1)
        alive = np.ones((n_cr, n), bool)
        if family == "pause":  # creative restarts: two creatives off for 4-8 days, then back
            for i in rng.choice(n_cr, size=2, replace=False):
                a = int(rng.integers(-40, -10))
                alive[i, (off >= a) & (off < a + int(rng.integers(4, 9)))] = False
        if key == fat_key:
            i = int(np.argmax(weight))
            weight[i] *= 1.5
            ramp = np.clip((off + 14) / 14.0, 0.0, 1.0)
            d_ctr, d_cvr = rng.uniform(0.25, 0.30), 0.20
            ctr_t[i] *= 1.0 - d_ctr * ramp
            cvr_t[i] *= 1.0 - d_cvr * ramp
            truth["fatigue"] = {
                "creative_id": f"K{counter + i + 1}",
                "platform": key,
                "ctr_drop": round(float(d_ctr), 4),
                "cvr_drop": d_cvr,
            }
        share = weight[:, None] * np.exp(0.1 * _tn(rng, (n_cr, n))) * alive
        share = share / np.maximum(share.sum(axis=0, keepdims=True), 1e-12)
        spend = share * p["spend"][None, :]
        cpm = cpm0[key] * np.exp(0.1 * _tn(rng, n_cr))
        imps = np.round(spend / cpm[:, None] * 1000.0)
        clicks = rng.poisson(imps * ctr_t).astype(float)
        # conversions: the platform's reported revenue / AOV, split by clicks x CVR at the
        # creatives' *unfatigued* CVR, so a tiring creative loses conversions (and the
        # platform with it) instead of pushing its share onto the others
        aov = 70.0 * np.exp(0.1 * rng.standard_normal())
        lam = p["reported"] / aov
        w0 = imps * ctr[:, None] * cvr[:, None]  # expected, unfatigued
        col = w0.sum(axis=0)
        rate = np.where(col > 0, lam / np.where(col > 0, col, 1.0), 0.0)
        conv = rng.poisson(clicks * cvr_t * rate[None, :]).astype(float)
        rev = conv * aov * np.exp(0.15 * _tn(rng, conv.shape))
        freq = np.clip(
            rng.uniform(1.2, 2.4, n_cr)[:, None] * np.exp(0.03 * _tn(rng, (n_cr, n))), 1, None
        )
        rows = (spend > 0) & alive
        ci, di = np.nonzero(rows)
        camp = ci // per
        frames.append(
            pd.DataFrame(
                {
                    "date": dates.values[di],
                    "platform": key,
                    "campaign_id": [f"{key[:2].upper()}-{100 + c}" for c in camp],
                    "campaign_name": [f"{key} campaign {c + 1}" for c in camp],
                    "creative_id": [f"K{counter + c + 1}" for c in ci],
                    "creative_name": [f"{key} creative {c + 1}" for c in ci],
                    "spend": np.round(spend[ci, di], 2),
                    "impressions": imps[ci, di].astype(np.int64),
                    "clicks": clicks[ci, di].astype(np.int64),
                    "conversions": conv[ci, di].astype(np.int64),
                    "platform_revenue": np.round(rev[ci, di], 2),
                    "frequency": np.round(freq[ci, di], 3),
                }
            )
        )
        counter += n_cr
    ad = pd.concat(frames, ignore_index=True)
    return ad.sort_values(["date", "platform", "creative_id"], kind="stable").reset_index(drop=True)


def _orders(
    rng: np.random.Generator, plats: dict, organic: np.ndarray, returning: np.ndarray
) -> pd.DataFrame:
    """Order rows: new customers (ads + organic) and returning customers, Poisson a day."""
    inc = sum(p["inc"] for p in plats.values())
    n_new = rng.poisson((inc + organic) / FIRST_AOV)
    n_ret = rng.poisson(returning / REPEAT_AOV)
    n = len(n_new)
    d_new = np.repeat(np.arange(n), n_new)
    d_ret = np.repeat(np.arange(n), n_ret)
    v_new = FIRST_AOV * np.exp(0.35 * _tn(rng, d_new.size) - 0.06125)
    v_ret = REPEAT_AOV * np.exp(0.35 * _tn(rng, d_ret.size) - 0.06125)
    new_ids = 10_000_000 + np.arange(d_new.size)
    ret_ids = rng.integers(1, 200_000, d_ret.size)
    day = np.concatenate([d_new, d_ret])
    order = np.argsort(day, kind="stable")
    return pd.DataFrame(
        {
            "order_id": 1 + np.arange(day.size),
            "day": day[order],
            "customer_id": np.concatenate([new_ids, ret_ids])[order],
            "revenue": np.round(np.concatenate([v_new, v_ret])[order], 2),
            "is_first_order": np.concatenate(
                [np.ones(d_new.size, bool), np.zeros(d_ret.size, bool)]
            )[order],
        }
    )


# --------------------------------------------------------------------------- scoring
ALARM_LEVELS = ("medium", "high")


def alarms_of(state: dict) -> list[dict]:
    """The findings that alarm a user: medium/high anomalies, fatigue >= 0.6, flagged decay
    and LTV drift. Low-severity notes (context) are not alarms."""
    o = state["oracle"]
    out = []
    for a in o["anomalies"]:
        if a["severity"] in ALARM_LEVELS:
            out.append(
                {"kind": "anomaly", "id": a["id"], "platform": a["platform"], "date": a["date"]}
            )
    for f in o["fatigue"]:
        if (f["prob_7d"] or 0) >= 0.6:
            out.append(
                {
                    "kind": "fatigue",
                    "id": f["id"],
                    "platform": f["platform"],
                    "creative_id": f["creative_id"],
                }
            )
    for d in o["roi_decay"]:
        if d["flagged"]:
            out.append({"kind": "decay", "id": d["id"], "platform": d["platform"]})
    if o["ltv_drift"].get("flagged") and o["ltv_drift"].get("severity") in ALARM_LEVELS:
        out.append({"kind": "ltv_drift", "id": "ltv_drift", "platform": None})
    return out


def _in_event(day: str | None, ev: dict) -> bool:
    return day is not None and ev["start"] <= day <= ev["end"]


def score(sc: Scenario, state: dict) -> dict:
    """Found / false alarms / risk / impact ratios of one brand against its truth."""
    t = sc.truth
    alarms = alarms_of(state)
    found: bool | None = None
    explained: list[dict] = []
    if sc.family == "fatigue":
        cid = t["fatigue"]["creative_id"]
        hit = [a for a in alarms if a["kind"] == "fatigue" and a.get("creative_id") == cid]
        found, explained = bool(hit), hit
    elif sc.family in ("decay", "slide"):
        key = t["decay"]["platform"]
        hit = [a for a in alarms if a["kind"] == "decay" and a["platform"] == key]
        found, explained = bool(hit), hit
    elif sc.family == "pause":
        ev = t["events"][0]
        explained = [a for a in alarms if a["platform"] == ev["platform"]]
    rest = [a for a in alarms if a not in explained]
    if sc.family in ("sale", "pause"):  # a planted sale or pause may be noted once
        ev = t["events"][0]
        on = [a for a in rest if a["kind"] == "anomaly" and _in_event(a.get("date"), ev)]
        rest = [a for a in rest if a not in on[:1]]
    out: dict = {
        "family": sc.family,
        "seed": sc.seed,
        "found": found,
        "false_alarms": len(rest),
        "false_ids": [a["id"] for a in rest],
        "risk": state["oracle"]["risk"]["level"],
    }
    if sc.family in ("decay", "slide"):
        key = t["decay"]["platform"]
        d = next(d for d in state["oracle"]["roi_decay"] if d["platform"] == key)
        out["trend_down"] = d.get("trend_direction") == "down"
    out["marginal_ratio"], out["marginal_in_band"] = _marginal_vs_truth(sc, state)
    acts = state["curiosity"]["actions"]
    shift = next((a for a in acts if a["type"] == "shift_budget"), None)
    if shift is not None:
        out["shift"] = _shift_vs_truth(sc, shift)
    out["scales"] = _scales_vs_truth(sc, acts)
    out["curve_actions"] = sum(1 for a in acts if a["type"] in ("shift_budget", "scale"))
    out["low_confidence_curve_actions"] = sum(
        1 for a in acts if a["type"] in ("shift_budget", "scale") and (a["confidence"] or 0) < 0.3
    )
    return out


def _marginal_vs_truth(sc: Scenario, state: dict) -> tuple[dict, dict]:
    """Per platform: stated / true marginal ROAS, and whether the truth is in the band."""
    curves = {p["platform"]: p["response_curve"] for p in state["memory"]["platforms"]}
    m_ratio, in_band = {}, {}
    for key, m_true in sc.truth["marginal_roas"].items():
        m = (curves.get(key) or {}).get("marginal_roas_calibrated")
        if m is not None and m_true > 0:
            m_ratio[key] = round(m / m_true, 4)
        band = (curves.get(key) or {}).get("marginal_roas_band")
        if band:
            in_band[key] = band["low"] <= m_true <= band["high"]
    return m_ratio, in_band


def _shift_vs_truth(sc: Scenario, shift: dict) -> dict:
    """A budget shift's stated gain against the exact one."""
    t = sc.truth
    roles = {x["role"]: x["platform"] for x in shift["targets"]}
    delta = -float(shift["amounts"]["change"])
    true = sc.true_gain_per_week(roles["from"], roles["to"], delta)
    stated = float(shift["impact_usd_per_week"])
    tol = max(0.5 * abs(true), 0.10 * GROSS_MARGIN * 7.0 * delta)
    return {
        "from": roles["from"],
        "to": roles["to"],
        "direction_right": t["marginal_roas"][roles["to"]] > t["marginal_roas"][roles["from"]],
        "stated": round(stated, 2),
        "true": round(true, 2),
        "ratio": round(stated / true, 4) if true > 0 else None,
        "within": abs(stated - true) <= tol,
    }


def _scales_vs_truth(sc: Scenario, acts: list[dict]) -> list[dict]:
    """Each platform scale action's stated gain against the exact one."""
    scales = []
    for a in acts:
        if a["type"] != "scale" or a["targets"][0]["kind"] != "platform":
            continue
        key = a["targets"][0]["platform"]
        true = sc.true_scale_per_week(key, float(a["amounts"]["change"]))
        scales.append(
            {
                "platform": key,
                "stated": a["impact_usd_per_week"],
                "true": round(true, 2),
                "confidence": a["confidence"],
                "loses_money": true < 0,
            }
        )
    return scales


def summarize(rows: list[dict]) -> dict:
    """Per-family rates from ``score`` rows (what bench/brain_truth.py prints)."""
    out: dict = {}
    for fam in FAMILIES:
        rs = [r for r in rows if r["family"] == fam]
        if not rs:
            continue
        f = [r["found"] for r in rs if r["found"] is not None]
        shifts = [r["shift"] for r in rs if "shift" in r]
        ratios = [s["ratio"] for s in shifts if s["ratio"] is not None]
        m = [v for r in rs for v in r["marginal_ratio"].values()]
        cov = [v for r in rs for v in r.get("marginal_in_band", {}).values()]
        scales = [s for r in rs for s in r["scales"]]
        row = {
            "brands": len(rs),
            "found_rate": round(sum(f) / len(f), 3) if f else None,
            "false_alarms_per_brand": round(sum(r["false_alarms"] for r in rs) / len(rs), 3),
            "max_false_alarms": max(r["false_alarms"] for r in rs),
            "red_rate": round(sum(r["risk"] == "RED" for r in rs) / len(rs), 3),
            "shift_brands": len(shifts),
            "shift_direction_right": round(
                sum(s["direction_right"] for s in shifts) / len(shifts), 3
            )
            if shifts
            else None,
            "impact_within_tolerance": round(sum(s["within"] for s in shifts) / len(shifts), 3)
            if shifts
            else None,
            "impact_ratio_median": round(float(np.median(ratios)), 3) if ratios else None,
            "marginal_ratio_median": round(float(np.median(m)), 3) if m else None,
            "marginal_within_35pct": round(float(np.mean([abs(v - 1) <= 0.35 for v in m])), 3)
            if m
            else None,
            "marginal_band_coverage": round(float(np.mean(cov)), 3) if cov else None,
            "scale_actions": len(scales),
            "scale_losing_money": round(sum(s["loses_money"] for s in scales) / len(scales), 3)
            if scales
            else None,
            "low_confidence_curve_actions": sum(r["low_confidence_curve_actions"] for r in rs),
        }
        if fam in ("decay", "slide"):
            row["trend_down_rate"] = round(sum(r["trend_down"] for r in rs) / len(rs), 3)
        out[fam] = row
    return out
