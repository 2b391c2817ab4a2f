"""Connection lifecycle shared by the HTTP routes and the Dash callbacks.

Save (encrypted) credentials, validate a Shopify token, disconnect, and decide whether a
connection may sync. Every function takes the org id; none trusts an id from the browser.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from extensions import db
from integrations.errors import AuthExpired, IntegrationError
from integrations.shopify import ShopifyClient
from models import Connection
from models.credentials import encrypt_credentials
from models.security import audit
from models.tenancy import get_scoped

# Our platform key -> the config fields of its OAuth app.
CLIENT_ID_FIELD = {
    "meta": "META_APP_ID",
    "google_ads": "GOOGLE_ADS_CLIENT_ID",
    "tiktok": "TIKTOK_APP_ID",
}
CLIENT_SECRET_FIELD = {
    "meta": "META_APP_SECRET",
    "google_ads": "GOOGLE_ADS_CLIENT_SECRET",
    "tiktok": "TIKTOK_APP_SECRET",
}
READ_ONLY_ROLES = ("viewer",)


class SyncRefused(ValueError):
    """This connection cannot sync now; the message says why in plain words."""


def oauth_configured() -> dict[str, bool]:
    """Which OAuth platforms have an app id on this server."""
    cfg = current_app.config["OMNIFY"]
    return {platform: bool(getattr(cfg, field, "")) for platform, field in CLIENT_ID_FIELD.items()}


def save_connection(
    org_id: int,
    platform: str,
    account: str,
    creds: dict,
    name: str = "",
    expires_at: datetime | None = None,
) -> Connection:
    """Create or re-authorize the org's connection to one account (caller commits)."""
    conn = db.session.execute(
        select(Connection).where(
            Connection.org_id == org_id,
            Connection.platform == platform,
            Connection.external_account_id == account,
        )
    ).scalar_one_or_none()
    action = "connection.reauthorized" if conn is not None else "connection.added"
    if conn is None:
        conn = Connection(org_id=org_id, platform=platform, external_account_id=account)
        db.session.add(conn)
    audit(action, org_id, platform=platform, account=account)
    conn.account_name = name or conn.account_name or account
    conn.credentials_encrypted = encrypt_credentials(creds)
    conn.token_expires_at = expires_at
    conn.status = "active"
    conn.last_error = None
    db.session.flush()
    return conn


def connect_shopify(org_id: int, shop: str, token: str) -> Connection:
    """Validate a pasted Admin API token with a test call, store it, start the backfill."""
    from jobs.sync import start_sync

    shop = shop.strip().lower() if isinstance(shop, str) else ""
    token = token.strip() if isinstance(token, str) else ""
    if not shop or not token:
        raise ValueError("Enter the shop domain and the Admin API access token.")
    # "https://acme.myshopify.com/admin" -> "acme.myshopify.com": webhooks match on the domain.
    shop = urlsplit(shop if "//" in shop else "//" + shop).hostname or ""
    if not shop:
        raise ValueError("That does not look like a shop domain (e.g. acme.myshopify.com).")
    if "." not in shop:
        shop += ".myshopify.com"
    client = ShopifyClient(current_app.config["OMNIFY"].SHOPIFY_API_BASE or shop, token)
    try:
        info = client.validate_token()
    except AuthExpired as exc:
        raise ValueError("Shopify did not accept that access token.") from exc
    except IntegrationError as exc:
        raise ValueError(f"Could not reach the shop: {exc}") from exc
    conn = save_connection(org_id, "shopify", shop, {"access_token": token}, name=info["name"])
    db.session.commit()
    start_sync(conn)
    return conn


def disconnect_connection(org_id: int, connection_id: object) -> Connection | None:
    """Disabled, token forgotten, synced data kept. None if it is not the org's."""
    conn = get_scoped(Connection, connection_id, org_id)
    if conn is None:
        return None
    conn.status = "disabled"
    conn.credentials_encrypted = None
    audit(
        "connection.disconnected", org_id, platform=conn.platform, account=conn.external_account_id
    )
    db.session.commit()
    return conn


def check_can_sync(connection: Connection, role: str | None = None) -> None:
    """Raise SyncRefused with a plain-words reason when this sync must not start."""
    if role in READ_ONLY_ROLES:
        raise SyncRefused("Viewers can't start syncs; ask an admin or a member.")
    if connection.status == "disabled":
        raise SyncRefused("This connection is disconnected; connect it again first.")
    if not connection.credentials_encrypted:
        raise SyncRefused(
            "No account credentials are stored for this connection (demo data or a removed "
            "token). Reconnect it to sync."
        )
