"""Configuration from the environment (and a `.env` file), with embedded defaults.

One place for every setting. A bad value fails fast with a message naming the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent
DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production
DEV_BASE_URL = "http://localhost:8050"


# the shortest restatement per ad platform (their attribution windows)
RESTATE_FLOORS = {
    "SYNC_RESTATE_DAYS_META": 7,
    "SYNC_RESTATE_DAYS_GOOGLE_ADS": 14,
    "SYNC_RESTATE_DAYS_TIKTOK": 7,
}


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and why."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true/false, got {raw!r}")


def _float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


@dataclass
class Config:
    """Typed settings. Field names are the environment variable names."""

    ENV: str = "development"  # development | production | testing
    SECRET_KEY: str = DEV_SECRET_KEY
    DATABASE_URL: str = ""  # empty -> SQLite file under instance/
    REDIS_URL: str = ""  # empty -> embedded queue (fakeredis + worker thread)
    CREDENTIALS_KEY: str = ""  # Fernet key(s), comma-separated, newest first
    CRON_SECRET: str = ""
    SENTRY_DSN: str = ""
    LOGROCKET_APP_ID: str = ""
    LOG_FORMAT: str = ""  # json | text; empty -> json in production, text otherwise (ops/logs.py)
    METRICS_TOKEN: str = ""  # bearer token of GET /metrics; empty -> /metrics is off (404)
    SCHEDULER_STALE_HOURS: float = 26.0  # /readyz is 503 when the daily cron is older than this
    BACKUP_DIR: str = ""  # `flask backup` writes here; empty -> instance/backups
    # kind:queue pairs: which queue each kind of job goes to; empty -> all on `default`
    QUEUE_ROUTES: str = "sync:sync,brain:brain,ai:ai,mail:mail"
    MAIL_RETRY_INTERVALS: str = "60,300,900,3600,21600"  # seconds between retries of an alert
    OPENAI_API_KEY: str = ""
    ANTHROPIC_API_KEY: str = ""
    OPENAI_BASE_URL: str = ""
    ANTHROPIC_BASE_URL: str = ""
    # AI narratives (jobs/narratives.py): models, timeouts, SDK retries, spending limits
    OPENAI_MODEL: str = "gpt-5-mini"
    ANTHROPIC_MODEL: str = "claude-sonnet-4-5"
    AI_TIMEOUT_S: float = 30.0
    AI_MAX_RETRIES: int = 2  # the SDKs' own retries on 429/5xx/timeouts
    AI_MONTHLY_BUDGET_USD: float = 5.0  # per org per calendar month (self-hosted default)
    AI_PLAN_BUDGETS_USD: str = "self_hosted:5,starter:2,growth:10,scale:40"  # plan:USD, ...
    AI_GLOBAL_MONTHLY_CEILING_USD: float = 100.0  # all orgs together, per calendar month
    AI_PRICES_JSON: str = ""  # {"model": [input, cached input, cache write, output] per 1M}
    STRIPE_SECRET_KEY: str = ""
    STRIPE_WEBHOOK_SECRET: str = ""
    STRIPE_API_BASE: str = ""  # empty -> Stripe's own API; tests point it at a local fake
    STRIPE_PRICE_STARTER: str = ""  # price ids of the three plans (docs/product.md "Plans")
    STRIPE_PRICE_GROWTH: str = ""
    STRIPE_PRICE_SCALE: str = ""
    META_APP_ID: str = ""
    META_APP_SECRET: str = ""
    META_API_BASE: str = "https://graph.facebook.com"
    META_AUTH_URL: str = ""  # OAuth endpoints: empty -> the provider's documented URL
    META_TOKEN_URL: str = ""
    # API versions: empty -> the default in integrations/versions.py (with its sunset table)
    META_API_VERSION: str = ""
    # Meta insights ranges of this many days or more run as async report runs (0: never)
    META_ASYNC_MIN_DAYS: int = 14
    META_ASYNC_POLL_SECONDS: float = 5.0
    GOOGLE_ADS_API_VERSION: str = ""
    SHOPIFY_API_VERSION: str = ""
    TIKTOK_API_VERSION: str = ""
    GOOGLE_ADS_CLIENT_ID: str = ""
    GOOGLE_ADS_CLIENT_SECRET: str = ""
    GOOGLE_ADS_DEVELOPER_TOKEN: str = ""
    GOOGLE_ADS_API_BASE: str = "https://googleads.googleapis.com"
    GOOGLE_AUTH_URL: str = ""
    GOOGLE_TOKEN_URL: str = "https://oauth2.googleapis.com/token"  # noqa: S105
    TIKTOK_APP_ID: str = ""
    TIKTOK_APP_SECRET: str = ""
    TIKTOK_API_BASE: str = "https://business-api.tiktok.com"
    TIKTOK_AUTH_URL: str = ""
    TIKTOK_TOKEN_URL: str = ""
    SHOPIFY_API_BASE: str = ""  # empty -> https://{shop}.myshopify.com
    SHOPIFY_WEBHOOK_SECRET: str = ""
    # A Shopify app installed through OAuth (per-shop expiring offline tokens)
    SHOPIFY_CLIENT_ID: str = ""
    SHOPIFY_CLIENT_SECRET: str = ""
    SHOPIFY_BULK_BACKFILL: bool = True  # first sync through a bulk operation (JSONL)
    SMTP_URL: str = ""  # empty -> e-mails are printed to the log
    MAIL_FROM: str = "Omnify Brain <no-reply@omnify.local>"
    DAILY_SYNC_CRON: str = "0 2 * * *"  # UTC
    SYNC_RETRY_INTERVALS: str = "10,60,300"  # seconds between RQ retries of a failed sync
    SYNC_BACKFILL_DAYS: int = 90
    INTEGRATION_RETRY_BASE: float = 0.5  # seconds; first backoff of outside API calls
    SYNC_RESTATE_DAYS: int = 3  # Shopify (and the default): days every sync re-pulls
    # Ad platforms restate recent days for as long as their attribution windows run:
    # Meta's 7-day click window, TikTok's 7 days, Google's click-date conversions (late
    # conversions land on past days; conversion lag is commonly 1-2 weeks).
    SYNC_RESTATE_DAYS_META: int = 7
    SYNC_RESTATE_DAYS_GOOGLE_ADS: int = 14
    SYNC_RESTATE_DAYS_TIKTOK: int = 7
    RECOMPUTE_COALESCE_S: int = 30  # webhooks: at most one brain recompute per org per this
    SEED_DEMO: bool = True
    RATELIMIT_LOGIN: str = "10 per minute"  # login attempts per client address
    # Every link we send (reset, invite, sign-up, OAuth redirect_uri) starts with this; https and
    # required in production. Empty outside production: http://localhost:8050 (the dev server).
    APP_BASE_URL: str = ""
    README_URL: str = ""  # where this deployment's README is readable (links to setup steps)
    TRUSTED_HOSTS: str = ""  # extra Host names accepted besides APP_BASE_URL's, comma-separated
    TRUSTED_PROXIES: int = 0  # reverse proxies in front of us that set X-Forwarded-*
    MAX_CONTENT_LENGTH: int = 5 * 1024 * 1024  # bytes; larger request bodies get 413
    MAIL_OUTBOX: str = ""  # no SMTP_URL outside production: mails are files here (instance/outbox)
    IMPORT_DIR: str = ""  # uploaded CSV/XLSX exports wait here for the worker (instance/imports)
    IMPORT_MAX_BYTES: int = (
        200 * 1024 * 1024
    )  # the one route allowed bodies above MAX_CONTENT_LENGTH
    IMPORT_CHUNK_ROWS: int = 50_000  # rows read (and written) at a time: bounds memory
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sync_retry_intervals(self) -> list[int]:
        return [int(x) for x in self.SYNC_RETRY_INTERVALS.split(",") if x.strip()]

    def restate_days(self, platform: str) -> int:
        """Days before the last sync that the next sync of ``platform`` pulls again."""
        return int(getattr(self, f"SYNC_RESTATE_DAYS_{platform.upper()}", self.SYNC_RESTATE_DAYS))

    @property
    def billing_enabled(self) -> bool:
        """Stripe billing is on; without a key (self-hosted) every feature is on, no billing."""
        return bool(self.STRIPE_SECRET_KEY)

    @property
    def stripe_prices(self) -> dict[str, str]:
        return {
            "starter": self.STRIPE_PRICE_STARTER,
            "growth": self.STRIPE_PRICE_GROWTH,
            "scale": self.STRIPE_PRICE_SCALE,
        }

    @property
    def ai_plan_budgets(self) -> dict[str, float]:
        out = {}
        for item in self.AI_PLAN_BUDGETS_USD.split(","):
            if item.strip():
                plan, _, usd = item.partition(":")
                out[plan.strip()] = float(usd)
        return out

    def ai_budget_for(self, plan: str | None) -> float:
        """The org's monthly AI budget in USD: its plan's, else the self-hosted default."""
        return self.ai_plan_budgets.get(plan or "", self.AI_MONTHLY_BUDGET_USD)

    @property
    def base_url(self) -> str:
        """Where users reach us, without a trailing slash (the root of every external link)."""
        return (self.APP_BASE_URL or DEV_BASE_URL).rstrip("/")

    @property
    def trusted_hosts(self) -> list[str]:
        """Host names (Flask's TRUSTED_HOSTS) a request may name; empty -> any (development)."""
        extra = [h.strip() for h in self.TRUSTED_HOSTS.split(",") if h.strip()]
        if not self.APP_BASE_URL and not extra:
            return []
        hosts = [urlsplit(self.base_url).hostname or ""] + extra
        return list(dict.fromkeys(h for h in hosts if h))

    @property
    def queue_routes(self) -> dict[str, str]:
        out = {}
        for item in self.QUEUE_ROUTES.split(","):
            if item.strip():
                kind, _, queue = item.partition(":")
                out[kind.strip()] = queue.strip() or "default"
        return out

    @property
    def mail_retry_intervals(self) -> list[int]:
        return [int(x) for x in self.MAIL_RETRY_INTERVALS.split(",") if x.strip()]

    @property
    def log_format(self) -> str:
        return self.LOG_FORMAT or ("json" if self.production else "text")

    @property
    def production(self) -> bool:
        return self.ENV == "production"

    @property
    def database_uri(self) -> str:
        if self.DATABASE_URL:
            url = self.DATABASE_URL
            # Heroku-style URLs name the old driver; we speak psycopg 3.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        instance = ROOT / "instance"
        instance.mkdir(exist_ok=True)
        return f"sqlite:///{instance / 'omnify.db'}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Config:
        """Read every field from `env` (default: os.environ after loading `.env`)."""
        if env is None:
            load_dotenv(ROOT / ".env", override=False)
            env = dict(os.environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra" or f.name not in env:
                continue
            raw = env[f.name]
            if f.type in ("bool", bool):
                values[f.name] = _bool(f.name, raw)
            elif f.type in ("float", float):
                values[f.name] = _float(f.name, raw)
            elif f.type in ("int", int):
                values[f.name] = _int(f.name, raw)
            else:
                values[f.name] = raw
        values.update(overrides)
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        """Fail fast on a setting that cannot work, one area at a time."""
        self._validate_environment()
        self._validate_urls()
        self._validate_billing()
        self._validate_sync()
        self._validate_lists()
        self._validate_ai()
        self._validate_credentials_key()

    def _validate_environment(self) -> None:
        if self.LOG_FORMAT not in {"", "json", "text"}:
            raise ConfigError(f"LOG_FORMAT must be json or text, got {self.LOG_FORMAT!r}")
        if self.ENV not in {"development", "production", "testing"}:
            raise ConfigError(f"ENV must be development, production or testing, got {self.ENV!r}")
        if self.production:
            if self.SECRET_KEY == DEV_SECRET_KEY or len(self.SECRET_KEY) < 16:
                raise ConfigError(
                    "SECRET_KEY must be set to a long random value in production "
                    "(the development key is refused)"
                )
            if not self.CREDENTIALS_KEY:
                raise ConfigError("CREDENTIALS_KEY is required in production (a Fernet key)")
            if not self.APP_BASE_URL.startswith("https://"):
                raise ConfigError(
                    "APP_BASE_URL is required in production and must start with https:// "
                    "(every e-mailed link is built from it)"
                )

    def _validate_urls(self) -> None:
        if self.APP_BASE_URL:
            parts = urlsplit(self.APP_BASE_URL)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
                raise ConfigError(
                    "APP_BASE_URL must look like https://app.example.com, "
                    f"got {self.APP_BASE_URL!r}"
                )
        if not 0 <= self.TRUSTED_PROXIES <= 5:
            raise ConfigError("TRUSTED_PROXIES must be the number of proxies in front (0 to 5)")

    def _validate_billing(self) -> None:
        if self.billing_enabled:
            missing = [f"STRIPE_PRICE_{k.upper()}" for k, v in self.stripe_prices.items() if not v]
            if missing:
                raise ConfigError(
                    f"STRIPE_SECRET_KEY is set, so {', '.join(missing)} must be set too "
                    "(the Stripe price ids of the plans)"
                )
            if self.production and not self.STRIPE_WEBHOOK_SECRET:
                raise ConfigError("STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY")

    def _validate_sync(self) -> None:
        for name in ("SYNC_BACKFILL_DAYS", "SYNC_RESTATE_DAYS"):
            if not 1 <= getattr(self, name) <= 3650:
                raise ConfigError(f"{name} must be between 1 and 3650 days")
        for name, floor in RESTATE_FLOORS.items():
            if not floor <= getattr(self, name) <= 3650:
                raise ConfigError(
                    f"{name} must be at least {floor} days: the platform keeps changing "
                    "recent days for that long, and a shorter re-pull keeps stale numbers"
                )
        if not 0 <= self.RECOMPUTE_COALESCE_S <= 3600:
            raise ConfigError("RECOMPUTE_COALESCE_S must be between 0 and 3600 seconds")
        if len(self.DAILY_SYNC_CRON.split()) != 5:
            raise ConfigError(
                f"DAILY_SYNC_CRON must be a 5-field cron expression, got {self.DAILY_SYNC_CRON!r}"
            )

    def _validate_lists(self) -> None:
        """The comma-separated settings parse (their properties raise ValueError)."""
        parsed = (  # (property that parses, setting, what it must look like)
            ("sync_retry_intervals", "SYNC_RETRY_INTERVALS", "be comma-separated seconds"),
            ("mail_retry_intervals", "MAIL_RETRY_INTERVALS", "be comma-separated seconds"),
            ("ai_plan_budgets", "AI_PLAN_BUDGETS_USD", "look like 'plan:USD,plan:USD'"),
        )
        for prop, name, shape in parsed:
            try:
                getattr(self, prop)  # parse now, fail fast
            except ValueError as exc:
                raise ConfigError(f"{name} must {shape}, got {getattr(self, name)!r}") from exc
        unknown = set(self.queue_routes.values()) - {"sync", "brain", "ai", "mail", "default"}
        if unknown:
            raise ConfigError(
                "QUEUE_ROUTES must map kinds to sync, brain, ai, mail or default, "
                f"got {', '.join(sorted(unknown))}"
            )

    def _validate_ai(self) -> None:
        if self.AI_TIMEOUT_S <= 0 or self.AI_MAX_RETRIES < 0:
            raise ConfigError("AI_TIMEOUT_S must be > 0 and AI_MAX_RETRIES >= 0")
        if self.AI_MONTHLY_BUDGET_USD < 0 or self.AI_GLOBAL_MONTHLY_CEILING_USD < 0:
            raise ConfigError("AI budgets must be >= 0 USD")
        if self.AI_PRICES_JSON:
            import json

            message = (
                "AI_PRICES_JSON must map model names to [input, cached input, cache write, "
                "output] USD per million tokens"
            )
            try:
                prices = json.loads(self.AI_PRICES_JSON)
            except ValueError as exc:
                raise ConfigError(message) from exc
            if not isinstance(prices, dict) or not all(
                isinstance(v, list)
                and len(v) == 4
                and all(
                    isinstance(x, int | float) and not isinstance(x, bool) and x >= 0 for x in v
                )
                for v in prices.values()
            ):
                raise ConfigError(message)

    def _validate_credentials_key(self) -> None:
        if self.CREDENTIALS_KEY:
            from cryptography.fernet import Fernet

            for i, key in enumerate(k.strip() for k in self.CREDENTIALS_KEY.split(",")):
                try:
                    Fernet(key)
                except ValueError as exc:
                    raise ConfigError(
                        f"CREDENTIALS_KEY entry {i + 1} is not a valid Fernet key "
                        "(32 url-safe base64-encoded bytes)"
                    ) from exc

    def flask_settings(self) -> dict[str, Any]:
        """The Flask config derived from these settings."""
        return {
            "SECRET_KEY": self.SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": self.database_uri,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "WTF_CSRF_TIME_LIMIT": None,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.production,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.production,
            "TESTING": self.ENV == "testing",
            "RATELIMIT_STORAGE_URI": self.REDIS_URL or "memory://",
            # Redis down: count in memory instead of failing every limited route with a 500.
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}
            if self.REDIS_URL
            else {},
            "TRUSTED_HOSTS": self.trusted_hosts or None,
            "MAX_CONTENT_LENGTH": self.MAX_CONTENT_LENGTH,
            "REMEMBER_COOKIE_DURATION": timedelta(days=30),
            "RATELIMIT_HEADERS_ENABLED": True,
            "OMNIFY": self,
        }
