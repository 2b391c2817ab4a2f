"""Every threshold and tuning constant of the brain, in one place.

docs/brain-spec.md values are marked (spec); the rest are our own modelling choices and
say why. Change a number here and nowhere else. docs/brain.md explains the method
each group belongs to and its known limits.
"""

from __future__ import annotations

SCHEMA_VERSION = "1.0"

# ---------------------------------------------------------------- settings
DEFAULT_GROSS_MARGIN = 0.65  # (spec) breakeven ROAS = 1 / gross_margin
DEFAULT_CURRENCY = "USD"
DEFAULT_PERIOD_DAYS = 30  # (spec) the period is the 30 days ending as_of

# ---------------------------------------------------------------- input hygiene
ABSURD_VALUE = 1e9  # a single creative-day or order above this is a data error, not a sale
PLATFORM_KEYS = ("meta", "google_ads", "tiktok")

# auto-detected promotions: spend and store revenue both this many robust sigmas above
# their centred +-7-day median (a sale nobody recorded); treated like a known sale
PROMO_Z = 3.0  # store revenue (weekday pattern removed) ...
PROMO_Z_SPEND = 3.0  # ... and spend, both up on the same day
PROMO_HALF = 7

# ---------------------------------------------------------------- windows (days ending as_of)
RECENT_DAYS = 7  # (spec) recent = last 7 days
BASELINE_START = 8  # (spec) baseline = days 8-21 before as_of
BASELINE_END = 21
TREND_DAYS = 7  # (spec) trend: last 7 days vs the 7 before
TREND_FLAT_BAND = 0.05  # (spec) up/down/flat at +-5%

# ---------------------------------------------------------------- memory
WINNER_RATIO = 1.15  # (spec) winner if ROAS > 1.15 x the org's platform ROAS
LOSER_RATIO = 0.85  # (spec) loser if ROAS < 0.85 x
TOP_CAMPAIGNS = 50
TOP_CREATIVES = 50
SPARKLINE_DAYS = 14
LTV_WINDOW_DAYS = 90  # (spec) 90-day revenue per customer
LTV_FACTOR_COHORTS = 3  # (spec) latest up-to-3 mature monthly cohorts
CALIBRATION_CLIP = (0.1, 10.0)  # store/platform revenue ratio kept sane when one side is tiny
# incremental calibration (new-customer revenue ~ organic + weekday + sum f_p X_p)
CAL_LEVEL_RECENT_DAYS = 21  # a platform's ROAS level (revenue / spend^alpha): one level plus
# a straight line over the last 21 days (a decay now), not a rolling mean (noise biases f)
CAL_MAX_REL_SE = 0.5  # pooled factor's SE above half of it: not identified, no curve actions
CAL_PRIOR_SPREAD = 0.35  # per-platform factors shrink to the pooled one (prior sd 35%)
CAL_SE_INFLATION = 1.3  # measured: log errors / stated SE had sd 1.29 on the scenario families

# response curve
RESPONSE_MIN_DAYS = 28  # (spec) needs >= 28 days with spend
RESPONSE_MIN_WINDOW = 56  # (spec) fit over the last 56-90 days
RESPONSE_MAX_WINDOW = 90
ALPHA_MIN = 0.05  # (spec) elasticity clamped to [0.05, 1]
ALPHA_MAX = 1.0
HUBER_K = 1.345  # Huber IRLS for the response fit: robust to a few days off the curve
HUBER_ITERATIONS = 20
MAD_TO_SIGMA_FIT = 1.4826
ALPHA_SE_FOR_ZERO_CONFIDENCE = (
    0.25  # our choice: an alpha standard error of 0.25 means no confidence
)

# ---------------------------------------------------------------- oracle: fatigue
FATIGUE_MIN_DAYS = 14  # (spec) >= 14 days of data in the windows
FATIGUE_MIN_SPEND = 500.0  # (spec)
FATIGUE_MIN_IMPRESSIONS = 10_000  # (spec)
FATIGUE_WINDOW_DAYS = 21  # recent 7 + baseline 14
FATIGUE_FREQUENCY = 3.5  # (spec) frequency above 3.5 is a signal
FATIGUE_FREQUENCY_DAYS = 3  # current frequency = impression-weighted mean of the last 3 days
FATIGUE_FREQ_RAMP = (2.5, 3.5)  # strength of the frequency signal: full above 3.5
FATIGUE_DROP_FIRE = 0.15  # a signal "fires" at a 15% adverse change ...
FATIGUE_Z_FIRE = 2.0  # ... that is also 2 standard errors away (Poisson counts)
FATIGUE_MAG_RAMP = (0.03, 0.20)  # magnitude part of a signal's strength: |log change| ramp
FATIGUE_Z_RAMP = (1.0, 3.0)  # significance part of a signal's strength: |z| ramp
FATIGUE_SLOPE_T_FIRE = -2.0  # log CTR vs cumulative impressions slope t-stat
FATIGUE_SLOPE_DROP_FIRE = 0.10  # ... implying >= 10% lower CTR next week
FATIGUE_TREND_DAYS = 28  # slope of log CTR / log CVR over the whole window ...
FATIGUE_TREND_HORIZON = 14  # ... read as the change over 14 days
FATIGUE_MIN_CONVERSIONS = 30  # conversions in 21 days before a creative can be called fatigued
FATIGUE_PEER_MIN = 4  # creatives of a platform needed to remove the platform-wide move
# logistic model: logit = b0 + w_conv*conv + w_ctr*ctr + w_freq*freq + w_n*n_fired
FATIGUE_B0 = -3.2
FATIGUE_W_CONV = 2.0  # max of CVR drop / CPA rise / ROAS drop (one noise source: conversions)
FATIGUE_W_CTR = 1.5  # max of CTR drop / CTR slope
FATIGUE_W_FREQ = 3.0  # audience saturation: the least noisy signal
FATIGUE_W_FIRED = 0.2  # per fired signal: agreement across signals
FATIGUE_TREND_T = (2.0, 4.0)  # t ramp of the 28-day trend when it confirms the weekly drop
FATIGUE_ROAS_HELD = 0.5  # "held": conversions/impression fell < half the 15% fire level
FATIGUE_HELD_P = 0.01  # ... or that fall is not significant (exact test p above 1%)
FATIGUE_W_TREND = 2.0  # recent-vs-baseline and the 28-day trend agree (scenario-tuned, 20 seeds)
FATIGUE_14D_SHIFT = 0.8  # a week more of exposure raises the logit
FATIGUE_PROB_CAP = 0.97  # (spec) probabilities in 0-0.97
FATIGUE_CTR_ONLY_CAP = 0.45  # (spec) ROAS above breakeven: not fatigued on CTR alone
FATIGUE_PAUSE = 0.8  # (spec) > 0.8 pause within 72 h
FATIGUE_REFRESH = 0.6  # (spec) > 0.6 refresh this week, else monitor
FATIGUE_LIST_MIN = 0.3  # oracle.fatigue lists creatives with prob_7d >= 0.3
FATIGUE_LIST_CAP = 50
FATIGUE_MAX_DROP = 0.9
FATIGUE_HORIZON_DAYS = 90  # days-until-breakeven beyond this is reported as None

# ---------------------------------------------------------------- oracle: ROI decay
DECAY_FLAG = 0.15  # (spec) flagged above 15%
DECAY_HIGH = 0.30  # (spec) high above 30%
DECAY_HIGH_WITH_SPEND = 0.20  # (spec) ... or above 20% while spend rose more than 20%
DECAY_SPEND_RISE = 0.20
DECAY_SLOPE_DAYS = 28  # (spec) 28-day Theil-Sen slope of daily ROAS
DECAY_Z = 2.5  # the spend-adjusted drop must stand out of the daily noise
DECAY_TREND_DROP = 0.20  # 28-day Theil-Sen trend: projected 14-day change <= -20% ...
DECAY_TREND_CONF = 0.90  # ... with its 90% interval below zero ...
DECAY_TREND_MIN_LEVEL = 0.10  # ... and the week already 10% below baseline ...
DECAY_Z_TREND = 2.0  # ... at z >= 2
DECAY_MIN_SPEND = 100.0  # below this in either window a platform's ROAS is not judged

# ---------------------------------------------------------------- oracle: LTV drift
DRIFT_RECENT_COHORTS = 3  # (spec)
DRIFT_HISTORICAL_COHORTS = 6  # (spec)
DRIFT_FLAG = 0.10  # (spec)
DRIFT_MEDIUM = 0.15  # (spec)
DRIFT_HIGH = 0.20  # (spec)
DRIFT_TREND_BAND = 0.02  # per-cohort relative slope beyond +-2% = accelerating / improving
DRIFT_MIN_CUSTOMERS = 30  # a cohort smaller than this is too noisy to use

# ---------------------------------------------------------------- oracle: anomalies
ANOMALY_TRAILING_DAYS = 56  # (spec)
ANOMALY_RECENT_DAYS = 14  # (spec) flag within the last 14 days
ANOMALY_Z = 3.5  # (spec)
ANOMALY_Z_HIGH = 5.0  # (spec)
ANOMALY_MIN_USD = 100.0  # (spec) dollar effect >= max($100, 2% of avg daily spend)
ANOMALY_MIN_SPEND_SHARE = 0.02  # (spec)
ANOMALY_MIN_HISTORY = 28  # fewer trailing days than this: too little to know "normal"
ANOMALY_TREND_HALF = 4
ANOMALY_MASK_Z = 4.0  # a history day this far out is masked from neighbours and baselines
SEASONAL_P = 0.01  # weekday effects are removed only when an F test finds them (p < 1%)
ANOMALY_SCALE_FLOOR = 0.01  # log-scale robust sigma floor (1%) so a flat series is not all alarms
ANOMALY_Z_CAP = 99.0
ANOMALY_STEADY_Z = 2.0  # |z| below this = "holds steady" for cause hints ...
ANOMALY_STEADY_RATIO = 0.5  # ... or below half the driving move (spend +5 sigma, revenue +2.2)
MAD_TO_SIGMA = 1.4826
BIWEIGHT_C = 9.0  # biweight midvariance tuning constant (in MADs)
SCALE_EFFICIENCY = 0.87  # a biweight scale from n days is worth ~0.87 n Gaussian observations

# ---------------------------------------------------------------- risk
RISK_RED_HIGH = 3  # (spec) RED if >= 3 high findings
RISK_YELLOW_HIGH = 1  # (spec) YELLOW if >= 1 high ...
RISK_YELLOW_MEDIUM = 2  # (spec) ... or >= 2 medium
RISK_W_HIGH = 30  # (spec) score = min(100, 30 high + 15 medium + 5 low)
RISK_W_MEDIUM = 15
RISK_W_LOW = 5

# ---------------------------------------------------------------- curiosity
SHIFT_MAX_SOURCE_SHARE = 0.20  # (spec) at most 20% of the source's daily spend
SHIFT_MIN_GAP = 0.10  # marginal ROAS gap below this is not worth a shift
SHIFT_MIN_CONFIDENCE = 0.2
SHIFT_GAP_SE = 1.0  # the marginal ROAS gap must exceed 1 sd of its own uncertainty
# evidence gates for curve-based actions (shift, scale): below them, a note instead
ACTION_MIN_DAYS = 42  # days of ad history
ACTION_MIN_SPEND_VARIATION = 0.08  # sd of log daily spend over the fit window
ACTION_MIN_CONFIDENCE = 0.3  # curve confidence x calibration certainty
SCALE_BREAKEVEN_MULT = 1.2  # (spec) marginal ROAS > breakeven x 1.2 and not decaying
SCALE_PCT_LOW = 0.10  # (spec) +10-20% budget
SCALE_PCT_HIGH = 0.20
SCALE_STRONG_MULT = 1.5  # marginal >= 1.5 x breakeven: take the +20% end
SCALE_MIN_DAILY_SPEND = 50.0
RETENTION_RECOVERY_SHARE = 0.25  # our assumption: a retention programme wins back 1/4 of the gap
SCORE_W_IMPACT = 0.4  # (spec)
SCORE_W_URGENCY = 0.3
SCORE_W_CONFIDENCE = 0.2
SCORE_W_SEVERITY = 0.1
LEVEL_VALUE = {"high": 1.0, "medium": 0.5, "low": 0.2}  # (spec)
TOP_ACTIONS = 5  # (spec)
MAX_PER_TYPE = 2  # (spec)
BAND_MIN = 0.10  # impact band half-width: 10% at full confidence ...
BAND_SCALE = 0.60  # ... plus 60% x (1 - confidence)

# ---------------------------------------------------------------- rounding (byte-identical JSON)
MONEY_DP = 2
RATIO_DP = 4
