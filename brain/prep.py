"""Input hygiene and the dense arrays every module works from.

The raw frames are read once: dates become epoch-day integers, ids become integer codes,
bad numbers (NaN, negative, absurd) become 0 with a note, and the ad rows of the analysis
window are summed into a (creative x day) cube with ``np.bincount``. Every later step is
array arithmetic on that cube and on a few (platform x day) and per-day order series, so
cost grows with creatives x days, not with raw rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from brain import thresholds as T
from brain._util import EPOCH, day_to_iso, nanmedian

# The full input contract (docs/brain-spec.md "Inputs"); the database loader produces exactly these.
AD_COLUMNS = (
    "date",
    "platform",
    "campaign_id",
    "campaign_name",
    "creative_id",
    "creative_name",
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "platform_revenue",
    "reach",
    "frequency",
)
ORDER_COLUMNS = ("order_id", "placed_on", "customer_id", "revenue", "is_first_order", "utm_source")
AD_REQUIRED = (
    "date",
    "platform",
    "campaign_id",
    "creative_id",
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "platform_revenue",
)
AD_METRICS = ("spend", "impressions", "clicks", "conversions", "platform_revenue")
ORDER_REQUIRED = ("placed_on", "customer_id", "revenue")
PLATFORM_ALIASES = {
    "facebook": "meta",
    "fb": "meta",
    "instagram": "meta",
    "meta_ads": "meta",
    "google": "google_ads",
    "googleads": "google_ads",
    "adwords": "google_ads",
    "tik_tok": "tiktok",
    "tiktok_ads": "tiktok",
}


@dataclass(frozen=True)
class BrainSettings:
    """Org settings the brain needs. breakeven ROAS = 1 / gross_margin."""

    gross_margin: float = T.DEFAULT_GROSS_MARGIN
    currency: str = T.DEFAULT_CURRENCY
    period_days: int = T.DEFAULT_PERIOD_DAYS

    @property
    def breakeven_roas(self) -> float:
        return 1.0 / self.gross_margin

    @classmethod
    def coerce(cls, settings: BrainSettings | dict | None, notes: list[str]) -> BrainSettings:
        """Accept a BrainSettings, a dict or None; bad values fall back to defaults with a note."""
        if isinstance(settings, BrainSettings):
            raw: dict = {
                "gross_margin": settings.gross_margin,
                "currency": settings.currency,
                "period_days": settings.period_days,
            }
        else:
            raw = dict(settings or {})
        gm = raw.get("gross_margin", T.DEFAULT_GROSS_MARGIN)
        try:
            gm = float(gm)
        except (TypeError, ValueError):
            gm = float("nan")
        if not (math.isfinite(gm) and 0.0 < gm <= 1.0):
            notes.append(
                f"settings: gross_margin {raw.get('gross_margin')!r} is not in (0, 1]; "
                f"using {T.DEFAULT_GROSS_MARGIN}"
            )
            gm = T.DEFAULT_GROSS_MARGIN
        cur = raw.get("currency") or T.DEFAULT_CURRENCY
        cur = str(cur).upper()[:8]
        pdays = raw.get("period_days", T.DEFAULT_PERIOD_DAYS)
        try:
            pdays = int(pdays)
        except (TypeError, ValueError):
            pdays = 0
        if not 7 <= pdays <= 366:
            notes.append(
                f"settings: period_days {raw.get('period_days')!r} is not in 7-366; "
                f"using {T.DEFAULT_PERIOD_DAYS}"
            )
            pdays = T.DEFAULT_PERIOD_DAYS
        return cls(gross_margin=gm, currency=cur, period_days=pdays)


@dataclass
class Prepared:
    """Clean dense arrays for one org, anchored at ``as_of_day`` (epoch days)."""

    settings: BrainSettings
    notes: list[str]
    as_of_day: int | None
    window: int  # L: days in the arrays, ending at as_of
    platforms: list[str] = field(default_factory=list)
    # creatives (n_cr) and campaigns (n_camp)
    cr_platform: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cr_campaign: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cr_id: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    cr_name: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    camp_platform: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    camp_id: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    camp_name: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    cube: dict[str, np.ndarray] = field(default_factory=dict)  # (n_cr, L)
    plat: dict[str, np.ndarray] = field(default_factory=dict)  # (P, L)
    org: dict[str, np.ndarray] = field(default_factory=dict)  # (L,) ad totals
    plat_first: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ad_first: int | None = None  # first window index with ad rows (0 if data predates it)
    store: dict[str, np.ndarray] = field(default_factory=dict)  # (L,) order series
    store_first: int | None = None
    cohorts: pd.DataFrame | None = None
    n_ad_rows: int = 0
    n_orders: int = 0
    # known events (user, calendar, auto-detected pauses): days excluded from baselines
    events: list[dict] = field(default_factory=list)
    event_org: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # (L,) any event
    event_global: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # (L,) org-wide
    event_plat: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))  # (P, L)
    paused: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))  # (P, L)

    @property
    def start_day(self) -> int:
        return (self.as_of_day or 0) - self.window + 1

    def day_iso(self, idx: int) -> str:
        return day_to_iso(self.start_day + idx)

    @property
    def n_cr(self) -> int:
        return len(self.cr_id)


def analysis_days(settings: BrainSettings) -> int:
    """Days of ad rows the brain reads, ending at as_of (loaders may read only these)."""
    return max(settings.period_days, T.RESPONSE_MAX_WINDOW)


def _empty_frame(cols: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in cols})


def _to_days(col: pd.Series) -> np.ndarray:
    """Dates of any common form to epoch-day int64; invalid -> INT64 min."""
    if not pd.api.types.is_datetime64_any_dtype(col.dtype):
        col = pd.to_datetime(col, errors="coerce", format="mixed")
    if getattr(col.dtype, "tz", None) is not None:
        col = col.dt.tz_localize(None)
    vals = col.to_numpy()
    if vals.dtype.kind != "M":
        vals = vals.astype("datetime64[ns]")
    return vals.astype("datetime64[D]").astype(np.int64)


_NAT = np.iinfo(np.int64).min


def _codes(col: pd.Series, labels_wanted: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 = missing) and the string labels they stand for."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = np.asarray(col.cat.codes, dtype=np.int64)
        if not labels_wanted:
            return codes, np.zeros(0, object)
        labels = np.asarray(col.cat.categories.astype(str), dtype=object)
        return codes, labels
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    if not labels_wanted:
        return np.asarray(codes, dtype=np.int64), np.zeros(0, object)
    labels = np.array([str(u) for u in uniques], dtype=object)
    return np.asarray(codes, dtype=np.int64), labels


def _clean_numeric(col: pd.Series | np.ndarray) -> tuple[np.ndarray, int]:
    """Float array with NaN/inf/negative/absurd values set to 0, and how many were."""
    if isinstance(col, pd.Series) and not pd.api.types.is_numeric_dtype(col.dtype):
        col = pd.to_numeric(col, errors="coerce")
    arr = np.asarray(col, dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr) | (arr < 0) | (arr > T.ABSURD_VALUE)
    n_bad = int(bad.sum())
    if n_bad:
        arr = np.where(bad, 0.0, arr)
    return arr, n_bad


def _platform_order(key: str) -> tuple[int, str]:
    known = T.PLATFORM_KEYS
    return (known.index(key) if key in known else len(known), key)


def _norm_platform(label: str) -> str:
    key = str(label).strip().lower().replace(" ", "_").replace("-", "_")
    return PLATFORM_ALIASES.get(key, key) or "unknown"


def prepare(
    ad_daily: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    settings: BrainSettings | dict | None = None,
    as_of: date | None = None,
    events: list[dict] | None = None,
) -> Prepared:
    """Validate, clean and densify the inputs. Never raises on bad data: it notes it.

    ``events`` are known events (dicts with kind, start, end, optional platform, note,
    source); their days, and auto-detected platform pauses, are excluded from baselines.
    """
    notes: list[str] = []
    st = BrainSettings.coerce(settings, notes)
    ad = ad_daily if isinstance(ad_daily, pd.DataFrame) else _empty_frame(AD_REQUIRED)
    od = orders if isinstance(orders, pd.DataFrame) else _empty_frame(ORDER_REQUIRED)
    missing_ad = [c for c in AD_REQUIRED if c not in ad.columns]
    if missing_ad:
        if len(ad):
            notes.append(f"ad_daily: missing columns {missing_ad}; ad data ignored")
        ad = _empty_frame(AD_REQUIRED)
    missing_od = [c for c in ORDER_REQUIRED if c not in od.columns]
    if missing_od:
        if len(od):
            notes.append(f"orders: missing columns {missing_od}; orders ignored")
        od = _empty_frame(ORDER_REQUIRED)

    ad_days = _to_days(ad["date"]) if len(ad) else np.zeros(0, np.int64)
    od_days = _to_days(od["placed_on"]) if len(od) else np.zeros(0, np.int64)
    bad_ad_dates = int((ad_days == _NAT).sum())
    bad_od_dates = int((od_days == _NAT).sum())
    if bad_ad_dates:
        notes.append(f"ad_daily: {bad_ad_dates} rows with an unreadable date were ignored")
    if bad_od_dates:
        notes.append(f"orders: {bad_od_dates} orders with an unreadable date were ignored")

    if as_of is not None:
        as_of_day = (pd.Timestamp(as_of).date() - EPOCH).days
    else:
        last = [int(a[a != _NAT].max()) for a in (ad_days, od_days) if (a != _NAT).any()]
        as_of_day = max(last) if last else None
    window = analysis_days(st)
    prep = Prepared(settings=st, notes=notes, as_of_day=as_of_day, window=window)
    if as_of_day is None:
        notes.append("no dated ad or order rows: nothing to analyse")
        _empty_arrays(prep)
        _prepare_events(prep, None)
        return prep

    start = as_of_day - window + 1
    for name, days in (("ad_daily", ad_days), ("orders", od_days)):
        future = int((days > as_of_day).sum())
        if future:
            notes.append(f"{name}: {future} rows dated after as_of were ignored")

    _prepare_ads(prep, ad, ad_days, start)
    _prepare_orders(prep, od, od_days, start)
    _prepare_events(prep, events)
    return prep


EVENT_KINDS = ("sale", "launch", "pause", "tracking", "price", "holiday")


def _event_day(v: object) -> int | None:
    try:
        ts = pd.Timestamp(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if ts is pd.NaT or pd.isna(ts):
        return None
    return (ts.date() - EPOCH).days


def _prepare_events(prep: Prepared, events: list[dict] | None) -> None:
    """Known events -> day masks; platforms with no rows / zero spend -> auto 'pause' events."""
    L = prep.window
    P = len(prep.platforms)
    prep.event_org = np.zeros(L, bool)
    prep.event_global = np.zeros(L, bool)
    prep.event_plat = np.zeros((P, L), bool)
    out: list[dict] = []
    bad = 0
    for ev in events or []:
        if not isinstance(ev, dict):
            bad += 1
            continue
        kind = str(ev.get("kind") or "").lower()
        d0, d1 = _event_day(ev.get("start")), _event_day(ev.get("end") or ev.get("start"))
        if kind not in EVENT_KINDS or d0 is None or d1 is None or d1 < d0:
            bad += 1
            continue
        plat = ev.get("platform")
        plat = _norm_platform(plat) if plat else None
        a, b = max(d0 - prep.start_day, 0), min(d1 - prep.start_day, L - 1)
        if b >= a:
            if plat is None:
                prep.event_org[a : b + 1] = True
                prep.event_global[a : b + 1] = True
            elif plat in prep.platforms:
                prep.event_plat[prep.platforms.index(plat), a : b + 1] = True
                prep.event_org[a : b + 1] = True  # a platform's event moves the org totals too
        out.append(
            {
                "kind": kind,
                "start": day_to_iso(d0),
                "end": day_to_iso(d1),
                "platform": plat,
                "note": str(ev.get("note") or "")[:200],
                "source": str(ev.get("source") or "manual"),
            }
        )
    if bad:
        prep.notes.append(f"events: {bad} events without a known kind or valid dates were ignored")
    # auto-detected pauses: a connected platform with no rows or zero spend on a day
    paused = np.zeros((P, L), bool)
    for p in range(P):
        first = int(prep.plat_first[p]) if len(prep.plat_first) else -1
        if first < 0:
            continue
        off = prep.plat["spend"][p] <= 0
        off[:first] = False
        paused[p] = off
        idx = np.flatnonzero(off)
        if not len(idx):
            continue
        runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
        for r in runs:
            out.append(
                {
                    "kind": "pause",
                    "start": prep.day_iso(int(r[0])),
                    "end": prep.day_iso(int(r[-1])),
                    "platform": prep.platforms[p],
                    "note": f"no spend from {prep.platforms[p]}: paused (or not synced)",
                    "source": "auto",
                }
            )
    # auto-detected promotions: days where spend AND store revenue jump together, far out of
    # their local level (a sale nobody recorded); they are left out of fits like known events
    for a, b in _promo_runs(prep):
        out.append(
            {
                "kind": "sale",
                "start": prep.day_iso(a),
                "end": prep.day_iso(b),
                "platform": None,
                "note": "spend and store revenue both jumped: a promotion? (detected)",
                "source": "auto",
            }
        )
        prep.event_org[a : b + 1] = True
        prep.event_global[a : b + 1] = True
    prep.paused = paused
    prep.event_plat |= paused
    prep.event_plat |= prep.event_global[None, :]  # an org-wide event touches every platform
    prep.event_org |= paused.any(axis=0)
    out.sort(key=lambda e: (e["start"], e["end"], e["kind"], e["platform"] or ""))
    prep.events = out


CUBE_KEYS = ("spend", "impressions", "clicks", "conversions", "revenue", "rows", "freq_w", "freq_x")


def _empty_arrays(prep: Prepared) -> None:
    L = prep.window
    prep.cube = {k: np.zeros((0, L)) for k in CUBE_KEYS}
    prep.plat = {k: np.zeros((0, L)) for k in CUBE_KEYS}
    for k in CUBE_KEYS:
        prep.org[k] = np.zeros(L)
    for k in ("revenue", "orders", "first_revenue", "new_customers"):
        prep.store[k] = np.zeros(L)
    prep.cohorts = None


def _promo_runs(prep: Prepared) -> list[tuple[int, int]]:
    """Runs of days where store revenue is >= PROMO_Z and org spend >= PROMO_Z_SPEND
    robust sigmas above their centred +-7-day median (the day itself left out)."""
    from numpy.lib.stride_tricks import sliding_window_view

    L = prep.window
    if prep.ad_first is None or prep.store_first is None or L < 21:
        return []
    start = max(prep.ad_first, prep.store_first)
    sp, rv = prep.org["spend"], prep.store["revenue"]
    ok = np.arange(L) >= start
    ok &= (sp > 0) & (rv > 0) & ~prep.event_global
    if ok.sum() < 21:
        return []
    zs = []
    for y in (sp, rv):
        ly = np.where(ok, np.log(np.where(y > 0, y, 1.0)), np.nan)
        h = T.PROMO_HALF
        pad = np.concatenate([np.full(h, np.nan), ly, np.full(h, np.nan)])
        win = sliding_window_view(pad, 2 * h + 1).copy()
        win[:, h] = np.nan
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                level = nanmedian(win, axis=1)
                r = ly - level
                wd = (np.arange(prep.start_day, prep.start_day + L) + 3) % 7
                for d in range(7):  # the weekday pattern is not a promotion
                    m = wd == d
                    if np.isfinite(r[m]).sum() >= 3:
                        r[m] -= np.nanmedian(r[m])
                mad = np.nanmedian(np.abs(r - np.nanmedian(r)))
        sig = max(1.4826 * float(mad) if np.isfinite(mad) else 0.0, 0.02)
        zs.append(np.nan_to_num(r / sig, nan=0.0))
    hit = (zs[0] >= T.PROMO_Z_SPEND) & (zs[1] >= T.PROMO_Z)
    idx = np.flatnonzero(hit)
    if not len(idx):
        return []
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
    return [(int(r[0]), int(r[-1])) for r in runs]


def _prepare_ads(prep: Prepared, ad: pd.DataFrame, ad_days: np.ndarray, start: int) -> None:
    """Fill the platforms, the creative and campaign labels, the (creative x day) cube and
    its platform and org roll-ups from the ad rows of the window."""
    L = prep.window
    valid = (ad_days >= start) & (ad_days <= prep.as_of_day)
    rows = np.flatnonzero(valid)
    prep.n_ad_rows = int(len(ad))
    sub = ad.iloc[rows] if len(rows) < len(ad) else ad
    d_idx = ad_days[rows] - start
    pcode = _platform_codes(prep, sub)
    cr = _entity_labels(prep, sub, pcode)
    n_cr = len(prep.cr_id)
    prep.cube = _metric_cube(sub, cr * L + d_idx, n_cr, L, prep.notes)
    _roll_up(prep)


def _platform_codes(prep: Prepared, sub: pd.DataFrame) -> np.ndarray:
    """Set ``prep.platforms`` (known ones in order, then "unknown") and return each row's
    platform index."""
    p_codes, p_labels = _codes(sub["platform"])
    norm = [_norm_platform(x) for x in p_labels]
    platforms = sorted(set(norm) - {"unknown"}, key=_platform_order)
    if (p_codes < 0).any() or "unknown" in norm:
        platforms.append("unknown")
        n_unk = int((p_codes < 0).sum())
        if n_unk:
            prep.notes.append(
                f"ad_daily: {n_unk} rows without a platform were grouped as 'unknown'"
            )
    remap = np.array([platforms.index(x) for x in norm] + [len(platforms) - 1], dtype=np.int64)
    pcode = remap[p_codes] if len(p_codes) else np.zeros(0, np.int64)
    prep.platforms = platforms
    return pcode


def _entity_labels(prep: Prepared, sub: pd.DataFrame, pcode: np.ndarray) -> np.ndarray:
    """Set the creatives' and campaigns' platform, ids and names on ``prep`` and return
    each row's creative index."""
    c_codes, c_labels = _codes(sub["creative_id"])
    k_codes, k_labels = _codes(sub["campaign_id"])
    cr_key = pcode * (len(c_labels) + 1) + (c_codes + 1)
    cr, cr_uniques = pd.factorize(cr_key)
    cr = np.asarray(cr, dtype=np.int64)
    n_cr = len(cr_uniques)
    camp_key = pcode * (len(k_labels) + 1) + (k_codes + 1)
    camp_of_row, camp_uniques = pd.factorize(camp_key)
    camp_of_row = np.asarray(camp_of_row, dtype=np.int64)

    first_row = np.full(n_cr, -1, np.int64)
    first_row[cr[::-1]] = np.arange(len(cr))[::-1]
    c_lab_ext = np.append(c_labels, "(unknown)")
    k_lab_ext = np.append(k_labels, "(unknown)")
    prep.cr_platform = pcode[first_row]
    prep.cr_campaign = camp_of_row[first_row]
    prep.cr_id = c_lab_ext[c_codes[first_row]]
    prep.cr_name = _names(sub, "creative_name", first_row, prep.cr_id)
    cfirst = np.full(len(camp_uniques), -1, np.int64)
    cfirst[camp_of_row[::-1]] = np.arange(len(camp_of_row))[::-1]
    prep.camp_platform = pcode[cfirst]
    prep.camp_id = k_lab_ext[k_codes[cfirst]]
    prep.camp_name = _names(sub, "campaign_name", cfirst, prep.camp_id)
    return cr


def _metric_cube(
    sub: pd.DataFrame, idx: np.ndarray, n_cr: int, L: int, notes: list[str]
) -> dict[str, np.ndarray]:
    """The (creative x day) sums of each ad metric, rows and frequency weights; bad values
    count as 0 with a note."""
    size = n_cr * L
    bad_counts = {}
    cube = {}
    for col in AD_METRICS:
        vals, n_bad = _clean_numeric(sub[col])
        if n_bad:
            bad_counts[col] = n_bad
        key = "revenue" if col == "platform_revenue" else col
        cube[key] = np.bincount(idx, weights=vals, minlength=size).reshape(n_cr, L)
    cube["rows"] = np.bincount(idx, minlength=size).reshape(n_cr, L).astype(float)
    cube["freq_w"], cube["freq_x"] = _frequency_sums(sub, idx, n_cr, L, cube["impressions"])
    if bad_counts:
        total = sum(bad_counts.values())
        detail = ", ".join(f"{k} {v}" for k, v in sorted(bad_counts.items()))
        notes.append(
            f"ad_daily: {total} values were missing, negative or absurd (> {T.ABSURD_VALUE:.0e}) "
            f"and were treated as 0 ({detail})"
        )
    return cube


def _frequency_sums(
    sub: pd.DataFrame, idx: np.ndarray, n_cr: int, L: int, imps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Impression weights and impression-weighted frequency per (creative, day), from the
    frequency column or reach (zeros without either)."""
    size = n_cr * L
    freq = None
    if "frequency" in sub.columns:
        freq, _ = _clean_numeric(sub["frequency"])
        freq = np.where(freq > 0, freq, np.nan)
    elif "reach" in sub.columns:
        reach, _ = _clean_numeric(sub["reach"])
        imp_rows, _ = _clean_numeric(sub["impressions"])
        freq = np.where(reach > 0, imp_rows / np.where(reach > 0, reach, 1.0), np.nan)
    if freq is None:
        return np.zeros_like(imps), np.zeros_like(imps)
    imp_rows, _ = _clean_numeric(sub["impressions"])
    ok = np.isfinite(freq) & (freq < 1e3)
    w = np.where(ok, imp_rows, 0.0)
    freq_w = np.bincount(idx, weights=w, minlength=size).reshape(n_cr, L)
    freq_x = np.bincount(idx, weights=np.where(ok, freq * imp_rows, 0.0), minlength=size).reshape(
        n_cr, L
    )
    return freq_w, freq_x


def _roll_up(prep: Prepared) -> None:
    """Platform and org sums of the cube, and the first day with rows per platform (days
    before it are "not connected yet")."""
    L = prep.window
    P = len(prep.platforms)
    n_cr = len(prep.cr_id)
    cube = prep.cube
    onehot = np.zeros((P, n_cr))
    if n_cr:
        onehot[prep.cr_platform, np.arange(n_cr)] = 1.0
    prep.plat = {k: onehot @ v for k, v in cube.items()}
    prep.org = {k: v.sum(axis=0) for k, v in cube.items()}
    has = prep.plat["rows"] > 0 if P else np.zeros((0, L), bool)
    first = np.where(has.any(axis=1), has.argmax(axis=1), -1) if P else np.zeros(0, np.int64)
    prep.plat_first = np.asarray(first, dtype=np.int64)
    prep.ad_first = int(first[first >= 0].min()) if (first >= 0).any() else None


def _names(sub: pd.DataFrame, col: str, rows: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    if col not in sub.columns or not len(rows):
        return fallback.copy()
    codes, labels = _codes(sub[col])
    lab = np.append(labels, "")
    out = lab[codes[rows]]
    return np.where(out == "", fallback, out).astype(object)


def _prepare_orders(prep: Prepared, od: pd.DataFrame, od_days: np.ndarray, start: int) -> None:
    L = prep.window
    notes = prep.notes
    ok = (od_days != _NAT) & (od_days <= prep.as_of_day)
    prep.n_orders = int(len(od))
    if not ok.any():
        for k in ("revenue", "orders", "first_revenue", "new_customers"):
            prep.store[k] = np.zeros(L)
        prep.cohorts = None
        return
    rows = np.flatnonzero(ok)
    sub_all = od.iloc[rows] if len(rows) < len(od) else od
    days = od_days[rows]
    rev, n_bad = _clean_numeric(sub_all["revenue"])
    if n_bad:
        notes.append(
            f"orders: {n_bad} revenue values were missing, negative or absurd and were treated as 0"
        )
    cust, _ = _codes(sub_all["customer_id"], labels_wanted=False)
    if "is_first_order" in sub_all.columns:
        fcol = sub_all["is_first_order"]
        if pd.api.types.is_bool_dtype(fcol.dtype):
            is_first = np.asarray(fcol, dtype=bool)
        else:
            is_first = np.asarray(
                fcol.map(lambda v: str(v).strip().lower() in {"true", "1", "yes", "t"}), dtype=bool
            )
    else:
        notes.append(
            "orders: no is_first_order column; a customer's earliest order counts as first"
        )
        order = np.lexsort((days, cust))
        is_first = np.zeros(len(days), bool)
        cs = cust[order]
        firsts = np.ones(len(cs), bool)
        firsts[1:] = cs[1:] != cs[:-1]
        is_first[order] = firsts & (cs >= 0)

    in_win = days >= start
    di = days[in_win] - start
    r_w = rev[in_win]
    f_w = is_first[in_win]
    prep.store = {
        "revenue": np.bincount(di, weights=r_w, minlength=L),
        "orders": np.bincount(di, minlength=L).astype(float),
        "first_revenue": np.bincount(di, weights=np.where(f_w, r_w, 0.0), minlength=L),
        "new_customers": np.bincount(di, weights=f_w.astype(float), minlength=L),
    }
    data_start = int(days.min())
    prep.store_first = max(0, data_start - start) if data_start <= prep.as_of_day else None
    prep.cohorts = _cohorts(days, cust, rev, is_first, data_start, prep.as_of_day)


def _month(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of epoch days (via a small lookup table over the day range)."""
    days = np.asarray(days, dtype=np.int64)
    if not days.size:
        return days
    d0, d1 = int(days.min()), int(days.max())
    table = np.arange(d0, d1 + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return table[days - d0]


def _month_start_day(months: np.ndarray) -> np.ndarray:
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _cohorts(
    days: np.ndarray,
    cust: np.ndarray,
    rev: np.ndarray,
    is_first: np.ndarray,
    data_start: int,
    as_of_day: int,
) -> pd.DataFrame | None:
    """Monthly cohorts by first-order month: customers, 90-day revenue, first-order revenue."""
    fm = is_first & (cust >= 0)
    if not fm.any():
        return None
    n_c = int(cust.max()) + 1
    big = np.iinfo(np.int64).max
    first_day = np.full(n_c, big, np.int64)
    fc, fd0 = cust[fm], days[fm]
    order = np.argsort(fd0, kind="stable")[::-1]  # latest first: the earliest write wins
    first_day[fc[order]] = fd0[order]
    known = cust >= 0
    fd = np.where(known, first_day[np.where(known, cust, 0)], big)
    has_first = fd != big
    rel = days - np.where(has_first, fd, 0)
    in90 = has_first & (rel >= 0) & (rel < T.LTV_WINDOW_DAYS)
    cohort_customers = np.flatnonzero(first_day != big)
    c_month = _month(first_day[cohort_customers])
    m0 = int(c_month.min())
    nm = int(c_month.max()) - m0 + 1
    customers = np.bincount(c_month - m0, minlength=nm).astype(float)
    o_month = _month(np.where(in90, fd, data_start)) - m0
    rev90 = np.bincount(o_month[in90], weights=rev[in90], minlength=nm)
    first_rev = np.bincount(o_month[in90 & is_first], weights=rev[in90 & is_first], minlength=nm)
    months = np.arange(m0, m0 + nm)
    mstart = _month_start_day(months)
    mend = _month_start_day(months + 1) - 1
    return pd.DataFrame(
        {
            "month": months,
            "start_day": mstart,
            "customers": customers,
            "rev90": rev90,
            "first_rev": first_rev,
            "complete": mstart >= data_start,
            "mature": mend + T.LTV_WINDOW_DAYS <= as_of_day,
        }
    )
