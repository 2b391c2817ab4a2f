"""Google Ads API client: ad-level daily metrics through ``googleAds:searchStream``.

Auth: an access token from the OAuth refresh-token grant (cached until 60 s before
expiry), plus the ``developer-token`` header and ``login-customer-id`` for manager
accounts. Customer ids are accepted with or without dashes.

The REST ``searchStream`` response is a JSON array of batches, each with ``results``
(camelCase fields; int64 values as strings; zero metrics may be omitted). Long
ranges are fetched in windows of ``window_days`` to bound response size.

Coverage and meaning: ads come from ``ad_group_ad``; campaigns without ads (Performance Max)
from ``campaign`` (one ``campaign:<id>`` row per day). Conversions are PURCHASE-category
conversion actions only. ``login-customer-id`` is found at connect time
(:meth:`GoogleAdsClient.find_login_customer_id`) and stored with the credentials.

Errors: token endpoint ``invalid_grant`` or 401 UNAUTHENTICATED → AuthExpired (a
401 with a *cached* token first refreshes once, since Google may revoke access
tokens early); 429 / RESOURCE_EXHAUSTED → RateLimited (``Retry-After`` or the
``retryDelay`` in quota error details); 5xx / UNAVAILABLE / INTERNAL /
DEADLINE_EXCEEDED → Transient; 403 PERMISSION_DENIED → AccessDenied (not a reconnect);
anything else → BadResponse.
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
from integrations.errors import (
    AccessDenied,
    AuthExpired,
    BadResponse,
    RateLimited,
    Transient,
    excerpt,
)
from integrations.http import RetryPolicy, make_session, parse_json, parse_retry_after, send
from integrations.parsing import date_windows, to_date, to_float, to_int
from integrations.types import AdRow
from integrations.versions import DEFAULT_VERSIONS

__all__ = ["API_VERSION", "GoogleAdsClient", "build_query", "normalize_customer_id"]

PLATFORM = "google_ads"
API_VERSION = DEFAULT_VERSIONS["google_ads"]  # GOOGLE_ADS_API_VERSION overrides
_TRANSIENT_STATUSES = {"INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED", "UNKNOWN"}
# Delivery metrics and purchases are two queries: conversion segments cannot be selected
# with cost/impressions/clicks. Purchases are the conversions whose conversion action
# category is PURCHASE; unsegmented ``metrics.conversions`` counts every action "included in
# conversions" (add-to-cart, sign-up, ...). Google reports conversions on the click's date,
# so late conversions restate past days: GOOGLE_ADS restatement is 14 days by default.
AD_FIELDS = ("campaign.id", "campaign.name", "ad_group_ad.ad.id", "ad_group_ad.ad.name")
CAMPAIGN_FIELDS = ("campaign.id", "campaign.name", "campaign.advertising_channel_type")
DELIVERY_METRICS = ("metrics.cost_micros", "metrics.impressions", "metrics.clicks")
PURCHASE_METRICS = (
    "segments.conversion_action_category",
    "metrics.conversions",
    "metrics.conversions_value",
)
PURCHASE_CATEGORY = "PURCHASE"  # enums.ConversionActionCategoryEnum
CUSTOMER_FIELDS = (
    "customer.id",
    "customer.descriptive_name",
    "customer.currency_code",
    "customer.time_zone",
    "customer.manager",
)
CLIENT_FIELDS = ("customer_client.id", "customer_client.client_customer", "customer_client.manager")
# every field any query selects (tests/contract checks them against the official protos)
SELECTED_FIELDS = tuple(
    dict.fromkeys(
        (
            *AD_FIELDS,
            *CAMPAIGN_FIELDS,
            "segments.date",
            *DELIVERY_METRICS,
            *PURCHASE_METRICS,
            *CUSTOMER_FIELDS,
            *CLIENT_FIELDS,
        )
    )
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def normalize_customer_id(customer_id: str | int) -> str:
    """``"123-456-7890"`` → ``"1234567890"``; rejects anything that is not 10 digits-ish."""
    digits = re.sub(r"[\s-]", "", str(customer_id))
    if not digits.isdigit():
        raise ValueError(f"invalid Google Ads customer id {customer_id!r}")
    return digits


def build_query(
    since: dt.date, until: dt.date, resource: str = "ad_group_ad", purchases: bool = False
) -> str:
    """GAQL for daily metrics of ads (``ad_group_ad``) or campaigns (``campaign``): delivery
    metrics, or with ``purchases`` the PURCHASE-category conversions. Dates are ``date``
    objects, never user input."""
    dims = AD_FIELDS if resource == "ad_group_ad" else CAMPAIGN_FIELDS
    metrics = PURCHASE_METRICS if purchases else DELIVERY_METRICS
    where = f"WHERE segments.date BETWEEN '{since.isoformat()}' AND '{until.isoformat()}'"
    if purchases:
        where += f" AND segments.conversion_action_category = '{PURCHASE_CATEGORY}'"
    fields = ", ".join((*dims, "segments.date", *metrics))
    return f"SELECT {fields} FROM {resource} {where}"  # noqa: S608


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
        """Yield one :class:`AdRow` per ad per day in ``[since, until]``, plus one row per
        day for each campaign without ads (Performance Max has no ``ad_group_ad``), keyed by
        a ``campaign:<id>`` creative. Conversions are purchases only."""
        cid = normalize_customer_id(customer_id)
        for start, end in date_windows(since, until, self.window_days):
            ads = self._merge(
                self._search(cid, build_query(start, end)),
                self._search(cid, build_query(start, end, purchases=True)),
                level="ad",
            )
            yield from ads.values()
            with_ads = {row["campaign_id"] for row in ads.values()}
            campaigns = self._merge(
                self._search(cid, build_query(start, end, "campaign")),
                self._search(cid, build_query(start, end, "campaign", purchases=True)),
                level="campaign",
            )
            for row in campaigns.values():
                if row["campaign_id"] not in with_ads:
                    yield row

    def account_info(self, customer_id: str | int) -> dict[str, Any]:
        """The customer's name, currency, IANA time zone and whether it is a manager."""
        cid = normalize_customer_id(customer_id)
        query = f"SELECT {', '.join(CUSTOMER_FIELDS)} FROM customer"  # noqa: S608
        for result in self._search(cid, query):
            customer = result.get("customer") or {}
            return {
                "id": str(customer.get("id") or cid),
                "name": str(customer.get("descriptiveName") or ""),
                "currency": customer.get("currencyCode"),
                "timezone": customer.get("timeZone"),
                "manager": bool(customer.get("manager")),
            }
        raise BadResponse("customer query returned no row", platform=PLATFORM)

    def find_login_customer_id(self, customer_id: str | int) -> str | None:
        """The manager account to send as ``login-customer-id`` for ``customer_id``.

        ``None`` when the user reaches the account directly. Otherwise the accessible
        manager whose ``customer_client`` list holds it (Google answers
        USER_PERMISSION_DENIED for a managed account called without it). Raises
        :class:`AccessDenied` when no accessible account leads to it."""
        cid = normalize_customer_id(customer_id)
        accessible = self.list_accessible_customers()
        if cid in accessible:
            return None
        saved = self.login_customer_id
        try:
            for manager in accessible:
                self.login_customer_id = manager
                query = (
                    f"SELECT {', '.join(CLIENT_FIELDS)} FROM customer_client "  # noqa: S608
                    f"WHERE customer_client.id = {int(cid)}"
                )
                try:
                    rows = list(self._search(manager, query))
                except AccessDenied:
                    continue
                if any(str((r.get("customerClient") or {}).get("id")) == cid for r in rows):
                    return manager
        finally:
            self.login_customer_id = saved
        raise AccessDenied(
            f"customer {cid} is not reachable from this Google account or its managers",
            platform=PLATFORM,
            required="access to the account (directly or through a manager account)",
        )

    def _search(self, cid: str, query: str) -> Iterator[dict[str, Any]]:
        url = f"{self.base_url}/{self.api_version}/customers/{cid}/googleAds:searchStream"
        batches = self.retry.call(self._call, "POST", url, {"query": query})
        if not isinstance(batches, list):
            batches = [batches]
        for batch in batches:
            if not isinstance(batch, dict):
                raise BadResponse.from_payload(
                    "unexpected searchStream batch", batch, secrets=self._secrets, platform=PLATFORM
                )
            if "error" in batch:
                self._raise_error(200, batch, {})
            yield from batch.get("results") or []

    def _merge(
        self, delivery: Iterator[dict[str, Any]], purchases: Iterator[dict[str, Any]], level: str
    ) -> dict[tuple[str, dt.date], AdRow]:
        rows: dict[tuple[str, dt.date], AdRow] = {}
        for result in delivery:
            row = self._to_row(result, level)
            rows[(row["creative_id"], row["date"])] = row
        for result in purchases:
            row = self._to_row(result, level)
            key = (row["creative_id"], row["date"])
            if key not in rows:  # purchases on a day without delivery (late conversions)
                rows[key] = row
            else:
                rows[key]["conversions"] += row["conversions"]
                rows[key]["platform_revenue"] += row["platform_revenue"]
        return rows

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
            # valid credentials, no access to this customer (often: a managed account called
            # without its manager's login-customer-id). Reconnecting the same way would loop.
            manager_hint = "USER_PERMISSION_DENIED" in " ".join(codes)
            raise AccessDenied(
                detail,
                platform=PLATFORM,
                status=status,
                code=grpc_status,
                required="the manager account (login-customer-id)" if manager_hint else None,
            )
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

    def _to_row(self, result: Any, level: str = "ad") -> AdRow:
        try:
            campaign = result["campaign"]
            metrics = result.get("metrics") or {}
            if level == "ad":
                ad = result["adGroupAd"]["ad"]
                creative_id = str(ad["id"])
                creative_name = str(ad.get("name") or f"Ad {creative_id}")
            else:
                creative_id = f"campaign:{campaign['id']}"
                creative_name = f"{campaign.get('name') or campaign['id']} (campaign level)"
            return AdRow(
                date=to_date(result["segments"]["date"]),
                platform="google_ads",
                campaign_id=str(campaign["id"]),
                campaign_name=str(campaign.get("name") or ""),
                creative_id=creative_id,
                creative_name=creative_name,
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
