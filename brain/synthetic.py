"""Synthetic brands with ground truth, for the seed command, the demo, tests and benchmarks.

The default brand is "Lumen Beauty" (docs/product.md). Everything is drawn from
``np.random.default_rng(seed)`` and anchored to ``as_of`` (never the wall clock), so a
seed always gives the same frames. Planted events are configurable through
:class:`PlantConfig` and reported in ``Brand.truth`` so tests can check the brain finds
them. Daily noise on every aggregate series (platform spend, revenue, clicks and
conversions; store order counts) is Gaussian truncated at +-2 sigma, and creative-level
counts are multinomial splits of those totals: a "clean" brand then has no day that is an
outlier by construction, so anything the anomaly detector flags on it is a false alarm
rather than a genuine rare event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

DEFAULT_AS_OF = date(2026, 11, 24)
LUMEN_SEED = 42  # the demo brand: generate_brand(LUMEN_SEED) is what the demo and seed show
ORDER_HISTORY_DAYS = 456  # 15 months of Shopify orders so monthly cohorts mature
NOISE_CLIP = 1.75
SPEND_NOISE = 0.22  # daily log-sd of platform spend: enough variation to identify alpha

# weekday multipliers, Monday first
_SPEND_WEEKDAY = np.array([1.00, 1.01, 1.00, 0.99, 1.02, 0.98, 1.00])
_REVENUE_WEEKDAY = np.array([1.05, 1.02, 1.00, 0.98, 0.95, 0.96, 1.04])
_ORDER_WEEKDAY = np.array([1.06, 1.03, 1.00, 0.98, 0.94, 0.95, 1.04])


@dataclass(frozen=True)
class PlatformSpec:
    """How one ad platform behaves in the synthetic world."""

    key: str
    label: str
    daily_spend: float
    roas: float  # platform-reported ROAS at daily_spend, before any planted decay
    alpha: float  # true elasticity of revenue to spend
    cpm: float
    ctr: float
    aov: float  # platform-reported revenue per conversion
    campaigns: int
    creatives_per_campaign: int
    utm_share: float  # share of new customers whose first order carries this utm_source
    incremental_share: float = 0.4  # true incremental store revenue per reported dollar


LUMEN_PLATFORMS = (
    PlatformSpec("meta", "Meta", 4000.0, 3.6, 0.60, 14.0, 0.012, 75.0, 4, 4, 0.42, 0.40),
    PlatformSpec("google_ads", "Google", 2000.0, 2.3, 0.50, 30.0, 0.035, 80.0, 3, 4, 0.22, 0.45),
    PlatformSpec("tiktok", "TikTok", 1800.0, 2.8, 0.35, 12.0, 0.006, 70.0, 3, 4, 0.21, 0.35),
)


@dataclass(frozen=True)
class AnomalyPlant:
    """One planted anomaly.

    offset: days before as_of (0 = as_of). series: "spend", "platform_revenue", "ctr"
    (ad side; platform None = every platform) or "store_revenue" / "orders" (store side:
    orders go missing or appear, as in a tracking gap). magnitude: relative change
    (-0.55 = 55% lower, 1.0 = doubled).
    """

    offset: int
    series: str
    platform: str | None
    magnitude: float


@dataclass(frozen=True)
class PlantConfig:
    """What to plant. The defaults are Lumen Beauty's story; ``clean()`` plants nothing."""

    decay_platform: str | None = "tiktok"
    decay_size: float = 0.32  # final ROAS loss (2.8 -> 1.9)
    decay_start: int = 10  # days before as_of the decline begins
    decay_ramp_days: int = 5
    fatigue_creative: str | None = "C12"
    fatigue_start: int = 12  # days before as_of the creative starts to tire
    fatigue_ramp_days: int = 6
    fatigue_cvr_drop: float = 0.375  # CVR 8% -> 5%
    fatigue_ctr_drop: float = 0.12
    fatigue_freq_to: float = 4.0  # frequency 2.5 -> 4.0
    fatigue_scale_up: float = 4.0  # the tiring creative was a winner the buyer scaled up
    ltv_drift: float | None = 0.17  # recent mature cohorts' 90-day LTV vs the 6 before
    anomalies: tuple[AnomalyPlant, ...] = (AnomalyPlant(5, "store_revenue", None, -0.55),)
    elasticity: dict[str, float] | None = field(default=None, hash=False)

    @classmethod
    def clean(cls) -> PlantConfig:
        """A brand with nothing planted: the stable world the brain must not cry wolf on."""
        return cls(decay_platform=None, fatigue_creative=None, ltv_drift=None, anomalies=())

    def but(self, **changes: object) -> PlantConfig:
        """A copy with some fields changed (sugar over dataclasses.replace)."""
        return replace(self, **changes)


@dataclass
class Brand:
    """Generated frames plus the truth that was planted in them."""

    ad_daily: pd.DataFrame
    orders: pd.DataFrame
    truth: dict


_CAMPAIGN_PARTS = {
    "meta": (
        ["Prospecting", "Retargeting", "Advantage+", "Lookalike 2%", "Broad", "Catalog"],
        ["Glow Serum", "Hydra Cream", "Lip Oil", "SPF 50 Mist", "Night Repair", "Bundle"],
    ),
    "google_ads": (
        ["Search Brand", "Search Generic", "PMax", "Shopping", "YouTube", "Demand Gen"],
        ["Serum", "Moisturizer", "Sunscreen", "Cleanser", "Gift Sets", "All Products"],
    ),
    "tiktok": (
        ["Spark Ads", "Creator UGC", "Smart+", "Shop Ads", "TopView", "Retarget"],
        ["Glass Skin", "Lip Oil", "Morning Routine", "Viral Serum", "GRWM", "Bundle"],
    ),
}
_CREATIVE_FORMATS = ["UGC", "Static", "Video", "Carousel", "Creator", "Demo", "Testimonial"]
_CREATIVE_HOOKS = [
    "Morning routine",
    "Before/after",
    "Dermatologist tip",
    "Unboxing",
    "3 reasons",
    "Glass skin",
    "Price drop",
    "Reviews",
    "GRWM",
    "Texture shot",
]


def _tn(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """Standard normal draws truncated at +-NOISE_CLIP."""
    return np.clip(rng.standard_normal(size), -NOISE_CLIP, NOISE_CLIP)


def _ramp(day_offset: np.ndarray, start: int, ramp_days: int) -> np.ndarray:
    """0 before ``start`` days before as_of, rising linearly to 1 over ``ramp_days``."""
    ramp = max(ramp_days, 1)
    return np.clip((day_offset + start) / ramp, 0.0, 1.0)


def _platform_specs(scale: str, plant: PlantConfig) -> list[PlatformSpec]:
    specs = list(LUMEN_PLATFORMS)
    if scale == "large":
        counts = {"meta": (130, 10), "google_ads": (90, 10), "tiktok": (80, 10)}
        specs = [
            replace(
                s,
                daily_spend=s.daily_spend * 6.0,
                campaigns=counts[s.key][0],
                creatives_per_campaign=counts[s.key][1],
            )
            for s in specs
        ]
    elif scale != "default":
        raise ValueError(f"scale must be 'default' or 'large', not {scale!r}")
    if plant.elasticity:
        specs = [replace(s, alpha=float(plant.elasticity.get(s.key, s.alpha))) for s in specs]
    return specs


def generate_brand(
    seed: int,
    days: int = 90,
    scale: str = "default",
    plant: PlantConfig | None = None,
    as_of: date | None = None,
) -> Brand:
    """Generate a brand: ``days`` of ad metrics, 15 months of orders, and the truth.

    Default = Lumen Beauty with its planted story; ``scale="large"`` is the benchmark
    brand (300 campaigns, 3,000 creatives, use days=365). Fully vectorized.
    """
    if days < 1:
        raise ValueError("days must be >= 1")
    plant = PlantConfig() if plant is None else plant
    as_of = as_of or DEFAULT_AS_OF
    rng = np.random.default_rng(seed)
    specs = _platform_specs(scale, plant)
    n_days = int(days)
    ad_dates = pd.date_range(end=pd.Timestamp(as_of), periods=n_days, freq="D")
    offsets = np.arange(-n_days + 1, 1)  # day offset relative to as_of (0 = as_of)
    weekday = ad_dates.day_of_week.to_numpy()

    ad_frame, platform_truth, creative_meta, incremental = _ad_side(
        rng, specs, plant, ad_dates, offsets, weekday, scale
    )
    # ads buy new customers: the true incremental (not the reported) revenue of each day
    inc_by_day = pd.Series(incremental, index=ad_dates)
    orders, ltv_truth = _order_side(rng, specs, plant, as_of, inc_by_day, scale)

    truth = {
        "seed": int(seed),
        "scale": scale,
        "days": n_days,
        "as_of": as_of.isoformat(),
        "elasticity": {s.key: s.alpha for s in specs},
        "platforms": platform_truth,
        # incremental marginal ROAS: ad-driven store revenue of the next dollar
        "marginal_roas": {k: v["marginal_roas"] for k, v in platform_truth.items()},
        "marginal_roas_platform": {
            k: v["marginal_roas_platform"] for k, v in platform_truth.items()
        },
        "roi_decay": None,
        "fatigue": None,
        "ltv_drift": ltv_truth,
        "anomalies": [
            {
                "date": (as_of - timedelta(days=a.offset)).isoformat(),
                "offset": a.offset,
                "series": a.series,
                "platform": a.platform,
                "magnitude": a.magnitude,
            }
            for a in plant.anomalies
        ],
        "creatives": creative_meta,
    }
    if plant.decay_platform:
        pt = platform_truth[plant.decay_platform]
        truth["roi_decay"] = {
            "platform": plant.decay_platform,
            "decay": pt["decay"],
            "size": plant.decay_size,
            "start": (as_of - timedelta(days=plant.decay_start)).isoformat(),
        }
    if plant.fatigue_creative:
        row = creative_meta.get(plant.fatigue_creative)
        truth["fatigue"] = {
            "creative_id": plant.fatigue_creative,
            "platform": row["platform"] if row else None,
            "start": (as_of - timedelta(days=plant.fatigue_start)).isoformat(),
            "cvr_drop": plant.fatigue_cvr_drop,
            "ctr_drop": plant.fatigue_ctr_drop,
            "frequency_to": plant.fatigue_freq_to,
        }
    return Brand(ad_daily=ad_frame, orders=orders, truth=truth)


def _names(rng: np.random.Generator, specs: list[PlatformSpec]) -> tuple[list, list]:
    """Campaign and creative ids/names; creative ids C1, C2, ... in TikTok-first order."""
    order = sorted(specs, key=lambda s: {"tiktok": 0, "meta": 1, "google_ads": 2}[s.key])
    campaigns: list[tuple[str, str, str]] = []  # (platform, id, name)
    creatives: list[tuple[int, str, str]] = []  # (campaign index, id, name)
    counter = 0
    for spec in order:
        objectives, products = _CAMPAIGN_PARTS[spec.key]
        for j in range(spec.campaigns):
            cid = f"{spec.key[:2].upper()}-{1001 + j}"
            name = (
                f"{spec.label} | {objectives[j % len(objectives)]} | "
                f"{products[(j // len(objectives) + j) % len(products)]}"
            )
            if j >= len(objectives):
                name += f" #{j // len(objectives) + 1}"
            campaigns.append((spec.key, cid, name))
            for k in range(spec.creatives_per_campaign):
                counter += 1
                fmt = _CREATIVE_FORMATS[(counter + k) % len(_CREATIVE_FORMATS)]
                hook = _CREATIVE_HOOKS[(counter * 3 + j) % len(_CREATIVE_HOOKS)]
                creatives.append((len(campaigns) - 1, f"C{counter}", f"{fmt} - {hook} - v{k + 1}"))
    return campaigns, creatives


def _ad_side(
    rng: np.random.Generator,
    specs: list[PlatformSpec],
    plant: PlantConfig,
    ad_dates: pd.DatetimeIndex,
    offsets: np.ndarray,
    weekday: np.ndarray,
    scale: str,
) -> tuple[pd.DataFrame, dict, dict, np.ndarray]:
    campaigns, creatives = _names(rng, specs)
    spec_by_key = {s.key: s for s in specs}
    camp_idx = np.array([c[0] for c in creatives])
    camp_platform = np.array([c[0] for c in campaigns])
    cr_platform = camp_platform[camp_idx]
    platform_keys = [s.key for s in specs]
    plat = _platform_series(rng, specs, plant, offsets, weekday)

    # --- creative level shares and efficiencies
    cr_ids = np.array([c[1] for c in creatives])
    spend, fat, fat_idx = _creative_spend(rng, plant, cr_ids, cr_platform, plat["spend"], offsets)
    cpm, ctr0, cvr_eff, freq = _creative_rates(rng, spec_by_key, cr_platform, plant, fat, fat_idx)
    ctr = ctr0[:, None] * (1.0 - plant.fatigue_ctr_drop * fat)
    cvr = cvr_eff[:, None] * (1.0 - plant.fatigue_cvr_drop * fat)
    impressions = np.round(spend / cpm[:, None] * 1000.0)
    clicks, conversions, revenue = _platform_outcomes(
        rng, spec_by_key, cr_platform, plat, offsets, impressions, (ctr0, ctr), (cvr_eff, cvr)
    )
    _plant_ad_anomalies(
        plant, offsets, cr_platform, spend, impressions, clicks, revenue, conversions
    )

    reach = np.maximum(1.0, np.round(impressions / np.maximum(freq, 1.0)))
    frequency = np.where(reach > 0, impressions / reach, 0.0)
    metrics = {
        "spend": spend,
        "impressions": impressions,
        "clicks": clicks,
        "conversions": conversions,
        "platform_revenue": revenue,
        "reach": reach,
        "frequency": frequency,
    }
    frame = _ad_frame(ad_dates, campaigns, creatives, cr_platform, platform_keys, metrics)
    creative_meta = {}
    if scale == "default" or fat_idx is not None:
        for i, (ci, cid, name) in enumerate(creatives):
            if scale == "default" or i == fat_idx:
                creative_meta[cid] = {
                    "platform": str(cr_platform[i]),
                    "campaign_id": campaigns[ci][1],
                    "name": name,
                }
    incremental = np.sum([plat["inc"][k] for k in platform_keys], axis=0)
    return frame, plat["truth"], creative_meta, incremental


def _platform_series(
    rng: np.random.Generator,
    specs: list[PlatformSpec],
    plant: PlantConfig,
    offsets: np.ndarray,
    weekday: np.ndarray,
) -> dict[str, dict]:
    """Platform level: spend, and revenue from a power-law response with known alpha.

    Keyed "spend", "rev" ((no-decay revenue, decay multiplier)), "inc" (incremental
    revenue), "exp" (expected revenue) and "truth", each by platform."""
    n_days = len(offsets)
    out: dict[str, dict] = {"spend": {}, "rev": {}, "inc": {}, "exp": {}, "truth": {}}
    for spec in specs:
        s_noise = _tn(rng, n_days)
        r_noise = _tn(rng, n_days)
        spend = spec.daily_spend * _SPEND_WEEKDAY[weekday] * np.exp(SPEND_NOISE * s_noise)
        k = spec.roas * spec.daily_spend ** (1.0 - spec.alpha)
        mult = np.ones(n_days)
        if plant.decay_platform == spec.key:
            mult = 1.0 - plant.decay_size * _ramp(offsets, plant.decay_start, plant.decay_ramp_days)
        expected = k * spend**spec.alpha * _REVENUE_WEEKDAY[weekday]
        revenue_nodecay = expected * np.exp(0.05 * r_noise)
        out["spend"][spec.key] = spend
        out["rev"][spec.key] = (revenue_nodecay, mult)
        out["inc"][spec.key] = spec.incremental_share * expected * mult / _REVENUE_WEEKDAY[weekday]
        out["exp"][spec.key] = expected * mult
        out["truth"][spec.key] = _platform_truth(spec, expected * mult, spend, offsets)
    return out


def _platform_truth(
    spec: PlatformSpec, exp_rev: np.ndarray, spend: np.ndarray, offsets: np.ndarray
) -> dict:
    """The spec's decay formula on the noise-free revenue at the realised spend, and the
    true marginal ROAS (alpha x ROAS) over the last 7 days."""
    recent = (offsets > -7) & (offsets <= 0)
    base = (offsets <= -7) & (offsets > -21)
    roas_now = float(exp_rev[recent].sum() / spend[recent].sum()) if recent.any() else None
    decay = None
    if recent.any() and base.any():
        roas_base = exp_rev[base].sum() / spend[base].sum()
        decay = float(1.0 - roas_now / roas_base)
    return {
        "alpha": spec.alpha,
        "daily_spend": spec.daily_spend,
        "roas_base": spec.roas,
        "roas_now": round(roas_now, 4) if roas_now is not None else None,
        "marginal_roas": (
            round(spec.alpha * roas_now * spec.incremental_share, 4)
            if roas_now is not None
            else None
        ),
        "marginal_roas_platform": (
            round(spec.alpha * roas_now, 4) if roas_now is not None else None
        ),
        "incremental_share": spec.incremental_share,
        "decay": round(decay, 4) if decay is not None else None,
    }


def _creative_spend(
    rng: np.random.Generator,
    plant: PlantConfig,
    cr_ids: np.ndarray,
    cr_platform: np.ndarray,
    plat_spend: dict[str, np.ndarray],
    offsets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Each platform's daily spend split over its creatives by noisy weights; the fatigue
    ramp (creative x day) and the planted creative's index."""
    n_cr, n_days = len(cr_ids), len(offsets)
    weight = np.clip(np.exp(0.35 * _tn(rng, n_cr)), 0.6, 1.8)
    fat = np.zeros((n_cr, n_days))
    fat_idx = None
    if plant.fatigue_creative is not None:
        hit = np.flatnonzero(cr_ids == plant.fatigue_creative)
        if hit.size:
            fat_idx = int(hit[0])
            weight[fat_idx] *= plant.fatigue_scale_up
            fat[fat_idx] = _ramp(offsets, plant.fatigue_start, plant.fatigue_ramp_days)
    share_noise = np.exp(0.08 * _tn(rng, (n_cr, n_days)))
    raw_share = weight[:, None] * share_noise
    spend = np.empty((n_cr, n_days))
    for key in plat_spend:
        m = cr_platform == key
        if m.any():
            sh = raw_share[m] / raw_share[m].sum(axis=0, keepdims=True)
            spend[m] = sh * plat_spend[key][None, :]
    return spend, fat, fat_idx


def _creative_rates(
    rng: np.random.Generator,
    spec_by_key: dict[str, PlatformSpec],
    cr_platform: np.ndarray,
    plant: PlantConfig,
    fat: np.ndarray,
    fat_idx: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per creative: CPM, base CTR, relative conversion efficiency, and daily frequency
    (rising along the fatigue ramp)."""
    n_cr, n_days = fat.shape
    cpm = np.array([spec_by_key[p].cpm for p in cr_platform]) * np.exp(0.12 * _tn(rng, n_cr))
    ctr0 = np.array([spec_by_key[p].ctr for p in cr_platform]) * np.exp(0.15 * _tn(rng, n_cr))
    cvr_eff = np.exp(0.15 * _tn(rng, n_cr))  # relative conversion efficiency
    freq0 = rng.uniform(1.3, 2.5, n_cr)
    if fat_idx is not None:
        freq0[fat_idx] = 2.5
    freq = freq0[:, None] + (plant.fatigue_freq_to - freq0[:, None]) * fat
    freq = freq * np.exp(0.03 * _tn(rng, (n_cr, n_days)))
    return cpm, ctr0, cvr_eff, freq


def _platform_outcomes(
    rng: np.random.Generator,
    spec_by_key: dict[str, PlatformSpec],
    cr_platform: np.ndarray,
    plat: dict[str, dict],
    offsets: np.ndarray,
    impressions: np.ndarray,
    ctrs: tuple[np.ndarray, np.ndarray],
    cvrs: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clicks, conversions and revenue per (creative, day): platform totals with bounded
    noise split over creatives. ``ctrs``/``cvrs``: (base, with the fatigue ramp). A tiring
    creative's cost goes into the platform's incremental revenue and truth, in place."""
    ctr0, ctr = ctrs
    cvr_eff, cvr = cvrs
    mu_clicks = impressions * ctr
    mu_clicks0 = impressions * ctr0[:, None]
    clicks = np.zeros_like(mu_clicks)
    value = mu_clicks * cvr
    conversions = np.zeros_like(value)
    revenue = np.zeros_like(value)
    for key in plat["spend"]:
        m = cr_platform == key
        if not m.any():
            continue
        # platform totals with bounded noise, split over creatives multinomially
        clicks[m] = _split(rng, mu_clicks[m])
        rev_nd, mult = plat["rev"][key]
        # the response curve sets the day's conversions (one noise source: revenue's)
        # a tiring creative loses conversions (and the platform with it) rather than
        # pushing them onto the others: scale the day's total by expected conversions
        # with / without the fatigue ramp (exactly 1 when nothing is planted)
        exp_now = (mu_clicks[m] * cvr[m]).sum(axis=0)
        exp_base = (mu_clicks0[m] * cvr_eff[m][:, None]).sum(axis=0)
        tired = np.where(exp_base > 0, exp_now / np.where(exp_base > 0, exp_base, 1.0), 1.0)
        n_conv = np.round(rev_nd / spec_by_key[key].aov * tired)
        v = clicks[m] * cvr[m]
        conversions[m] = _split(rng, v, total=n_conv, noisy=False)
        tot_conv = conversions[m].sum(axis=0, keepdims=True)
        share = conversions[m] / np.where(tot_conv > 0, tot_conv, 1.0)
        revenue[m] = share * (rev_nd * mult * tired)[None, :]
        if not np.allclose(tired, 1.0):  # the truth includes what the tiring creative cost
            plat["inc"][key] = plat["inc"][key] * tired
            _retruth(plat["truth"][key], plat["exp"][key] * tired, plat["spend"][key], offsets)
    return clicks, conversions, revenue


def _plant_ad_anomalies(
    plant: PlantConfig,
    offsets: np.ndarray,
    cr_platform: np.ndarray,
    spend: np.ndarray,
    impressions: np.ndarray,
    clicks: np.ndarray,
    revenue: np.ndarray,
    conversions: np.ndarray,
) -> None:
    """Planted ad-side anomalies (spend, platform revenue, CTR), in place."""
    n_cr = len(cr_platform)
    for a in plant.anomalies:
        j = len(offsets) - 1 - a.offset
        if j < 0 or j >= len(offsets) or a.series not in {"spend", "platform_revenue", "ctr"}:
            continue
        rows = np.ones(n_cr, bool) if a.platform is None else cr_platform == a.platform
        f = 1.0 + a.magnitude
        if a.series == "spend":
            spend[rows, j] *= f
            impressions[rows, j] = np.round(impressions[rows, j] * f)
            clicks[rows, j] = np.round(clicks[rows, j] * f)
        elif a.series == "platform_revenue":
            revenue[rows, j] *= f
            conversions[rows, j] = np.round(conversions[rows, j] * f)
        else:
            clicks[rows, j] = np.round(clicks[rows, j] * f)


def _ad_frame(
    ad_dates: pd.DatetimeIndex,
    campaigns: list,
    creatives: list,
    cr_platform: np.ndarray,
    platform_keys: list[str],
    metrics: dict[str, np.ndarray],
) -> pd.DataFrame:
    """The ad_daily frame: one row per (creative, day), ids and names as categoricals."""
    n_cr, n_days = len(creatives), len(ad_dates)
    n_rows = n_cr * n_days
    cr_codes = np.repeat(np.arange(n_cr), n_days)
    day_codes = np.tile(np.arange(n_days), n_cr)
    camp_idx = np.array([c[0] for c in creatives])
    cr_ids = np.array([c[1] for c in creatives])
    camp_names = np.array([c[2] for c in campaigns], dtype=object)
    camp_ids = np.array([c[1] for c in campaigns], dtype=object)
    cr_names = np.array([c[2] for c in creatives], dtype=object)
    plat_cat = pd.Categorical.from_codes(
        np.array([platform_keys.index(p) for p in cr_platform])[cr_codes], categories=platform_keys
    )

    def flat(key: str) -> np.ndarray:
        return metrics[key].reshape(n_rows)

    return pd.DataFrame(
        {
            "date": ad_dates.values[day_codes],
            "platform": plat_cat,
            "campaign_id": pd.Categorical.from_codes(camp_idx[cr_codes], categories=camp_ids),
            "campaign_name": _cat(camp_names, camp_idx[cr_codes]),
            "creative_id": pd.Categorical.from_codes(cr_codes, categories=cr_ids),
            "creative_name": _cat(cr_names, cr_codes),
            "spend": np.round(flat("spend"), 2),
            "impressions": flat("impressions").astype(np.int64),
            "clicks": flat("clicks").astype(np.int64),
            "conversions": flat("conversions").astype(np.int64),
            "platform_revenue": np.round(flat("platform_revenue"), 2),
            "reach": flat("reach").astype(np.int64),
            "frequency": np.round(flat("frequency"), 3),
        }
    )


def _retruth(pt: dict, exp_rev: np.ndarray, spend: np.ndarray, offsets: np.ndarray) -> None:
    """Recompute a platform's truth (ROAS now, marginal ROAS, decay) from its revenue."""
    recent = (offsets > -7) & (offsets <= 0)
    base = (offsets <= -7) & (offsets > -21)
    if not recent.any():
        return
    roas_now = float(exp_rev[recent].sum() / spend[recent].sum())
    pt["roas_now"] = round(roas_now, 4)
    pt["marginal_roas"] = round(pt["alpha"] * roas_now * pt["incremental_share"], 4)
    pt["marginal_roas_platform"] = round(pt["alpha"] * roas_now, 4)
    if base.any():
        roas_base = exp_rev[base].sum() / spend[base].sum()
        pt["decay"] = round(float(1.0 - roas_now / roas_base), 4)


def _order_side(
    rng: np.random.Generator,
    specs: list[PlatformSpec],
    plant: PlantConfig,
    as_of: date,
    inc_by_day: pd.Series,
    scale: str,
) -> tuple[pd.DataFrame, dict | None]:
    """15 months of orders: new customers = organic + what ads incrementally buy (the
    platforms' true incremental revenue / first-order value), repeats by cohort LTV."""
    mult = 3.7 if scale == "large" else 1.0
    first_aov, repeat_aov = 75.0, 66.0
    start = as_of - timedelta(days=ORDER_HISTORY_DAYS - 1)
    dates = pd.date_range(start=pd.Timestamp(start), end=pd.Timestamp(as_of), freq="D")
    n_days = len(dates)
    wd = dates.day_of_week.to_numpy()
    lam_new = _new_customer_rate(inc_by_day, dates, first_aov, scale, mult)
    month = dates.year.to_numpy() * 12 + dates.month.to_numpy() - 1
    ltv_by_month, ltv_truth = _cohort_ltv(dates, month, as_of, plant)
    lam_by_month = {m: (v - first_aov) / repeat_aov for m, v in ltv_by_month.items()}

    # new customers (bounded noise) and one bounded daily count of repeat orders split
    # over three pools: within 90 days of a first order (at the cohort's rate), later
    # repeats, and customers older than the history; each repeat is drawn from its pool
    # weighted by repeat rate
    lam_day = np.array([lam_by_month[int(m)] for m in month])
    d = np.arange(n_days)
    windows = ((lam_day, 1, 89), (np.full(n_days, 0.45), 90, 365))
    expected = [lam_new]
    for rate, lo, hi in windows:
        cum = np.concatenate([[0.0], np.cumsum(lam_new * rate)])
        a0, a1 = np.clip(d - hi, 0, n_days), np.clip(d - lo + 1, 0, n_days)
        expected.append((cum[a1] - cum[a0]) / (hi - lo + 1))
    expected.append(np.full(n_days, 45.0 * mult))
    w_o = _ORDER_WEEKDAY[wd]
    n_new = np.round(lam_new * w_o * np.exp(0.04 * _tn(rng, n_days))).astype(np.int64)
    counts = np.zeros((4, n_days), np.int64)
    counts[1:] = _split(rng, np.vstack(expected[1:]) * w_o[None, :]).astype(np.int64)

    # new customers and their first orders
    n_cust = int(n_new.sum())
    cust_day = np.repeat(d, n_new)
    cust_ids = 1_000_000 + np.arange(n_cust)
    first_val = first_aov * np.exp(0.30 * _tn(rng, n_cust) - 0.045)
    utm_choices, first_utm = _first_order_sources(rng, specs, n_cust)
    rep_day, rep_cust = _repeat_orders(rng, windows, n_new, counts)
    n_rep = rep_cust.size
    rep_val = repeat_aov * np.exp(0.30 * _tn(rng, n_rep) - 0.045)

    # customers acquired before the order history (ids below the new-customer range)
    old_day = np.repeat(d, counts[3])
    old_cust = rng.integers(1, int(60_000 * mult), size=old_day.size)
    old_val = repeat_aov * np.exp(0.30 * _tn(rng, old_day.size) - 0.045)

    is_first = np.zeros(cust_day.size + rep_day.size + old_day.size, bool)
    is_first[:n_cust] = True
    rep_utm = rng.random(n_rep + old_day.size) < 0.6
    email, direct = len(utm_choices), len(specs)
    cols = {
        "day": np.concatenate([cust_day, rep_day, old_day]),
        "cust": np.concatenate([cust_ids, cust_ids[rep_cust], old_cust]),
        "val": np.concatenate([first_val, rep_val, old_val]),
        "is_first": is_first,
        "utm_code": np.concatenate([first_utm, np.where(rep_utm, email, direct)]),
    }
    cols = _plant_store_anomalies(rng, plant, cols, n_days, repeat_aov, mult, len(specs))
    utm_all = np.concatenate([utm_choices, np.array(["email"], dtype=object)])
    return _orders_frame(dates, cols, utm_all), ltv_truth


def _new_customer_rate(
    inc_by_day: pd.Series, dates: pd.DatetimeIndex, first_aov: float, scale: str, mult: float
) -> np.ndarray:
    """New customers a day (weekday applied later): an organic baseline plus the ads'
    incremental revenue / first-order value; before the ad history, its average."""
    n_days = len(dates)
    organic_new = 25.0 * mult
    ads_new = np.zeros(n_days)
    if len(inc_by_day):
        inc = inc_by_day.reindex(dates).to_numpy()
        has = ~np.isnan(inc)
        ads_new[has] = inc[has] / first_aov
        ads_new[~has] = float(np.nanmean(inc)) / first_aov if has.any() else 0.0
    if scale == "large" and ads_new.mean() > 0:  # keep the benchmark's ~500 k orders
        ads_new *= 112.0 * mult / ads_new.mean()
    return organic_new + ads_new


def _cohort_ltv(
    dates: pd.DatetimeIndex, month: np.ndarray, as_of: date, plant: PlantConfig
) -> tuple[dict[int, float], dict | None]:
    """The 90-day LTV per cohort month (the planted drift on the last three mature
    cohorts and after), and the drift's truth if planted."""
    base_ltv = 128.0
    as_of_ts = pd.Timestamp(as_of)
    first_month = month[0]
    first_complete = first_month if dates[0].day == 1 else first_month + 1
    months = np.arange(first_month, month[-1] + 1)
    month_end = pd.to_datetime(
        {"year": (months + 1) // 12, "month": (months + 1) % 12 + 1, "day": 1}
    ) - pd.Timedelta(days=1)
    mature = (month_end + pd.Timedelta(days=90)).to_numpy() <= as_of_ts.to_datetime64()
    mature_months = months[mature & (months >= first_complete)]
    ltv_by_month = dict.fromkeys(months.tolist(), base_ltv)
    ltv_truth = None
    if len(mature_months) >= 9:
        recent = mature_months[-3:]
        hist = mature_months[-9:-3]
        if plant.ltv_drift:
            d = float(plant.ltv_drift)
            for i, m in enumerate(recent):
                ltv_by_month[int(m)] = base_ltv * (1.0 - d * (0.75 + 0.25 * i))
            for m in months[months > recent[-1]]:
                ltv_by_month[int(m)] = ltv_by_month[int(recent[-1])]
        rec = np.mean([ltv_by_month[int(m)] for m in recent])
        his = np.mean([ltv_by_month[int(m)] for m in hist])
        if plant.ltv_drift:
            ltv_truth = {
                "drift": round(float(1.0 - rec / his), 4),
                "historical_ltv": round(float(his), 2),
                "recent_ltv": round(float(rec), 2),
                "recent_cohorts": [_month_label(m) for m in recent],
                "historical_cohorts": [_month_label(m) for m in hist],
            }
    return ltv_by_month, ltv_truth


def _first_order_sources(
    rng: np.random.Generator, specs: list[PlatformSpec], n_cust: int
) -> tuple[np.ndarray, np.ndarray]:
    """The UTM source labels (platforms, direct, organic) and each first order's code."""
    keys = [s.key for s in specs]
    shares = np.array([s.utm_share for s in specs])
    utm_choices = np.array(keys + ["direct", "organic"], dtype=object)
    rest = max(0.0, 1.0 - shares.sum())
    probs = np.concatenate([shares, [rest * 0.6, rest * 0.4]])
    first_utm = rng.choice(len(utm_choices), size=n_cust, p=probs / probs.sum())
    return utm_choices, first_utm


def _repeat_orders(
    rng: np.random.Generator, windows: tuple, n_new: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Day and customer index of each repeat order, drawn from its pool weighted by rate."""
    n_days = len(n_new)
    n_cust = int(n_new.sum())
    d = np.arange(n_days)
    cust_start = np.concatenate([[0], np.cumsum(n_new)[:-1]])
    rep_day_l, rep_cust_l = [], []
    for i, (rate, lo, hi) in enumerate(windows):
        cum = np.concatenate([[0.0], np.cumsum(n_new * rate)])  # realised customers
        a0, a1 = np.clip(d - hi, 0, n_days), np.clip(d - lo + 1, 0, n_days)
        n_rep_d = np.where(cum[a1] > cum[a0], counts[i + 1], 0)
        r_day = np.repeat(d, n_rep_d)
        u = cum[a0[r_day]] + rng.random(r_day.size) * (cum[a1[r_day]] - cum[a0[r_day]])
        acq = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, n_days - 1)
        pick = cust_start[acq] + np.floor(rng.random(r_day.size) * n_new[acq]).astype(np.int64)
        rep_day_l.append(r_day)
        rep_cust_l.append(np.minimum(pick, max(n_cust - 1, 0)))
    return np.concatenate(rep_day_l), np.concatenate(rep_cust_l)


def _plant_store_anomalies(
    rng: np.random.Generator,
    plant: PlantConfig,
    cols: dict[str, np.ndarray],
    n_days: int,
    repeat_aov: float,
    mult: float,
    direct: int,
) -> dict[str, np.ndarray]:
    """Planted store-side anomalies: orders go missing (tracking gap) or appear."""
    day = cols["day"]
    keep = np.ones(day.size, bool)
    extra_day, extra_val = [], []
    for a in plant.anomalies:
        if a.series not in {"store_revenue", "orders"}:
            continue
        j = n_days - 1 - a.offset
        if j < 0 or j >= n_days:
            continue
        on = np.flatnonzero(day == j)
        if a.magnitude < 0:
            drop = rng.random(on.size) < min(1.0, -a.magnitude)
            keep[on[drop]] = False
        else:
            n_extra = int(round(on.size * a.magnitude))
            extra_day.append(np.full(n_extra, j))
            extra_val.append(repeat_aov * np.exp(0.30 * _tn(rng, n_extra) - 0.045))
    out = {k: v[keep] for k, v in cols.items()}
    if extra_day:
        ed = np.concatenate(extra_day)
        out["day"] = np.concatenate([out["day"], ed])
        out["cust"] = np.concatenate(
            [out["cust"], rng.integers(1, int(60_000 * mult), size=ed.size)]
        )
        out["val"] = np.concatenate([out["val"], np.concatenate(extra_val)])
        out["is_first"] = np.concatenate([out["is_first"], np.zeros(ed.size, bool)])
        out["utm_code"] = np.concatenate([out["utm_code"], np.full(ed.size, direct)])
    return out


def _orders_frame(
    dates: pd.DatetimeIndex, cols: dict[str, np.ndarray], utm_all: np.ndarray
) -> pd.DataFrame:
    """The orders frame, sorted by day then customer."""
    order = np.lexsort((cols["cust"], cols["day"]))
    c = {k: v[order] for k, v in cols.items()}
    return pd.DataFrame(
        {
            "order_id": 5_000_000 + np.arange(c["day"].size, dtype=np.int64),
            "placed_on": dates.values[c["day"]],
            "customer_id": c["cust"].astype(np.int64),
            "revenue": np.round(c["val"], 2),
            "is_first_order": c["is_first"],
            "utm_source": pd.Categorical.from_codes(c["utm_code"], categories=utm_all),
        }
    )


def _cat(labels: np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """Categorical of ``labels[codes]`` even when labels repeat (names may)."""
    uniq, inv = np.unique(labels.astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inv[codes], categories=uniq.astype(object))


def _split(
    rng: np.random.Generator,
    weights: np.ndarray,
    total: np.ndarray | None = None,
    noisy: bool = True,
) -> np.ndarray:
    """Counts per row (creative) and column (day) summing to a noisy daily total.

    The total is ``total`` (default: the weights' column sums), plus Poisson-sized noise
    truncated at NOISE_CLIP when ``noisy``; it is split over rows multinomially in
    proportion to the weights.
    """
    w = np.maximum(weights, 0.0)
    col = w.sum(axis=0)
    mu = col if total is None else np.asarray(total, dtype=float)
    noise = np.sqrt(mu) * _tn(rng, mu.shape) if noisy else 0.0
    n = np.maximum(0, np.round(mu + noise)).astype(np.int64)
    pv = np.where(col > 0, w / np.where(col > 0, col, 1.0), 1.0 / max(w.shape[0], 1)).T
    pv = pv / pv.sum(axis=1, keepdims=True)
    return rng.multinomial(n, pv).T.astype(float)


def _month_label(m: int) -> str:
    return f"{int(m) // 12:04d}-{int(m) % 12 + 1:02d}"
