"""Configuration from the environment (and a `.env` file), with embedded defaults.

One place for every setting. A bad value fails fast with a message naming the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent
DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production


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
    OPENAI_API_KEY: str = ""
    ANTHROPIC_API_KEY: str = ""
    OPENAI_BASE_URL: str = ""
    ANTHROPIC_BASE_URL: str = ""
    STRIPE_SECRET_KEY: str = ""
    STRIPE_WEBHOOK_SECRET: str = ""
    STRIPE_API_BASE: str = ""
    META_APP_ID: str = ""
    META_APP_SECRET: str = ""
    META_API_BASE: str = "https://graph.facebook.com"
    META_AUTH_URL: str = ""  # OAuth endpoints: empty -> the provider's documented URL
    META_TOKEN_URL: str = ""
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
    SMTP_URL: str = ""  # empty -> e-mails are printed to the log
    MAIL_FROM: str = "Omnify Brain <no-reply@omnify.local>"
    DAILY_SYNC_CRON: str = "0 2 * * *"  # UTC
    SYNC_RETRY_INTERVALS: str = "10,60,300"  # seconds between RQ retries of a failed sync
    SYNC_BACKFILL_DAYS: int = 90
    INTEGRATION_RETRY_BASE: float = 0.5  # seconds; first backoff of outside API calls
    SYNC_RESTATE_DAYS: int = 3  # platforms restate recent days: every sync re-pulls them
    RECOMPUTE_COALESCE_S: int = 30  # webhooks: at most one brain recompute per org per this
    SEED_DEMO: bool = True
    RATELIMIT_LOGIN: str = "10 per minute"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sync_retry_intervals(self) -> list[int]:
        return [int(x) for x in self.SYNC_RETRY_INTERVALS.split(",") if x.strip()]

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
        for name in ("SYNC_BACKFILL_DAYS", "SYNC_RESTATE_DAYS"):
            if not 1 <= getattr(self, name) <= 3650:
                raise ConfigError(f"{name} must be between 1 and 3650 days")
        if not 0 <= self.RECOMPUTE_COALESCE_S <= 3600:
            raise ConfigError("RECOMPUTE_COALESCE_S must be between 0 and 3600 seconds")
        if len(self.DAILY_SYNC_CRON.split()) != 5:
            raise ConfigError(
                f"DAILY_SYNC_CRON must be a 5-field cron expression, got {self.DAILY_SYNC_CRON!r}"
            )
        try:
            self.sync_retry_intervals  # noqa: B018 - parse now, fail fast
        except ValueError as exc:
            raise ConfigError(
                "SYNC_RETRY_INTERVALS must be comma-separated seconds, "
                f"got {self.SYNC_RETRY_INTERVALS!r}"
            ) from exc
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
            "RATELIMIT_HEADERS_ENABLED": True,
            "OMNIFY": self,
        }
