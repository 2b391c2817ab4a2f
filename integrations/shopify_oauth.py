"""Shopify's OAuth authorization-code grant: per-shop offline tokens that may expire.

Flow (shopify.dev/docs/apps/build/authentication-authorization/access-tokens/
authorization-code-grant):

1. Redirect the merchant to ``https://{shop}/admin/oauth/authorize?client_id&scope&
   redirect_uri&state``.
2. Shopify redirects back with ``code``, ``shop``, ``state``, ``timestamp``, ``host`` and
   ``hmac``: the hex HMAC-SHA256, keyed with the app's client secret, of the other query
   parameters sorted and joined as ``k=v&k=v``. Verify it (and that ``shop`` is a
   ``*.myshopify.com`` domain) before trusting anything.
3. ``POST https://{shop}/admin/oauth/access_token`` with ``client_id``, ``client_secret``,
   ``code`` and ``expiring=1`` returns an offline ``access_token`` that expires after an
   hour (``expires_in``) with a ``refresh_token``; the refresh grant
   (``grant_type=refresh_token``) returns a new pair - Shopify rotates the refresh token
   every time (shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh).
   Public apps must use expiring offline tokens from 2027-01-01.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests

from integrations.errors import AuthExpired, BadResponse
from integrations.http import make_session, parse_json, raise_for_status, send
from integrations.shopify import REQUIRED_SCOPES, normalize_shop_url

__all__ = ["authorize_url", "exchange_code", "refresh_token", "verify_oauth_hmac"]

PLATFORM = "shopify"


def authorize_url(
    shop_base: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    scopes: Iterable[str] = REQUIRED_SCOPES,
) -> str:
    """The install/consent URL on the merchant's shop."""
    params = {
        "client_id": client_id,
        "scope": ",".join(scopes),
        "redirect_uri": redirect_uri,
        "state": state,
    }
    return f"{normalize_shop_url(shop_base)}/admin/oauth/authorize?{urlencode(params)}"


def verify_oauth_hmac(query: Mapping[str, str], client_secret: str) -> bool:
    """Check the ``hmac`` of an OAuth redirect (constant time)."""
    given = str(query.get("hmac") or "")
    if not given or not client_secret:
        return False
    message = "&".join(f"{k}={v}" for k, v in sorted(query.items()) if k not in ("hmac",))
    expected = hmac.new(client_secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


def _tokens(payload: Any, now: dt.datetime | None) -> dict[str, Any]:
    if not isinstance(payload, dict) or not payload.get("access_token"):
        raise BadResponse.from_payload("token response without access_token", payload)
    out: dict[str, Any] = {
        "access_token": str(payload["access_token"]),
        "scopes": tuple(str(payload.get("scope") or "").replace(" ", "").split(",")),
        "refresh_token": payload.get("refresh_token"),
        "expires_at": None,
    }
    expires_in = payload.get("expires_in")
    if isinstance(expires_in, int | float) and expires_in > 0:
        out["expires_at"] = (now or dt.datetime.now(dt.UTC)) + dt.timedelta(seconds=expires_in)
    return out


def _post(shop_base: str, data: dict[str, str], secrets: list[str]) -> Any:
    session: requests.Session = make_session()
    url = f"{normalize_shop_url(shop_base)}/admin/oauth/access_token"
    resp = send(session, "POST", url, platform=PLATFORM, secrets=secrets, data=data)
    if resp.status_code in (400, 401):
        raise AuthExpired(
            f"token endpoint refused the grant (HTTP {resp.status_code})",
            platform=PLATFORM,
            status=resp.status_code,
        )
    raise_for_status(resp, platform=PLATFORM, secrets=secrets)
    return parse_json(resp, platform=PLATFORM, secrets=secrets)


def exchange_code(
    shop_base: str,
    client_id: str,
    client_secret: str,
    code: str,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Code → expiring offline token (``access_token``, ``refresh_token``, ``expires_at``)."""
    data = {
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
        "expiring": "1",
    }
    return _tokens(_post(shop_base, data, [client_secret, code]), now)


def refresh_token(
    shop_base: str,
    client_id: str,
    client_secret: str,
    token: str,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """A new access token and (rotated) refresh token; AuthExpired when refused."""
    data = {
        "client_id": client_id,
        "client_secret": client_secret,
        "grant_type": "refresh_token",
        "refresh_token": token,
    }
    return _tokens(_post(shop_base, data, [client_secret, token]), now)
