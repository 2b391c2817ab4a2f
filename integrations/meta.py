"""Meta (Facebook/Instagram) Marketing API client: ad-level daily insights.

``GET {base}/{version}/act_{id}/insights?level=ad&time_increment=1`` following
``paging.next``. Purchases and purchase value come from ``actions`` /
``action_values``; exactly one member of the purchase family is counted, in the
order ``purchase`` → ``omni_purchase`` → ``offsite_conversion.fb_pixel_purchase``
(Meta reports the same purchases under several action types; summing them would
double or triple count).

Throttling: every response's ``X-Business-Use-Case-Usage``, ``X-Ad-Account-Usage``,
``X-App-Usage`` and ``X-FB-Ads-Insights-Throttle`` headers are parsed; when any
utilization reaches ``usage_threshold`` (95 %) the *next* request first waits the
regain time the platform announced (``estimated_time_to_regain_access`` minutes or
``reset_time_duration`` seconds), or raises :class:`RateLimited` when that wait is
longer than the retry policy's ``max_retry_after``. Error codes 4, 17, 32, 613 and
80000-80014 → RateLimited; 190/102 → AuthExpired; 1, 2 or ``is_transient`` and
5xx → Transient; other 4xx → BadResponse.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec
import requests

from integrations.errors import (
    AccessDenied,
    AuthExpired,
    BadResponse,
    RateLimited,
    Transient,
    excerpt,
)
from integrations.http import (
    RetryPolicy,
    gc_paused,
    make_session,
    parse_json,
    parse_retry_after,
    send,
)
from integrations.parsing import opt_float, opt_int, to_date, to_float, to_int
from integrations.types import AdAccount, AdRow
from integrations.versions import DEFAULT_VERSIONS

__all__ = [
    "GRAPH_VERSION",
    "INSIGHT_FIELDS",
    "PURCHASE_ACTIONS",
    "MetaAdsClient",
    "MetaUsage",
    "decode_insights_page",
    "parse_usage_headers",
    "pick_purchase",
]

log = logging.getLogger("integrations.meta")

PLATFORM = "meta"
GRAPH_VERSION = DEFAULT_VERSIONS["meta"]  # META_API_VERSION overrides; see versions.py
INSIGHT_FIELDS = (
    "campaign_id",
    "campaign_name",
    "ad_id",
    "ad_name",
    "spend",
    "impressions",
    "clicks",
    "reach",
    "frequency",
    "actions",
    "action_values",
    "date_start",
)
ACCOUNT_FIELDS = ("id", "account_id", "name", "currency", "timezone_name", "account_status")
PURCHASE_ACTIONS = ("purchase", "omni_purchase", "offsite_conversion.fb_pixel_purchase")
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
AUTH_CODES = frozenset({190, 102})
PERMISSION_CODES = frozenset({10, 200, 294})  # permission errors (#10, #200-#299 family)
TRANSIENT_CODES = frozenset({1, 2})
DEFAULT_REGAIN_SECONDS = 60.0


@dataclass(frozen=True)
class MetaUsage:
    """The highest utilization (percent) seen in the usage headers and its regain time."""

    max_pct: float
    regain_seconds: float
    raw: dict[str, Any]


def _pct_values(entry: dict[str, Any]) -> list[float]:
    out = []
    for key in ("call_count", "total_cputime", "total_time", "acc_id_util_pct", "app_id_util_pct"):
        value = entry.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.append(float(value))
    return out


def _load_header(headers: Any, name: str) -> Any:
    text = headers.get(name)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        log.debug("meta: unparseable %s header", name)
        return None


def parse_usage_headers(headers: Any) -> MetaUsage | None:
    """Parse Meta's usage headers; ``None`` when none are present."""
    raw: dict[str, Any] = {}
    pcts: list[float] = []
    regain = 0.0
    buc = _load_header(headers, "X-Business-Use-Case-Usage")
    if isinstance(buc, dict):
        raw["business_use_case"] = buc
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else [entries]:
                if isinstance(entry, dict):
                    pcts.extend(_pct_values(entry))
                    minutes = entry.get("estimated_time_to_regain_access")
                    if isinstance(minutes, int | float):
                        regain = max(regain, float(minutes) * 60.0)
    account = _load_header(headers, "X-Ad-Account-Usage")
    if isinstance(account, dict):
        raw["ad_account"] = account
        pcts.extend(_pct_values(account))
        reset = account.get("reset_time_duration")
        if isinstance(reset, int | float):
            regain = max(regain, float(reset))
    for name, key in (("X-App-Usage", "app"), ("X-FB-Ads-Insights-Throttle", "insights")):
        value = _load_header(headers, name)
        if isinstance(value, dict):
            raw[key] = value
            pcts.extend(_pct_values(value))
    if not raw:
        return None
    return MetaUsage(max_pct=max(pcts, default=0.0), regain_seconds=regain, raw=raw)


_PURCHASE_SET = frozenset(PURCHASE_ACTIONS)
_fromisoformat = dt.date.fromisoformat


def _actions_map(items: Any) -> dict[str, Any]:
    """The purchase-family entries of an ``actions``/``action_values`` list, type -> value
    (the last entry of a type wins). Other types (link clicks, video views, …) are skipped
    without building anything: a row carries a dozen of them."""
    if not isinstance(items, list):
        return {}
    found: dict[str, Any] = {}
    for a in items:
        if isinstance(a, dict):
            kind = a.get("action_type")
            if isinstance(kind, str) and kind in _PURCHASE_SET:
                found[kind] = a.get("value")
    return found


def pick_purchase(actions: dict[str, Any]) -> str | None:
    """The one purchase-family action type to count, or None."""
    return next((name for name in PURCHASE_ACTIONS if name in actions), None)


def _plain_row(item: dict[str, Any]) -> AdRow:
    """One insights row whose numbers are plain numerals (nearly all of them), with no
    per-field helper calls; anything else raises and goes through the forgiving parsers of
    ``MetaAdsClient._checked_row``, which give the same row or the same error."""
    get = item.get
    actions = _actions_map(get("actions"))
    values = _actions_map(get("action_values"))
    conv_key = pick_purchase(actions)
    value_key = conv_key if conv_key in values else pick_purchase(values)
    spend = float(get("spend"))
    conversions = float(actions[conv_key]) if conv_key else 0.0
    revenue = float(values[value_key]) if value_key else 0.0
    reach, frequency = get("reach"), get("frequency")
    if reach is not None:
        reach = int(reach)
    if frequency is not None:
        frequency = float(frequency)
    if not math.isfinite(spend + conversions + revenue + (frequency or 0.0)):
        raise ValueError("not finite")  # the checked path says which
    return AdRow(
        date=_fromisoformat(item["date_start"][:10]),
        platform="meta",
        campaign_id=str(item["campaign_id"]),
        campaign_name=str(get("campaign_name") or ""),
        creative_id=str(item["ad_id"]),
        creative_name=str(get("ad_name") or ""),
        spend=spend,
        impressions=int(get("impressions")),
        clicks=int(get("clicks")),
        conversions=conversions,
        platform_revenue=revenue,
        reach=reach,
        frequency=frequency,
    )


# ---- typed decoding of insights pages (the fast path) ------------------------------------------
# msgspec decodes a page's bytes straight into these structs, numbers from Meta's strings
# (``strict=False``), so no dict per row and no Python call per field. Only the shapes that
# give exactly the row the general path gives are accepted: finite numbers in the plain
# numeral forms, RFC 3339 dates, string ids and names. Anything else ("1,200", "", blanks,
# ids as JSON numbers, dates with a time, NaN, an "error" member) fails the decode and the
# page goes through ``parse_json`` + ``page_rows`` as before: the same rows or the same error.
_Finite = Annotated[float, msgspec.Meta(ge=-1.7976931348623157e308, le=1.7976931348623157e308)]


class _Action(msgspec.Struct, gc=False):
    action_type: str
    value: _Finite


class _Insight(msgspec.Struct, gc=False):
    campaign_id: str
    ad_id: str
    spend: _Finite
    impressions: int
    clicks: int
    date_start: dt.date
    campaign_name: str | None = None
    ad_name: str | None = None
    reach: int | None = None
    frequency: _Finite | None = None
    actions: list[_Action] = []  # noqa: RUF012 - msgspec copies mutable defaults
    action_values: list[_Action] = []  # noqa: RUF012


class _InsightsPage(msgspec.Struct, gc=False):
    data: list[_Insight]
    paging: Any = None
    error: Any = None


_page_decoder = msgspec.json.Decoder(_InsightsPage, strict=False)
_P1, _P2, _P3 = PURCHASE_ACTIONS


def decode_insights_page(content: bytes) -> tuple[list[AdRow], Any] | None:
    """An insights page's rows and its ``paging`` member straight from the response bytes,
    or ``None`` when the page needs the general path (``parse_json`` + ``page_rows``).

    Equal to the general path's rows whenever it answers (tests/unit/test_parse_fast_paths.py
    compares them); one harmless difference: the string ``"-0"`` gives 0.0, not -0.0."""
    try:
        with gc_paused():
            page = _page_decoder.decode(content)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    if page.error is not None:
        return None  # the general path raises (or ignores a non-object error) as before
    with gc_paused():
        return _struct_rows(page.data), page.paging


def _struct_rows(items: list[_Insight]) -> list[AdRow]:
    """The rows of decoded insights: one purchase-family type counted as in ``_plain_row``
    (``purchase`` → ``omni_purchase`` → pixel purchase; values: the same type if it has one)."""
    out: list[AdRow] = []
    append = out.append
    for it in items:
        conversions = revenue = 0.0
        key = None
        if it.actions:
            found = {a.action_type: a.value for a in it.actions}  # the last of a type wins
            key = _P1 if _P1 in found else _P2 if _P2 in found else _P3 if _P3 in found else None
            if key is not None:
                conversions = found[key]
        if it.action_values:
            found = {a.action_type: a.value for a in it.action_values}
            if key not in found:
                key = (
                    _P1 if _P1 in found else _P2 if _P2 in found else _P3 if _P3 in found else None
                )
            if key is not None:
                revenue = found[key]
        append(
            {
                "date": it.date_start,
                "platform": "meta",
                "campaign_id": it.campaign_id,
                "campaign_name": it.campaign_name or "",
                "creative_id": it.ad_id,
                "creative_name": it.ad_name or "",
                "spend": it.spend,
                "impressions": it.impressions,
                "clicks": it.clicks,
                "conversions": conversions,
                "platform_revenue": revenue,
                "reach": it.reach,
                "frequency": it.frequency,
            }
        )
    return out


class MetaAdsClient:
    """Thin client for the Graph API insights edge."""

    def __init__(
        self,
        base_url: str,
        access_token: str,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        *,
        api_version: str = GRAPH_VERSION,
        page_size: int = 500,
        usage_threshold: float = 95.0,
        clock: Callable[[], float] = time.monotonic,
        async_min_days: int | None = None,
        poll_interval: float = 5.0,
        max_polls: int = 120,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = access_token
        self.session = session or make_session()
        self.retry = retry or RetryPolicy()
        self.api_version = api_version
        self.page_size = page_size
        self.usage_threshold = usage_threshold
        self._clock = clock
        self._blocked_until = 0.0
        self.usage: MetaUsage | None = None
        self.requests_made = 0
        # ranges of at least this many days run as async report runs (None: never)
        self.async_min_days = async_min_days
        self.poll_interval = poll_interval
        self.max_polls = max_polls

    def __repr__(self) -> str:
        return f"MetaAdsClient(base_url={self.base_url!r})"

    # ------------------------------------------------------------------ public API
    def fetch_insights(self, ad_account_id: str, since: dt.date, until: dt.date) -> Iterator[AdRow]:
        """Yield one :class:`AdRow` per ad per day in ``[since, until]``.

        Ranges of ``async_min_days`` or more run as an async report run (POST, poll, read),
        as Meta recommends for large reports; shorter ones use the synchronous edge."""
        account = str(ad_account_id).removeprefix("act_")
        url: str | None = f"{self.base_url}/{self.api_version}/act_{account}/insights"
        params: dict[str, str] | None = self._insight_params(since, until)
        if self.async_min_days is not None and (until - since).days + 1 >= self.async_min_days:
            url = self._run_report(url, params)
            params = {"limit": str(self.page_size)}
        while url:
            got = self.retry.call(self._request_once, url, params, "GET", decode_insights_page)
            if isinstance(got, tuple):  # decoded straight into rows (nearly every page)
                rows, paging = got
                yield from rows
                url, params = self._next_page({"paging": paging}), None
                continue
            yield from self.page_rows(got)
            url, params = self._next_page(got), None

    def page_rows(self, payload: dict[str, Any]) -> list[AdRow]:
        """The rows of one decoded insights page (all at once: see ``gc_paused``)."""
        data = payload.get("data")
        if not isinstance(data, list):
            raise BadResponse.from_payload(
                "insights response without a data list",
                payload,
                secrets=[self._token],
                platform=PLATFORM,
            )
        with gc_paused():
            return [self._to_row(item) for item in data]

    def _insight_params(self, since: dt.date, until: dt.date) -> dict[str, str]:
        return {
            "level": "ad",
            "time_increment": "1",
            "fields": ",".join(INSIGHT_FIELDS),
            "time_range": json.dumps(
                {"since": since.isoformat(), "until": until.isoformat()}, separators=(",", ":")
            ),
            "limit": str(self.page_size),
        }

    def _run_report(self, url: str, params: dict[str, str]) -> str:
        """Start an async report run, wait until it completes, return its results URL."""
        started = self.retry.call(self._request_once, url, params, "POST")
        run_id = str(started.get("report_run_id") or "")
        if not run_id.isdigit():
            raise BadResponse.from_payload(
                "async insights without report_run_id", started, platform=PLATFORM
            )
        status_url = f"{self.base_url}/{self.api_version}/{run_id}"
        for _ in range(self.max_polls):
            run = self._get(status_url, None)
            state = str(run.get("async_status") or "")
            if state == "Job Completed" and run.get("async_percent_completion") == 100:
                return f"{status_url}/insights"
            if state in ("Job Failed", "Job Skipped"):
                raise Transient(f"async report run {run_id}: {state}", platform=PLATFORM)
            self.retry.sleep(self.poll_interval)
        raise Transient(
            f"async report run {run_id} still running after {self.max_polls} polls",
            platform=PLATFORM,
        )

    def account_info(self, ad_account_id: str) -> dict[str, Any]:
        """The ad account's name, currency and IANA time zone (``/act_<id>``)."""
        account = str(ad_account_id).removeprefix("act_")
        payload = self._get(
            f"{self.base_url}/{self.api_version}/act_{account}",
            {"fields": ",".join(ACCOUNT_FIELDS)},
        )
        return {
            "id": str(payload.get("account_id") or account),
            "name": str(payload.get("name") or ""),
            "currency": payload.get("currency"),
            "timezone": payload.get("timezone_name"),
        }

    def fetch_ad_accounts(self) -> list[AdAccount]:
        """Ad accounts the token can read (``/me/adaccounts``)."""
        url: str | None = f"{self.base_url}/{self.api_version}/me/adaccounts"
        params: dict[str, str] | None = {
            "fields": ",".join(ACCOUNT_FIELDS),
            "limit": "100",
        }
        accounts: list[AdAccount] = []
        while url:
            payload = self._get(url, params)
            for item in payload.get("data") or []:
                if not isinstance(item, dict) or not (item.get("account_id") or item.get("id")):
                    raise BadResponse.from_payload(
                        "unexpected ad account", item, secrets=[self._token], platform=PLATFORM
                    )
                accounts.append(
                    AdAccount(
                        id=str(item.get("account_id") or item["id"]).removeprefix("act_"),
                        name=str(item.get("name") or ""),
                        currency=item.get("currency"),
                        timezone=item.get("timezone_name"),
                    )
                )
            url, params = self._next_page(payload), None
        return accounts

    # ------------------------------------------------------------------ internals
    def _next_page(self, payload: dict[str, Any]) -> str | None:
        paging = payload.get("paging")
        nxt = paging.get("next") if isinstance(paging, dict) else None
        if not nxt:
            return None
        base, target = urlsplit(self.base_url), urlsplit(str(nxt))
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            # never send our token to a host we were not configured for
            raise BadResponse.from_payload(
                "paging.next points at another host", target.netloc, platform=PLATFORM
            )
        # drop the echoed token; _request_once adds the current one
        query = [
            (k, v)
            for k, v in parse_qsl(target.query, keep_blank_values=True)
            if k != "access_token"
        ]
        return urlunsplit(target._replace(query=urlencode(query)))

    def _get(self, url: str, params: dict[str, str] | None) -> dict[str, Any]:
        return self.retry.call(self._request_once, url, params)

    def _respect_usage(self) -> None:
        remaining = self._blocked_until - self._clock()
        if remaining <= 0:
            return
        if remaining > self.retry.max_retry_after:
            raise RateLimited(
                f"usage at {self.usage.max_pct if self.usage else 100:.0f}%; "
                f"access regained in {remaining:.0f}s",
                platform=PLATFORM,
                retry_after=remaining,
            )
        log.info("meta: usage high, pausing %.1fs before the next call", remaining)
        self.retry.sleep(remaining)
        self._blocked_until = 0.0

    def _record_usage(self, headers: Any) -> MetaUsage | None:
        usage = parse_usage_headers(headers)
        if usage is None:
            return None
        self.usage = usage
        if usage.max_pct >= self.usage_threshold:
            wait = usage.regain_seconds or DEFAULT_REGAIN_SECONDS
            self._blocked_until = max(self._blocked_until, self._clock() + wait)
        return usage

    def _request_once(
        self,
        url: str,
        params: dict[str, str] | None,
        method: str = "GET",
        fast: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """The decoded JSON object of one call, or what ``fast`` made of a successful
        response's bytes when it made something (it returns ``None`` to decline)."""
        self._respect_usage()
        query = dict(params or {})
        query["access_token"] = self._token
        self.requests_made += 1
        if method == "POST":  # parameters in the form body, as the Graph API takes them
            resp = send(
                self.session, "POST", url, data=query, platform=PLATFORM, secrets=[self._token]
            )
        else:
            resp = send(
                self.session, "GET", url, params=query, platform=PLATFORM, secrets=[self._token]
            )
        usage = self._record_usage(resp.headers)
        if fast is not None and resp.status_code < 400:
            got = fast(resp.content)
            if got is not None:
                return got
        if resp.status_code >= 500 and not resp.content.strip().startswith(b"{"):
            raise Transient(
                f"HTTP {resp.status_code}: {excerpt(resp.content[:500], [self._token])}",
                platform=PLATFORM,
                status=resp.status_code,
                retry_after=parse_retry_after(resp.headers.get("Retry-After")),
            )
        payload = parse_json(resp, platform=PLATFORM, secrets=[self._token])
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            self._raise_error(resp, payload["error"], usage)
        if resp.status_code >= 400:
            self._raise_error(resp, {}, usage)
        if not isinstance(payload, dict):
            raise BadResponse.from_payload(
                "expected a JSON object", payload, secrets=[self._token], platform=PLATFORM
            )
        return payload

    def _raise_error(
        self, resp: requests.Response, error: dict[str, Any], usage: MetaUsage | None
    ) -> None:
        status = resp.status_code
        code = error.get("code")
        sub = error.get("error_subcode")
        message = str(error.get("message") or "")[:200]
        detail = f"HTTP {status}, code {code}" + (f"/{sub}" if sub else "") + f": {message}"
        if code in AUTH_CODES:
            raise AuthExpired(detail, platform=PLATFORM, status=status, code=code)
        if code in PERMISSION_CODES or (code == 100 and sub == 33):
            # the token works but cannot see this account: reconnecting the same way loops
            raise AccessDenied(
                detail, platform=PLATFORM, status=status, code=code, required="ads_read"
            )
        if code in RATE_LIMIT_CODES or status == 429:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            if retry_after is None and usage is not None and usage.regain_seconds:
                retry_after = usage.regain_seconds
            if retry_after is not None:
                self._blocked_until = 0.0  # the retry policy waits retry_after itself
            raise RateLimited(
                detail, platform=PLATFORM, status=status, code=code, retry_after=retry_after
            )
        if code in TRANSIENT_CODES or error.get("is_transient") or status >= 500:
            raise Transient(
                detail,
                platform=PLATFORM,
                status=status,
                code=code,
                retry_after=parse_retry_after(resp.headers.get("Retry-After")),
            )
        if not error:
            raise BadResponse.from_payload(
                f"HTTP {status}",
                resp.content[:500],
                secrets=[self._token],
                platform=PLATFORM,
                status=status,
            )
        raise BadResponse(detail, platform=PLATFORM, status=status, code=code)

    def _to_row(self, item: Any) -> AdRow:
        try:
            return _plain_row(item)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            return self._checked_row(item)  # blanks, "1,200", odd types: the forgiving parsers

    def _checked_row(self, item: Any) -> AdRow:
        try:
            actions = _actions_map(item.get("actions"))
            values = _actions_map(item.get("action_values"))
            conv_key = pick_purchase(actions)
            value_key = conv_key if conv_key in values else pick_purchase(values)
            return AdRow(
                date=to_date(item["date_start"]),
                platform="meta",
                campaign_id=str(item["campaign_id"]),
                campaign_name=str(item.get("campaign_name") or ""),
                creative_id=str(item["ad_id"]),
                creative_name=str(item.get("ad_name") or ""),
                spend=to_float(item.get("spend")),
                impressions=to_int(item.get("impressions")),
                clicks=to_int(item.get("clicks")),
                conversions=to_float(actions.get(conv_key)) if conv_key else 0.0,
                platform_revenue=to_float(values.get(value_key)) if value_key else 0.0,
                reach=opt_int(item.get("reach")),
                frequency=opt_float(item.get("frequency")),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BadResponse.from_payload(
                "unexpected insights row", item, secrets=[self._token], platform=PLATFORM
            ) from None
