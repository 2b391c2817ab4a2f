"""The brain state: MEMORY + ORACLE + CURIOSITY for one org at one ``as_of``.

Deterministic: the same inputs give byte-identical canonical JSON. No wall clock inside
(the storage layer wraps the state with computed_at / duration_ms), only plain JSON
types, no NaN or Infinity (unknowns are None), floats rounded (money 2 dp, ratios 4 dp).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from datetime import date

import numpy as np
import pandas as pd

from brain import thresholds as T
from brain._util import day_to_iso, ratio
from brain.curiosity import compute_curiosity
from brain.memory import compute_memory
from brain.oracle import compute_oracle
from brain.prep import BrainSettings, Prepared, prepare

__all__ = ["BrainSettings", "compute_brain_state", "input_fingerprint", "to_canonical_json"]


def compute_brain_state(
    ad_daily: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    settings: BrainSettings | dict | None = None,
    as_of: date | None = None,
    org_id: int | None = None,
    timings: dict | None = None,
    events: list[dict] | None = None,
) -> dict:
    """Compute the whole brain state. Never raises on bad data: problems go to ``notes``.

    ``events`` are the org's known events (sales, launches, pauses, tracking and price
    changes, holidays: dicts with kind, start, end, optional platform, note, source), a
    pure input like the frames: their days are left out of baselines and findings on them
    are context, not alarms.

    ``timings``, if given, is filled with seconds per stage (prep, memory, oracle,
    curiosity) for benchmarks; it is never part of the state.
    """
    t0 = time.perf_counter()
    prep = prepare(ad_daily, orders, settings, as_of, events)
    t1 = time.perf_counter()
    notes = prep.notes
    memory = _guard(
        "memory", lambda: compute_memory(prep), notes, lambda: compute_memory(_blank(prep))
    )
    t2 = time.perf_counter()

    def run_oracle() -> dict:
        oracle, onotes = compute_oracle(prep, memory)
        notes.extend(onotes)
        return oracle

    oracle = _guard("oracle", run_oracle, notes, lambda: compute_oracle(_blank(prep), memory)[0])
    t3 = time.perf_counter()
    curiosity = _guard(
        "curiosity",
        lambda: compute_curiosity(prep, memory, oracle),
        notes,
        lambda: {
            "id": "curiosity",
            "actions": [],
            "candidates": 0,
            "total_opportunity_usd_per_week": 0.0,
            "unit": "USD of gross profit per week",
            "gated": [],
        },
    )
    t4 = time.perf_counter()
    _coverage_notes(prep, memory, notes)
    _gate_notes(curiosity, memory, notes)
    st = prep.settings
    if prep.as_of_day is not None:
        end = prep.as_of_day
        period = {
            "start": day_to_iso(end - st.period_days + 1),
            "end": day_to_iso(end),
            "days": st.period_days,
        }
        as_of_iso: str | None = day_to_iso(end)
    else:
        period = {"start": None, "end": None, "days": st.period_days}
        as_of_iso = None
    state = {
        "schema_version": T.SCHEMA_VERSION,
        "org_id": int(org_id) if org_id is not None else None,
        "as_of": as_of_iso,
        "period": period,
        "settings": {
            "gross_margin": ratio(st.gross_margin),
            "breakeven_roas": ratio(st.breakeven_roas),
            "currency": st.currency,
            "period_days": st.period_days,
        },
        "memory": memory,
        "oracle": oracle,
        "curiosity": curiosity,
        "notes": list(dict.fromkeys(notes)),
    }
    state = _plain(state)
    if timings is not None:
        timings.update(
            prep=t1 - t0, memory=t2 - t1, oracle=t3 - t2, curiosity=t4 - t3, total=t4 - t0
        )
    return state


def _blank(prep: Prepared) -> Prepared:
    blank = prepare(None, None, prep.settings, None)
    blank.as_of_day = prep.as_of_day
    return blank


def _guard(name: str, fn, notes: list[str], fallback):  # noqa: ANN001, ANN202
    """Run one module; if it fails on data we did not foresee, note it and fall back."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a bad row must never take the dashboard down
        notes.append(f"{name}: failed ({type(exc).__name__}: {exc}); section left empty")
        return fallback()


def _coverage_notes(prep: Prepared, memory: dict, notes: list[str]) -> None:
    tot = memory["totals"]
    if prep.n_ad_rows == 0:
        notes.append("no ad data: MEMORY shows store figures only; ORACLE ad detectors are idle")
    if prep.n_orders == 0:
        notes.append("no orders: MER, nc-ROAS, CAC, LTV and calibration are unknown")
    if prep.as_of_day is not None and prep.ad_first is not None:
        days = prep.window - prep.ad_first
        if days < T.RESPONSE_MIN_DAYS:
            notes.append(
                f"only {days} days of ad data: response curves need {T.RESPONSE_MIN_DAYS}, "
                "fatigue needs 14, anomalies need 42"
            )
    for p in memory["platforms"]:
        if (p["spend"] or 0) == 0:
            notes.append(f"{p['platform']}: no spend in the period; ROAS and CPA are unknown")
    if prep.cohorts is None or tot.get("ltv_factor") is None:
        if prep.n_orders:
            notes.append(
                "no mature monthly cohort yet (needs 90 days after a month ends): LTV unknown"
            )


def _gate_notes(curiosity: dict, memory: dict, notes: list[str]) -> None:
    """Every evidence gate that held an action back becomes a note the page shows."""
    gated = curiosity.get("gated") or []
    reasons: dict[str, list[str]] = {}
    for g in gated:
        reasons.setdefault(g["reason"], []).append(g["platform"])
    for why, plats in reasons.items():
        names = ", ".join(plats)
        notes.append(f"no budget shift or scale action for {names}: {why}")
    inc = memory.get("incremental") or {}
    if inc.get("status") != "ok" and inc.get("note"):
        notes.append(f"incremental calibration: {inc['note']}")


def _plain(obj):  # noqa: ANN001, ANN202
    """Plain JSON types only; NaN/inf -> None (a last line of defence)."""
    t = type(obj)
    if t is dict:
        return {k if type(k) is str else str(k): _plain(v) for k, v in obj.items()}
    if t is list or t is tuple:
        return [_plain(v) for v in obj]
    if t is str or t is bool or t is int or obj is None:
        return obj
    if t is float:
        return obj if math.isfinite(obj) else None
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return str(obj)


def to_canonical_json(state: dict) -> str:
    """Canonical JSON: sorted keys, compact separators, NaN forbidden."""
    return json.dumps(state, sort_keys=True, separators=(",", ":"), allow_nan=False)


def input_fingerprint(
    ad_daily: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    settings: BrainSettings | dict | None = None,
    as_of: date | None = None,
    events: list[dict] | None = None,
) -> str:
    """sha256 of the inputs (values, columns, dtypes), settings and as_of.

    Lets the storage layer skip a recompute when nothing changed. Uses pandas' vectorized
    row hashes, so it costs about one pass over the data.
    """
    h = hashlib.sha256()
    for name, df in (("ad_daily", ad_daily), ("orders", orders)):
        h.update(name.encode())
        if df is None:
            h.update(b"<none>")
            continue
        h.update(json.dumps([[str(c), str(df[c].dtype)] for c in df.columns]).encode())
        h.update(str(len(df)).encode())
        if len(df):
            h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    notes: list[str] = []
    st = BrainSettings.coerce(settings, notes)
    h.update(
        json.dumps(
            {"gm": st.gross_margin, "cur": st.currency, "pd": st.period_days},
            sort_keys=True,
        ).encode()
    )
    h.update(str(as_of).encode())
    if events:
        h.update(json.dumps(events, sort_keys=True, default=str).encode())
    h.update(T.SCHEMA_VERSION.encode())
    return h.hexdigest()
