"""ORACLE — what will break: creative fatigue, ROI decay, LTV drift, anomalies, risk.

All detectors are vectorized: fatigue scores every creative at once from the (creative x
day) cube; anomalies are scored for every (series x day) of the org and per-platform
series at once with rolling medians over ``sliding_window_view``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.stats import binom as binom_dist
from scipy.stats import f as f_dist
from scipy.stats import norm as norm_dist
from scipy.stats import t as t_dist

from brain import thresholds as T
from brain._util import div, money, nanmedian, ratio, theil_sen
from brain.memory import _month_label
from brain.prep import Prepared

_LEVELS = ("high", "medium", "low")


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """0 at or below lo, 1 at or above hi, linear between (NaN -> 0)."""
    out = np.clip((np.asarray(x, dtype=float) - lo) / (hi - lo), 0.0, 1.0)
    return np.nan_to_num(out, nan=0.0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------- fatigue
def _peer_adjust(
    values: np.ndarray, ok: np.ndarray, platform: np.ndarray, n_platforms: int
) -> np.ndarray:
    """Remove each platform's median move so a platform-wide shift is not creative fatigue."""
    out = values.copy()
    for p in range(n_platforms):
        m = ok & (platform == p) & np.isfinite(values)
        if m.sum() >= T.FATIGUE_PEER_MIN:
            out[platform == p] -= float(np.median(values[m]))
    return out


def fatigue_recommendation(prob_7d: float) -> tuple[str, str]:
    """(recommendation, severity) of a 7-day fatigue probability (docs/brain.md): above
    FATIGUE_PAUSE pause within 72 h, above FATIGUE_REFRESH refresh this week, else monitor."""
    if prob_7d > T.FATIGUE_PAUSE:
        return "pause_within_72h", "high"
    if prob_7d > T.FATIGUE_REFRESH:
        return "refresh_this_week", "medium"
    return "monitor", "low"


_CHANGES = {  # reported relative change <- its log change
    "ctr_change": "lctr",
    "cvr_change": "lcvr",
    "cpa_change": "lcpa",
    "roas_change": "lroas",
}


def compute_fatigue(
    prep: Prepared, calibration: float, store_ratio: float | None = None
) -> tuple[list[dict], dict]:
    """Fatigue probability per creative (7 and 14 days) from six signals.

    Signals: CTR drop, CVR drop, CPA rise, ROAS drop (recent 7 days vs days 8-21, each as
    a peer-adjusted log change with a Poisson z), frequency above 3.5, and the slope of log
    CTR against cumulative impressions. Returns (listed findings, stats).
    """
    L = prep.window
    cube = prep.cube
    n = prep.n_cr
    stats: dict = {
        "creatives": int(n),
        "eligible": 0,
        "flagged": 0,
        "by_severity": {"high": 0, "medium": 0, "low": 0},
    }
    if n == 0:
        return [], stats
    win = slice(L - T.FATIGUE_WINDOW_DAYS, L)
    c = _window_sums(cube, L)
    days = (cube["impressions"][:, win] > 0).sum(axis=1)
    eligible = (
        (days >= T.FATIGUE_MIN_DAYS)
        & (c["s_r"] + c["s_b"] >= T.FATIGUE_MIN_SPEND)
        & (c["i_r"] + c["i_b"] >= T.FATIGUE_MIN_IMPRESSIONS)
        & (c["s_r"] > 0)
        & (c["s_b"] > 0)
    )
    stats["eligible"] = int(eligible.sum())
    g = _log_changes(c)
    g["slope_log7"], g["t_b"] = _ctr_impression_slope(cube, win, c["i_r"])
    g["b_ctr"], g["t_ctr"], g["b_cvr"], g["t_cvr"] = _ctr_cvr_trends(cube, L)
    g["freq_now"] = div(
        cube["freq_x"][:, L - T.FATIGUE_FREQUENCY_DAYS : L].sum(1),
        cube["freq_w"][:, L - T.FATIGUE_FREQUENCY_DAYS : L].sum(1),
    )
    a = _peer_adjusted(prep, g, eligible)
    fired, enough, logit, p_cvr = _fatigue_evidence(c, g, a)
    p7 = np.minimum(T.FATIGUE_PROB_CAP, _sigmoid(logit))
    p14 = np.minimum(T.FATIGUE_PROB_CAP, _sigmoid(logit + T.FATIGUE_14D_SHIFT))
    cap = np.where(_capped_to_monitor(c, a, fired, enough), T.FATIGUE_CTR_ONLY_CAP, 1.0)
    p7 = np.minimum(p7, cap)
    p14 = np.minimum(p14, cap)
    stats["gated_small"] = int((eligible & ~enough).sum())
    p7 = np.where(eligible, p7, 0.0)
    p14 = np.where(eligible, p14, 0.0)

    roas_r = div(c["r_r"], c["s_r"])
    roas_b = div(c["r_b"], c["s_b"])
    roas_r_cal = roas_r * calibration
    pred_drop, dtb = _roas_path(roas_r, roas_b, roas_r_cal, prep.settings.breakeven_roas)

    listed = np.flatnonzero(p7 >= T.FATIGUE_LIST_MIN)
    stats["flagged"] = int((p7 >= T.FATIGUE_REFRESH).sum())
    stats["by_severity"] = {
        "high": int((p7 > T.FATIGUE_PAUSE).sum()),
        "medium": int(((p7 > T.FATIGUE_REFRESH) & (p7 <= T.FATIGUE_PAUSE)).sum()),
        "low": int(((p7 >= T.FATIGUE_LIST_MIN) & (p7 <= T.FATIGUE_REFRESH)).sum()),
    }
    order = listed[np.lexsort((prep.cr_id[listed].astype(str), -np.round(p7[listed], 4)))]
    order = order[: T.FATIGUE_LIST_CAP]
    g.update(p7=p7, p14=p14, pred_drop=pred_drop, dtb=dtb, p_cvr=p_cvr)
    g.update(roas_r=roas_r, roas_b=roas_b, roas_r_cal=roas_r_cal)
    for k, log_key in _CHANGES.items():
        g[k] = np.expm1(g[log_key])
    return [_fatigue_row(prep, i, c, g, fired) for i in order], stats


def _window_sums(cube: dict, L: int) -> dict[str, np.ndarray]:
    """Per creative: spend, impressions, clicks, conversions, revenue over the recent
    7 days (``_r``) and the baseline days 8-21 (``_b``)."""
    rec = slice(L - T.RECENT_DAYS, L)
    base = slice(L - T.BASELINE_END, L - T.BASELINE_START + 1)
    out = {}
    for short, key in (
        ("s", "spend"),
        ("i", "impressions"),
        ("c", "clicks"),
        ("v", "conversions"),
        ("r", "revenue"),
    ):
        out[f"{short}_r"] = cube[key][:, rec].sum(axis=1)
        out[f"{short}_b"] = cube[key][:, base].sum(axis=1)
    return out


def _log_changes(c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Recent-vs-baseline log changes of CTR, CVR, CPA and ROAS, and Poisson standard errors."""
    s_r, s_b, i_r, i_b = c["s_r"], c["s_b"], c["i_r"], c["i_b"]
    c_r, c_b, v_r, v_b, r_r, r_b = c["c_r"], c["c_b"], c["v_r"], c["v_b"], c["r_r"], c["r_b"]
    h = 0.5  # continuity correction keeps logs of zero counts finite
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "lctr": np.log((c_r + h) / (i_r + h)) - np.log((c_b + h) / (i_b + h)),
            "lcvr": np.log((v_r + h) / (c_r + h)) - np.log((v_b + h) / (c_b + h)),
            "lcpa": np.log(s_r / (v_r + h)) - np.log(s_b / (v_b + h)),
            "lroas": np.log((r_r + h) / s_r) - np.log((r_b + h) / s_b),
            "se_clk": np.sqrt(1.0 / (c_r + h) + 1.0 / (c_b + h)),
            "se_cnv": np.sqrt(1.0 / (v_r + h) + 1.0 / (v_b + h)),
        }


def _ctr_impression_slope(cube: dict, win: slice, i_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slope of log CTR against cumulative impressions (WLS, weights = clicks): the log CTR
    change over the next ~week of impressions, and its t statistic."""
    imp_d = cube["impressions"][:, win]
    clk_d = cube["clicks"][:, win]
    tot_imp = imp_d.sum(axis=1, keepdims=True)
    x = div(np.cumsum(imp_d, axis=1), np.broadcast_to(tot_imp, imp_d.shape))
    okd = (imp_d > 0) & (clk_d > 0) & np.isfinite(x)
    wgt = np.where(okd, clk_d, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(okd, np.log(np.where(okd, clk_d, 1.0) / np.where(okd, imp_d, 1.0)), 0.0)
    x = np.where(okd, x, 0.0)
    sw, sx, sy = wgt.sum(1), (wgt * x).sum(1), (wgt * y).sum(1)
    sxx, sxy, syy = (wgt * x * x).sum(1), (wgt * x * y).sum(1), (wgt * y * y).sum(1)
    det = sw * sxx - sx * sx
    nd = okd.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(det > 0, (sw * sxy - sx * sy) / det, np.nan)
        a = (sy - b * sx) / sw
        rss = syy - 2 * a * sy - 2 * b * sxy + a * a * sw + 2 * a * b * sx + b * b * sxx
        disp = np.maximum(1.0, rss / np.maximum(nd - 2, 1))
        var_b = np.where(det > 0, sw / det * disp, np.nan)
        t_b = b / np.sqrt(var_b)
        share_next = i_r / tot_imp[:, 0]
    slope_log7 = b * share_next  # log CTR change over the next ~week of impressions
    slope_log7 = np.where(nd >= 7, slope_log7, np.nan)
    return slope_log7, t_b


def _ctr_cvr_trends(cube: dict, L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-day WLS slopes (and t) of log CTR and log CVR: (b_ctr, t_ctr, b_cvr, t_cvr)."""
    # trend over the whole window (28 days): WLS slope of log CTR and log CVR per day, so a
    # steady 14-day slide is seen while the 7-vs-14 comparison still straddles it
    TW = min(T.FATIGUE_TREND_DAYS, L)
    tw = slice(L - TW, L)
    b_ctr, t_ctr = _log_rate_slope(cube["clicks"][:, tw], cube["impressions"][:, tw])
    b_cvr, t_cvr = _log_rate_slope(cube["conversions"][:, tw], cube["clicks"][:, tw])
    # ... and over the last 14 days (a slide that began two weeks ago): keep the one whose
    # decline is more significant
    sw = slice(L - T.FATIGUE_TREND_HORIZON, L)
    b2, t2 = _log_rate_slope(cube["clicks"][:, sw], cube["impressions"][:, sw])
    use2 = np.nan_to_num(t2, nan=0.0) < np.nan_to_num(t_ctr, nan=0.0)
    b_ctr, t_ctr = np.where(use2, b2, b_ctr), np.where(use2, t2, t_ctr)
    return b_ctr, t_ctr, b_cvr, t_cvr


def _peer_adjusted(
    prep: Prepared, g: dict[str, np.ndarray], eligible: np.ndarray
) -> dict[str, np.ndarray]:
    """The changes and trends with each platform's median move removed."""
    P = len(prep.platforms)
    plat = prep.cr_platform
    trend_h = float(T.FATIGUE_TREND_HORIZON)
    return {
        "bctr": _peer_adjust(g["b_ctr"] * trend_h, eligible, plat, P),
        "bcvr": _peer_adjust(g["b_cvr"] * trend_h, eligible, plat, P),
        "ctr": _peer_adjust(g["lctr"], eligible, plat, P),
        "cvr": _peer_adjust(g["lcvr"], eligible, plat, P),
        "cpa": _peer_adjust(g["lcpa"], eligible, plat, P),
        "roas": _peer_adjust(g["lroas"], eligible, plat, P),
        "slope": _peer_adjust(g["slope_log7"], eligible, plat, P),
    }


def _fatigue_evidence(
    c: dict[str, np.ndarray], g: dict[str, np.ndarray], a: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Signal strengths into a logit: (fired signals, enough conversions, logit, CVR p)."""
    mag, zr = T.FATIGUE_MAG_RAMP, T.FATIGUE_Z_RAMP
    se_clk, se_cnv = g["se_clk"], g["se_cnv"]
    t_ctr, t_cvr = g["t_ctr"], g["t_cvr"]

    def strength(adverse_log: np.ndarray, se: np.ndarray) -> np.ndarray:
        z = adverse_log / se
        return _ramp(adverse_log, *mag) * _ramp(z, *zr)

    s_ctr = strength(-a["ctr"], se_clk)
    # CVR drop: an exact conditional binomial test on the counts (conversions split
    # between the windows in proportion to clicks under "no change"), not a ratio of
    # small numbers
    n_v = c["v_r"] + c["v_b"]
    q = div(c["c_r"], c["c_r"] + c["c_b"])
    with np.errstate(invalid="ignore"):
        p_cvr = binom_dist.cdf(c["v_r"], n_v.astype(np.int64), np.nan_to_num(q, nan=0.5))
    z_cvr = norm_dist.isf(np.clip(np.nan_to_num(p_cvr, nan=1.0), 1e-300, 1.0))
    s_cvr = _ramp(-a["cvr"], *mag) * _ramp(z_cvr, *zr)
    s_ctr_tr = _ramp(-a["bctr"], *mag) * _ramp(-np.nan_to_num(t_ctr, nan=0.0), *zr)
    s_cvr_tr = _ramp(-a["bcvr"], *mag) * _ramp(-np.nan_to_num(t_cvr, nan=0.0), *zr)
    s_cpa = strength(a["cpa"], se_cnv)
    s_roas = strength(-a["roas"], se_cnv)
    s_slope = _ramp(-a["slope"], *mag) * _ramp(-g["t_b"], *zr)
    s_freq = _ramp(g["freq_now"], *T.FATIGUE_FREQ_RAMP)
    fired, enough = _fired_signals(c, g, a, z_cvr)
    n_fired = sum(v.astype(float) for v in fired.values())
    conv = np.where(enough, np.maximum.reduce([s_cvr, s_cpa, s_roas, s_cvr_tr]), 0.0)
    ctr_e = np.maximum.reduce([s_ctr, s_slope, s_ctr_tr])
    logit = (
        T.FATIGUE_B0
        + T.FATIGUE_W_CONV * conv
        + T.FATIGUE_W_CTR * ctr_e
        + T.FATIGUE_W_FREQ * s_freq
        + T.FATIGUE_W_FIRED * n_fired
        # a decline seen both week-over-baseline and in the whole-window trend is
        # persistent, not noise: the agreement itself is evidence
        + T.FATIGUE_W_TREND
        * np.minimum(
            s_ctr, _ramp(-a["bctr"], *mag) * _ramp(-np.nan_to_num(t_ctr), *T.FATIGUE_TREND_T)
        )
    )
    return fired, enough, logit, p_cvr


def _fired_signals(
    c: dict[str, np.ndarray],
    g: dict[str, np.ndarray],
    a: dict[str, np.ndarray],
    z_cvr: np.ndarray,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Which of the eight signals fired per creative, and whether conversions suffice."""
    fire_log = math.log(1.0 / (1.0 - T.FATIGUE_DROP_FIRE))
    zf = T.FATIGUE_Z_FIRE
    se_clk, se_cnv = g["se_clk"], g["se_cnv"]
    with np.errstate(invalid="ignore", divide="ignore"):
        fired = {
            "ctr_drop": (-a["ctr"] >= fire_log) & (-a["ctr"] / se_clk >= zf),
            "cvr_drop": (-a["cvr"] >= fire_log) & (z_cvr >= zf),
            "cpa_rise": (a["cpa"] >= fire_log) & (a["cpa"] / se_cnv >= zf),
            "roas_drop": (-a["roas"] >= fire_log) & (-a["roas"] / se_cnv >= zf),
            "frequency_high": np.nan_to_num(g["freq_now"], nan=0.0) > T.FATIGUE_FREQUENCY,
            "ctr_slope": (np.nan_to_num(g["t_b"], nan=0.0) <= T.FATIGUE_SLOPE_T_FIRE)
            & (1.0 - np.exp(np.nan_to_num(a["slope"], nan=0.0)) >= T.FATIGUE_SLOPE_DROP_FIRE),
            "ctr_trend": (-np.nan_to_num(a["bctr"], nan=0.0) >= fire_log)
            & (np.nan_to_num(g["t_ctr"], nan=0.0) <= -zf),
            "cvr_trend": (-np.nan_to_num(a["bcvr"], nan=0.0) >= fire_log)
            & (np.nan_to_num(g["t_cvr"], nan=0.0) <= -zf),
        }
    # small numbers: without enough conversions, conversion signals are not evidence
    enough = (c["v_r"] + c["v_b"]) >= T.FATIGUE_MIN_CONVERSIONS
    for key in ("cvr_drop", "cpa_rise", "roas_drop", "cvr_trend"):
        fired[key] = fired[key] & enough
    return fired, enough


def _capped_to_monitor(
    c: dict[str, np.ndarray],
    a: dict[str, np.ndarray],
    fired: dict[str, np.ndarray],
    enough: np.ndarray,
) -> np.ndarray:
    """Creatives whose probability is capped at "monitor": a CTR-only decline while
    conversions held, or fewer conversions than the gate."""
    fire_log = math.log(1.0 / (1.0 - T.FATIGUE_DROP_FIRE))
    conv_fired = fired["cvr_drop"] | fired["cpa_rise"] | fired["roas_drop"] | fired["cvr_trend"]
    # CTR fell but conversions held (no conversion-side signal): not fatigue.
    # (Judged on the change, not on the calibrated level: with incremental calibration
    # many healthy creatives sit below breakeven on the incremental scale.)
    # "held": conversions per impression (CTR x CVR) fell by less than half the fire level
    # (docs/brain-spec.md: "ROAS holds"; read on the change, since on the incremental scale many
    # healthy creatives sit below breakeven)
    # "held" = conversions per impression did not fall significantly (exact binomial test)
    n_v = c["v_r"] + c["v_b"]
    with np.errstate(invalid="ignore"):
        p_cpi = binom_dist.cdf(
            c["v_r"],
            n_v.astype(np.int64),
            np.nan_to_num(div(c["i_r"], c["i_r"] + c["i_b"]), nan=0.5),
        )
    roas_held = (-np.nan_to_num(a["ctr"] + a["cvr"], nan=0.0) < T.FATIGUE_ROAS_HELD * fire_log) | (
        np.nan_to_num(p_cpi, nan=1.0) > T.FATIGUE_HELD_P
    )
    ctr_only = (
        (fired["ctr_drop"] | fired["ctr_slope"] | fired["ctr_trend"])
        & ~(conv_fired | fired["frequency_high"])
        & roas_held
    )
    # fewer conversions than the gate: at most "monitor", never a pause or refresh call
    small = ~enough & ~fired["frequency_high"]
    return ctr_only | small


def _roas_path(
    roas_r: np.ndarray, roas_b: np.ndarray, roas_r_cal: np.ndarray, be: float
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted ROAS drop over 7 days and days to breakeven, from the log-rate between
    window centres (10.5 days apart)."""
    gap = (T.BASELINE_START + T.BASELINE_END) / 2.0 - (1 + T.RECENT_DAYS) / 2.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rate = np.log(div(roas_r, roas_b)) / gap
        rate = np.where(np.isfinite(rate), rate, np.nan)
        worst = np.minimum(np.nan_to_num(rate, nan=0.0), 0.0) * 7.0
        pred_drop = np.clip(1.0 - np.exp(worst), 0.0, T.FATIGUE_MAX_DROP)
    with np.errstate(divide="ignore", invalid="ignore"):
        dtb = np.where(
            roas_r_cal < be,
            0.0,
            np.where(rate < 0, np.ceil(np.log(be / roas_r_cal) / rate), np.nan),
        )
    dtb = np.where(dtb > T.FATIGUE_HORIZON_DAYS, np.nan, dtb)
    return pred_drop, dtb


def _fatigue_row(
    prep: Prepared,
    i: int,
    c: dict[str, np.ndarray],
    g: dict[str, np.ndarray],
    fired: dict[str, np.ndarray],
) -> dict:
    """One listed creative's fatigue finding."""
    key = prep.platforms[prep.cr_platform[i]]
    prob = float(g["p7"][i])
    rec_action, sev = fatigue_recommendation(prob)
    camp = prep.cr_campaign[i]
    trend_h = float(T.FATIGUE_TREND_HORIZON)
    s_r, s_b, i_r, i_b = c["s_r"], c["s_b"], c["i_r"], c["i_b"]
    c_r, c_b, v_r, v_b, r_r = c["c_r"], c["c_b"], c["v_r"], c["v_b"], c["r_r"]
    return {
        "id": f"fatigue:{key}:{prep.cr_id[i]}",
        "creative_id": str(prep.cr_id[i]),
        "name": str(prep.cr_name[i]),
        "platform": key,
        "campaign_id": str(prep.camp_id[camp]),
        "campaign_name": str(prep.camp_name[camp]),
        "prob_7d": ratio(prob),
        "prob_14d": ratio(g["p14"][i]),
        "severity": sev,
        "recommendation": rec_action,
        "signals": [k for k, v in fired.items() if v[i]],
        "predicted_drop_7d": ratio(g["pred_drop"][i]),
        "days_to_breakeven": None if np.isnan(g["dtb"][i]) else int(g["dtb"][i]),
        "roas_recent": ratio(g["roas_r"][i]),
        "roas_baseline": ratio(g["roas_b"][i]),
        "roas_recent_calibrated": ratio(g["roas_r_cal"][i]),
        "ctr_recent": ratio(div(c_r[i], i_r[i])),
        "ctr_baseline": ratio(div(c_b[i], i_b[i])),
        "cvr_recent": ratio(div(v_r[i], c_r[i])),
        "cvr_baseline": ratio(div(v_b[i], c_b[i])),
        "cpa_recent": money(div(s_r[i], v_r[i])),
        "cpa_baseline": money(div(s_b[i], v_b[i])),
        "frequency": ratio(g["freq_now"][i]),
        **{k: ratio(g[k][i]) for k in _CHANGES},
        "ctr_slope_drop_7d": ratio(-np.expm1(g["slope_log7"][i])),
        "ctr_trend_14d": ratio(np.expm1(g["b_ctr"][i] * trend_h)),
        "cvr_trend_14d": ratio(np.expm1(g["b_cvr"][i] * trend_h)),
        "conversions_21d": int(v_r[i] + v_b[i]),
        "cvr_drop_p_value": ratio(g["p_cvr"][i]),
        "spend_recent_7d": money(s_r[i]),
        "revenue_recent_7d": money(r_r[i]),
        "daily_spend": money(s_r[i] / T.RECENT_DAYS),
    }


def _log_rate_slope(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: WLS slope of log((k+.5)/(n+.5)) on the day index (weights ~ 1/variance of
    a log rate = k+.5), and its t statistic with over-dispersion. Rows x days arrays."""
    h = 0.5
    ok = n > 0
    w = np.where(ok, 1.0 / (1.0 / (k + h) + 1.0 / (n + h)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(ok, np.log((k + h) / (n + h)), 0.0)
    x = np.broadcast_to(np.arange(k.shape[1], dtype=float), k.shape)
    sw, sx, sy = w.sum(1), (w * x).sum(1), (w * y).sum(1)
    sxx, sxy = (w * x * x).sum(1), (w * x * y).sum(1)
    det = sw * sxx - sx * sx
    nd = ok.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(det > 0, (sw * sxy - sx * sy) / det, np.nan)
        a = (sy - b * sx) / sw
        r = np.where(ok, y - a[:, None] - b[:, None] * x, 0.0)
        disp = np.maximum(1.0, (w * r * r).sum(1) / np.maximum(nd - 2, 1))
        se = np.sqrt(np.where(det > 0, sw / det * disp, np.nan))
        t = b / se
    valid = nd >= T.FATIGUE_MIN_DAYS
    return np.where(valid, b, np.nan), np.where(valid, t, np.nan)


# --------------------------------------------------------------------------- ROI decay
def _adjusted_log_roas(
    sp: np.ndarray, rv: np.ndarray, event: np.ndarray, alpha: float, L: int
) -> np.ndarray:
    """Spend-adjusted daily log ROAS (``alpha`` response-curve elasticity), event and
    paused days NaN."""
    ok = (sp > 0) & (rv > 0) & ~event
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.where(ok, np.log(rv / np.where(sp > 0, sp, 1.0)), np.nan)
        ls = np.where(ok, np.log(np.where(sp > 0, sp, 1.0)), np.nan)
    ref = np.nanmedian(ls[L - T.ANOMALY_TRAILING_DAYS :]) if np.isfinite(ls).any() else 0.0
    return lr + (1.0 - alpha) * (ls - ref)


def _adjusted_decay(
    adj: np.ndarray, judged: bool, rec: slice, base: slice, L: int
) -> tuple[float, float]:
    """Recent-vs-baseline decay of the adjusted log ROAS and its z against daily noise."""
    a_r, a_b = adj[rec], adj[base]
    a_r, a_b = a_r[np.isfinite(a_r)], a_b[np.isfinite(a_b)]
    decay_adj, z = float("nan"), float("nan")
    hist = adj[L - T.ANOMALY_TRAILING_DAYS :]
    hist = hist[np.isfinite(hist)]
    if judged and len(a_r) >= 3 and len(a_b) >= 5 and len(hist) >= 14:
        d = float(np.mean(a_r) - np.mean(a_b))
        decay_adj = 1.0 - float(np.exp(d))
        # daily noise: MAD of day-to-day differences (robust to level shifts and trends)
        sig = T.MAD_TO_SIGMA * float(np.median(np.abs(np.diff(hist)))) / np.sqrt(2.0)
        sig = max(sig, T.ANOMALY_SCALE_FLOOR)
        z = -d / (sig * np.sqrt(1.0 / len(a_r) + 1.0 / len(a_b)))
    return decay_adj, z


def _adjusted_trend(ya: np.ndarray) -> tuple[float | None, float | None]:
    """Theil-Sen trend of the adjusted log ROAS: projected 14-day change and the upper
    bound of the slope's interval (None with under 14 usable days)."""
    trend14, trend_hi = None, None
    oka = np.isfinite(ya)
    if oka.sum() >= 14:
        xs = np.arange(T.DECAY_SLOPE_DAYS, dtype=float)[oka]
        b, _, trend_hi = theil_sen(ya[oka], xs, T.DECAY_TREND_CONF)
        trend14 = float(np.expm1(b * T.FATIGUE_TREND_HORIZON))
    return trend14, trend_hi


def compute_roi_decay(prep: Prepared, memory: dict | None = None) -> list[dict]:
    """decay = 1 - ROAS(last 7 days) / ROAS(days 8-21) (docs/brain-spec.md), judged on evidence.

    The flag reads the **spend-adjusted** ROAS (a budget step moves ROAS along the
    response curve: ROAS x (spend / reference)^(1 - alpha) removes that), with known-event
    and paused days left out, and needs the drop to stand out of the platform's daily
    noise (z >= DECAY_Z). A steady slide is also caught by the 28-day Theil-Sen trend of
    the adjusted log ROAS: projected 14-day change <= -DECAY_TREND_DROP with its 90%
    interval below zero.
    """
    L = prep.window
    rec = slice(L - T.RECENT_DAYS, L)
    base = slice(L - T.BASELINE_END, L - T.BASELINE_START + 1)
    curves = {}
    for p_ in (memory or {}).get("platforms", []):
        curves[p_["platform"]] = p_["response_curve"]
    out = []
    for p, key in enumerate(prep.platforms):
        sp = prep.plat["spend"][p]
        rv = prep.plat["revenue"][p]
        s_r, s_b = float(sp[rec].sum()), float(sp[base].sum())
        roas_r = float(div(rv[rec].sum(), s_r))
        roas_b = float(div(rv[base].sum(), s_b))
        n_b = T.BASELINE_END - T.BASELINE_START + 1
        spend_change = float(div(s_r / T.RECENT_DAYS, s_b / n_b)) - 1.0
        judged = s_r >= T.DECAY_MIN_SPEND and s_b >= T.DECAY_MIN_SPEND
        decay = 1.0 - roas_r / roas_b if judged and np.isfinite(roas_r / roas_b) else float("nan")
        # spend-adjusted daily log ROAS, event/paused days out
        rc = curves.get(key) or {}
        alpha = float(rc["alpha"]) if rc.get("status") == "ok" else 1.0
        adj = _adjusted_log_roas(sp, rv, prep.event_plat[p], alpha, L)
        decay_adj, z = _adjusted_decay(adj, judged, rec, base, L)
        cols = slice(L - T.DECAY_SLOPE_DAYS, L)
        daily = div(rv[cols], sp[cols])
        okd = np.isfinite(daily) & ~prep.event_plat[p, cols]
        slope = None
        if okd.sum() >= 7:
            xs = np.arange(T.DECAY_SLOPE_DAYS, dtype=float)[okd]
            slope = theil_sen(daily[okd], xs)[0]
        med = float(np.median(daily[okd])) if okd.any() else float("nan")
        trend14, trend_hi = _adjusted_trend(adj[cols])
        by_level = bool(
            np.isfinite(decay_adj)
            and decay_adj > T.DECAY_FLAG
            and np.isfinite(z)
            and z >= T.DECAY_Z
        )
        by_trend = bool(
            trend14 is not None
            and trend14 <= -T.DECAY_TREND_DROP
            and trend_hi is not None
            and trend_hi < 0
            and np.isfinite(decay_adj)
            and decay_adj > T.DECAY_TREND_MIN_LEVEL
            and np.isfinite(z)
            and z >= T.DECAY_Z_TREND
        )
        flagged = by_level or by_trend
        severity = None
        if flagged:
            size = max(decay_adj, -trend14 if trend14 is not None else 0.0)
            high = size > T.DECAY_HIGH or (
                size > T.DECAY_HIGH_WITH_SPEND and spend_change > T.DECAY_SPEND_RISE
            )
            severity = "high" if high else "medium"
        out.append(
            {
                "id": f"decay:{key}",
                "platform": key,
                "flagged": flagged,
                "severity": severity,
                "decay": ratio(decay),
                "decay_adjusted": ratio(decay_adj),
                "decay_z": ratio(z),
                "trend_change_14d": ratio(trend14),
                "flagged_by": (
                    "level_and_trend"
                    if by_level and by_trend
                    else "level"
                    if by_level
                    else "trend"
                    if by_trend
                    else None
                ),
                "roas_recent": ratio(roas_r),
                "roas_baseline": ratio(roas_b),
                "spend_change": ratio(spend_change) if judged else None,
                "trend_slope_per_day": ratio(slope),
                "trend_slope_pct_per_day": ratio(
                    slope / med * 100.0 if slope is not None and med > 0 else None
                ),
                "trend_direction": (
                    None
                    if slope is None or not np.isfinite(med) or med <= 0
                    else "down"
                    if slope / med < -0.005
                    else "up"
                    if slope / med > 0.005
                    else "flat"
                ),
            }
        )
    return out


# --------------------------------------------------------------------------- LTV drift
def compute_ltv_drift(prep: Prepared, new_customers_per_week: float) -> dict:
    """90-day LTV of the 3 newest mature cohorts vs the 6 before: drift = 1 - recent/hist."""
    out: dict = {
        "id": "ltv_drift",
        "flagged": False,
        "severity": None,
        "drift": None,
        "recent_ltv": None,
        "historical_ltv": None,
        "trend": None,
        "recent_cohorts": [],
        "historical_cohorts": [],
        "new_customers_per_week": ratio(new_customers_per_week),
        "cohorts": [],
    }
    c = prep.cohorts
    if c is None or c.empty:
        return out
    c = c[c["complete"]]
    cohorts = []
    for row in c.tail(15).itertuples(index=False):
        ltv = row.rev90 / row.customers if row.mature and row.customers > 0 else None
        fov = row.first_rev / row.customers if row.customers > 0 else None
        cohorts.append(
            {
                "month": _month_label(row.month),
                "customers": int(row.customers),
                "mature": bool(row.mature),
                "ltv_90d": money(ltv),
                "first_order_value": money(fov),
            }
        )
    out["cohorts"] = cohorts
    ok = c[c["mature"] & (c["customers"] >= T.DRIFT_MIN_CUSTOMERS)]
    if len(ok) < T.DRIFT_RECENT_COHORTS + 1:
        return out
    ltv = (ok["rev90"] / ok["customers"]).to_numpy()
    months = ok["month"].to_numpy()
    recent = ltv[-T.DRIFT_RECENT_COHORTS :]
    hist = ltv[-(T.DRIFT_RECENT_COHORTS + T.DRIFT_HISTORICAL_COHORTS) : -T.DRIFT_RECENT_COHORTS]
    rec_m = months[-T.DRIFT_RECENT_COHORTS :]
    hist_m = months[
        -(T.DRIFT_RECENT_COHORTS + T.DRIFT_HISTORICAL_COHORTS) : -T.DRIFT_RECENT_COHORTS
    ]
    r_mean, h_mean = float(recent.mean()), float(hist.mean())
    drift = 1.0 - r_mean / h_mean if h_mean > 0 else float("nan")
    sev = None
    if np.isfinite(drift) and drift > T.DRIFT_FLAG:
        sev = "high" if drift > T.DRIFT_HIGH else "medium" if drift > T.DRIFT_MEDIUM else "low"
    slope = (recent[-1] - recent[0]) / (len(recent) - 1) / r_mean if r_mean > 0 else 0.0
    trend = (
        "accelerating"
        if slope < -T.DRIFT_TREND_BAND
        else "improving"
        if slope > T.DRIFT_TREND_BAND
        else "stabilizing"
    )
    out.update(
        flagged=sev is not None,
        severity=sev,
        drift=ratio(drift),
        recent_ltv=money(r_mean),
        historical_ltv=money(h_mean),
        trend=trend,
        trend_pct_per_cohort=ratio(slope * 100.0),
        recent_cohorts=[_month_label(m) for m in rec_m],
        historical_cohorts=[_month_label(m) for m in hist_m],
    )
    if len(hist) < T.DRIFT_HISTORICAL_COHORTS:
        out["note"] = f"only {len(hist)} historical mature cohorts (6 wanted)"
    return out


# --------------------------------------------------------------------------- anomalies
_HINTS = {
    "runaway_spend": "spend spiked while revenue held flat: a runaway budget or bid",
    "tracking_gap": "revenue dropped while spend and clicks held steady: a tracking gap "
    "or site outage",
    "data_gap": "no data arrived for a connected platform that day: a sync or data gap",
    "delivery_drop": "spend and revenue fell together: delivery stopped (budget cap, "
    "billing, disapproval)",
    "demand_spike": "revenue jumped without more spend: a promotion, PR moment or "
    "duplicated orders",
    "click_drop": "clicks fell while spend held: ad delivery quality or click tracking",
    "unexplained": "no single driver in the data: check recent budget, creative and site changes",
    "known_event": "a known event (sale, launch, pause, tracking or price change): context, "
    "not an alarm",
}


def _centred_median(a: np.ndarray, half: int) -> tuple[np.ndarray, np.ndarray]:
    """Centred rolling median over 2*half+1 days that leaves the day itself out (NaN-aware).

    Returns the medians and how many neighbours each used (fewer at the right edge).
    """
    S, n = a.shape
    pad = np.full((S, n + 2 * half), np.nan)
    pad[:, half : half + n] = a
    win = sliding_window_view(pad, 2 * half + 1, axis=1).copy()
    win[:, :, half] = np.nan
    return nanmedian(win, axis=2), np.isfinite(win).sum(axis=2)


def _weekly_seasonal(detr: np.ndarray, wd: np.ndarray) -> np.ndarray:
    """Weekday effects of the detrended series, kept only where they are real.

    A one-way ANOVA F test per series decides whether the weekday means differ (p < 1%);
    significant effects are shrunk by (1 - 1/F) (James-Stein style), others are 0. An
    overfitted weekly pattern would shrink the residual spread and inflate every z.
    """
    S, n = detr.shape
    ok = np.isfinite(detr)
    x = np.where(ok, detr, 0.0)
    onehot = (wd[None, :] == np.arange(7)[:, None]).astype(float)  # (7, n)
    cnt = ok.astype(float) @ onehot.T  # (S, 7)
    sums = x @ onehot.T
    means = np.where(cnt > 0, sums / np.maximum(cnt, 1), 0.0)
    n_ok = cnt.sum(axis=1)
    grand = np.where(n_ok > 0, sums.sum(axis=1) / np.maximum(n_ok, 1), 0.0)
    within = ((x - means[:, wd]) ** 2 * ok).sum(axis=1)
    groups = (cnt > 0).sum(axis=1)
    df1 = np.maximum(groups - 1, 1)
    df2 = np.maximum(n_ok - groups, 1)
    between = (cnt * (means - grand[:, None]) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        F = (between / df1) / (within / df2)
    crit = f_dist.ppf(1.0 - T.SEASONAL_P, df1, df2)
    use = np.isfinite(F) & (F > crit) & (groups == 7)
    shrink = np.where(use, 1.0 - 1.0 / np.where(use, F, 1.0), 0.0)
    eff = (means - grand[:, None]) * shrink[:, None]
    return eff - eff.mean(axis=1, keepdims=True)


def compute_anomalies(prep: Prepared) -> tuple[list[dict], list[str]]:
    """Robust z of de-seasonalised daily series; flags in the last 14 days (docs/brain-spec.md).

    Per series (log scale): a centred leave-one-out rolling median is the local level
    (it follows trends such as a decaying platform but not a one-day event), weekday
    effects come from the detrended values, and the residual of each of the last 14 days
    is scored against the median/MAD of the residuals of the 56 days before it. At the
    right edge the level rests on fewer days, so z is scaled by the extra variance.
    """
    notes: list[str] = []
    n_days = prep.window
    cols = slice(0, n_days)
    R = T.ANOMALY_RECENT_DAYS
    H = T.ANOMALY_TRAILING_DAYS
    hist = slice(max(0, n_days - R - H), n_days - R)
    series, units = _anomaly_series(prep, cols, hist)
    Y = np.vstack([x[2] for x in series])  # (S, n_days)
    S = Y.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pos_med = np.nanmedian(np.where(Y > 0, Y, np.nan), axis=1)
    pos_med = np.where(np.isfinite(pos_med), pos_med, 1.0)
    eps = 1e-3 * pos_med
    Z = np.log(Y + eps[:, None])
    wd = (np.arange(prep.start_day, prep.start_day + n_days) + 3) % 7
    test0 = n_days - R

    EV = _event_mask(prep, series, cols, n_days)
    _, _, r0, _ = _decompose(Z, EV, wd)
    # outlier days (a sale nobody recorded, a spike) are masked too, then decompose again
    MASK = EV | _outlier_mask(r0, EV, test0)
    _, _, resid_raw, _ = _decompose(Z, MASK, wd)
    Z_adj, spend_term = _spend_response(series, Z, resid_raw, MASK, test0)
    trend, seasonal, resid, n_nb = _decompose(Z_adj, MASK, wd)
    # variance of a residual vs a median of m neighbours ~ 1 + pi / (2 m)
    var_f = 1.0 + np.pi / (2.0 * np.maximum(n_nb, 1))

    history = int(np.isfinite(resid[:, :test0]).sum(axis=1).max()) if S else 0
    if history < T.ANOMALY_MIN_HISTORY:
        notes.append(
            f"anomalies: {history} days of history before the last {R}; "
            f"at least {T.ANOMALY_MIN_HISTORY} needed"
        )
        return [], notes
    sc = _anomaly_scores(resid, resid_raw, MASK, var_f, test0)
    exp_log = (
        trend[:, test0:]
        + seasonal[:, wd[test0:]]
        + np.nan_to_num(sc["centre"], nan=0.0)
        + spend_term[:, test0:]
    )
    sc["expected"] = np.maximum(np.exp(exp_log) - eps[:, None], 0.0)
    sc["actual"] = Y[:, test0:]
    sc["effect"] = _dollar_effects(series, units, sc["actual"], sc["expected"], test0)
    o_sp = prep.org["spend"][cols]
    avg_spend = float(o_sp[hist].mean()) if hist.stop > hist.start else 0.0
    gate = max(T.ANOMALY_MIN_USD, T.ANOMALY_MIN_SPEND_SHARE * avg_spend)
    flaggable = np.array([x[4] for x in series])[:, None]
    z = sc["z"]
    sc["flag"] = (
        flaggable & (np.abs(np.nan_to_num(z, nan=0.0)) >= T.ANOMALY_Z) & (sc["effect"] >= gate)
    )
    out = _anomaly_findings(prep, series, sc, test0)
    out = _merge_notes(out)
    return out, notes


def _anomaly_series(
    prep: Prepared, cols: slice, hist: slice
) -> tuple[list[tuple[str, str, np.ndarray, str, bool]], list[dict]]:
    """The org's and each platform's daily series (scope, name, values with days before
    the data NaN, kind, flaggable) and their dollar units (value per unit, base)."""
    n_days = prep.window
    o, s, pl = prep.org, prep.store, prep.plat

    def valid_from(first: int | None) -> np.ndarray:
        m = np.zeros(n_days, bool)
        if first is not None and first >= 0:
            m[max(0, first) :] = True
        return m

    series: list[tuple[str, str, np.ndarray, str, bool]] = []  # scope, name, values, kind, flag
    units: list[dict] = []
    ad_ok = valid_from(prep.ad_first)
    st_ok = valid_from(prep.store_first)
    both = ad_ok & st_ok

    def add(
        scope: str, name: str, vals: np.ndarray, ok: np.ndarray, kind: str, flag: bool, unit: dict
    ) -> None:
        v = np.where(ok, vals, np.nan).astype(float)
        series.append((scope, name, v, kind, flag))
        units.append(unit)

    o_sp, o_clk, o_imp = o["spend"][cols], o["clicks"][cols], o["impressions"][cols]
    s_rev, s_ord, s_new = s["revenue"][cols], s["orders"][cols], s["new_customers"][cols]
    aov = float(div(s_rev[hist].sum(), s_ord[hist].sum()))
    rpc = float(div(o["revenue"][hist].sum(), o_clk[hist].sum()))
    add("org", "spend", o_sp, ad_ok, "money", True, {})
    add("org", "store_revenue", s_rev, st_ok, "money", True, {})
    add("org", "orders", s_ord, st_ok, "count", True, {"value": aov})
    add("org", "mer", div(s_rev, o_sp), both, "ratio", True, {"base": o_sp})
    add("org", "cpa", div(o_sp, s_new), both, "cpa", True, {"base": s_new})
    add("org", "ctr", div(o_clk, o_imp), ad_ok, "ctr", True, {"base": o_imp, "value": rpc})
    add("org", "clicks", o_clk, ad_ok, "count", False, {"value": rpc})
    for p, key in enumerate(prep.platforms):
        ok = valid_from(int(prep.plat_first[p])) & ~prep.paused[p, cols]
        sp, rv = pl["spend"][p, cols], pl["revenue"][p, cols]
        cv, ck, im = pl["conversions"][p, cols], pl["clicks"][p, cols], pl["impressions"][p, cols]
        p_aov = float(div(rv[hist].sum(), cv[hist].sum()))
        p_rpc = float(div(rv[hist].sum(), ck[hist].sum()))
        add(key, "spend", sp, ok, "money", True, {})
        add(key, "platform_revenue", rv, ok, "money", True, {})
        add(key, "conversions", cv, ok, "count", True, {"value": p_aov})
        add(key, "roas", div(rv, sp), ok, "ratio", True, {"base": sp})
        add(key, "cpa", div(sp, cv), ok, "cpa", True, {"base": cv})
        add(key, "ctr", div(ck, im), ok, "ctr", True, {"base": im, "value": p_rpc})
        add(key, "clicks", ck, ok, "count", False, {"value": p_rpc})
    return series, units


def _event_mask(prep: Prepared, series: list[tuple], cols: slice, n_days: int) -> np.ndarray:
    """Known-event days (user events, calendar, auto-detected pauses) per series."""
    EV = np.zeros((len(series), n_days), bool)
    for k, sc in enumerate(x[0] for x in series):
        if sc == "org":
            EV[k] = prep.event_org[cols]
        else:
            EV[k] = prep.event_plat[prep.platforms.index(sc), cols]
    return EV


def _decompose(
    Zs: np.ndarray, M: np.ndarray, wd: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(trend, weekday pattern, residual, neighbours per level) of log series ``Zs``."""
    half = T.ANOMALY_TREND_HALF
    # masked days (events, outliers) never enter a neighbour's level or the weekday
    # pattern: "neighbours never pull a day's expectation"
    Zm = np.where(M, np.nan, Zs)
    trend0, _ = _centred_median(Zm, half)
    seas = _weekly_seasonal(Zm - trend0, wd)
    Zd = Zs - seas[:, wd]
    tr, nb = _centred_median(np.where(M, np.nan, Zd), half)
    return tr, seas, Zd - tr, nb


def _outlier_mask(r0: np.ndarray, EV: np.ndarray, test0: int) -> np.ndarray:
    """History outliers: residuals beyond ANOMALY_MASK_Z robust sigmas."""
    hist_cols = slice(0, test0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med0 = np.nanmedian(np.where(EV, np.nan, r0)[:, hist_cols], axis=1)
        mad0 = np.nanmedian(np.abs(np.where(EV, np.nan, r0) - med0[:, None])[:, hist_cols], axis=1)
    sig0 = np.maximum(T.MAD_TO_SIGMA * np.nan_to_num(mad0, nan=0.0), T.ANOMALY_SCALE_FLOOR)
    return np.abs(np.nan_to_num(r0 - med0[:, None], nan=0.0)) > T.ANOMALY_MASK_Z * sig0[:, None]


def _spend_response(
    series: list[tuple], Z: np.ndarray, resid_raw: np.ndarray, MASK: np.ndarray, test0: int
) -> tuple[np.ndarray, np.ndarray]:
    """Outcome series move with that day's spend (the response curve): regress each
    residual on its scope's spend residual over the history; the log series with that
    spend response taken out, and the response term itself."""
    S = len(series)
    spend_idx = {series[k][0]: k for k in range(S) if series[k][1] == "spend"}
    beta = np.zeros(S)
    Z_adj = Z.copy()
    for k in range(S):
        scope, name = series[k][0], series[k][1]
        ks = spend_idx.get(scope)
        if ks is None or name in ("spend", "clicks", "ctr"):
            continue
        x, y = resid_raw[ks, :test0], resid_raw[k, :test0]
        ok = np.isfinite(x) & np.isfinite(y)
        sxx = float((x[ok] ** 2).sum())
        ok &= ~MASK[k, :test0] & ~MASK[ks, :test0]
        sxx = float((x[ok] ** 2).sum())
        if ok.sum() >= T.ANOMALY_MIN_HISTORY and sxx > 0:
            beta[k] = float(np.clip((x[ok] * y[ok]).sum() / sxx, -2.0, 2.0))
            Z_adj[k] = Z[k] - beta[k] * np.nan_to_num(Z[ks], nan=0.0)
    spend_term = np.zeros_like(Z)
    for k in range(S):
        ks = spend_idx.get(series[k][0])
        if ks is not None and beta[k] != 0.0:
            spend_term[k] = beta[k] * np.nan_to_num(Z[ks], nan=0.0)
    return Z_adj, spend_term


def _anomaly_scores(
    resid: np.ndarray, resid_raw: np.ndarray, MASK: np.ndarray, var_f: np.ndarray, test0: int
) -> dict[str, np.ndarray]:
    """Robust and calibrated z of each recent day against the trailing days before it
    (z_robust, z, and z_raw of the spend-unadjusted residual), and the trailing centre."""
    H = T.ANOMALY_TRAILING_DAYS
    S, n_days = resid.shape
    padr = np.full((S, H + n_days), np.nan)
    padr[:, H:] = np.where(MASK, np.nan, resid)  # baselines leave masked days out
    padv = np.full((S, H + n_days), np.nan)
    padv[:, H:] = np.where(np.isfinite(resid), var_f, np.nan)
    trail = sliding_window_view(padr, H, axis=1)[:, test0:n_days]  # (S, R, H): days before t
    trail_v = sliding_window_view(padv, H, axis=1)[:, test0:n_days]
    centre, spread = _robust_location_scale(trail)
    base_var = np.nan_to_num(nanmedian(trail_v, axis=2), nan=1.0)
    count = np.isfinite(trail).sum(axis=2)
    scale = np.maximum(spread, T.ANOMALY_SCALE_FLOOR)
    scale = scale * np.sqrt(var_f[:, test0:] / base_var)
    rt = resid[:, test0:]
    z_robust = (rt - centre) / scale
    z_robust = np.where((count >= T.ANOMALY_MIN_HISTORY) & np.isfinite(z_robust), z_robust, np.nan)
    z = _calibrate(z_robust, count)
    # robust z of the raw residual too: cause hints read how the series themselves moved
    trail_raw = sliding_window_view(_pad_left(np.where(MASK, np.nan, resid_raw), H), H, axis=1)[
        :, test0:n_days
    ]
    centre_raw, spread_raw = _robust_location_scale(trail_raw)
    scale_raw = np.maximum(spread_raw, T.ANOMALY_SCALE_FLOOR)
    z_raw = (resid_raw[:, test0:] - centre_raw) / (scale_raw * np.sqrt(var_f[:, test0:] / base_var))
    z_raw = _calibrate(z_raw, count)
    return {"centre": centre, "z_robust": z_robust, "z": z, "z_raw": z_raw}


def _dollar_effects(
    series: list[tuple],
    units: list[dict],
    actual: np.ndarray,
    expected: np.ndarray,
    test0: int,
) -> np.ndarray:
    """Dollar effect of each (series, recent day): |actual - expected| in dollars."""
    effect = np.zeros_like(actual, dtype=float)
    for k, (_, _, _, kind, _) in enumerate(series):
        u = units[k]
        d = np.abs(actual[k] - expected[k])
        if kind == "money":
            effect[k] = d
        elif kind == "count":
            effect[k] = d * (u["value"] if np.isfinite(u["value"]) else 0.0)
        elif kind in ("ratio", "cpa"):
            effect[k] = d * u["base"][test0:]
        elif kind == "ctr":
            v = u["value"] if np.isfinite(u["value"]) else 0.0
            effect[k] = d * u["base"][test0:] * v
    return np.nan_to_num(effect, nan=0.0)


def _data_gaps(prep: Prepared, test0: int) -> dict[str, np.ndarray]:
    """Per platform, the recent days with no rows although the platform was connected."""
    n_days = prep.window
    R = n_days - test0
    gaps = {}
    for p, key in enumerate(prep.platforms):
        rows = prep.plat["rows"][p, slice(0, n_days)][test0:]
        first = int(prep.plat_first[p])
        connected = np.arange(test0, n_days) >= first if first >= 0 else np.zeros(R, bool)
        gaps[key] = (rows == 0) & connected
    return gaps


def _anomaly_findings(
    prep: Prepared, series: list[tuple], sc: dict[str, np.ndarray], test0: int
) -> list[dict]:
    """One finding per recent day and scope with a flagged series, day by day."""
    S = len(series)
    R = prep.window - test0
    scopes = [x[0] for x in series]
    names = [x[1] for x in series]
    gaps = _data_gaps(prep, test0)
    out = []
    ev_by_day = _events_by_day(prep, test0, R)
    for j in range(R):
        for scope in ["org", *prep.platforms]:
            ks = [k for k in range(S) if scopes[k] == scope and sc["flag"][k, j]]
            if not ks:
                continue
            zj = {names[k]: sc["z_raw"][k, j] for k in range(S) if scopes[k] == scope}
            if scope == "org":
                gap = any(g[j] for g in gaps.values())
            else:
                gap = bool(gaps[scope][j])
            hints = _cause_hints(scope, zj, gap)
            day = prep.day_iso(test0 + j)
            items = _flagged_items(series, sc, ks, j)
            severity, lead = _severity_and_lead(names, sc["z"], ks, j, items)
            context = [e for e in ev_by_day[j] if e["platform"] in (None, scope) or scope == "org"]
            if context:
                severity = "low"  # a known event: context, not an alarm
                hints = ["known_event", *[h for h in hints if h != "data_gap"]]
            out.append(
                {
                    "id": f"anomaly:{day}:{scope}",
                    "date": day,
                    "scope": "org" if scope == "org" else "platform",
                    "platform": None if scope == "org" else scope,
                    **lead,
                    "severity": severity,
                    "cause_hints": [{"code": c, "text": _HINTS[c]} for c in hints],
                    "series_flagged": items,
                    "summary": _summary(lead, items, scope, context),
                    "context": [_event_label(e) for e in context],
                }
            )
    return out


def _flagged_items(
    series: list[tuple], sc: dict[str, np.ndarray], ks: list[int], j: int
) -> list[dict]:
    """The flagged series of one day and scope, largest |z| first."""
    z, z_robust = sc["z"], sc["z_robust"]
    names = [x[1] for x in series]
    items = []
    for k in sorted(ks, key=lambda k: (-abs(z[k, j]), names[k])):
        items.append(
            {
                "series": names[k],
                "expected": _num_for(series[k][3], sc["expected"][k, j]),
                "actual": _num_for(series[k][3], sc["actual"][k, j]),
                "z": ratio(float(np.clip(z[k, j], -T.ANOMALY_Z_CAP, T.ANOMALY_Z_CAP))),
                "z_robust": ratio(
                    float(np.clip(z_robust[k, j], -T.ANOMALY_Z_CAP, T.ANOMALY_Z_CAP))
                ),
                "direction": "up" if z[k, j] > 0 else "down",
                "dollar_effect": money(sc["effect"][k, j]),
            }
        )
    return items


def _severity_and_lead(
    names: list[str], z: np.ndarray, ks: list[int], j: int, items: list[dict]
) -> tuple[str, dict]:
    """Severity follows efficiency: an adverse move of MER / ROAS (down) or CPA (up);
    the lead item is the worst such move, else the largest."""
    eff = [
        k
        for k in ks
        if (names[k] in ("mer", "roas") and z[k, j] < 0) or (names[k] == "cpa" and z[k, j] > 0)
    ]
    if not eff:
        return "low", items[0]  # volume moved, efficiency held: a note, not an alarm
    zmax = max(abs(z[k, j]) for k in eff)
    severity = "high" if zmax >= T.ANOMALY_Z_HIGH else "medium"
    lead = next(i for i in items if i["series"] == names[max(eff, key=lambda k: abs(z[k, j]))])
    return severity, lead


def _events_by_day(prep: Prepared, first: int, n: int) -> list[list[dict]]:
    """The known events (incl. auto-detected pauses) covering each of ``n`` window days."""
    out: list[list[dict]] = [[] for _ in range(n)]
    for e in prep.events:
        for j in range(n):
            d = prep.day_iso(first + j)
            if e["start"] <= d <= e["end"]:
                out[j].append(e)
    return out


def _event_label(e: dict) -> str:
    where = f" ({e['platform']})" if e["platform"] else ""
    span = e["start"] if e["start"] == e["end"] else f"{e['start']} to {e['end']}"
    src = " - detected" if e["source"] == "auto" else ""
    return f"{e['kind']}{where} {span}{src}"


_EFF_NAME = {"org": "MER", "platform": "ROAS"}


def _summary(lead: dict, items: list[dict], scope: str, context: list[dict]) -> str:
    """One line in plain words: 'spend up 90%, MER held' / 'MER down 45% (tracking gap?)'."""
    exp, act = lead.get("expected"), lead.get("actual")
    chg = (act - exp) / exp if exp and act is not None and exp > 0 else None
    what = lead["series"].replace("_", " ")
    text = f"{what} {lead['direction']}" + (f" {abs(chg) * 100:.0f}%" if chg is not None else "")
    eff = "MER" if scope == "org" else "ROAS"
    if not any(i["series"] in ("mer", "roas", "cpa") for i in items):
        text += f", {eff} held"
    if context:
        text += " - during " + "; ".join(_event_label(e) for e in context)
    return text


def _merge_notes(found: list[dict]) -> list[dict]:
    """Consecutive-day low notes of one scope become one finding (first day, end_date)."""
    out: list[dict] = []
    last: dict[str, dict] = {}
    for f in sorted(found, key=lambda f: (f["date"], f["id"])):
        key = f["platform"] or "org"
        prev = last.get(key)
        if (
            f["severity"] == "low"
            and prev is not None
            and prev["severity"] == "low"
            and _next_day(prev.get("end_date") or prev["date"]) == f["date"]
        ):
            prev["end_date"] = f["date"]
            prev["days"] = prev.get("days", 1) + 1
            continue
        out.append(f)
        last[key] = f
    return sorted(out, key=lambda f: (f["date"], 0 if f["scope"] == "org" else 1, f["id"]))


def _next_day(d: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(d) + timedelta(days=1)).isoformat()


def _robust_location_scale(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and biweight midvariance scale over the last axis (NaN-aware).

    The biweight keeps the MAD's 50% breakdown but reads the whole bulk of the window
    (about 87% efficient), so a sharply peaked residual distribution does not shrink the
    scale and inflate every z the way a bare MAD does.
    """
    med = nanmedian(w, axis=-1)
    dev = w - med[..., None]
    mad = nanmedian(np.abs(dev), axis=-1)
    ok = np.isfinite(dev)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = dev / (T.BIWEIGHT_C * mad[..., None])
        inside = ok & (np.abs(u) < 1.0)
        u2 = np.where(inside, u * u, 0.0)
        num = (np.where(inside, dev, 0.0) ** 2 * (1.0 - u2) ** 4).sum(axis=-1)
        den = (np.where(inside, (1.0 - u2) * (1.0 - 5.0 * u2), 0.0)).sum(axis=-1)
        n = ok.sum(axis=-1)
        scale = np.sqrt(n * num) / np.abs(den)
    fallback = T.MAD_TO_SIGMA * np.nan_to_num(mad, nan=0.0)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, fallback)
    return med, scale


def _calibrate(z: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Robust z -> Gaussian-equivalent z, allowing for a scale estimated from n days.

    A scale from 56 days is itself uncertain, so (x - median) / scale has t-like tails
    (~0.87 (n - 1) degrees of freedom for the biweight): a raw 3.5 happens more often than
    a Gaussian 3.5. Mapping through the t and normal tails keeps the meaning of the
    docs/brain-spec.md thresholds (3.5 and 5 sigma).
    """
    df = np.maximum(3.0, T.SCALE_EFFICIENCY * (np.asarray(n, dtype=float) - 1.0))
    a = np.abs(np.nan_to_num(z, nan=0.0))
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        out = norm_dist.isf(np.maximum(t_dist.sf(a, df), 1e-300))
    out = np.where(a > 0, out, 0.0) * np.sign(np.nan_to_num(z, nan=0.0))
    return np.where(np.isfinite(z), out, np.nan)


def _pad_left(a: np.ndarray, n: int) -> np.ndarray:
    out = np.full((a.shape[0], n + a.shape[1]), np.nan)
    out[:, n:] = a
    return out


def _num_for(kind: str, v: float) -> float | None:
    return money(v) if kind in ("money", "cpa") else ratio(v)


def _cause_hints(scope: str, zj: dict[str, float], gap: bool) -> list[str]:
    """Cause hints from how spend, revenue and clicks moved together that day."""

    def zv(name: str) -> float:
        v = zj.get(name)
        return float(v) if v is not None and np.isfinite(v) else 0.0

    rev = zv("store_revenue") if scope == "org" else zv("platform_revenue")
    sp = zv("spend")
    clk = zv("clicks")
    zt = T.ANOMALY_Z

    def steady(z: float, driver: float) -> bool:
        # "held steady" = small, or small next to the move that drives the finding
        return abs(z) < max(T.ANOMALY_STEADY_Z, T.ANOMALY_STEADY_RATIO * abs(driver))

    hints = []
    if gap:
        hints.append("data_gap")
    if sp >= zt and rev < T.ANOMALY_STEADY_RATIO * sp:
        hints.append("runaway_spend")
    if rev <= -zt and steady(sp, rev) and steady(clk, rev):
        hints.append("tracking_gap")
    if rev <= -zt and sp <= -zt and not gap:
        hints.append("delivery_drop")
    if rev >= zt and steady(sp, rev):
        hints.append("demand_spike")
    if clk <= -zt and steady(sp, clk):
        hints.append("click_drop")
    return hints or ["unexplained"]


# --------------------------------------------------------------------------- risk
def compute_risk(
    fatigue: list[dict],
    fatigue_counts: dict[str, int],
    decay: list[dict],
    drift: dict,
    anomalies: list[dict],
) -> dict:
    """RED if >= 3 high findings, YELLOW if >= 1 high or >= 2 medium, else GREEN."""
    findings = []
    for f in fatigue:
        findings.append(
            {
                "id": f["id"],
                "kind": "fatigue",
                "severity": f["severity"],
                "title": f"Creative {f['creative_id']} fatigue "
                f"{round(f['prob_7d'] * 100)}% in 7 days",
            }
        )
    for d in decay:
        if d["flagged"]:
            findings.append(
                {
                    "id": d["id"],
                    "kind": "roi_decay",
                    "severity": d["severity"],
                    "title": f"{d['platform']} ROAS down {round(d['decay'] * 100)}% week "
                    "over baseline",
                }
            )
    if drift.get("flagged"):
        findings.append(
            {
                "id": drift["id"],
                "kind": "ltv_drift",
                "severity": drift["severity"],
                "title": f"90-day LTV down {round(drift['drift'] * 100)}% in recent cohorts",
            }
        )
    for a in anomalies:
        where = a["platform"] or "org"
        findings.append(
            {
                "id": a["id"],
                "kind": "anomaly",
                "severity": a["severity"],
                "title": f"{a['series']} {a['direction']} on {a['date']} ({where})",
            }
        )
    counts = {lv: sum(1 for f in findings if f["severity"] == lv) for lv in _LEVELS}
    for lv in _LEVELS:  # fatigue beyond the listed cap still counts
        listed = sum(1 for f in fatigue if f["severity"] == lv)
        counts[lv] += max(0, int(fatigue_counts.get(lv, 0)) - listed)
    high, medium, low = counts["high"], counts["medium"], counts["low"]
    if high >= T.RISK_RED_HIGH:
        level = "RED"
    elif high >= T.RISK_YELLOW_HIGH or medium >= T.RISK_YELLOW_MEDIUM:
        level = "YELLOW"
    else:
        level = "GREEN"
    score = min(100, T.RISK_W_HIGH * high + T.RISK_W_MEDIUM * medium + T.RISK_W_LOW * low)
    rank = {lv: i for i, lv in enumerate(_LEVELS)}
    findings.sort(key=lambda f: (rank[f["severity"]], f["id"]))
    return {
        "id": "risk",
        "level": level,
        "score": int(score),
        "high": int(high),
        "medium": int(medium),
        "low": int(low),
        "findings": findings[: T.FATIGUE_LIST_CAP],
    }


def compute_oracle(prep: Prepared, memory: dict) -> tuple[dict, list[str]]:
    """ORACLE: fatigue, ROI decay, LTV drift, anomalies and the risk level."""
    totals = memory["totals"]
    calibration = totals.get("calibration") or 1.0
    fatigue, fstats = compute_fatigue(
        prep, float(calibration), totals.get("store_to_platform_ratio")
    )
    extra_notes = []
    if fstats.get("gated_small"):
        extra_notes.append(
            f"fatigue: {fstats['gated_small']} creatives had fewer than "
            f"{T.FATIGUE_MIN_CONVERSIONS} conversions in 21 days; they are only monitored "
            "(more conversions would enable a pause or refresh call)"
        )
    decay = compute_roi_decay(prep, memory)
    per_days = prep.settings.period_days
    ncpw = (totals.get("new_customers") or 0) / per_days * 7.0
    drift = compute_ltv_drift(prep, ncpw)
    anomalies, notes = compute_anomalies(prep)
    notes = extra_notes + notes
    risk = compute_risk(fatigue, fstats["by_severity"], decay, drift, anomalies)
    oracle = {
        "id": "oracle",
        "fatigue": fatigue,
        "fatigue_stats": fstats,
        "roi_decay": decay,
        "ltv_drift": drift,
        "anomalies": anomalies,
        "risk": risk,
        "events": [{"id": _event_id(e), **e} for e in prep.events],
    }
    return oracle, notes


def _event_id(e: dict) -> str:
    return f"event:{e['kind']}:{e['platform'] or 'org'}:{e['start']}"
