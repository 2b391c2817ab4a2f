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
REQUIRED_FIELDS = (
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
        super().__init__()

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

    def wire_row(self, row: dict[str, Any], cid: str) -> dict[str, Any]:
        micros = int(round(row["spend"] * 1_000_000))
        metrics: dict[str, Any] = {}
        if row["clicks"]:
            metrics["clicks"] = str(row["clicks"])
        if row["conversions"]:
            metrics["conversions"] = float(row["conversions"])
        if row["platform_revenue"]:
            metrics["conversionsValue"] = float(row["platform_revenue"])
        if micros:
            metrics["costMicros"] = str(micros)
        if row["impressions"]:
            metrics["impressions"] = str(row["impressions"])
        ad_id, camp_id = row["creative_id"], row["campaign_id"]
        return {
            "campaign": {
                "resourceName": f"customers/{cid}/campaigns/{camp_id}",
                "id": camp_id,
                "name": row["campaign_name"],
            },
            "adGroupAd": {
                "resourceName": f"customers/{cid}/adGroupAds/{camp_id}1~{ad_id}",
                "ad": {
                    "resourceName": f"customers/{cid}/ads/{ad_id}",
                    "id": ad_id,
                    "name": row["creative_name"],
                },
            },
            "metrics": metrics,
            "segments": {"date": row["date"].isoformat()},
        }

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
            return json_response({"resourceNames": [f"customers/{self.customer_id}"]})

        @app.post("/<version>/customers/<cid>/googleAds:searchStream")
        def search_stream(version: str, cid: str) -> Any:
            gate = self.version_gate(version) or self._gate()
            if gate is not None:
                return gate
            if not cid.isdigit():
                return json_response(
                    google_error(
                        400,
                        "INVALID_ARGUMENT",
                        f"Invalid customer ID '{cid}'.",
                        {"requestError": "INVALID_CUSTOMER_ID"},
                    ),
                    400,
                )
            if cid != self.customer_id:
                return json_response(
                    google_error(
                        403,
                        "PERMISSION_DENIED",
                        "User doesn't have permission to access customer.",
                        {"authorizationError": "USER_PERMISSION_DENIED"},
                    ),
                    403,
                )
            if (
                self.login_customer_id
                and request.headers.get("login-customer-id") != self.login_customer_id
            ):
                return json_response(
                    google_error(
                        403,
                        "PERMISSION_DENIED",
                        "login-customer-id header is missing or wrong.",
                        {"authorizationError": "USER_PERMISSION_DENIED"},
                    ),
                    403,
                )
            body = request.get_json(silent=True) or {}
            query = str(body.get("query") or "")
            select, between = _SELECT.match(query), _BETWEEN.search(query)
            if not select or select.group(2).lower() != "ad_group_ad" or not between:
                return json_response(
                    google_error(
                        400,
                        "INVALID_ARGUMENT",
                        "Error in query.",
                        {"queryError": "UNEXPECTED_INPUT"},
                    ),
                    400,
                )
            fields = {f.strip() for f in select.group(1).split(",")}
            missing = [f for f in REQUIRED_FIELDS if f not in fields]
            if missing:
                return json_response(
                    google_error(
                        400,
                        "INVALID_ARGUMENT",
                        f"Fake expects fields {missing}.",
                        {"queryError": "UNRECOGNIZED_FIELD"},
                    ),
                    400,
                )
            since = dt.date.fromisoformat(between.group(1))
            until = dt.date.fromisoformat(between.group(2))
            self.note_pull(self.dataset, since, until)
            if self.scenario.malformed_json:
                return truncated([{"results": [{"campaign": {"id": "1"}}]}], 40)
            rows = self.dataset.rows(since, until)
            size = self.scenario.page_size or self.batch_size
            field_mask = ",".join(
                "adGroupAd.ad.id" if f == "ad_group_ad.ad.id" else f for f in REQUIRED_FIELDS
            )
            batches = [
                {
                    "results": [self.wire_row(r, cid) for r in rows[i : i + size]],
                    "fieldMask": field_mask,
                    "requestId": f"fake-{i}",
                }
                for i in range(0, len(rows), size)
            ]
            return json_response(batches)
