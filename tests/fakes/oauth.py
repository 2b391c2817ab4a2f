"""Fake OAuth providers: consent redirects and token endpoints for Meta, Google, TikTok.

Routes (relative to ``fake.url``):

* Meta:   ``GET /meta/dialog/oauth`` → 302 to ``redirect_uri?code&state``;
          ``GET|POST /meta/oauth/access_token`` (code exchange, ``fb_exchange_token``).
* Google: ``GET /google/auth`` → 302; ``POST /google/token`` (form;
          ``authorization_code`` and ``refresh_token`` grants, ``invalid_grant``).
* TikTok: ``GET /tiktok/portal/auth`` → 302 with ``auth_code``;
          ``POST /tiktok/open_api/v1.3/oauth2/access_token/`` (JSON, ``code != 0`` errors).

:class:`TokenStore` holds codes and tokens; the Google Ads fake reuses it for its
own ``/token`` endpoint.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import redirect, request

from tests.fakes.base import FakeAPI, json_response

META_SHORT_TTL = 2 * 3600  # Meta: short-lived user tokens expire "in hours"
META_LONG_TTL = 5183944  # ~60 days, Meta's documented sample response
DEFAULT_CLIENTS = {
    "meta": ("meta-app-id", "meta-app-secret-123"),
    "google": ("google-client-id.apps.googleusercontent.com", "google-client-secret-123"),
    "tiktok": ("tiktok-app-id", "tiktok-app-secret-123"),
}


@dataclass
class _Code:
    provider: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    used: bool = False


@dataclass
class TokenStore:
    """Issued codes, access tokens (with expiry) and refresh tokens."""

    clients: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(DEFAULT_CLIENTS))
    access_ttl: int = 3600
    clock: Any = time.time
    codes: dict[str, _Code] = field(default_factory=dict)
    access_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token → provider
    revoked: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue_code(self, provider: str, redirect_uri: str, scopes: tuple[str, ...] = ()) -> str:
        code = f"{provider}-code-{secrets.token_urlsafe(8)}"
        with self._lock:
            self.codes[code] = _Code(provider, self.clients[provider][0], redirect_uri, scopes)
        return code

    def issue_access(self, provider: str, ttl: int | None = None) -> str:
        prefix = {"google": "ya29.", "meta": "EAAG", "tiktok": "act."}.get(provider, "tok-")
        token = prefix + secrets.token_urlsafe(18)
        expiry = self.clock() + (self.access_ttl if ttl is None else ttl)
        with self._lock:
            self.access_tokens[token] = (provider, expiry)
        return token

    def issue_refresh(self, provider: str = "google", value: str | None = None) -> str:
        token = value or f"1//{provider}-refresh-{secrets.token_urlsafe(12)}"
        with self._lock:
            self.refresh_tokens[token] = provider
        return token

    def revoke(self, token: str) -> None:
        """Revoke a refresh or access token."""
        with self._lock:
            self.revoked.add(token)
            self.access_tokens.pop(token, None)

    def expire_access_tokens(self) -> None:
        """Invalidate every issued access token (refresh tokens keep working)."""
        with self._lock:
            self.access_tokens.clear()

    def access_valid(self, token: str | None, provider: str | None = None) -> bool:
        if not token:
            return False
        with self._lock:
            entry = self.access_tokens.get(token)
        if entry is None or token in self.revoked:
            return False
        return (provider is None or entry[0] == provider) and entry[1] > self.clock()

    def client_ok(self, provider: str, client_id: str | None, secret: str | None) -> bool:
        return self.clients.get(provider) == (client_id, secret)

    def take_code(self, provider: str, code: str | None, redirect_uri: str | None) -> _Code | None:
        with self._lock:
            entry = self.codes.get(code or "")
            if entry is None or entry.used or entry.provider != provider:
                return None
            if redirect_uri is not None and entry.redirect_uri != redirect_uri:
                return None
            entry.used = True
            return entry

    # -- Google's token endpoint (shared with the Google Ads fake) ------------------------
    def google_token(self, form: dict[str, str], auth: Any = None) -> tuple[dict[str, Any], int]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if auth is not None and auth.username:
            client_id, secret = auth.username, auth.password
        if not self.client_ok("google", client_id, secret):
            return {"error": "invalid_client", "error_description": "Unauthorized"}, 401
        grant = form.get("grant_type")
        if grant == "authorization_code":
            entry = self.take_code("google", form.get("code"), form.get("redirect_uri"))
            if entry is None:
                return {"error": "invalid_grant", "error_description": "Malformed auth code."}, 400
            return {
                "access_token": self.issue_access("google"),
                "expires_in": self.access_ttl,
                "refresh_token": self.issue_refresh("google"),
                "scope": " ".join(entry.scopes),
                "token_type": "Bearer",
            }, 200
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            if token not in self.refresh_tokens or token in self.revoked:
                return {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }, 400
            return {
                "access_token": self.issue_access("google"),
                "expires_in": self.access_ttl,
                "scope": "https://www.googleapis.com/auth/adwords",
                "token_type": "Bearer",
            }, 200
        return {"error": "unsupported_grant_type", "error_description": str(grant)}, 400


class FakeOAuth(FakeAPI):
    """All three providers' OAuth endpoints on one server."""

    platform = "oauth"
    api_marker = "token"

    def __init__(self, clients: dict[str, tuple[str, str]] | None = None, access_ttl: int = 3600):
        self.store = TokenStore(clients=dict(clients or DEFAULT_CLIENTS), access_ttl=access_ttl)
        self.deny = False  # the user clicks "Cancel" on the consent screen
        super().__init__()

    # URLs to hand to integrations.oauth
    @property
    def meta_auth_url(self) -> str:
        return self.url + "/meta/dialog/oauth"

    @property
    def meta_token_url(self) -> str:
        return self.url + "/meta/oauth/access_token"

    @property
    def google_auth_url(self) -> str:
        return self.url + "/google/auth"

    @property
    def google_token_url(self) -> str:
        return self.url + "/google/token"

    @property
    def tiktok_auth_url(self) -> str:
        return self.url + "/tiktok/portal/auth"

    @property
    def tiktok_token_url(self) -> str:
        return self.url + "/tiktok/open_api/v1.3/oauth2/access_token/"

    def client(self, provider: str) -> tuple[str, str]:
        """(client_id, client_secret) registered for ``provider``."""
        return self.store.clients[provider]

    def _gate(self) -> Any:
        if self.take("rate_limit"):
            resp = json_response({"error": "rate_limit_exceeded"}, 429)
            resp.headers["Retry-After"] = self.scenario.retry_after
            return resp
        if self.take("server_errors"):
            return json_response({"error": "server_error"}, self.scenario.server_error_status)
        return None

    def routes(self) -> None:
        app = self.app

        def consent(provider: str, client_param: str, code_param: str) -> Any:
            client_id = request.args.get(client_param)
            redirect_uri = request.args.get("redirect_uri")
            state = request.args.get("state", "")
            if client_id != self.store.clients[provider][0] or not redirect_uri:
                return json_response({"error": "invalid_request"}, 400)
            if self.deny:
                params = {"error": "access_denied", "state": state}
            else:
                scopes = tuple(request.args.get("scope", "").replace(",", " ").split())
                code = self.store.issue_code(provider, redirect_uri, scopes)
                # TikTok's advertiser authorization redirects with ``auth_code`` (and state),
                # not ``code`` (business-api.tiktok.com/portal/docs?id=1738373164380162)
                params = {code_param: code, "state": state}
            sep = "&" if "?" in redirect_uri else "?"
            return redirect(f"{redirect_uri}{sep}{urlencode(params)}", 302)

        @app.get("/meta/dialog/oauth")
        def meta_auth() -> Any:
            return consent("meta", "client_id", "code")

        @app.get("/google/auth")
        def google_auth() -> Any:
            return consent("google", "client_id", "code")

        @app.get("/tiktok/portal/auth")
        def tiktok_auth() -> Any:
            return consent("tiktok", "app_id", "auth_code")

        @app.route("/meta/oauth/access_token", methods=["GET", "POST"])
        def meta_token() -> Any:
            gate = self._gate()
            if gate is not None:
                return gate
            args = request.values
            if not self.store.client_ok("meta", args.get("client_id"), args.get("client_secret")):
                return json_response(
                    {
                        "error": {
                            "message": "Error validating client secret.",
                            "type": "OAuthException",
                            "code": 1,
                            "fbtrace_id": "x",
                        }
                    },
                    400,
                )
            if args.get("grant_type") == "fb_exchange_token":
                if not self.store.access_valid(args.get("fb_exchange_token"), "meta"):
                    return json_response(
                        {
                            "error": {
                                "message": "Invalid OAuth access token.",
                                "type": "OAuthException",
                                "code": 190,
                                "fbtrace_id": "x",
                            }
                        },
                        400,
                    )
                return json_response(
                    {
                        "access_token": self.store.issue_access("meta", META_LONG_TTL),
                        "token_type": "bearer",
                        "expires_in": META_LONG_TTL,
                    }
                )
            if self.store.take_code("meta", args.get("code"), args.get("redirect_uri")) is None:
                return json_response(
                    {
                        "error": {
                            "message": "This authorization code has been used.",
                            "type": "OAuthException",
                            "code": 100,
                            "error_subcode": 36009,
                            "fbtrace_id": "x",
                        }
                    },
                    400,
                )
            # The code exchange yields a short-lived user token ("expiring in hours");
            # fb_exchange_token above swaps it for a ~60-day one (5183944 s in Meta's sample).
            # developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
            return json_response(
                {
                    "access_token": self.store.issue_access("meta", META_SHORT_TTL),
                    "token_type": "bearer",
                    "expires_in": META_SHORT_TTL,
                }
            )

        @app.post("/google/token")
        def google_token() -> Any:
            gate = self._gate()
            if gate is not None:
                return gate
            payload, status = self.store.google_token(request.form.to_dict(), request.authorization)
            return json_response(payload, status)

        @app.post("/tiktok/open_api/v1.3/oauth2/access_token/")
        def tiktok_token() -> Any:
            gate = self._gate()
            if gate is not None:
                return gate
            body = request.get_json(silent=True) or {}
            if not self.store.client_ok("tiktok", body.get("app_id"), body.get("secret")):
                return json_response(
                    {
                        "code": 40001,
                        "message": "App id or secret is invalid.",
                        "request_id": "r1",
                        "data": {},
                    }
                )
            if self.store.take_code("tiktok", body.get("auth_code"), None) is None:
                return json_response(
                    {
                        "code": 40107,
                        "message": "auth_code is invalid or expired.",
                        "request_id": "r2",
                        "data": {},
                    }
                )
            return json_response(
                {
                    "code": 0,
                    "message": "OK",
                    "request_id": "r3",
                    "data": {
                        "access_token": self.store.issue_access("tiktok", 10**9),
                        "advertiser_ids": ["7000000000001"],
                        "scope": [4, 5, 6],
                    },
                }
            )
