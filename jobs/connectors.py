"""Build the integration client for a stored connection from config + decrypted credentials."""

from __future__ import annotations

from typing import Any

from config import Config
from integrations.google_ads import GoogleAdsClient
from integrations.http import RetryPolicy
from integrations.meta import MetaAdsClient
from integrations.shopify import ShopifyClient
from integrations.tiktok import TikTokAdsClient
from integrations.versions import DEFAULT_VERSIONS
from models import Connection
from models.credentials import decrypt_credentials

VERSION_FIELD = {
    "meta": "META_API_VERSION",
    "google_ads": "GOOGLE_ADS_API_VERSION",
    "shopify": "SHOPIFY_API_VERSION",
    "tiktok": "TIKTOK_API_VERSION",
}


def api_version(config: Config, platform: str) -> str:
    """The configured API version of ``platform`` (default: integrations.versions)."""
    return getattr(config, VERSION_FIELD[platform], "") or DEFAULT_VERSIONS[platform]


def build_client(connection: Connection, config: Config) -> Any:
    """The platform client, pointed at the configured base URL (tests point it at fakes)."""
    creds = decrypt_credentials(connection.credentials_encrypted)
    if connection.platform == "shopify" and creds.get("refresh_token"):
        creds = _fresh_shopify_creds(connection, creds, config)
    return build_client_for(connection.platform, connection.external_account_id, creds, config)


def build_client_for(platform: str, account: str, creds: dict, config: Config) -> Any:
    """A client from plain credentials (connect time, before anything is stored)."""
    retry = RetryPolicy(
        base=config.INTEGRATION_RETRY_BASE, cap=max(30.0, config.INTEGRATION_RETRY_BASE)
    )
    if platform == "meta":
        return MetaAdsClient(
            config.META_API_BASE,
            creds["access_token"],
            retry=retry,
            api_version=api_version(config, "meta"),
            async_min_days=config.META_ASYNC_MIN_DAYS or None,
            poll_interval=config.META_ASYNC_POLL_SECONDS,
        )
    if platform == "google_ads":
        return GoogleAdsClient(
            config.GOOGLE_ADS_API_BASE,
            developer_token=config.GOOGLE_ADS_DEVELOPER_TOKEN,
            client_id=config.GOOGLE_ADS_CLIENT_ID,
            client_secret=config.GOOGLE_ADS_CLIENT_SECRET,
            refresh_token=creds["refresh_token"],
            token_url=config.GOOGLE_TOKEN_URL,
            login_customer_id=creds.get("login_customer_id"),
            retry=retry,
            api_version=api_version(config, "google_ads"),
        )
    if platform == "tiktok":
        return TikTokAdsClient(
            config.TIKTOK_API_BASE,
            creds["access_token"],
            retry=retry,
            api_version=api_version(config, "tiktok"),
        )
    if platform == "shopify":
        base = config.SHOPIFY_API_BASE or account
        return ShopifyClient(
            base, creds["access_token"], api_version(config, "shopify"), retry=retry
        )
    raise ValueError(f"unknown platform {platform!r}")


def _fresh_shopify_creds(connection: Connection, creds: dict, config: Config) -> dict:
    """Refresh an expiring Shopify offline token 5 minutes before its hour is up.

    The new pair is stored at once in its own transaction: Shopify rotates the refresh
    token, so losing the answer (a sync that later fails and rolls back) must not happen."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from extensions import db
    from integrations import shopify_oauth
    from models.credentials import encrypt_credentials

    expires = connection.token_expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if expires is not None and expires - datetime.now(UTC) > timedelta(minutes=5):
        return creds
    tokens = shopify_oauth.refresh_token(
        config.SHOPIFY_API_BASE or connection.external_account_id,
        config.SHOPIFY_CLIENT_ID,
        config.SHOPIFY_CLIENT_SECRET,
        creds["refresh_token"],
    )
    creds = {**creds, "access_token": tokens["access_token"]}
    if tokens.get("refresh_token"):
        creds["refresh_token"] = tokens["refresh_token"]
    with db.engine.begin() as conn:
        conn.execute(
            update(Connection)
            .where(Connection.id == connection.id)
            .values(
                credentials_encrypted=encrypt_credentials(creds),
                token_expires_at=tokens["expires_at"],
            )
        )
    return creds


def fetch_ad_rows(client: Any, connection: Connection, since: Any, until: Any) -> Any:
    """Each ad platform names its fetch differently; one call shape for the sync job."""
    account = connection.external_account_id
    if connection.platform == "meta":
        return client.fetch_insights(account, since, until)
    return client.fetch_ad_metrics(account, since, until)
