"""Connection lifecycle shared by the HTTP routes and the Dash callbacks.

Save (encrypted) credentials, validate a Shopify token, disconnect, and decide whether a
connection may sync. Every function takes the org id; none trusts an id from the browser.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, url_for
from sqlalchemy import select

from extensions import app_config, db
from integrations.errors import AccessDenied, AuthExpired, IntegrationError, Transient
from integrations.http import RetryPolicy, make_session
from integrations.shopify import API_VERSION as SHOPIFY_VERSION
from integrations.shopify import REQUIRED_SCOPES, ShopifyClient
from models import Connection
from models.billing import LimitReached, check_allowed, check_writable
from models.credentials import encrypt_credentials
from models.data import ConnectionStatus
from models.permissions import Cap, role_can
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
CONNECT_TIMEOUT = (5.0, 10.0)  # (connect, read) seconds while a person waits on the form


class SyncRefused(ValueError):
    """This connection cannot sync now; the message says why in plain words."""


def oauth_configured() -> dict[str, bool]:
    """Which OAuth platforms have an app id on this server."""
    cfg = app_config()
    return {platform: bool(getattr(cfg, field, "")) for platform, field in CLIENT_ID_FIELD.items()}


EXTRA_FIELDS = {"google_ads": ("GOOGLE_ADS_DEVELOPER_TOKEN",)}
README_SECTIONS = {
    "meta": ("Meta app (self-hosted)", "meta-app-self-hosted"),
    "google_ads": ("Google Ads app (self-hosted)", "google-ads-app-self-hosted"),
    "tiktok": ("TikTok app (self-hosted)", "tiktok-app-self-hosted"),
}


def oauth_setup() -> dict[str, dict]:
    """For each OAuth platform missing settings: the env vars to set (missing ones first),
    the exact redirect URL to register (from APP_BASE_URL) and the README section."""
    cfg = app_config()
    out = {}
    for platform, id_field in CLIENT_ID_FIELD.items():
        names = (id_field, CLIENT_SECRET_FIELD[platform], *EXTRA_FIELDS.get(platform, ()))
        missing = [n for n in names if not getattr(cfg, n, "")]
        if not missing:
            continue
        title, anchor = README_SECTIONS[platform]
        out[platform] = {
            "env": list(names),
            "missing": missing,
            "redirect": f"{cfg.base_url}/connect/{platform}/callback",
            "readme_title": title,
            "readme_url": f"{cfg.README_URL}#{anchor}" if cfg.README_URL else None,
        }
    return out


def save_connection(
    org_id: int,
    platform: str,
    account: str,
    creds: dict,
    name: str = "",
    expires_at: datetime | None = None,
) -> Connection:
    """Create or re-authorize the org's connection to one account (caller commits).

    A new (or re-enabled) connection counts against the plan: LimitReached says so."""
    conn = db.session.execute(
        select(Connection).where(
            Connection.org_id == org_id,
            Connection.platform == platform,
            Connection.external_account_id == account,
        )
    ).scalar_one_or_none()
    action = "connection.reauthorized" if conn is not None else "connection.added"
    if conn is None or conn.status == ConnectionStatus.DISABLED:
        check_allowed(org_id, "connections")
    if conn is None:
        conn = Connection(org_id=org_id, platform=platform, external_account_id=account)
        db.session.add(conn)
    audit(action, org_id, platform=platform, account=account)
    conn.account_name = name or conn.account_name or account
    conn.credentials_encrypted = encrypt_credentials(creds)
    conn.token_expires_at = expires_at
    conn.token_reminder_sent_at = None  # a new token gets its own reminder
    conn.status = ConnectionStatus.ACTIVE
    conn.last_error = None
    db.session.flush()
    return conn


def connect_shopify(org_id: int, shop: str, token: str, app_secret: str = "") -> Connection:
    """Validate a pasted Admin API token with one real query, store it, subscribe this shop's
    webhooks and start the backfill.

    ``app_secret`` is the app's client secret: Shopify signs each app's webhooks with it, so
    every shop's webhooks are verified with that shop's own secret (SHOPIFY_WEBHOOK_SECRET
    only serves a single app shared by every shop)."""
    from jobs.sync import start_sync

    shop = shop.strip().lower() if isinstance(shop, str) else ""
    token = token.strip() if isinstance(token, str) else ""
    app_secret = app_secret.strip() if isinstance(app_secret, str) else ""
    if not shop or not token:
        raise ValueError("Enter the shop domain and the Admin API access token.")
    # "https://acme.myshopify.com/admin" -> "acme.myshopify.com": webhooks match on the domain.
    shop = urlsplit(shop if "//" in shop else "//" + shop).hostname or ""
    if not shop:
        raise ValueError("That does not look like a shop domain (e.g. acme.myshopify.com).")
    if "." not in shop:
        shop += ".myshopify.com"
    check_connect_allowed(org_id, "shopify", shop)  # before calling the shop
    cfg = app_config()
    # A person is waiting: one attempt, 5 s to connect (then an answer in words), no retries.
    client = ShopifyClient(
        cfg.SHOPIFY_API_BASE or shop,
        token,
        cfg.SHOPIFY_API_VERSION or SHOPIFY_VERSION,
        session=make_session(CONNECT_TIMEOUT),
        retry=RetryPolicy(max_attempts=1),
    )
    try:
        info = client.validate_connection()
    except AuthExpired as exc:
        raise ValueError(
            f"Shopify did not accept that access token for {shop}. Copy the Admin API access "
            "token (it starts with shpat_) from your app's API credentials and paste it again."
        ) from exc
    except AccessDenied as exc:
        raise ValueError(shopify_scope_message(exc.required)) from exc
    except Transient as exc:
        raise ValueError(
            f"We could not reach a Shopify store at {shop} within "
            f"{CONNECT_TIMEOUT[0]:.0f} seconds. Check the shop domain (it looks like "
            "your-store.myshopify.com) and try again."
        ) from exc
    except IntegrationError as exc:
        raise ValueError(
            f"{shop} answered, but not as a Shopify store's Admin API would. Check the shop "
            "domain (your-store.myshopify.com, not your own web address) and try again."
        ) from exc
    creds = {"access_token": token}
    if app_secret:
        creds["app_secret"] = app_secret
    conn = save_connection(org_id, "shopify", shop, creds, name=info["name"])
    conn.currency = info["currency"] or None
    conn.timezone = info["timezone"]
    try:
        client.subscribe_webhooks(_webhook_address())
    except IntegrationError as exc:  # the nightly sync still works; say so in the log
        current_app.logger.warning("shopify %s: webhook subscriptions failed: %s", shop, exc)
    db.session.commit()
    start_sync(conn)
    return conn


def check_connect_allowed(org_id: int, platform: str, account: str | None = None) -> None:
    """Raise LimitReached when connecting one more account would pass the plan's limit."""
    if account:
        existing = db.session.execute(
            select(Connection.status).where(
                Connection.org_id == org_id,
                Connection.platform == platform,
                Connection.external_account_id == account,
            )
        ).scalar_one_or_none()
        if existing is not None and existing != ConnectionStatus.DISABLED:
            return  # re-authorizing a connection the org already has
    check_allowed(org_id, "connections")


def connect_shopify_oauth(org_id: int, shop: str, tokens: dict) -> Connection:
    """Store a shop's OAuth tokens after the same one-query validation as a pasted token."""
    from jobs.sync import start_sync

    cfg = app_config()
    client = ShopifyClient(
        cfg.SHOPIFY_API_BASE or shop,
        tokens["access_token"],
        cfg.SHOPIFY_API_VERSION or SHOPIFY_VERSION,
    )
    try:
        info = client.validate_connection()
    except AccessDenied as exc:
        raise ValueError(shopify_scope_message(exc.required)) from exc
    except IntegrationError as exc:
        raise ValueError(f"Could not reach the shop: {exc}") from exc
    creds = {"access_token": tokens["access_token"]}
    if tokens.get("refresh_token"):
        creds["refresh_token"] = tokens["refresh_token"]
    conn = save_connection(
        org_id, "shopify", shop, creds, name=info["name"], expires_at=tokens.get("expires_at")
    )
    conn.currency, conn.timezone = info["currency"] or None, info["timezone"]
    try:
        client.subscribe_webhooks(_webhook_address())
    except IntegrationError as exc:
        current_app.logger.warning("shopify %s: webhook subscriptions failed: %s", shop, exc)
    db.session.commit()
    start_sync(conn)
    return conn


def shopify_scope_message(required: str | None) -> str:
    """What to tell a merchant whose Shopify app token lacks a scope (not "reconnect")."""
    needed = ", ".join(REQUIRED_SCOPES)
    missing = f" It is missing {required}." if required else ""
    return (
        f"The Shopify app needs the access scopes {needed}.{missing} In your Shopify app's "
        "configuration, add them, reinstall the app on the store and paste the new token."
    )


def describe_ad_account(platform: str, account: str, creds: dict) -> dict:
    """What connect learns from the platform about the chosen ad account.

    Returns ``{"creds": {...extra credentials}, "name", "currency", "timezone"}``. Google:
    the manager to send as ``login-customer-id`` (listAccessibleCustomers + customer_client),
    stored with the credentials. Raises AccessDenied when the account is out of reach."""
    from jobs.connectors import build_client_for

    client = build_client_for(platform, account, creds, app_config())
    extra: dict = {}
    if platform == "google_ads":
        login = client.find_login_customer_id(account)
        if login:
            extra["login_customer_id"] = login
            client.login_customer_id = login
        info = client.account_info(account)
    else:
        info = client.account_info(account)
    return {
        "creds": extra,
        "name": info.get("name") or "",
        "currency": info.get("currency") or None,
        "timezone": info.get("timezone") or None,
    }


def disconnect_connection(org_id: int, connection_id: object) -> Connection | None:
    """Disabled, token forgotten, synced data kept. None if it is not the org's."""
    conn = get_scoped(Connection, connection_id, org_id)
    if conn is None:
        return None
    conn.status = ConnectionStatus.DISABLED
    conn.credentials_encrypted = None
    audit(
        "connection.disconnected", org_id, platform=conn.platform, account=conn.external_account_id
    )
    db.session.commit()
    return conn


def check_can_sync(connection: Connection, role: str | None = None) -> None:
    """Raise SyncRefused with a plain-words reason when this sync must not start."""
    if role is not None and not role_can(role, Cap.ACT):  # None: the schedule, not a person
        raise SyncRefused("Viewers can't start syncs; ask an admin or a member.")
    if connection.status == ConnectionStatus.DISABLED:
        raise SyncRefused("This connection is disconnected; connect it again first.")
    if connection.source == "sample":
        raise SyncRefused("Sample data — not syncable. Remove the sample and connect your own.")
    if connection.source == "import":
        raise SyncRefused("This data came from imported files; import a newer export to update it.")
    if not connection.credentials_encrypted:
        raise SyncRefused(
            "No account credentials are stored for this connection (demo data or a removed "
            "token). Reconnect it to sync."
        )
    if role is not None:  # a person asked: a read-only subscription refuses (schedules go on)
        try:
            check_writable(connection.org_id)
        except LimitReached as exc:
            raise SyncRefused(str(exc)) from exc


def _webhook_address() -> str:
    """Where Shopify delivers: APP_BASE_URL + the route (never the request's Host)."""
    return app_config().base_url + url_for("webhooks.shopify")
