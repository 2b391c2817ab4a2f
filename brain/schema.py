"""JSON Schema of the brain state (the contract the dashboard, API and storage read).

``BRAIN_STATE_SCHEMA`` documents every section; ``validate_state`` raises
``jsonschema.ValidationError`` on a violation. Unknown numbers are ``null``, never NaN.
Money is in the org currency (2 dp), ratios are fractions (4 dp) unless named ``*_pct``.
"""

from __future__ import annotations

import math

from jsonschema import Draft202012Validator

NUM = {"type": ["number", "null"]}
NUMBER = {"type": "number"}
INT = {"type": "integer", "minimum": 0}
STR = {"type": "string"}
STR_N = {"type": ["string", "null"]}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DATE_N = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$"}
LEVEL = {"enum": ["high", "medium", "low"]}
LEVEL_N = {"enum": ["high", "medium", "low", None]}
PROB = {"type": "number", "minimum": 0, "maximum": 0.97}


def _obj(props: dict, required: list[str] | None = None, desc: str | None = None) -> dict:
    out: dict = {
        "type": "object",
        "properties": props,
        "required": list(props) if required is None else required,
    }
    if desc:
        out["description"] = desc
    return out


def _arr(items: dict, desc: str | None = None, max_items: int | None = None) -> dict:
    out: dict = {"type": "array", "items": items}
    if max_items is not None:
        out["maxItems"] = max_items
    if desc:
        out["description"] = desc
    return out


TREND = _obj(
    {
        "metric": STR,
        "direction": {"enum": ["up", "down", "flat", "unknown"]},
        "change_pct": NUM,
    },
    desc="last 7 days vs the 7 before; flat within +-5%",
)
METRICS = {
    "spend": NUM,
    "platform_revenue": NUM,
    "impressions": INT,
    "clicks": INT,
    "conversions": INT,
    "roas": {**NUM, "description": "platform-reported revenue / spend"},
    "cpa": NUM,
    "ctr": NUM,
    "cvr": NUM,
    "cpm": NUM,
}
STATUS = {"enum": ["winner", "loser", "neutral"]}
CURVE = _obj(
    {
        "id": STR,
        "status": {"enum": ["ok", "insufficient_data"]},
        "alpha": {**NUM, "description": "elasticity of revenue to spend, clamped to [0.05, 1]"},
        "alpha_raw": NUM,
        "alpha_se": NUM,
        "r2": NUM,
        "days": INT,
        "roas_now": {**NUM, "description": "platform ROAS over the last 7 days"},
        "marginal_roas": {**NUM, "description": "alpha x ROAS now: revenue of the next dollar"},
        "marginal_roas_calibrated": {
            **NUM,
            "description": "marginal ROAS x store revenue / platform revenue",
        },
        "confidence": NUMBER,
    }
)
PLATFORM = _obj(
    {
        "id": STR,
        "platform": STR,
        **METRICS,
        "share_of_spend": NUM,
        "share_of_revenue": NUM,
        "days_with_spend": INT,
        "trend": TREND,
        "status": STATUS,
        "status_basis": {"enum": ["marginal", "average"]},
        "ltv_roas": NUM,
        "response_curve": CURVE,
    },
    required=[
        "id",
        "platform",
        *METRICS,
        "share_of_spend",
        "share_of_revenue",
        "days_with_spend",
        "trend",
        "status",
        "ltv_roas",
        "response_curve",
    ],  # status_basis: states stored before it have none
)
CAMPAIGN = _obj(
    {
        "id": STR,
        "platform": STR,
        "campaign_id": STR,
        "name": STR,
        **METRICS,
        "share_of_spend": NUM,
        "creatives": INT,
        "trend": TREND,
        "status": STATUS,
    }
)
CREATIVE = _obj(
    {
        "id": STR,
        "platform": STR,
        "campaign_id": STR,
        "campaign_name": STR,
        "creative_id": STR,
        "name": STR,
        **METRICS,
        "frequency": NUM,
        "share_of_spend": NUM,
        "trend": TREND,
        "status": STATUS,
        "sparkline": _obj(
            {"roas": _arr(NUM, max_items=14), "ctr": _arr(NUM, max_items=14)},
            desc="the last 14 daily values, oldest first (null = no spend that day)",
        ),
    }
)
TOTALS = _obj(
    {
        "id": STR,
        "spend": NUM,
        "store_revenue": NUM,
        "platform_revenue": NUM,
        "mer": {**NUM, "description": "store revenue / ad spend (blended ROAS)"},
        "platform_roas": NUM,
        "nc_roas": {**NUM, "description": "first-order revenue / spend"},
        "cac": {**NUM, "description": "spend / new customers"},
        "new_customers": INT,
        "orders": INT,
        "first_order_revenue": NUM,
        "aov": NUM,
        "over_reporting": {**NUM, "description": "platform revenue / store revenue"},
        "calibration": {**NUM, "description": "store / platform revenue, clipped to [0.1, 10]"},
        "ltv_factor": NUM,
        "ltv_roas": NUM,
        "breakeven_roas": NUM,
        "mer_trend": TREND,
        "definitions": {"type": "object", "additionalProperties": STR},
    }
)
DAILY = _obj(
    {
        "date": DATE,
        "spend": NUM,
        "store_revenue": NUM,
        "platform_revenue": NUM,
        "mer": NUM,
        "orders": INT,
    }
)
LTV = _obj(
    {
        "id": STR,
        "factor": NUM,
        "cohorts": _arr(STR),
        "ltv_90d": NUM,
        "first_order_value": NUM,
    }
)
MEMORY = _obj(
    {
        "id": STR,
        "totals": TOTALS,
        "platforms": _arr(PLATFORM),
        "campaigns": _arr(CAMPAIGN, "top 50 by spend", 50),
        "creatives": _arr(CREATIVE, "top 50 by spend", 50),
        "daily": _arr(DAILY, "one row per day of the period"),
        "ltv": LTV,
    }
)
FATIGUE = _obj(
    {
        "id": STR,
        "creative_id": STR,
        "name": STR,
        "platform": STR,
        "campaign_id": STR,
        "campaign_name": STR,
        "prob_7d": PROB,
        "prob_14d": PROB,
        "severity": LEVEL,
        "recommendation": {"enum": ["pause_within_72h", "refresh_this_week", "monitor"]},
        "signals": _arr(
            {
                "enum": [
                    "ctr_drop",
                    "cvr_drop",
                    "cpa_rise",
                    "roas_drop",
                    "frequency_high",
                    "ctr_slope",
                    "ctr_trend",
                    "cvr_trend",
                ]
            }
        ),
        "predicted_drop_7d": NUM,
        "days_to_breakeven": {"type": ["integer", "null"], "minimum": 0},
        "roas_recent": NUM,
        "roas_baseline": NUM,
        "roas_recent_calibrated": NUM,
        "ctr_recent": NUM,
        "ctr_baseline": NUM,
        "cvr_recent": NUM,
        "cvr_baseline": NUM,
        "cpa_recent": NUM,
        "cpa_baseline": NUM,
        "frequency": NUM,
        "ctr_change": NUM,
        "cvr_change": NUM,
        "cpa_change": NUM,
        "roas_change": NUM,
        "ctr_slope_drop_7d": NUM,
        "spend_recent_7d": NUM,
        "revenue_recent_7d": NUM,
        "daily_spend": NUM,
    }
)
DECAY = _obj(
    {
        "id": STR,
        "platform": STR,
        "flagged": {"type": "boolean"},
        "severity": {"enum": ["high", "medium", None]},
        "decay": {**NUM, "description": "1 - ROAS(last 7 days) / ROAS(days 8-21)"},
        "roas_recent": NUM,
        "roas_baseline": NUM,
        "spend_change": NUM,
        "trend_slope_per_day": {**NUM, "description": "28-day Theil-Sen slope of daily ROAS"},
        "trend_slope_pct_per_day": NUM,
        "trend_direction": {"enum": ["up", "down", "flat", None]},
    }
)
COHORT = _obj(
    {
        "month": STR,
        "customers": INT,
        "mature": {"type": "boolean"},
        "ltv_90d": NUM,
        "first_order_value": NUM,
    }
)
DRIFT = _obj(
    {
        "id": STR,
        "flagged": {"type": "boolean"},
        "severity": LEVEL_N,
        "drift": {**NUM, "description": "1 - recent / historical 90-day LTV"},
        "recent_ltv": NUM,
        "historical_ltv": NUM,
        "trend": {"enum": ["accelerating", "stabilizing", "improving", None]},
        "recent_cohorts": _arr(STR),
        "historical_cohorts": _arr(STR),
        "new_customers_per_week": NUM,
        "cohorts": _arr(COHORT),
        "trend_pct_per_cohort": NUM,
        "note": STR,
    },
    required=[
        "id",
        "flagged",
        "severity",
        "drift",
        "recent_ltv",
        "historical_ltv",
        "trend",
        "recent_cohorts",
        "historical_cohorts",
        "new_customers_per_week",
        "cohorts",
    ],
)
SERIES_HIT = _obj(
    {
        "series": STR,
        "expected": NUM,
        "actual": NUM,
        "z": {
            **NUM,
            "description": "Gaussian-equivalent robust z (t-calibrated for the 56-day scale)",
        },
        "z_robust": {
            **NUM,
            "description": "(residual - median) / biweight scale of the 56 days before",
        },
        "direction": {"enum": ["up", "down"]},
        "dollar_effect": NUM,
    }
)
ANOMALY = _obj(
    {
        "id": STR,
        "date": DATE,
        "scope": {"enum": ["org", "platform"]},
        "platform": STR_N,
        **SERIES_HIT["properties"],
        "severity": {
            "enum": ["high", "medium", "low"],
            "description": "high/medium only for an adverse efficiency move (MER, ROAS "
            "down; CPA up); volume-only moves and known-event days are low notes",
        },
        "cause_hints": _arr(_obj({"code": STR, "text": STR})),
        "series_flagged": _arr(SERIES_HIT),
        "summary": STR,
        "context": _arr(STR, "known events covering the day: findings on them are context"),
        "end_date": DATE,
        "days": INT,
    },
    required=[
        "id",
        "date",
        "scope",
        "platform",
        *SERIES_HIT["properties"],
        "severity",
        "cause_hints",
        "series_flagged",
    ],
)
RISK = _obj(
    {
        "id": STR,
        "level": {"enum": ["GREEN", "YELLOW", "RED"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 100},
        "high": INT,
        "medium": INT,
        "low": INT,
        "findings": _arr(_obj({"id": STR, "kind": STR, "severity": LEVEL, "title": STR})),
    }
)
ORACLE = _obj(
    {
        "id": STR,
        "fatigue": _arr(FATIGUE, "creatives with prob_7d >= 0.3, most likely first", 50),
        "fatigue_stats": _obj(
            {
                "creatives": INT,
                "eligible": INT,
                "flagged": INT,
                "by_severity": _obj({"high": INT, "medium": INT, "low": INT}),
            }
        ),
        "roi_decay": _arr(DECAY, "one per platform"),
        "ltv_drift": DRIFT,
        "anomalies": _arr(ANOMALY, "one per (date, scope) in the last 14 days"),
        "risk": RISK,
        "events": _arr(
            _obj(
                {
                    "id": STR,
                    "kind": {"enum": ["sale", "launch", "pause", "tracking", "price", "holiday"]},
                    "start": DATE,
                    "end": DATE,
                    "platform": STR_N,
                    "note": STR,
                    "source": STR,
                }
            ),
            "known events (user, calendar) and auto-detected platform pauses",
        ),
    },
    required=["id", "fatigue", "fatigue_stats", "roi_decay", "ltv_drift", "anomalies", "risk"],
)
TARGET = {
    "type": "object",
    "properties": {"kind": STR, "id": STR, "name": STR, "platform": STR_N},
    "required": ["kind", "id", "name"],
}
ACTION = _obj(
    {
        "id": {"type": "string", "pattern": "^act_[0-9a-f]{12}$"},
        "type": {"enum": ["shift_budget", "pause_creative", "scale", "retention", "investigate"]},
        "title": STR,
        "targets": _arr(TARGET),
        "amounts": {
            "type": "object",
            "properties": {
                "current": NUM,
                "recommended": NUM,
                "change": NUM,
                "change_pct": NUM,
                "unit": STR,
            },
            "required": ["current", "recommended", "change", "change_pct", "unit"],
        },
        "impact_usd_per_week": {
            **NUMBER,
            "description": "USD of gross profit per week: 7 x (revenue x margin - spend change)",
        },
        "impact_band": _obj({"low": NUMBER, "high": NUMBER}),
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "urgency": LEVEL,
        "severity": LEVEL,
        "score": NUMBER,
        "rank": {"type": "integer", "minimum": 1, "maximum": 5},
        "rationale": STR,
        "evidence": _arr(STR),
        "microcopy": _obj({"cmo": STR, "vp_growth": STR, "director": STR}),
        "inputs": {"type": "object", "description": "the quantities the impact was computed from"},
    }
)
CURIOSITY = _obj(
    {
        "id": STR,
        "actions": _arr(ACTION, "top 5, at most 2 of one type", 5),
        "candidates": INT,
        "total_opportunity_usd_per_week": NUMBER,
        "unit": STR,
    }
)

BRAIN_STATE_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Omnify brain state",
    "type": "object",
    "properties": {
        "schema_version": STR,
        "org_id": {"type": ["integer", "null"]},
        "as_of": DATE_N,
        "period": _obj({"start": DATE_N, "end": DATE_N, "days": INT}),
        "settings": _obj(
            {"gross_margin": NUMBER, "breakeven_roas": NUMBER, "currency": STR, "period_days": INT}
        ),
        "computed_at": {"type": "string", "description": "added by the storage layer (UTC)"},
        "duration_ms": {"type": "number", "description": "added by the storage layer"},
        "memory": MEMORY,
        "oracle": ORACLE,
        "curiosity": CURIOSITY,
        "notes": _arr(STR, "why something is missing or was cleaned"),
    },
    "required": [
        "schema_version",
        "org_id",
        "as_of",
        "period",
        "settings",
        "memory",
        "oracle",
        "curiosity",
        "notes",
    ],
    "additionalProperties": False,
}

_VALIDATOR = Draft202012Validator(BRAIN_STATE_SCHEMA)


def validate_state(state: dict) -> None:
    """Raise jsonschema.ValidationError (or ValueError for NaN/inf) if the state is off-contract."""
    _VALIDATOR.validate(state)
    _no_nan(state, "$")


def _no_nan(obj: object, path: str) -> None:
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ValueError(f"non-finite number at {path}")
    if isinstance(obj, dict):
        for k, v in obj.items():
            _no_nan(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _no_nan(v, f"{path}[{i}]")
