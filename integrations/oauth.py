"""OAuth 2.0 authorization-code helpers for Meta, Google and TikTok.

The web layer owns ``state`` (signed with itsdangerous) and the callback route; this
module builds the consent URL, exchanges the returned code for a :class:`TokenSet`,
and refreshes Google access tokens. Endpoint URLs default to the real providers but
every function takes them as parameters so tests (and config) can point elsewhere.

Provider quirks handled here:

* Meta - comma-separated scopes; code exchange with ``GET oauth/access_token``;
  no refresh tokens (use :func:`meta_long_lived_token` to get a ~60-day token).
* Google - space-separated scopes, ``access_type=offline`` + ``prompt=consent`` so a
  refresh token is always returned; ``POST`` form grants; ``invalid_grant`` →
  :class:`AuthExpired`.
* TikTok (Marketing API) - ``app_id``/``secret``/``auth_code`` JSON body, HTTP 200
  with ``code != 0`` on errors; tokens do not expire; ``advertiser_ids`` are kept
  in ``TokenSet.extra``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

from integrations.errors import AuthExpired, BadResponse, RateLimited, Transient
from integrations.http import RetryPolicy, make_session, parse_json, raise_for_status, send
from integrations.versions import DEFAULT_VERSIONS

__all__ = [
    "PROVIDERS",
    "ProviderConfig",
    "TokenSet",
    "authorize_url",
    "exchange_code",
    "meta_long_lived_token",
    "provider_config",
    "refresh",
]


@dataclass(frozen=True)
class ProviderConfig:
    """Static facts about one OAuth provider."""

    name: str
    auth_url: str
    token_url: str
    scopes: tuple[str, ...]
    scope_separator: str = " "
    client_id_param: str = "client_id"
    extra_auth_params: Mapping[str, str] = field(default_factory=dict)


PROVIDERS: dict[str, ProviderConfig] = {
    "meta": ProviderConfig(
        name="meta",
        auth_url=f"https://www.facebook.com/{DEFAULT_VERSIONS['meta']}/dialog/oauth",
        token_url=f"https://graph.facebook.com/{DEFAULT_VERSIONS['meta']}/oauth/access_token",  # noqa: S106 - a URL, not a secret
        scopes=("ads_read", "business_management"),
        scope_separator=",",
        extra_auth_params={"response_type": "code"},
    ),
    "google": ProviderConfig(
        name="google",
        auth_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",  # noqa: S106 - a URL, not a secret
        scopes=("https://www.googleapis.com/auth/adwords",),
        extra_auth_params={
            "response_type": "code",
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
        },
    ),
    "tiktok": ProviderConfig(
        name="tiktok",
        auth_url="https://business-api.tiktok.com/portal/auth",
        token_url="https://business-api.tiktok.com/open_api/v1.3/oauth2/access_token/",  # noqa: S106 - a URL, not a secret
        scopes=(),
        scope_separator=",",
        client_id_param="app_id",
    ),
}

# TikTok Marketing API codes that mean "the grant/token is no good"
_TIKTOK_AUTH_CODES = frozenset({40001, 40102, 40104, 40105, 40106, 40107, 40108, 40110})
_TIKTOK_RATE_CODES = frozenset({40100, 40016, 40133, 51021})


@dataclass(frozen=True)
class TokenSet:
    """Tokens returned by a provider. Tokens are excluded from ``repr``."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: dt.datetime | None = None
    scopes: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def is_expired(self, now: dt.datetime | None = None, skew: float = 60.0) -> bool:
        """True when the access token expires within ``skew`` seconds."""
        if self.expires_at is None:
            return False
        now = now or dt.datetime.now(dt.UTC)
        return self.expires_at - dt.timedelta(seconds=skew) <= now


def provider_config(
    provider: str, *, auth_url: str | None = None, token_url: str | None = None
) -> ProviderConfig:
    """The config of ``provider`` with optional endpoint overrides."""
    try:
        cfg = PROVIDERS[provider]
    except KeyError:
        raise ValueError(f"unknown OAuth provider {provider!r}") from None
    changes = {k: v for k, v in (("auth_url", auth_url), ("token_url", token_url)) if v}
    return dataclasses.replace(cfg, **changes) if changes else cfg


def authorize_url(
    provider: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    scopes: Iterable[str] | None = None,
    *,
    auth_url: str | None = None,
) -> str:
    """The consent-screen URL to redirect the user to."""
    cfg = provider_config(provider, auth_url=auth_url)
    chosen = tuple(scopes) if scopes is not None else cfg.scopes
    params: dict[str, str] = {
        cfg.client_id_param: client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        **cfg.extra_auth_params,
    }
    if chosen:
        params["scope"] = cfg.scope_separator.join(chosen)
    sep = "&" if "?" in cfg.auth_url else "?"
    return f"{cfg.auth_url}{sep}{urlencode(params)}"


def _expires_at(expires_in: Any, now: dt.datetime | None) -> dt.datetime | None:
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError):
        return None
    if seconds <= 0:
        return None
    return (now or dt.datetime.now(dt.UTC)) + dt.timedelta(seconds=seconds)


def _scopes(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, str) and value:
        return tuple(value.replace(",", " ").split())
    return ()


def _raise_oauth_error(
    provider: str, resp: requests.Response, payload: Any, secrets: list[str]
) -> None:
    """Map a token-endpoint error response to a typed error."""
    status = resp.status_code
    error: Any = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):  # Meta: {"error": {"message", "type", "code"}}
        code = error.get("code")
        message = str(error.get("message") or "")[:200]
        if code in (4, 17, 613) or status == 429:
            raise RateLimited(
                f"token endpoint: {message}", platform=provider, status=status, code=code
            )
        if status >= 500 or error.get("is_transient"):
            raise Transient(
                f"token endpoint: {message}", platform=provider, status=status, code=code
            )
        if error.get("type") == "OAuthException" or code in (100, 190):
            raise AuthExpired(
                f"token endpoint rejected the grant (code {code}): {message}",
                platform=provider,
                status=status,
                code=code,
            )
        raise BadResponse(
            f"token endpoint error: {message}", platform=provider, status=status, code=code
        )
    if isinstance(error, str):  # RFC 6749: {"error": "invalid_grant", "error_description"}
        description = str(payload.get("error_description") or "")[:200]
        if error == "invalid_grant":
            raise AuthExpired(
                f"invalid_grant: {description}", platform=provider, status=status, code=error
            )
        if status >= 500 or error in ("temporarily_unavailable", "server_error"):
            raise Transient(f"{error}: {description}", platform=provider, status=status, code=error)
        raise BadResponse(f"{error}: {description}", platform=provider, status=status, code=error)
    raise_for_status(resp, platform=provider, secrets=secrets)


def _tiktok_check(payload: Any, resp: requests.Response, secrets: list[str]) -> dict[str, Any]:
    if not isinstance(payload, dict) or "code" not in payload:
        raise BadResponse.from_payload(
            "unexpected token response", payload, secrets=secrets, platform="tiktok"
        )
    code = payload.get("code")
    if code == 0 and isinstance(payload.get("data"), dict):
        return payload["data"]
    message = str(payload.get("message") or "")[:200]
    if code in _TIKTOK_AUTH_CODES:
        raise AuthExpired(f"code {code}: {message}", platform="tiktok", code=code)
    if code in _TIKTOK_RATE_CODES:
        raise RateLimited(f"code {code}: {message}", platform="tiktok", code=code)
    if isinstance(code, int) and 50000 <= code < 60000:
        raise Transient(f"code {code}: {message}", platform="tiktok", code=code)
    raise BadResponse(
        f"code {code}: {message}", platform="tiktok", status=resp.status_code, code=code
    )


def _token_set(
    provider: str,
    payload: Any,
    secrets: list[str],
    *,
    now: dt.datetime | None,
    previous_refresh: str | None = None,
) -> TokenSet:
    if not isinstance(payload, dict) or not payload.get("access_token"):
        raise BadResponse.from_payload(
            "token response without access_token", payload, secrets=secrets, platform=provider
        )
    extra = {
        k: v
        for k, v in payload.items()
        if k not in ("access_token", "refresh_token", "id_token", "expires_in", "scope")
    }
    return TokenSet(
        access_token=str(payload["access_token"]),
        refresh_token=payload.get("refresh_token") or previous_refresh,
        expires_at=_expires_at(payload.get("expires_in"), now),
        scopes=_scopes(payload.get("scope")),
        extra=extra,
    )


def exchange_code(
    provider: str,
    token_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    session: requests.Session | None = None,
    now: dt.datetime | None = None,
) -> TokenSet:
    """Exchange an authorization code for tokens (single attempt: codes are single-use)."""
    provider_config(provider)  # validates the name
    session = session or make_session()
    secrets = [client_secret, code]
    if provider == "meta":
        resp = send(
            session,
            "GET",
            token_url,
            platform=provider,
            secrets=secrets,
            params={
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        payload = parse_json(resp, platform=provider, secrets=secrets)
        if resp.status_code >= 400 or (isinstance(payload, dict) and "error" in payload):
            _raise_oauth_error(provider, resp, payload, secrets)
        return _token_set(provider, payload, secrets, now=now)
    if provider == "google":
        resp = send(
            session,
            "POST",
            token_url,
            platform=provider,
            secrets=secrets,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": client_id,
                "client_secret": client_secret,
            },
            headers={"Accept": "application/json"},
        )
        payload = parse_json(resp, platform=provider, secrets=secrets)
        if resp.status_code >= 400 or (isinstance(payload, dict) and "error" in payload):
            _raise_oauth_error(provider, resp, payload, secrets)
        return _token_set(provider, payload, secrets, now=now)
    # tiktok
    resp = send(
        session,
        "POST",
        token_url,
        platform=provider,
        secrets=secrets,
        json={"app_id": client_id, "secret": client_secret, "auth_code": code},
    )
    raise_for_status(resp, platform=provider, secrets=secrets)
    data = _tiktok_check(parse_json(resp, platform=provider, secrets=secrets), resp, secrets)
    return _token_set(provider, data, secrets, now=now)


def refresh(
    provider: str,
    token_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    session: requests.Session | None = None,
    retry: RetryPolicy | None = None,
    now: dt.datetime | None = None,
) -> TokenSet:
    """Refresh-token grant (Google). ``invalid_grant`` → :class:`AuthExpired`."""
    if provider != "google":
        raise ValueError(f"{provider} does not issue refresh tokens; re-authorize instead")
    session = session or make_session()
    secrets = [client_secret, refresh_token]

    def attempt() -> TokenSet:
        resp = send(
            session,
            "POST",
            token_url,
            platform=provider,
            secrets=secrets,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": client_id,
                "client_secret": client_secret,
            },
            headers={"Accept": "application/json"},
        )
        if resp.status_code >= 500:
            raise_for_status(resp, platform=provider, secrets=secrets)
        payload = parse_json(resp, platform=provider, secrets=secrets)
        if resp.status_code >= 400 or (isinstance(payload, dict) and "error" in payload):
            _raise_oauth_error(provider, resp, payload, secrets)
        return _token_set(provider, payload, secrets, now=now, previous_refresh=refresh_token)

    return (retry or RetryPolicy(max_attempts=3)).call(attempt)


def meta_long_lived_token(
    token_url: str,
    client_id: str,
    client_secret: str,
    access_token: str,
    *,
    session: requests.Session | None = None,
    now: dt.datetime | None = None,
) -> TokenSet:
    """Swap a short-lived Meta user token for a long-lived (~60 days) one."""
    session = session or make_session()
    secrets = [client_secret, access_token]
    resp = send(
        session,
        "GET",
        token_url,
        platform="meta",
        secrets=secrets,
        params={
            "grant_type": "fb_exchange_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "fb_exchange_token": access_token,
        },
    )
    payload = parse_json(resp, platform="meta", secrets=secrets)
    if resp.status_code >= 400 or (isinstance(payload, dict) and "error" in payload):
        _raise_oauth_error("meta", resp, payload, secrets)
    return _token_set("meta", payload, secrets, now=now)
