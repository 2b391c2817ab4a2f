"""MEMORY — the truth layer: what happened with the spend (docs/brain-spec.md, MEMORY).

Works on the dense arrays of :mod:`brain.prep`; every metric is computed for all
platforms, campaigns and creatives at once, then only the top rows are turned into JSON.
"""

from __future__ import annotations

import numpy as np

from brain import thresholds as T
from brain._util import div, money, ratio
from brain.prep import Prepared


def entity_metrics(
    spend: np.ndarray,
    revenue: np.ndarray,
    impressions: np.ndarray,
    clicks: np.ndarray,
    conversions: np.ndarray,
) -> dict[str, np.ndarray]:
    """Platform ROAS, CPA, CTR, CVR, CPM for arrays of entities (NaN where undefined)."""
    return {
        "roas": div(revenue, spend),
        "cpa": div(spend, conversions),
        "ctr": div(clicks, impressions),
        "cvr": div(conversions, clicks),
        "cpm": div(spend, impressions) * 1000.0,
    }


def trend_of(recent: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Direction codes (1 up, -1 down, 0 flat, NaN unknown) and change of recent vs prior."""
    change = div(recent, prior) - 1.0
    direction = np.where(
        np.isnan(change),
        np.nan,
        np.where(change > T.TREND_FLAT_BAND, 1.0, np.where(change < -T.TREND_FLAT_BAND, -1.0, 0.0)),
    )
    return direction, change


def _trend_dict(direction: float, change: float, metric: str) -> dict:
    if np.isnan(direction):
        word = "unknown"
    else:
        word = {1.0: "up", -1.0: "down", 0.0: "flat"}[float(direction)]
    return {"metric": metric, "direction": word, "change_pct": ratio(change * 100.0)}


def status_of(roas: np.ndarray, org_roas: float) -> np.ndarray:
    """winner / loser / neutral against the org's platform ROAS (like with like)."""
    out = np.full(roas.shape, "neutral", dtype=object)
    if not np.isfinite(org_roas) or org_roas <= 0:
        return out
    out[roas > T.WINNER_RATIO * org_roas] = "winner"
    out[roas < T.LOSER_RATIO * org_roas] = "loser"
    return out


def channel_status(curve: dict, breakeven: float) -> str | None:
    """A channel's status from its next dollar (docs/brain-spec.md): winner when the calibrated
    marginal ROAS clears the scale hurdle (breakeven x SCALE_BREAKEVEN_MULT), loser below
    breakeven (the next dollar loses money), neutral in between; None without a curve."""
    m = curve.get("marginal_roas_calibrated")
    if m is None or not np.isfinite(breakeven) or breakeven <= 0:
        return None
    if m >= breakeven * T.SCALE_BREAKEVEN_MULT:
        return "winner"
    if m < breakeven:
        return "loser"
    return "neutral"


class Windows:
    """Column slices of the (entity x day) arrays for the windows docs/brain-spec.md uses."""

    def __init__(self, prep: Prepared) -> None:
        L = prep.window
        p = prep.settings.period_days
        self.period = slice(L - p, L)
        self.recent = slice(L - T.RECENT_DAYS, L)
        self.prior7 = slice(L - 2 * T.TREND_DAYS, L - T.TREND_DAYS)
        self.baseline = slice(L - T.BASELINE_END, L - T.BASELINE_START + 1)


def ltv_factor(prep: Prepared) -> dict:
    """LTV factor = 90-day revenue per customer / first-order revenue per customer.

    Over the latest up-to-3 monthly cohorts that are complete and at least 90 days old.
    """
    c = prep.cohorts
    out = {"factor": None, "cohorts": [], "ltv_90d": None, "first_order_value": None}
    if c is None or c.empty:
        return out
    ok = c[c["complete"] & c["mature"] & (c["customers"] >= T.DRIFT_MIN_CUSTOMERS)]
    use = ok.tail(T.LTV_FACTOR_COHORTS)
    if use.empty:
        return out
    rev90 = float(use["rev90"].sum())
    first = float(use["first_rev"].sum())
    cust = float(use["customers"].sum())
    factor = rev90 / first if first > 0 else float("nan")
    out.update(
        factor=ratio(factor),
        cohorts=[_month_label(m) for m in use["month"]],
        ltv_90d=money(rev90 / cust if cust else None),
        first_order_value=money(first / cust if cust else None),
    )
    return out


def _month_label(m: int) -> str:
    m = int(m)
    return f"{1970 + m // 12:04d}-{m % 12 + 1:02d}"


def response_curves(prep: Prepared) -> list[dict]:
    """Per platform: fit log(revenue) = a + alpha log(spend) + weekday terms.

    Uses the last 56-90 days (>= 28 days with spend; known-event and paused days left
    out); alpha clamped to [0.05, 1]; marginal ROAS = alpha x ROAS at current (last 7
    days) spend. The incremental calibration is applied afterwards (:func:`incremental`).
    """
    L = prep.window
    win = min(T.RESPONSE_MAX_WINDOW, L)
    cols = slice(L - win, L)
    weekday = (np.arange(prep.start_day, prep.start_day + L) + 3) % 7  # Monday = 0
    wd = weekday[cols]
    rec = slice(L - T.RECENT_DAYS, L)
    out = []
    for p in range(len(prep.platforms)):
        s = prep.plat["spend"][p, cols]
        r = prep.plat["revenue"][p, cols]
        ev = prep.event_plat[p, cols] if prep.event_plat.size else np.zeros(win, bool)
        ok = (s > 0) & (r > 0) & ~ev
        n = int(ok.sum())
        roas_now = float(div(prep.plat["revenue"][p, rec].sum(), prep.plat["spend"][p, rec].sum()))
        spend_var = float(np.std(np.log(s[ok]))) if n > 1 else 0.0
        rec_d: dict = {
            "status": "insufficient_data",
            "alpha": None,
            "alpha_raw": None,
            "alpha_se": None,
            "r2": None,
            "days": n,
            "spend_variation": ratio(spend_var),
            "roas_now": ratio(roas_now),
            "marginal_roas": None,
            "marginal_roas_calibrated": None,
            "marginal_roas_band": None,
            "incremental_factor": None,
            "confidence": 0.0,
        }
        if n >= T.RESPONSE_MIN_DAYS:
            x = np.log(s[ok])
            y = np.log(r[ok])
            dummies = (wd[ok][:, None] == np.arange(1, 7)[None, :]).astype(float)
            keep = dummies.sum(axis=0) > 0
            X = np.column_stack([np.ones(n), x, dummies[:, keep]])
            k = X.shape[1]
            beta, se, r2, rank = _huber_fit(X, y)
            alpha_raw = float(beta[1]) if rank == k else float("nan")
            if np.isfinite(alpha_raw) and np.var(x) > 1e-8:
                alpha = float(np.clip(alpha_raw, T.ALPHA_MIN, T.ALPHA_MAX))
                conf = max(0.0, 1.0 - se / T.ALPHA_SE_FOR_ZERO_CONFIDENCE)
                conf *= min(1.0, n / T.RESPONSE_MIN_WINDOW)
                marginal = alpha * roas_now
                rec_d.update(
                    status="ok",
                    alpha=ratio(alpha),
                    alpha_raw=ratio(alpha_raw),
                    alpha_se=ratio(se),
                    r2=ratio(r2),
                    marginal_roas=ratio(marginal),
                    confidence=ratio(conf),
                )
        out.append(rec_d)
    return out


def _level(lvl_raw: np.ndarray, ok: np.ndarray, recent: int) -> np.ndarray:
    """A platform's ROAS level over time: constant, plus a straight line over the last
    ``recent`` days (robust fit of the ``ok`` days).

    A rolling mean follows each stretch of noise, and noise in the regressor biases the
    incremental factor towards zero (measured: -12% on the scenario families); one level
    with a recent slope is unbiased (-1.5%) and still follows a platform that is decaying
    now, so a decaying platform is not mistaken for a cheap one."""
    n = len(lvl_raw)
    t = np.arange(n)
    B = np.column_stack([np.ones(n), np.maximum(t - (n - recent), 0)])
    if int(ok.sum()) < 2:
        return np.full(n, np.nan)
    if int(ok[n - recent :].sum()) < 2:
        B = B[:, :1]
    beta, _, _, _, _ = _huber_irls(B[ok], lvl_raw[ok])
    return B @ beta


def incremental(prep: Prepared, curves: list[dict]) -> dict:
    """Incremental calibration: what share of platform-reported revenue ads really add.

    Regress daily store **new-customer** revenue on each platform's spend-driven reported
    revenue ``X_p,t = level_p,t x spend_p,t ^ alpha_p`` (level = the platform's 7-day
    ROAS level with a recent trend, :func:`_level`, so a decaying platform is not mistaken
    for a cheap one), with an organic
    baseline (intercept) and weekday terms, by Huber IRLS, known-event days left out:

        new_customer_revenue_t = organic + weekday + sum_p f_p X_p,t

    ``f_p`` is incremental revenue per reported dollar (returning customers and organic
    demand are not credited to ads). Per-platform ``f_p`` are shrunk towards the pooled
    fit (one f for all platforms) by their standard errors (a normal prior with a
    CAL_PRIOR_SPREAD relative spread), which keeps a platform with little spend
    variation from getting a wild factor.
    """
    L = prep.window
    P = len(prep.platforms)
    win = min(T.RESPONSE_MAX_WINDOW, L)
    cols = np.arange(L - win, L)
    out: dict = {
        "status": "insufficient_data",
        "method": "new-customer revenue regressed on platform spend with an organic baseline",
        "factor": None,
        "factor_se": None,
        "factors": {},
        "organic_per_day": None,
        "ad_share": None,
        "days": 0,
        "note": None,
    }
    if P == 0 or prep.n_orders == 0 or prep.store_first is None or prep.ad_first is None:
        out["note"] = "needs ad data and store orders"
        return out
    y_all = prep.store["first_revenue"]
    if float(y_all[cols].sum()) <= 0:
        y_all = prep.store["revenue"]
    ok = np.ones(L, bool)
    ok[: max(prep.ad_first, prep.store_first)] = False
    ok &= ~prep.event_org
    X = _spend_driven_revenue(prep, curves, win)  # (P, L)
    use = np.zeros(L, bool)
    use[cols] = True
    use &= ok & np.isfinite(y_all)
    n = int(use.sum())
    out["days"] = n
    if n < T.RESPONSE_MIN_DAYS:
        out["note"] = (
            f"{n} days with both ad spend and orders; the incremental calibration needs "
            f"{T.RESPONSE_MIN_DAYS}"
        )
        return out
    weekday = (np.arange(prep.start_day, prep.start_day + L) + 3) % 7
    dummies = (weekday[use][:, None] == np.arange(1, 7)[None, :]).astype(float)
    dummies = dummies[:, dummies.sum(axis=0) > 0]
    y = y_all[use]
    Xu = X[:, use].T
    active = Xu.std(axis=0) > 0
    # pooled: one factor for all platforms
    Z0 = np.column_stack([np.ones(n), Xu.sum(axis=1), dummies])
    b0, cov0, _ = _huber_cov(Z0, y)
    f0, se0 = float(b0[1]), float(np.sqrt(max(cov0[1, 1], 0.0)))
    if not np.isfinite(f0) or f0 <= 0 or se0 / f0 > T.CAL_MAX_REL_SE:
        out["note"] = (
            "ad spend did not vary enough to separate ad-driven from organic revenue "
            f"(factor {f0:.2f} +- {se0:.2f}); a budget test (+-20-30% for a week) would enable it"
        )
        out.update(factor_raw=ratio(f0), factor_se=ratio(se0))
        return out
    factors = _shrunk_factors(prep, Xu, active, dummies, y, f0, se0)
    organic = float(b0[0]) + float(dummies.mean(axis=0) @ b0[2:]) if dummies.size else float(b0[0])
    ad_rev = float(f0 * Xu.sum())
    out.update(
        status="ok",
        factor=ratio(f0),
        factor_se=ratio(se0),
        factors=factors,
        organic_per_day=money(organic),
        ad_share=ratio(div(ad_rev, float(y.sum()))),
    )
    return out


def _spend_driven_revenue(prep: Prepared, curves: list[dict], win: int) -> np.ndarray:
    """Per platform and day, ``level x spend ^ alpha``: the reported revenue spend explains."""
    L = prep.window
    Xs = []
    for p in range(len(prep.platforms)):
        s = prep.plat["spend"][p]
        r = prep.plat["revenue"][p]
        a = curves[p]["alpha"] if curves[p]["status"] == "ok" else 1.0
        pos = (s > 0) & (r > 0) & ~prep.event_plat[p]
        with np.errstate(divide="ignore", invalid="ignore"):
            lvl_raw = np.where(pos, r / np.where(s > 0, s, 1.0) ** a, 0.0)
        fit = pos.copy()
        fit[: L - win] = False
        lvl = _level(lvl_raw, fit, T.CAL_LEVEL_RECENT_DAYS)
        Xs.append(np.nan_to_num(lvl, nan=0.0) * np.where(s > 0, s, 0.0) ** a)
    return np.vstack(Xs)


def _shrunk_factors(
    prep: Prepared,
    Xu: np.ndarray,
    active: np.ndarray,
    dummies: np.ndarray,
    y: np.ndarray,
    f0: float,
    se0: float,
) -> dict:
    """Per-platform factors, each shrunk towards the pooled ``f0`` by its standard error."""
    n = len(y)
    Z1 = np.column_stack([np.ones(n), Xu[:, active], dummies])
    b1, cov1, _ = _huber_cov(Z1, y)
    tau = T.CAL_PRIOR_SPREAD * f0
    factors = {}
    j = 1
    for p in range(len(prep.platforms)):
        key = prep.platforms[p]
        if not active[p]:
            factors[key] = {"factor": ratio(f0), "se": ratio(se0)}
            continue
        fp, sp = float(b1[j]), float(np.sqrt(max(cov1[j, j], 0.0)))
        j += 1
        prec = 1.0 / max(sp, 1e-9) ** 2 + 1.0 / tau**2
        post = (fp / max(sp, 1e-9) ** 2 + f0 / tau**2) / prec
        factors[key] = {"factor": ratio(max(post, 0.0)), "se": ratio(np.sqrt(1.0 / prec))}
    return factors


def _huber_irls(
    X: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
    """Huber IRLS: coefficients, weights, residuals, weighted residual variance and rank.

    A few days off the curve (a decaying platform's last week, a tracking gap) would
    otherwise drag the fit; Huber weights keep them from dominating it."""
    n, k = X.shape
    w = np.ones(n)
    beta = np.zeros(k)
    rank = 0
    for _ in range(T.HUBER_ITERATIONS):
        sw = np.sqrt(w)
        beta, _, rank, _ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
        r = y - X @ beta
        scale = T.MAD_TO_SIGMA_FIT * float(np.median(np.abs(r - np.median(r))))
        if scale <= 1e-12:
            break
        u = np.abs(r) / (T.HUBER_K * scale)
        w_new = np.where(u <= 1.0, 1.0, 1.0 / np.maximum(u, 1e-12))
        if np.max(np.abs(w_new - w)) < 1e-4:
            w = w_new
            break
        w = w_new
    r = y - X @ beta
    dof = max(float(w.sum()) - k, 1.0)
    sigma2 = float((w * r * r).sum()) / dof
    return beta, w, r, sigma2, int(rank)


def _huber_cov(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Huber IRLS coefficients, their covariance (sandwich-free, weighted) and weights."""
    beta, w, _, sigma2, _ = _huber_irls(X, y)
    cov = sigma2 * np.linalg.pinv((X * w[:, None]).T @ X)
    return beta, cov, w


def _huber_fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, float, int]:
    """Robust (Huber IRLS) least squares: coefficients, SE of the slope, R^2, rank."""
    beta, w, r, sigma2, rank = _huber_irls(X, y)
    xtwx_inv = np.linalg.pinv((X * w[:, None]).T @ X)
    se = float(np.sqrt(max(sigma2 * xtwx_inv[1, 1], 0.0)))
    yw = float((w * y).sum() / w.sum())
    ss_tot = float((w * (y - yw) ** 2).sum())
    r2 = 1.0 - float((w * r * r).sum()) / ss_tot if ss_tot > 0 else 0.0
    return beta, se, r2, rank


def shrink_marginals(curves: list[dict]) -> None:
    """Empirical-Bayes shrinkage of the platforms' calibrated marginal ROAS (in place).

    Each platform's estimate is noisy (relative SE 25-50% from 90 days), and the budget
    shift picks the highest and the lowest: without shrinkage it takes the noise for a gap
    and overstates its gain (the winner's curse). On the log scale, each estimate moves
    towards the precision-weighted mean by ``se^2 / (se^2 + tau^2)``, with the spread
    between platforms ``tau^2`` from the DerSimonian-Laird estimator; SEs are first
    inflated by CAL_SE_INFLATION (on the scenario families the bands were too narrow).
    The factor is rescaled so curve-based actions use the same figure."""
    ok = [rc for rc in curves if rc.get("marginal_roas_calibrated")]
    if len(ok) < 2:
        return
    x = np.log([float(rc["marginal_roas_calibrated"]) for rc in ok])
    se = T.CAL_SE_INFLATION * np.array([max(marginal_rel_se(rc), 0.05) for rc in ok])
    w = 1.0 / se**2
    mu_fe = float((w * x).sum() / w.sum())
    q = float((w * (x - mu_fe) ** 2).sum())
    tau2 = max(0.0, (q - (len(x) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    ws = 1.0 / (se**2 + tau2)
    mu = float((ws * x).sum() / ws.sum())
    b = tau2 / (tau2 + se**2)
    post = mu + b * (x - mu)
    # the band keeps the (inflated) sampling error: a posterior sd covered the truth 52-58%
    for rc, m, sd, raw in zip(ok, np.exp(post), se, x, strict=True):
        f = float(rc["incremental_factor"]) * float(m / np.exp(raw))
        rc.update(
            marginal_roas_unshrunk=ratio(float(np.exp(raw))),
            incremental_factor=ratio(f),
            marginal_roas_calibrated=ratio(float(m)),
            marginal_roas_band={
                "low": ratio(float(m * max(0.0, 1.0 - sd))),
                "high": ratio(float(m * (1.0 + sd))),
            },
        )


def marginal_rel_se(rc: dict) -> float:
    """Relative uncertainty of a calibrated marginal ROAS (from its band; 1.0 without)."""
    band = rc.get("marginal_roas_band") or {}
    m = rc.get("marginal_roas_calibrated") or 0.0
    if not m or band.get("high") is None:
        return 1.0
    return float((band["high"] - m) / m)


def compute_memory(prep: Prepared) -> dict:
    """MEMORY: totals, platforms, top campaigns and creatives, daily series, LTV factor."""
    st = prep.settings
    w = Windows(prep)
    per = w.period

    spend_t = float(prep.org["spend"][per].sum())
    prev_t = float(prep.org["revenue"][per].sum())
    store_t = float(prep.store["revenue"][per].sum())
    orders_t = float(prep.store["orders"][per].sum())
    first_rev_t = float(prep.store["first_revenue"][per].sum())
    new_c = float(prep.store["new_customers"][per].sum())
    mer = float(div(store_t, spend_t))
    platform_roas = float(div(prev_t, spend_t))
    over = float(div(prev_t, store_t))
    cal_raw = float(div(store_t, prev_t))
    store_ratio = float(np.clip(cal_raw, *T.CALIBRATION_CLIP)) if np.isfinite(cal_raw) else 1.0
    curves = response_curves(prep)
    inc = incremental(prep, curves)
    calibration = float(inc["factor"]) if inc["status"] == "ok" else store_ratio
    _calibrate_curves(prep, curves, inc)
    shrink_marginals(curves)
    ltv = ltv_factor(prep)
    factor = ltv["factor"]
    totals = {
        "spend": money(spend_t),
        "store_revenue": money(store_t),
        "platform_revenue": money(prev_t),
        "mer": ratio(mer),
        "platform_roas": ratio(platform_roas),
        "nc_roas": ratio(div(first_rev_t, spend_t)),
        "cac": money(div(spend_t, new_c)),
        "new_customers": int(round(new_c)),
        "orders": int(round(orders_t)),
        "first_order_revenue": money(first_rev_t),
        "aov": money(div(store_t, orders_t)),
        "over_reporting": ratio(over),
        "calibration": ratio(calibration),
        "calibration_method": "incremental" if inc["status"] == "ok" else "store_ratio",
        "store_to_platform_ratio": ratio(store_ratio),
        "ltv_factor": factor,
        "ltv_roas": ratio(mer * factor) if factor is not None and np.isfinite(mer) else None,
        "breakeven_roas": ratio(st.breakeven_roas),
        "mer_trend": _trend_dict(
            *[
                float(v)
                for v in trend_of(
                    div(prep.store["revenue"][w.recent].sum(), prep.org["spend"][w.recent].sum()),
                    div(prep.store["revenue"][w.prior7].sum(), prep.org["spend"][w.prior7].sum()),
                )
            ],
            "mer",
        ),
        "definitions": {
            "mer": "store revenue / ad spend",
            "platform_roas": "platform-reported revenue / ad spend",
            "nc_roas": "first-order revenue / ad spend",
            "cac": "ad spend / new customers",
            "over_reporting": "platform-reported revenue / store revenue",
            "ltv_roas": "MER x LTV factor",
        },
    }

    platforms = _platform_rows(prep, w, curves, spend_t, prev_t, platform_roas, factor)
    campaigns = _campaign_rows(prep, w, spend_t, platform_roas)
    creatives = _creative_rows(prep, w, spend_t, platform_roas)
    daily = _daily_rows(prep, per)

    return {
        "id": "memory",
        "totals": {"id": "memory:totals", **totals},
        "platforms": platforms,
        "campaigns": campaigns,
        "creatives": creatives,
        "daily": daily,
        "ltv": {"id": "memory:ltv", **ltv},
        "incremental": {"id": "memory:incremental", **inc},
    }


def _calibrate_curves(prep: Prepared, curves: list[dict], inc: dict) -> None:
    """Put the incremental factor (and its error) on each fitted response curve, in place."""
    for p, rc in enumerate(curves):
        fct = inc["factors"].get(prep.platforms[p]) if inc["status"] == "ok" else None
        if rc["status"] != "ok" or fct is None:
            continue
        f, fse = float(fct["factor"]), float(fct["se"] or 0.0)
        m = float(rc["marginal_roas"])
        # relative uncertainty of f x alpha: both errors, in quadrature
        rel = float(np.hypot(div(fse, f) if f > 0 else 1.0, (rc["alpha_se"] or 0.0) / rc["alpha"]))
        rc.update(
            incremental_factor=ratio(f),
            marginal_roas_calibrated=ratio(m * f),
            marginal_roas_band={
                "low": ratio(m * f * max(0.0, 1.0 - rel)),
                "high": ratio(m * f * (1.0 + rel)),
            },
        )
        rc["confidence"] = ratio(float(rc["confidence"]) * max(0.0, 1.0 - rel))


def _platform_rows(
    prep: Prepared,
    w: Windows,
    curves: list[dict],
    spend_t: float,
    prev_t: float,
    platform_roas: float,
    factor: float | None,
) -> list[dict]:
    """One row per platform over the period, with its response curve."""
    st = prep.settings
    per = w.period
    P = len(prep.platforms)
    ps = {k: prep.plat[k][:, per].sum(axis=1) for k in prep.plat}
    pm = entity_metrics(
        ps["spend"], ps["revenue"], ps["impressions"], ps["clicks"], ps["conversions"]
    )
    p_dir, p_chg = trend_of(
        div(prep.plat["revenue"][:, w.recent].sum(1), prep.plat["spend"][:, w.recent].sum(1)),
        div(prep.plat["revenue"][:, w.prior7].sum(1), prep.plat["spend"][:, w.prior7].sum(1)),
    )
    p_status = status_of(pm["roas"], platform_roas)
    platforms = []
    for p in range(P):
        key = prep.platforms[p]
        roas_p = pm["roas"][p]
        by_margin = channel_status(curves[p], float(st.breakeven_roas))
        platforms.append(
            {
                "id": f"platform:{key}",
                "platform": key,
                **_metric_fields(ps, pm, p),
                "share_of_spend": ratio(div(ps["spend"][p], spend_t)),
                "share_of_revenue": ratio(div(ps["revenue"][p], prev_t)),
                "days_with_spend": int((prep.plat["spend"][p, per] > 0).sum()),
                "trend": _trend_dict(p_dir[p], p_chg[p], "platform_roas"),
                "status": by_margin or str(p_status[p]),
                "status_basis": "marginal" if by_margin else "average",
                "ltv_roas": ratio(roas_p * factor) if factor is not None else None,
                "response_curve": {"id": f"curve:{key}", **curves[p]},
            }
        )
    return platforms


def _campaign_rows(prep: Prepared, w: Windows, spend_t: float, platform_roas: float) -> list[dict]:
    """The top campaigns by spend: the creative cube aggregated by campaign."""
    cube = prep.cube
    per = w.period
    n_camp = len(prep.camp_id)
    cs = {
        k: np.bincount(prep.cr_campaign, weights=cube[k][:, per].sum(axis=1), minlength=n_camp)
        for k in ("spend", "revenue", "impressions", "clicks", "conversions")
    }
    cm = entity_metrics(
        cs["spend"], cs["revenue"], cs["impressions"], cs["clicks"], cs["conversions"]
    )
    c_rec = {
        k: np.bincount(prep.cr_campaign, weights=cube[k][:, sl].sum(axis=1), minlength=n_camp)
        for k, sl in (("spend", w.recent), ("revenue", w.recent))
    }
    c_pri = {
        k: np.bincount(prep.cr_campaign, weights=cube[k][:, w.prior7].sum(axis=1), minlength=n_camp)
        for k in ("spend", "revenue")
    }
    c_dir, c_chg = trend_of(
        div(c_rec["revenue"], c_rec["spend"]), div(c_pri["revenue"], c_pri["spend"])
    )
    c_status = status_of(cm["roas"], platform_roas)
    n_cr_of = np.bincount(prep.cr_campaign, minlength=n_camp)
    top_c = _top(cs["spend"], prep.camp_id, T.TOP_CAMPAIGNS)
    campaigns = []
    for i in top_c:
        key = prep.platforms[prep.camp_platform[i]]
        campaigns.append(
            {
                "id": f"campaign:{key}:{prep.camp_id[i]}",
                "platform": key,
                "campaign_id": str(prep.camp_id[i]),
                "name": str(prep.camp_name[i]),
                **_metric_fields(cs, cm, i),
                "share_of_spend": ratio(div(cs["spend"][i], spend_t)),
                "creatives": int(n_cr_of[i]),
                "trend": _trend_dict(c_dir[i], c_chg[i], "platform_roas"),
                "status": str(c_status[i]),
            }
        )
    return campaigns


def _creative_rows(prep: Prepared, w: Windows, spend_t: float, platform_roas: float) -> list[dict]:
    """The top creatives by spend, with their sparklines."""
    cube = prep.cube
    per = w.period
    L = prep.window
    ks = {
        k: cube[k][:, per].sum(axis=1)
        for k in ("spend", "revenue", "impressions", "clicks", "conversions")
    }
    km = entity_metrics(
        ks["spend"], ks["revenue"], ks["impressions"], ks["clicks"], ks["conversions"]
    )
    k_dir, k_chg = trend_of(
        div(cube["revenue"][:, w.recent].sum(1), cube["spend"][:, w.recent].sum(1)),
        div(cube["revenue"][:, w.prior7].sum(1), cube["spend"][:, w.prior7].sum(1)),
    )
    k_status = status_of(km["roas"], platform_roas)
    top_k = _top(ks["spend"], prep.cr_id, T.TOP_CREATIVES)
    spark = slice(L - T.SPARKLINE_DAYS, L)
    sp_roas = div(cube["revenue"][top_k, spark], cube["spend"][top_k, spark])
    sp_ctr = div(cube["clicks"][top_k, spark], cube["impressions"][top_k, spark])
    fw = cube["freq_w"][top_k][:, w.recent].sum(1)
    fx = cube["freq_x"][top_k][:, w.recent].sum(1)
    freq = div(fx, fw)
    creatives = []
    for j, i in enumerate(top_k):
        key = prep.platforms[prep.cr_platform[i]]
        creatives.append(
            {
                "id": f"creative:{key}:{prep.cr_id[i]}",
                "platform": key,
                "campaign_id": str(prep.camp_id[prep.cr_campaign[i]]),
                "campaign_name": str(prep.camp_name[prep.cr_campaign[i]]),
                "creative_id": str(prep.cr_id[i]),
                "name": str(prep.cr_name[i]),
                **_metric_fields(ks, km, i),
                "frequency": ratio(freq[j]),
                "share_of_spend": ratio(div(ks["spend"][i], spend_t)),
                "trend": _trend_dict(k_dir[i], k_chg[i], "platform_roas"),
                "status": str(k_status[i]),
                "sparkline": {
                    "roas": [ratio(v) for v in sp_roas[j]],
                    "ctr": [ratio(v) for v in sp_ctr[j]],
                },
            }
        )
    return creatives


def _daily_rows(prep: Prepared, per: slice) -> list[dict]:
    """The period's days, for charts."""
    daily = []
    o_sp = prep.org["spend"]
    o_rev = prep.org["revenue"]
    s_rev = prep.store["revenue"]
    s_ord = prep.store["orders"]
    for d in range(per.start, per.stop):
        daily.append(
            {
                "date": prep.day_iso(d),
                "spend": money(o_sp[d]),
                "store_revenue": money(s_rev[d]),
                "platform_revenue": money(o_rev[d]),
                "mer": ratio(div(s_rev[d], o_sp[d])),
                "orders": int(s_ord[d]),
            }
        )
    return daily


def _metric_fields(sums: dict[str, np.ndarray], mets: dict[str, np.ndarray], i: int) -> dict:
    return {
        "spend": money(sums["spend"][i]),
        "platform_revenue": money(sums["revenue"][i]),
        "impressions": int(round(float(sums["impressions"][i]))),
        "clicks": int(round(float(sums["clicks"][i]))),
        "conversions": int(round(float(sums["conversions"][i]))),
        "roas": ratio(mets["roas"][i]),
        "cpa": money(mets["cpa"][i]),
        "ctr": ratio(mets["ctr"][i]),
        "cvr": ratio(mets["cvr"][i]),
        "cpm": money(mets["cpm"][i]),
    }


def _top(values: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n largest positive values, ties broken by id (deterministic)."""
    pos = np.flatnonzero(values > 0)
    if not len(pos):
        return pos
    order = np.lexsort((ids[pos].astype(str), -values[pos]))
    return pos[order[:n]]
