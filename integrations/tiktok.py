"""TikTok Marketing API client: ad-level daily metrics from ``report/integrated/get``.

``GET {base}/open_api/v1.3/report/integrated/get/`` with the ``Access-Token`` header,
``report_type=BASIC``, ``data_level=AUCTION_AD``, dimensions ``ad_id`` +
``stat_time_day``. TikTok caps day-level reports at 30 days, so ranges are split
into ≤ 30-day windows and each window is paged with ``page``/``page_size`` until
``page_info.total_page``.

Metric choice: ``conversions`` is ``complete_payment`` (purchases, matching Meta's
purchase count) and nothing else - ``conversion`` is the optimization event (it may be
add-to-cart), so it is never used as a fallback;
``platform_revenue`` is ``total_complete_payment_rate`` which - despite the name - is
TikTok's *total complete-payment value*. All values arrive as strings.

TikTok answers HTTP 200 with ``code != 0`` on errors: token problems
(40001, 40102, 40104, 40105, ...) → AuthExpired; the rate-limit family (40100, 40016,
40133, 51021) → RateLimited; other 5xxxx → Transient; anything else → BadResponse.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import requests

from integrations.errors import AuthExpired, BadResponse, IntegrationError, RateLimited, Transient
from integrations.http import (
    RetryPolicy,
    gc_paused,
    make_session,
    parse_json,
    raise_for_status,
    send,
)
from integrations.parsing import date_windows, opt_float, opt_int, to_date, to_float, to_int
from integrations.types import AdRow
from integrations.versions import DEFAULT_VERSIONS

__all__ = [
    "AUTH_CODES",
    "METRICS",
    "RATE_LIMIT_CODES",
    "REPORT_PATH",
    "TikTokAdsClient",
    "classify_code",
]

PLATFORM = "tiktok"
API_VERSION = DEFAULT_VERSIONS["tiktok"]  # TIKTOK_API_VERSION overrides
REPORT_PATH = "/open_api/{version}/report/integrated/get/"
MAX_WINDOW_DAYS = 30
METRICS = (
    "campaign_id",
    "campaign_name",
    "ad_name",
    "spend",
    "impressions",
    "clicks",
    "reach",
    "frequency",
    "complete_payment",
    "total_complete_payment_rate",
)
# 40100 is documented as "too many requests"; 40102/40104/40105 are expired/empty/invalid tokens
AUTH_CODES = frozenset({40001, 40102, 40104, 40105, 40106, 40107, 40108, 40110})
RATE_LIMIT_CODES = frozenset({40100, 40016, 40133, 51021})


def classify_code(code: int, message: str, status: int = 200) -> IntegrationError | None:
    """The typed error for a TikTok response ``code`` (None when ``code == 0``)."""
    if code == 0:
        return None
    detail = f"code {code}: {message[:200]}"
    if code in AUTH_CODES:
        return AuthExpired(detail, platform=PLATFORM, status=status, code=code)
    if code in RATE_LIMIT_CODES:
        return RateLimited(detail, platform=PLATFORM, status=status, code=code)
    if 50000 <= code < 60000:
        return Transient(detail, platform=PLATFORM, status=status, code=code)
    return BadResponse(detail, platform=PLATFORM, status=status, code=code)


class TikTokAdsClient:
    """Thin client for TikTok's synchronous integrated report."""

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = 1000,
        window_days: int = MAX_WINDOW_DAYS,
        api_version: str = API_VERSION,
    ) -> None:
        if not 1 <= window_days <= MAX_WINDOW_DAYS:
            raise ValueError(f"window_days must be within 1..{MAX_WINDOW_DAYS}")
        self.base_url = base_url.rstrip("/")
        self._token = access_token
        self.session = session or make_session()
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self.window_days = window_days
        self.api_version = api_version

    def __repr__(self) -> str:
        return f"TikTokAdsClient(base_url={self.base_url!r})"

    def fetch_ad_metrics(
        self, advertiser_id: str | int, since: dt.date, until: dt.date
    ) -> Iterator[AdRow]:
        """Yield one :class:`AdRow` per ad per day in ``[since, until]``."""
        url = self.base_url + REPORT_PATH.format(version=self.api_version)
        for start, end in date_windows(since, until, self.window_days):
            page, total_pages = 1, 1
            while page <= total_pages:
                params = {
                    "advertiser_id": str(advertiser_id),
                    "report_type": "BASIC",
                    "data_level": "AUCTION_AD",
                    "dimensions": json.dumps(["ad_id", "stat_time_day"]),
                    "metrics": json.dumps(list(METRICS)),
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "page": str(page),
                    "page_size": str(self.page_size),
                }
                data = self.retry.call(self._get, url, params)
                rows = data.get("list")
                info = data.get("page_info")
                if not isinstance(rows, list) or not isinstance(info, dict):
                    raise BadResponse.from_payload(
                        "report without list/page_info",
                        data,
                        secrets=[self._token],
                        platform=PLATFORM,
                    )
                with gc_paused():  # a page's rows at once: see gc_paused
                    parsed = [self._to_row(item) for item in rows]
                yield from parsed
                try:
                    total_pages = int(info.get("total_page") or 0)
                except (TypeError, ValueError):
                    raise BadResponse.from_payload(
                        "bad page_info", info, secrets=[self._token], platform=PLATFORM
                    ) from None
                page += 1

    def account_info(self, advertiser_id: str | int) -> dict[str, Any]:
        """The advertiser's name, currency and time zone (``/advertiser/info/``)."""
        url = f"{self.base_url}/open_api/{self.api_version}/advertiser/info/"
        params = {
            "advertiser_ids": json.dumps([str(advertiser_id)]),
            "fields": json.dumps(["advertiser_id", "name", "currency", "display_timezone"]),
        }
        data = self.retry.call(self._get, url, params)
        items = data.get("list")
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            raise BadResponse.from_payload(
                "advertiser info without list", data, secrets=[self._token], platform=PLATFORM
            )
        item = items[0]
        return {
            "id": str(item.get("advertiser_id") or advertiser_id),
            "name": str(item.get("name") or ""),
            "currency": item.get("currency"),
            "timezone": item.get("display_timezone") or item.get("timezone"),
        }

    def _get(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        resp = send(
            self.session,
            "GET",
            url,
            params=params,
            platform=PLATFORM,
            secrets=[self._token],
            headers={"Access-Token": self._token},
        )
        if resp.status_code >= 400:
            # gateway-level errors: 429 (Retry-After) and 5xx map generically; other 4xx
            # may still carry TikTok's {"code", "message"} envelope
            if resp.status_code != 429 and resp.status_code < 500:
                try:
                    payload = json.loads(resp.content)
                except ValueError:
                    payload = None
                if isinstance(payload, dict) and isinstance(payload.get("code"), int):
                    err = classify_code(
                        payload["code"], str(payload.get("message") or ""), resp.status_code
                    )
                    if err is not None:
                        raise err
            raise_for_status(resp, platform=PLATFORM, secrets=[self._token])
        payload = parse_json(resp, platform=PLATFORM, secrets=[self._token])
        if not isinstance(payload, dict) or not isinstance(payload.get("code"), int):
            raise BadResponse.from_payload(
                "response without a code", payload, secrets=[self._token], platform=PLATFORM
            )
        err = classify_code(payload["code"], str(payload.get("message") or ""))
        if err is not None:
            raise err
        data = payload.get("data")
        if not isinstance(data, dict):
            raise BadResponse.from_payload(
                "response without data", payload, secrets=[self._token], platform=PLATFORM
            )
        return data

    def _to_row(self, item: Any) -> AdRow:
        try:
            dims = item["dimensions"]
            metrics = item["metrics"]
            # purchases only: ``conversion`` is the ad group's optimization event, which may
            # be add-to-cart or a sign-up; a blank complete_payment means no purchases
            conversions = to_float(metrics.get("complete_payment"))
            return AdRow(
                date=to_date(dims["stat_time_day"]),
                platform="tiktok",
                campaign_id=str(metrics.get("campaign_id") or ""),
                campaign_name=str(metrics.get("campaign_name") or ""),
                creative_id=str(dims["ad_id"]),
                creative_name=str(metrics.get("ad_name") or ""),
                spend=to_float(metrics.get("spend")),
                impressions=to_int(metrics.get("impressions")),
                clicks=to_int(metrics.get("clicks")),
                conversions=conversions,
                platform_revenue=to_float(metrics.get("total_complete_payment_rate")),
                reach=opt_int(metrics.get("reach")),
                frequency=opt_float(metrics.get("frequency")),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BadResponse.from_payload(
                "unexpected report row", item, secrets=[self._token], platform=PLATFORM
            ) from None
