from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from config import DEV_SECRET_KEY, Config, ConfigError


def test_embedded_defaults():
    cfg = Config.from_env(env={})
    assert cfg.database_uri.startswith("sqlite:///") and cfg.database_uri.endswith("omnify.db")
    assert cfg.REDIS_URL == ""


def test_postgres_urls_use_psycopg3():
    cfg = Config.from_env(env={"DATABASE_URL": "postgres://u@h/db"})
    assert cfg.database_uri == "postgresql+psycopg://u@h/db"


def test_production_refuses_dev_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Config.from_env(env={"ENV": "production", "SECRET_KEY": DEV_SECRET_KEY})


def test_production_requires_credentials_key():
    with pytest.raises(ConfigError, match="CREDENTIALS_KEY"):
        Config.from_env(env={"ENV": "production", "SECRET_KEY": "x" * 40})


def test_production_ok_with_both():
    cfg = Config.from_env(
        env={
            "ENV": "production",
            "SECRET_KEY": "x" * 40,
            "CREDENTIALS_KEY": Fernet.generate_key().decode(),
            "APP_BASE_URL": "https://app.example.com",
        }
    )
    assert cfg.production and cfg.flask_settings()["SESSION_COOKIE_SECURE"] is True


def test_bad_values_fail_fast_with_the_name():
    with pytest.raises(ConfigError, match="SEED_DEMO"):
        Config.from_env(env={"SEED_DEMO": "maybe"})
    with pytest.raises(ConfigError, match="CREDENTIALS_KEY entry 1"):
        Config.from_env(env={"CREDENTIALS_KEY": "not-a-key"})
    with pytest.raises(ConfigError, match="ENV"):
        Config.from_env(env={"ENV": "staging"})


def test_sync_settings_are_checked():
    with pytest.raises(ConfigError, match="SYNC_BACKFILL_DAYS"):
        Config.from_env(env={"SYNC_BACKFILL_DAYS": "0"})
    with pytest.raises(ConfigError, match="DAILY_SYNC_CRON"):
        Config.from_env(env={"DAILY_SYNC_CRON": "daily"})
    with pytest.raises(ConfigError, match="SYNC_RETRY_INTERVALS"):
        Config.from_env(env={"SYNC_RETRY_INTERVALS": "10,soon"})


def test_ai_settings_are_checked():
    config = Config.from_env(env={"AI_PLAN_BUDGETS_USD": "growth:10,scale:40"})
    assert config.ai_budget_for("growth") == 10.0
    assert config.ai_budget_for("self_hosted") == config.AI_MONTHLY_BUDGET_USD == 5.0
    for name, bad in (
        ("AI_PLAN_BUDGETS_USD", "growth=10"),
        ("AI_PRICES_JSON", '{"gpt-x": [1, 2]}'),
        ("AI_PRICES_JSON", "not json"),
        ("AI_TIMEOUT_S", "0"),
        ("AI_MONTHLY_BUDGET_USD", "-1"),
    ):
        with pytest.raises(ConfigError, match=name.split("_")[0]):
            Config.from_env(env={name: bad})
    ok = Config.from_env(env={"AI_PRICES_JSON": '{"my-model": [1, 0.1, 1.25, 5]}'})
    assert ok.AI_PRICES_JSON


def test_restatement_windows_per_platform():
    cfg = Config.from_env({})
    assert cfg.restate_days("meta") == 7
    assert cfg.restate_days("google_ads") == 14
    assert cfg.restate_days("tiktok") == 7
    assert cfg.restate_days("shopify") == 3
    assert Config.from_env({"SYNC_RESTATE_DAYS_GOOGLE_ADS": "28"}).restate_days("google_ads") == 28
    for name, value in (("SYNC_RESTATE_DAYS_META", "3"), ("SYNC_RESTATE_DAYS_GOOGLE_ADS", "7")):
        with pytest.raises(ConfigError, match=name):
            Config.from_env({name: value})
