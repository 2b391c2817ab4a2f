"""Connecting platforms: OAuth for Meta/Google/TikTok, a token for Shopify; sync now; disconnect.

The OAuth `state` is random, kept in the user's session and compared in constant time.
Credentials are encrypted before they touch the database and never echoed back.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, jsonify, redirect, request, session
from sqlalchemy import select

from api.security import external_url
from extensions import app_config, db
from integrations import shopify_oauth
from integrations.errors import AccessDenied, IntegrationError
from integrations.oauth import (
    authorize_url,
    exchange_code,
    meta_long_lived_token,
    provider_config,
)
from integrations.shopify import SHOP_DOMAIN_RE
from jobs.connections import (
    CLIENT_ID_FIELD,
    CLIENT_SECRET_FIELD,
    SyncRefused,
    check_can_sync,
    check_connect_allowed,
    connect_shopify,
    connect_shopify_oauth,
    describe_ad_account,
    disconnect_connection,
    save_connection,
)
from jobs.sync import start_sync
from models import Connection, SyncJob
from models.billing import LimitReached
from models.permissions import Cap, can
from models.tenancy import current_membership, current_org_id, get_scoped_or_404

bp = Blueprint("connections", __name__)

# our platform key -> (oauth provider name, config prefix)
OAUTH_PLATFORMS = {
    "meta": ("meta", "META"),
    "google_ads": ("google", "GOOGLE"),
    "tiktok": ("tiktok", "TIKTOK"),
}
RETURN_PATHS = ("/integrations", "/onboarding")  # where OAuth may send the user back


def _cfg():  # noqa: ANN202
    return app_config()


def _problem(message: str, status: int = 400, back: str = "/integrations"):  # noqa: ANN202
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(error=message), status
    flash(message, "danger")
    return redirect(back if back in RETURN_PATHS else "/integrations")


@bp.get("/connect/<platform>/start")
def oauth_start(platform: str):  # noqa: ANN201
    if platform not in OAUTH_PLATFORMS:
        return _problem("Unknown platform.", 404)
    if not can(Cap.MANAGE_CONNECTIONS):
        return _problem("Only owners and admins can connect platforms.", 403)
    account = (request.args.get("account") or "").strip()
    if not account or len(account) > 64:
        return _problem("Enter the ad account id to connect.")
    try:
        check_connect_allowed(current_org_id(), platform, account)
    except LimitReached as exc:
        return _problem(str(exc), 402)
    provider, prefix = OAUTH_PLATFORMS[platform]
    client_id = getattr(_cfg(), CLIENT_ID_FIELD[platform])
    if not client_id:
        return _problem(f"{prefix.title()} is not configured on this server (no app id).", 503)
    state = secrets.token_urlsafe(24)
    session["oauth"] = {
        "state": state,
        "platform": platform,
        "account": account,
        "org_id": current_org_id(),
        "next": request.args.get("next") if request.args.get("next") in RETURN_PATHS else None,
    }
    url = authorize_url(
        provider,
        client_id,
        external_url("connections.oauth_callback", platform=platform),
        state,
        auth_url=getattr(_cfg(), f"{prefix}_AUTH_URL") or None,
    )
    return redirect(url)


@bp.get("/connect/<platform>/callback")
def oauth_callback(platform: str):  # noqa: ANN201
    pending = session.pop("oauth", None) or {}
    state = request.args.get("state", "")
    if (
        platform not in OAUTH_PLATFORMS
        or pending.get("platform") != platform
        or not hmac.compare_digest(str(pending.get("state", "")), state)
        or pending.get("org_id") != current_org_id()
    ):
        return jsonify(error="OAuth state mismatch: start the connection again."), 400
    back = pending.get("next") or "/integrations"
    if request.args.get("error"):
        return _problem("The platform did not grant access; nothing was connected.", back=back)
    # TikTok's advertiser authorization redirects with ``auth_code``, the others with ``code``
    code = request.args.get("auth_code" if platform == "tiktok" else "code", "")
    if not code:
        return jsonify(error="The platform sent no authorization code."), 400
    provider, prefix = OAUTH_PLATFORMS[platform]
    cfg = _cfg()
    token_url = getattr(cfg, f"{prefix}_TOKEN_URL") or provider_config(provider).token_url
    try:
        tokens = exchange_code(
            provider,
            token_url,
            getattr(cfg, CLIENT_ID_FIELD[platform]),
            getattr(cfg, CLIENT_SECRET_FIELD[platform]),
            code,
            external_url("connections.oauth_callback", platform=platform),
        )
    except IntegrationError as exc:
        current_app.logger.warning("OAuth exchange for %s failed: %s", platform, exc)
        return _problem(
            "The platform refused the authorization; try connecting again.", 502, back=back
        )
    if platform == "meta":
        # The code exchange gives a short-lived token (hours): swap it for the ~60-day one.
        try:
            tokens = meta_long_lived_token(
                token_url,
                getattr(cfg, CLIENT_ID_FIELD[platform]),
                getattr(cfg, CLIENT_SECRET_FIELD[platform]),
                tokens.access_token,
            )
        except IntegrationError as exc:
            current_app.logger.warning("Meta long-lived token exchange failed: %s", exc)
            return _problem(
                "Meta did not extend the authorization; try connecting again.", 502, back=back
            )
    creds = {"access_token": tokens.access_token}
    if tokens.refresh_token:
        creds["refresh_token"] = tokens.refresh_token
    try:
        about = describe_ad_account(platform, pending["account"], creds)
    except AccessDenied as exc:
        current_app.logger.warning("connect %s: no access to the account: %s", platform, exc)
        return _problem(
            f"This login cannot read account {pending['account']}. Check the account id, or "
            "connect with a login that has access to it (or to its manager account).",
            403,
            back=back,
        )
    except IntegrationError as exc:
        current_app.logger.warning("connect %s: account details failed: %s", platform, exc)
        return _problem("The platform did not answer; try connecting again.", 502, back=back)
    try:
        conn = save_connection(
            pending["org_id"],
            platform,
            pending["account"],
            {**creds, **about["creds"]},
            name=about["name"],
            expires_at=tokens.expires_at,
        )
    except LimitReached as exc:  # the plan changed while the user was at the platform
        db.session.rollback()
        return _problem(str(exc), 402, back=back)
    conn.currency, conn.timezone = about["currency"], about["timezone"]
    db.session.commit()
    start_sync(conn)
    flash("Connected. The first sync (90 days) is running.", "success")
    return redirect(back)


def _shop_domain(value: str) -> str | None:
    """``acme`` / ``acme.myshopify.com`` / ``https://acme.myshopify.com/admin`` -> domain."""
    value = (value or "").strip().lower()
    host = urlsplit(value if "//" in value else "//" + value).hostname or ""
    if host and "." not in host:
        host += ".myshopify.com"
    return host if SHOP_DOMAIN_RE.fullmatch(host) else None


@bp.get("/connect/shopify/start")
def shopify_oauth_start():  # noqa: ANN201
    if not can(Cap.MANAGE_CONNECTIONS):
        return _problem("Only owners and admins can connect platforms.", 403)
    cfg = _cfg()
    if not cfg.SHOPIFY_CLIENT_ID or not cfg.SHOPIFY_CLIENT_SECRET:
        return _problem("Shopify is not configured on this server (no app client id).", 503)
    shop = _shop_domain(request.args.get("shop", ""))
    if shop is None:
        return _problem("Enter your shop domain, e.g. acme.myshopify.com.")
    try:
        check_connect_allowed(current_org_id(), "shopify", shop)
    except LimitReached as exc:
        return _problem(str(exc), 402)
    state = secrets.token_urlsafe(24)
    session["shopify_oauth"] = {
        "state": state,
        "shop": shop,
        "org_id": current_org_id(),
        "next": request.args.get("next") if request.args.get("next") in RETURN_PATHS else None,
    }
    return redirect(
        shopify_oauth.authorize_url(
            cfg.SHOPIFY_API_BASE or shop,
            cfg.SHOPIFY_CLIENT_ID,
            external_url("connections.shopify_oauth_callback"),
            state,
        )
    )


@bp.get("/connect/shopify/callback")
def shopify_oauth_callback():  # noqa: ANN201
    pending = session.pop("shopify_oauth", None) or {}
    cfg = _cfg()
    query = request.args.to_dict()
    if (
        not hmac.compare_digest(str(pending.get("state", "")), query.get("state", ""))
        or pending.get("org_id") != current_org_id()
    ):
        return jsonify(error="OAuth state mismatch: start the connection again."), 400
    # Shopify signs the redirect with the app's client secret: a forged shop or code fails here
    if not shopify_oauth.verify_oauth_hmac(query, cfg.SHOPIFY_CLIENT_SECRET):
        return jsonify(error="The redirect's signature is not Shopify's."), 400
    shop = _shop_domain(query.get("shop", ""))
    back = pending.get("next") or "/integrations"
    if shop is None or shop != pending.get("shop") or not query.get("code"):
        return jsonify(error="The redirect names another shop or carries no code."), 400
    try:
        tokens = shopify_oauth.exchange_code(
            cfg.SHOPIFY_API_BASE or shop,
            cfg.SHOPIFY_CLIENT_ID,
            cfg.SHOPIFY_CLIENT_SECRET,
            query["code"],
        )
        connect_shopify_oauth(pending["org_id"], shop, tokens)
    except IntegrationError as exc:
        current_app.logger.warning("Shopify OAuth for %s failed: %s", shop, exc)
        return _problem("Shopify refused the authorization; try connecting again.", 502, back=back)
    except ValueError as exc:
        db.session.rollback()
        return _problem(str(exc), back=back)
    flash("Shopify connected. The first sync is running.", "success")
    return redirect(back)


@bp.post("/connect/shopify")
def shopify_connect():  # noqa: ANN201
    if not can(Cap.MANAGE_CONNECTIONS):
        return _problem("Only owners and admins can connect platforms.", 403)
    data = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(data, Mapping):
        return _problem("Send the shop and token as form fields or a JSON object.")
    try:
        conn = connect_shopify(
            current_org_id(),
            data.get("shop", ""),
            data.get("token", ""),
            data.get("app_secret", "") or "",
        )
    except LimitReached as exc:
        return _problem(str(exc), 402)
    except ValueError as exc:
        return _problem(str(exc))
    return jsonify(connection_id=conn.id, status=conn.status), 201


@bp.post("/connections/<int:connection_id>/sync")
def sync_now(connection_id: int):  # noqa: ANN201
    conn = get_scoped_or_404(Connection, connection_id, current_org_id())
    try:
        check_can_sync(conn, current_membership().role)
    except SyncRefused as exc:
        return jsonify(error=str(exc)), 409
    sync = start_sync(conn)
    return jsonify(sync_job_id=sync.id, status=sync.status), 202


@bp.post("/connections/<int:connection_id>/disconnect")
def disconnect(connection_id: int):  # noqa: ANN201
    if not can(Cap.MANAGE_CONNECTIONS):
        return jsonify(error="Only owners and admins can disconnect platforms."), 403
    conn = disconnect_connection(current_org_id(), connection_id)
    if conn is None:
        return jsonify(error="not found"), 404
    return jsonify(connection_id=conn.id, status=conn.status)


@bp.get("/api/sync-jobs/<int:sync_job_id>")
def sync_job_status(sync_job_id: int):  # noqa: ANN201
    sync = get_scoped_or_404(SyncJob, sync_job_id, current_org_id())
    return jsonify(
        id=sync.id,
        connection_id=sync.connection_id,
        status=sync.status,
        progress=sync.progress,
        rows=sync.rows,
        error=sync.error,
        trigger=sync.trigger,
        attempts=sync.attempts,
    )


@bp.get("/api/connections")
def list_connections():  # noqa: ANN201
    org_id = current_org_id()
    conns = db.session.execute(
        select(Connection).where(Connection.org_id == org_id).order_by(Connection.id)
    ).scalars()
    return jsonify(
        [
            {
                "id": c.id,
                "platform": c.platform,
                "account": c.external_account_id,
                "name": c.account_name,
                "status": c.status,
                "last_synced_at": c.last_synced_at.astimezone(UTC).isoformat()
                if c.last_synced_at
                else None,
                "error": c.last_error,
            }
            for c in conns
        ]
    )
