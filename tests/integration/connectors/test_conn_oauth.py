"""integrations.oauth against the fake OAuth providers."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from integrations import oauth
from integrations.errors import AuthExpired, BadResponse, Transient
from integrations.versions import DEFAULT_VERSIONS

REDIRECT = "https://app.example/oauth/callback"


def consent(auth_url: str) -> dict[str, str]:
    """Follow the consent redirect like a browser would and return the callback params."""
    resp = requests.get(auth_url, allow_redirects=False, timeout=5)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_authorize_urls_carry_client_state_and_scopes(fake_oauth):
    url = oauth.authorize_url(
        "google", "cid", REDIRECT, "st4te", auth_url=fake_oauth.google_auth_url
    )
    q = parse_qs(urlsplit(url).query)
    assert q["client_id"] == ["cid"] and q["state"] == ["st4te"]
    assert q["scope"] == ["https://www.googleapis.com/auth/adwords"]
    assert q["access_type"] == ["offline"] and q["prompt"] == ["consent"]
    meta = parse_qs(urlsplit(oauth.authorize_url("meta", "mid", REDIRECT, "s", ["a", "b"])).query)
    assert meta["scope"] == ["a,b"]
    assert oauth.authorize_url("meta", "mid", REDIRECT, "s").startswith(
        f"https://www.facebook.com/{DEFAULT_VERSIONS['meta']}/dialog/oauth?"
    )
    tiktok = parse_qs(urlsplit(oauth.authorize_url("tiktok", "app", REDIRECT, "s")).query)
    assert tiktok["app_id"] == ["app"] and "scope" not in tiktok
    with pytest.raises(ValueError):
        oauth.authorize_url("myspace", "x", REDIRECT, "s")


def test_google_code_exchange_and_refresh(fake_oauth):
    client_id, secret = fake_oauth.client("google")
    url = oauth.authorize_url(
        "google", client_id, REDIRECT, "s1", auth_url=fake_oauth.google_auth_url
    )
    params = consent(url)
    assert params["state"] == "s1"
    tokens = oauth.exchange_code(
        "google", fake_oauth.google_token_url, client_id, secret, params["code"], REDIRECT
    )
    assert tokens.access_token.startswith("ya29.") and tokens.refresh_token
    assert tokens.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=50)
    assert not tokens.is_expired()
    assert tokens.scopes == ("https://www.googleapis.com/auth/adwords",)
    assert tokens.access_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)

    refreshed = oauth.refresh(
        "google", fake_oauth.google_token_url, client_id, secret, tokens.refresh_token
    )
    assert refreshed.access_token != tokens.access_token
    assert refreshed.refresh_token == tokens.refresh_token  # Google omits it on refresh
    assert fake_oauth.store.access_valid(refreshed.access_token, "google")

    # the code is single-use
    with pytest.raises(AuthExpired) as info:
        oauth.exchange_code(
            "google", fake_oauth.google_token_url, client_id, secret, params["code"], REDIRECT
        )
    assert "invalid_grant" in str(info.value)
    assert params["code"] not in str(info.value)


def test_google_refresh_invalid_grant_is_auth_expired(fake_oauth):
    client_id, secret = fake_oauth.client("google")
    token = fake_oauth.store.issue_refresh("google")
    fake_oauth.store.revoke(token)
    with pytest.raises(AuthExpired) as info:
        oauth.refresh("google", fake_oauth.google_token_url, client_id, secret, token)
    assert token not in str(info.value) and secret not in str(info.value)
    assert len(fake_oauth.api_calls()) == 1  # not retried


def test_google_refresh_retries_5xx(fake_oauth, fast_retry):
    client_id, secret = fake_oauth.client("google")
    token = fake_oauth.store.issue_refresh("google")
    fake_oauth.set_scenario(server_errors=2)
    tokens = oauth.refresh(
        "google", fake_oauth.google_token_url, client_id, secret, token, retry=fast_retry
    )
    assert tokens.access_token
    assert len(fast_retry.sleep.calls) == 2
    fake_oauth.set_scenario(server_errors=9)
    with pytest.raises(Transient):
        oauth.refresh(
            "google", fake_oauth.google_token_url, client_id, secret, token, retry=fast_retry
        )


def test_wrong_client_secret_is_bad_response(fake_oauth):
    client_id, _ = fake_oauth.client("google")
    with pytest.raises(BadResponse) as info:
        oauth.refresh("google", fake_oauth.google_token_url, client_id, "nope-secret", "1//x")
    assert "invalid_client" in str(info.value)


def test_meta_code_exchange_and_long_lived_token(fake_oauth):
    client_id, secret = fake_oauth.client("meta")
    url = oauth.authorize_url("meta", client_id, REDIRECT, "m1", auth_url=fake_oauth.meta_auth_url)
    params = consent(url)
    tokens = oauth.exchange_code(
        "meta", fake_oauth.meta_token_url, client_id, secret, params["code"], REDIRECT
    )
    assert tokens.access_token.startswith("EAAG") and tokens.refresh_token is None
    # the code exchange gives a short-lived token (hours), like Meta
    assert tokens.expires_at < dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    long_lived = oauth.meta_long_lived_token(
        fake_oauth.meta_token_url, client_id, secret, tokens.access_token
    )
    assert long_lived.access_token != tokens.access_token
    assert long_lived.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(days=59)
    with pytest.raises(AuthExpired):
        oauth.exchange_code(
            "meta", fake_oauth.meta_token_url, client_id, secret, params["code"], REDIRECT
        )
    with pytest.raises(ValueError):
        oauth.refresh("meta", fake_oauth.meta_token_url, client_id, secret, "x")


def test_meta_redirect_uri_must_match(fake_oauth):
    client_id, secret = fake_oauth.client("meta")
    params = consent(
        oauth.authorize_url("meta", client_id, REDIRECT, "m", auth_url=fake_oauth.meta_auth_url)
    )
    with pytest.raises(AuthExpired):
        oauth.exchange_code(
            "meta",
            fake_oauth.meta_token_url,
            client_id,
            secret,
            params["code"],
            "https://elsewhere.example/cb",
        )


def test_tiktok_code_exchange(fake_oauth):
    app_id, secret = fake_oauth.client("tiktok")
    url = oauth.authorize_url("tiktok", app_id, REDIRECT, "t1", auth_url=fake_oauth.tiktok_auth_url)
    params = consent(url)
    assert params["state"] == "t1" and params["auth_code"]
    tokens = oauth.exchange_code(
        "tiktok", fake_oauth.tiktok_token_url, app_id, secret, params["auth_code"], REDIRECT
    )
    assert tokens.access_token.startswith("act.") and tokens.expires_at is None
    assert tokens.extra["advertiser_ids"] == ["7000000000001"]
    call = fake_oauth.api_calls("oauth2/access_token")[0]
    assert call.json == {"app_id": app_id, "secret": secret, "auth_code": params["auth_code"]}
    with pytest.raises(AuthExpired):
        oauth.exchange_code(
            "tiktok", fake_oauth.tiktok_token_url, app_id, secret, params["auth_code"], REDIRECT
        )


def test_user_denies_consent(fake_oauth):
    fake_oauth.deny = True
    client_id, _ = fake_oauth.client("google")
    params = consent(
        oauth.authorize_url("google", client_id, REDIRECT, "d", auth_url=fake_oauth.google_auth_url)
    )
    assert params == {"error": "access_denied", "state": "d"}


def test_provider_config_overrides():
    cfg = oauth.provider_config("google", token_url="http://127.0.0.1:1/token")
    assert cfg.token_url == "http://127.0.0.1:1/token"
    assert oauth.PROVIDERS["google"].token_url == "https://oauth2.googleapis.com/token"
