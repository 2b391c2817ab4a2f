"""Fake Google Ads REST API: ``googleAds:searchStream`` plus its own OAuth ``/token``.

``POST /<version>/customers/<cid>/googleAds:searchStream`` with ``Authorization: Bearer``,
``developer-token`` and optionally ``login-customer-id``; body ``{"query": GAQL}``.
The GAQL is checked for ``FROM ad_group_ad``, the selected fields and a
``segments.date BETWEEN 'a' AND 'b'`` clause. The response is a JSON array of
batches (``results``, ``fieldMask``, ``requestId``); int64 values are strings and
zero metrics are omitted, like the real API. Errors use the google.rpc shape with a
``GoogleAdsFailure`` detail. A version past its sunset date in ``integrations.versions``
answers like Google does: HTTP 400 INVALID_ARGUMENT, ``requestError: UNSUPPORTED_VERSION``,
"Version vNN is deprecated. Requests to this version will be blocked."
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import request

from integrations.versions import is_sunset
from tests.fakes.base import FakeAPI, json_response, truncated
from tests.fakes.data import AdDataset
from tests.fakes.oauth import TokenStore

DEFAULT_DEVELOPER_TOKEN = "dev-token-ABCDEF123456"
DEFAULT_CLIENT = ("gads-client-id.apps.googleusercontent.com", "gads-client-secret-123")
DEFAULT_REFRESH = "1//gads-refresh-token-abcdef"
_METRICS = (
    "metrics.cost_micros",
    "metrics.impressions",
    "metrics.clicks",
    "metrics.conversions",
    "metrics.conversions_value",
)
NON_CONVERSION_METRICS = ("metrics.cost_micros", "metrics.impressions", "metrics.clicks")
_SEGMENTS = ("segments.date", "segments.conversion_action_category")
AD_FIELDS_ALL = (
    "campaign.id",
    "campaign.name",
    "ad_group_ad.ad.id",
    "ad_group_ad.ad.name",
    *_SEGMENTS,
    *_METRICS,
)
# The fields each resource answers (a subset of the real API, checked against the official
# protos by tests/contract): anything else is UNRECOGNIZED_FIELD, like a typo on Google.
RESOURCE_FIELDS = {
    "ad_group_ad": AD_FIELDS_ALL,
    "campaign": (
        "campaign.id",
        "campaign.name",
        "campaign.advertising_channel_type",
        *_SEGMENTS,
        *_METRICS,
    ),
    "customer": (
        "customer.id",
        "customer.descriptive_name",
        "customer.currency_code",
        "customer.time_zone",
        "customer.manager",
    ),
    "customer_client": (
        "customer_client.id",
        "customer_client.client_customer",
        "customer_client.manager",
        "customer_client.level",
    ),
}
_CATEGORY = re.compile(r"segments\.conversion_action_category\s*=\s*'?(\w+)'?", re.I)
_BETWEEN = re.compile(
    r"segments\.date\s+BETWEEN\s+'(\d{4}-\d{2}-\d{2})'\s+AND\s+'(\d{4}-\d{2}-\d{2})'", re.I
)
_SELECT = re.compile(r"^\s*SELECT\s+(.*?)\s+FROM\s+(\w+)", re.I | re.S)


def google_error(
    status: int,
    grpc_status: str,
    message: str,
    error_code: dict[str, str] | None = None,
    retry_delay: str | None = None,
    version: str = "v26",
) -> dict[str, Any]:
    """A google.rpc error body with an optional GoogleAdsFailure detail."""
    error: dict[str, Any] = {"code": status, "message": message, "status": grpc_status}
    if error_code:
        failure: dict[str, Any] = {"errorCode": error_code, "message": message}
        if retry_delay:
            failure["details"] = {
                "quotaErrorDetails": {
                    "rateScope": "ACCOUNT",
                    "rateName": "Number of operations for explorer access",
                    "retryDelay": retry_delay,
                }
            }
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.ads.googleads."
                f"{version}.errors.GoogleAdsFailure",
                "errors": [failure],
                "requestId": "fake-req",
            }
        ]
    return {"error": error}


class FakeGoogleAds(FakeAPI):
    """``FakeGoogleAds(dataset=AdDataset("google_ads", n_ads=20))``."""

    platform = "google_ads"
    api_marker = "googleAds:searchStream"

    def __init__(
        self,
        dataset: AdDataset | None = None,
        developer_token: str = DEFAULT_DEVELOPER_TOKEN,
        customer_id: str = "1234567890",
        login_customer_id: str | None = None,
        client_id: str = DEFAULT_CLIENT[0],
        client_secret: str = DEFAULT_CLIENT[1],
        refresh_token: str = DEFAULT_REFRESH,
        access_ttl: int = 3600,
        batch_size: int = 10000,
        manager_id: str | None = None,
        pmax: bool = True,
        currency_code: str = "USD",
        time_zone: str = "America/New_York",
    ) -> None:
        self.dataset = dataset or AdDataset("google_ads", seed=21)
        self.developer_token = developer_token
        self.customer_id = customer_id
        self.login_customer_id = login_customer_id
        self.client_id, self.client_secret = client_id, client_secret
        self.tokens = TokenStore(
            clients={"google": (client_id, client_secret)}, access_ttl=access_ttl
        )
        self.refresh_token = self.tokens.issue_refresh("google", refresh_token)
        self.batch_size = batch_size
        self.manager_id = manager_id  # the account is owned by this manager (MCC)
        self.currency_code, self.time_zone = currency_code, time_zone
        self.pmax_rows = self._pmax_rows() if pmax else []
        super().__init__()

    def _pmax_rows(self) -> list[dict[str, Any]]:
        """A Performance Max campaign: spend and purchases, but no ``ad_group_ad`` rows."""
        out = []
        day = self.dataset.start
        while day <= self.dataset.end:
            n = (day - self.dataset.start).days
            out.append(
                {
                    "campaign_id": "990001",
                    "campaign_name": "PMax - All products",
                    "channel": "PERFORMANCE_MAX",
                    "date": day,
                    "spend": 40.0 + n % 7,
                    "impressions": 5000 + 13 * n,
                    "clicks": 60 + n % 5,
                    "conversions": 3.0,
                    "platform_revenue": 180.0,
                }
            )
            day += dt.timedelta(days=1)
        return out

    @property
    def token_url(self) -> str:
        return self.url + "/token"

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``GoogleAdsClient`` pointing at this fake."""
        return {
            "base_url": self.url,
            "developer_token": self.developer_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            "token_url": self.token_url,
            "login_customer_id": self.login_customer_id,
        }

    def revoke_refresh_token(self) -> None:
        self.tokens.revoke(self.refresh_token)

    # -- helpers ------------------------------------------------------------------------
    def version_gate(self, version: str) -> Any:
        if not is_sunset("google_ads", version, self.today):
            return None
        return json_response(
            google_error(
                400,
                "INVALID_ARGUMENT",
                f"Version {version} is deprecated. Requests to this version will be blocked.",
                {"requestError": "UNSUPPORTED_VERSION"},
                version=version,
            ),
            400,
        )

    def _gate(self) -> Any:
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if self.scenario.expired_token or not self.tokens.access_valid(token, "google"):
            return json_response(
                google_error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                    {"authenticationError": "OAUTH_TOKEN_INVALID"},
                ),
                401,
            )
        if request.headers.get("developer-token") != self.developer_token:
            return json_response(
                google_error(
                    401,
                    "UNAUTHENTICATED",
                    "The developer token is not valid.",
                    {"authenticationError": "DEVELOPER_TOKEN_INVALID"},
                ),
                401,
            )
        if self.take("rate_limit"):
            resp = json_response(
                google_error(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Too many requests.",
                    {"quotaError": "RESOURCE_EXHAUSTED"},
                ),
                429,
            )
            resp.headers["Retry-After"] = self.scenario.retry_after
            return resp
        if self.take("server_errors"):
            status = self.scenario.server_error_status
            grpc = "UNAVAILABLE" if status == 503 else "INTERNAL"
            return json_response(google_error(status, grpc, "Internal error encountered."), status)
        if self.take("throttle_errors"):
            return json_response(
                google_error(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Resource has been exhausted (e.g. check quota).",
                    {"quotaError": "RESOURCE_EXHAUSTED"},
                    retry_delay="3s",
                ),
                429,
            )
        return None

    def wire_row(
        self,
        row: dict[str, Any],
        cid: str,
        fields: list[str] | tuple[str, ...] = AD_FIELDS_ALL,
        resource: str = "ad_group_ad",
        category: str = "ALL",
    ) -> dict[str, Any]:
        """One searchStream result: camelCase, int64 as strings, zero metrics omitted.

        ``category`` PURCHASE holds the purchases; ADD_TO_CART is a second conversion action
        "included in conversions" (half as many, no value); ALL (no conversion segment) is
        their sum - what ``metrics.conversions`` reports without a category filter."""
        want = set(fields)
        micros = int(round(row["spend"] * 1_000_000))
        purchases, value = row["conversions"], row["platform_revenue"]
        carts = round(purchases * 0.5, 2)
        conv = {"PURCHASE": purchases, "ADD_TO_CART": carts, "ALL": purchases + carts}[category]
        val = value if category in ("PURCHASE", "ALL") else 0.0
        metrics: dict[str, Any] = {}
        if "metrics.clicks" in want and row["clicks"]:
            metrics["clicks"] = str(row["clicks"])
        if "metrics.conversions" in want and conv:
            metrics["conversions"] = float(conv)
        if "metrics.conversions_value" in want and val:
            metrics["conversionsValue"] = float(val)
        if "metrics.cost_micros" in want and micros:
            metrics["costMicros"] = str(micros)
        if "metrics.impressions" in want and row["impressions"]:
            metrics["impressions"] = str(row["impressions"])
        camp_id = row["campaign_id"]
        out: dict[str, Any] = {
            "campaign": {
                "resourceName": f"customers/{cid}/campaigns/{camp_id}",
                "id": camp_id,
                "name": row["campaign_name"],
            },
            "metrics": metrics,
            "segments": {"date": row["date"].isoformat()},
        }
        if "campaign.advertising_channel_type" in want:
            out["campaign"]["advertisingChannelType"] = row.get("channel", "SEARCH")
        if category != "ALL":
            out["segments"]["conversionActionCategory"] = category
        if resource == "ad_group_ad":
            ad_id = row["creative_id"]
            out["adGroupAd"] = {
                "resourceName": f"customers/{cid}/adGroupAds/{camp_id}1~{ad_id}",
                "ad": {
                    "resourceName": f"customers/{cid}/ads/{ad_id}",
                    "id": ad_id,
                    "name": row["creative_name"],
                },
            }
        return out

    # -- routes -------------------------------------------------------------------------
    def routes(self) -> None:
        app = self.app

        @app.post("/token")
        def token() -> Any:
            payload, status = self.tokens.google_token(
                request.form.to_dict(), request.authorization
            )
            return json_response(payload, status)

        @app.get("/<version>/customers:listAccessibleCustomers")
        def accessible(version: str) -> Any:
            gate = self.version_gate(version) or self._gate()
            if gate is not None:
                return gate
            # an agency user reaches the client account only through its manager
            visible = self.manager_id or self.customer_id
            return json_response({"resourceNames": [f"customers/{visible}"]})

        @app.post("/<version>/customers/<cid>/googleAds:searchStream")
        def search_stream(version: str, cid: str) -> Any:
            gate = self.version_gate(version) or self._gate()
            if gate is not None:
                return gate
            if not cid.isdigit():
                return self._query_error(
                    f"Invalid customer ID '{cid}'.", "INVALID_CUSTOMER_ID", "requestError"
                )
            denied = self._access_gate(cid)
            if denied is not None:
                return denied
            body = request.get_json(silent=True) or {}
            query = str(body.get("query") or "")
            select = _SELECT.match(query)
            if not select:
                return self._query_error("Error in query.", "UNEXPECTED_INPUT")
            resource = select.group(2).lower()
            fields = [f.strip() for f in select.group(1).split(",")]
            unknown = [f for f in fields if f not in RESOURCE_FIELDS.get(resource, ())]
            if resource not in RESOURCE_FIELDS or unknown:
                return self._query_error(
                    f"Unrecognized field(s) in the SELECT clause: {unknown or resource}.",
                    "UNRECOGNIZED_FIELD",
                )
            by_category = "segments.conversion_action_category" in fields
            if by_category and any(f in fields for f in NON_CONVERSION_METRICS):
                # conversion segments cannot be combined with cost/impressions/clicks
                return self._query_error(
                    "The following metrics cannot be selected with a conversion segment.",
                    "PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE",
                )
            if resource == "customer":
                return json_response([{"results": [self._customer_row(cid)]}])
            if resource == "customer_client":
                return json_response([{"results": self._client_rows(cid)}])
            between = _BETWEEN.search(query)
            if not between:
                return self._query_error(
                    "A date range is required for segmented metrics.", "MISSING_DATE_RANGE"
                )
            since = dt.date.fromisoformat(between.group(1))
            until = dt.date.fromisoformat(between.group(2))
            category = _CATEGORY.search(query)
            if resource == "ad_group_ad" and not by_category:
                self.note_pull(self.dataset, since, until)
            if self.scenario.malformed_json:
                return truncated([{"results": [{"campaign": {"id": "1"}}]}], 40)
            rows = self._rows(resource, since, until)
            results = self._results(rows, cid, fields, resource, category)
            size = self.scenario.page_size or self.batch_size
            batches = [
                {
                    "results": results[i : i + size],
                    "fieldMask": ",".join(fields),
                    "requestId": f"fake-{i}",
                }
                for i in range(0, len(results), size)
            ] or [{"fieldMask": ",".join(fields), "requestId": "fake-empty"}]
            return json_response(batches)

    # -- resources --------------------------------------------------------------------------
    def _query_error(self, message: str, code: str, kind: str = "queryError") -> Any:
        return json_response(google_error(400, "INVALID_ARGUMENT", message, {kind: code}), 400)

    def _access_gate(self, cid: str) -> Any:
        """USER_PERMISSION_DENIED unless the caller may reach ``cid`` (directly, or through
        its manager named in the ``login-customer-id`` header)."""
        login = request.headers.get("login-customer-id")
        if cid == self.manager_id:
            ok = login in (None, self.manager_id)
        elif cid == self.customer_id and self.manager_id:
            ok = login == self.manager_id
        elif cid == self.customer_id:
            ok = login == self.login_customer_id if self.login_customer_id else True
        else:
            ok = False
        if ok:
            return None
        return json_response(
            google_error(
                403,
                "PERMISSION_DENIED",
                "User doesn't have permission to access customer. Note: If you're accessing "
                "a client customer, the manager's customer id must be set in the "
                "'login-customer-id' header.",
                {"authorizationError": "USER_PERMISSION_DENIED"},
            ),
            403,
        )

    def _customer_row(self, cid: str) -> dict[str, Any]:
        manager = cid == self.manager_id
        return {
            "customer": {
                "resourceName": f"customers/{cid}",
                "id": cid,
                "descriptiveName": "Agency MCC" if manager else "Lumen Beauty",
                "currencyCode": self.currency_code,
                "timeZone": self.time_zone,
                "manager": manager,
            }
        }

    def _client_rows(self, cid: str) -> list[dict[str, Any]]:
        if cid != self.manager_id:
            return []
        return [
            {
                "customerClient": {
                    "resourceName": f"customers/{cid}/customerClients/{self.customer_id}",
                    "clientCustomer": f"customers/{self.customer_id}",
                    "id": self.customer_id,
                    "manager": False,
                    "level": "1",
                }
            }
        ]

    def _rows(self, resource: str, since: dt.date, until: dt.date) -> list[dict[str, Any]]:
        ad_rows = self.dataset.rows(since, until)
        if resource == "ad_group_ad":
            return ad_rows
        # campaign level: every ad campaign (sum of its ads) plus the ad-less PMax campaign
        totals: dict[tuple[str, dt.date], dict[str, Any]] = {}
        for r in [*ad_rows, *(p for p in self.pmax_rows if since <= p["date"] <= until)]:
            key = (r["campaign_id"], r["date"])
            t = totals.setdefault(
                key,
                {
                    "campaign_id": r["campaign_id"],
                    "campaign_name": r["campaign_name"],
                    "channel": r.get("channel", "SEARCH"),
                    "date": r["date"],
                    "spend": 0.0,
                    "impressions": 0,
                    "clicks": 0,
                    "conversions": 0.0,
                    "platform_revenue": 0.0,
                },
            )
            for k in ("spend", "impressions", "clicks", "conversions", "platform_revenue"):
                t[k] += r[k]
        return list(totals.values())

    def _results(
        self,
        rows: list[dict[str, Any]],
        cid: str,
        fields: list[str],
        resource: str,
        category: re.Match[str] | None,
    ) -> list[dict[str, Any]]:
        if "segments.conversion_action_category" not in fields:
            # unsegmented conversions count every action "included in conversions"
            return [self.wire_row(r, cid, fields, resource, "ALL") for r in rows]
        out = []
        for cat in ("PURCHASE", "ADD_TO_CART"):
            if category and category.group(1) != cat:
                continue
            out.extend(
                self.wire_row(r, cid, fields, resource, cat)
                for r in rows
                if r["conversions"] or r["platform_revenue"]
            )
        return out
