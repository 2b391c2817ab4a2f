"""Google Ads API client: ad-level daily metrics through ``googleAds:searchStream``.

Auth: an access token from the OAuth refresh-token grant (cached until 60 s before
expiry), plus the ``developer-token`` header and ``login-customer-id`` for manager
accounts. Customer ids are accepted with or without dashes.

The REST ``searchStream`` response is a JSON array of batches, each with ``results``
(camelCase fields; int64 values as strings; zero metrics may be omitted). Long
ranges are fetched in windows of ``window_days`` to bound response size.

Errors: token endpoint ``invalid_grant`` or 401 UNAUTHENTICATED → AuthExpired (a
401 with a *cached* token first refreshes once, since Google may revoke access
tokens early); 429 / RESOURCE_EXHAUSTED → RateLimited (``Retry-After`` or the
``retryDelay`` in quota error details); 5xx / UNAVAILABLE / INTERNAL /
DEADLINE_EXCEEDED → Transient; anything else → BadResponse.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from integrations import oauth
from integrations.errors import AuthExpired, BadResponse, RateLimited, Transient, excerpt
from integrations.http import RetryPolicy, make_session, parse_json, parse_retry_after, send
from integrations.parsing import date_windows, to_date, to_float, to_int
from integrations.types import AdRow
from integrations.versions import DEFAULT_VERSIONS

__all__ = ["API_VERSION", "GoogleAdsClient", "build_query", "normalize_customer_id"]

PLATFORM = "google_ads"
API_VERSION = DEFAULT_VERSIONS["google_ads"]  # GOOGLE_ADS_API_VERSION overrides
_TRANSIENT_STATUSES = {"INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED", "UNKNOWN"}
SELECTED_FIELDS = (
    "campaign.id",
    "campaign.name",
    "ad_group_ad.ad.id",
    "ad_group_ad.ad.name",
    "segments.date",
    "metrics.cost_micros",
    "metrics.impressions",
    "metrics.clicks",
    "metrics.conversions",
    "metrics.conversions_value",
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def normalize_customer_id(customer_id: str | int) -> str:
    """``"123-456-7890"`` → ``"1234567890"``; rejects anything that is not 10 digits-ish."""
    digits = re.sub(r"[\s-]", "", str(customer_id))
    if not digits.isdigit():
        raise ValueError(f"invalid Google Ads customer id {customer_id!r}")
    return digits


def build_query(since: dt.date, until: dt.date) -> str:
    """The GAQL query for ad-level daily metrics (dates are ``date`` objects, not input)."""
    where = f"WHERE segments.date BETWEEN '{since.isoformat()}' AND '{until.isoformat()}'"
    return f"SELECT {', '.join(SELECTED_FIELDS)} FROM ad_group_ad {where}"  # noqa: S608


def _duration_seconds(value: Any) -> float | None:
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1))
    return None


class GoogleAdsClient:
    """Thin REST client for the Google Ads API."""

    def __init__(
        self,
        base_url: str,
        developer_token: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        token_url: str,
        login_customer_id: str | None = None,
        *,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        api_version: str = API_VERSION,
        window_days: int = 31,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._developer_token = developer_token
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.token_url = token_url
        self.login_customer_id = (
            normalize_customer_id(login_customer_id) if login_customer_id else None
        )
        self.session = session or make_session()
        self.retry = retry or RetryPolicy()
        self.api_version = api_version
        self.window_days = window_days
        self._clock = clock
        self._access_token: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"GoogleAdsClient(base_url={self.base_url!r})"

    @property
    def _secrets(self) -> list[str | None]:
        return [self._access_token, self._refresh_token, self._client_secret, self._developer_token]

    # ------------------------------------------------------------------ auth
    def access_token(self) -> str:
        """A valid access token (refreshed when missing or about to expire)."""
        token, _ = self._token()
        return token

    def _token(self) -> tuple[str, bool]:
        """Return (token, fresh) where ``fresh`` means it was just obtained."""
        if self._access_token and self._clock() < self._expires_at - 60:
            return self._access_token, False
        tokens = oauth.refresh(
            "google",
            self.token_url,
            self._client_id,
            self._client_secret,
            self._refresh_token,
            session=self.session,
            # one attempt: the surrounding call is already retried by self.retry
            retry=dataclasses.replace(self.retry, max_attempts=1),
        )
        self._access_token = tokens.access_token
        if tokens.expires_at is not None:
            remaining = (tokens.expires_at - dt.datetime.now(dt.UTC)).total_seconds()
            self._expires_at = self._clock() + remaining
        else:
            self._expires_at = self._clock() + 3600
        return self._access_token, True

    def invalidate_token(self) -> None:
        """Forget the cached access token."""
        self._access_token, self._expires_at = None, 0.0

    def _headers(self, token: str) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {token}",
            "developer-token": self._developer_token,
            "Content-Type": "application/json",
        }
        if self.login_customer_id:
            headers["login-customer-id"] = self.login_customer_id
        return headers

    # ------------------------------------------------------------------ public API
    def fetch_ad_metrics(
        self, customer_id: str | int, since: dt.date, until: dt.date
    ) -> Iterator[AdRow]:
        """Yield one :class:`AdRow` per ad per day in ``[since, until]``."""
        cid = normalize_customer_id(customer_id)
        url = f"{self.base_url}/{self.api_version}/customers/{cid}/googleAds:searchStream"
        for start, end in date_windows(since, until, self.window_days):
            batches = self.retry.call(self._call, "POST", url, {"query": build_query(start, end)})
            if not isinstance(batches, list):
                batches = [batches]
            for batch in batches:
                if not isinstance(batch, dict):
                    raise BadResponse.from_payload(
                        "unexpected searchStream batch",
                        batch,
                        secrets=self._secrets,
                        platform=PLATFORM,
                    )
                if "error" in batch:
                    self._raise_error(200, batch, {})
                for result in batch.get("results") or []:
                    yield self._to_row(result)

    def list_accessible_customers(self) -> list[str]:
        """Customer ids (digits) the authorized user can access directly."""
        url = f"{self.base_url}/{self.api_version}/customers:listAccessibleCustomers"
        payload = self.retry.call(self._call, "GET", url, None)
        names = payload.get("resourceNames") if isinstance(payload, dict) else None
        if not isinstance(names, list):
            raise BadResponse.from_payload(
                "unexpected listAccessibleCustomers response",
                payload,
                secrets=self._secrets,
                platform=PLATFORM,
            )
        return [str(name).rsplit("/", 1)[-1] for name in names]

    # ------------------------------------------------------------------ internals
    def _call(self, method: str, url: str, body: dict[str, Any] | None) -> Any:
        token, fresh = self._token()
        resp = self._send(method, url, body, token)
        if resp.status_code == 401 and not fresh:
            # the cached token may have been revoked early: refresh once
            self.invalidate_token()
            token, _ = self._token()
            resp = self._send(method, url, body, token)
        if resp.status_code >= 500 and not resp.content.strip().startswith((b"{", b"[")):
            raise Transient(
                f"HTTP {resp.status_code}: {excerpt(resp.content[:500], self._secrets)}",
                platform=PLATFORM,
                status=resp.status_code,
                retry_after=parse_retry_after(resp.headers.get("Retry-After")),
            )
        payload = parse_json(resp, platform=PLATFORM, secrets=self._secrets)
        if resp.status_code >= 400:
            self._raise_error(resp.status_code, payload, resp.headers)
        return payload

    def _send(
        self, method: str, url: str, body: dict[str, Any] | None, token: str
    ) -> requests.Response:
        return send(
            self.session,
            method,
            url,
            platform=PLATFORM,
            secrets=self._secrets,
            json=body,
            headers=self._headers(token),
        )

    def _raise_error(self, status: int, payload: Any, headers: Any) -> None:
        if isinstance(payload, list) and payload and isinstance(payload[0], dict):
            payload = payload[0]
        error = payload.get("error") if isinstance(payload, dict) else None
        if not isinstance(error, dict):
            if status == 429:
                raise RateLimited(
                    f"HTTP 429: {excerpt(payload, self._secrets)}",
                    platform=PLATFORM,
                    status=status,
                    retry_after=parse_retry_after(headers.get("Retry-After")),
                )
            if status >= 500:
                raise Transient(f"HTTP {status}", platform=PLATFORM, status=status)
            raise BadResponse.from_payload(
                f"HTTP {status}", payload, secrets=self._secrets, platform=PLATFORM, status=status
            )
        grpc_status = str(error.get("status") or "")
        message = str(error.get("message") or "")[:200]
        codes, retry_delay = self._failure_details(error)
        detail = f"HTTP {status} {grpc_status}: {message}" + (
            f" [{', '.join(codes)}]" if codes else ""
        )
        developer_token_problem = any("DEVELOPER_TOKEN" in c for c in codes)
        if (status == 401 or grpc_status == "UNAUTHENTICATED") and not developer_token_problem:
            raise AuthExpired(detail, platform=PLATFORM, status=status, code=grpc_status)
        if status == 429 or grpc_status == "RESOURCE_EXHAUSTED":
            retry_after = parse_retry_after(headers.get("Retry-After"))
            raise RateLimited(
                detail,
                platform=PLATFORM,
                status=status,
                code=grpc_status,
                retry_after=retry_after if retry_after is not None else retry_delay,
            )
        if status >= 500 or grpc_status in _TRANSIENT_STATUSES:
            raise Transient(detail, platform=PLATFORM, status=status, code=grpc_status)
        if (status == 403 or grpc_status == "PERMISSION_DENIED") and not developer_token_problem:
            raise AuthExpired(detail, platform=PLATFORM, status=status, code=grpc_status)
        raise BadResponse(detail, platform=PLATFORM, status=status, code=grpc_status)

    @staticmethod
    def _failure_details(error: dict[str, Any]) -> tuple[list[str], float | None]:
        codes: list[str] = []
        delay: float | None = None
        for detail in error.get("details") or []:
            if not isinstance(detail, dict):
                continue
            for failure in detail.get("errors") or []:
                if not isinstance(failure, dict):
                    continue
                for kind, value in (failure.get("errorCode") or {}).items():
                    codes.append(f"{kind}.{value}")
                quota = (failure.get("details") or {}).get("quotaErrorDetails") or {}
                seconds = _duration_seconds(quota.get("retryDelay"))
                if seconds is not None:
                    delay = max(delay or 0.0, seconds)
            seconds = _duration_seconds(detail.get("retryDelay"))  # google.rpc.RetryInfo
            if seconds is not None:
                delay = max(delay or 0.0, seconds)
        return codes, delay

    def _to_row(self, result: Any) -> AdRow:
        try:
            campaign = result["campaign"]
            ad = result["adGroupAd"]["ad"]
            metrics = result.get("metrics") or {}
            ad_id = str(ad["id"])
            return AdRow(
                date=to_date(result["segments"]["date"]),
                platform="google_ads",
                campaign_id=str(campaign["id"]),
                campaign_name=str(campaign.get("name") or ""),
                creative_id=ad_id,
                creative_name=str(ad.get("name") or f"Ad {ad_id}"),
                spend=round(to_int(metrics.get("costMicros")) / 1_000_000, 6),
                impressions=to_int(metrics.get("impressions")),
                clicks=to_int(metrics.get("clicks")),
                conversions=to_float(metrics.get("conversions")),
                platform_revenue=to_float(metrics.get("conversionsValue")),
                reach=None,
                frequency=None,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BadResponse.from_payload(
                "unexpected searchStream row", result, secrets=self._secrets, platform=PLATFORM
            ) from None
