"""Fake Meta Graph API: ``/<version>/act_<id>/insights`` with paging and usage headers.

Async report runs as documented (developers.facebook.com/docs/marketing-api/insights/
best-practices/#asynchronous): ``POST /act_<id>/insights`` answers ``{"report_run_id"}``;
``GET /<run_id>`` reports ``async_status``/``async_percent_completion`` ("Job Running" for the
first ``async_polls_until_done`` polls, then "Job Completed", 100); ``GET /<run_id>/insights``
pages the results like the synchronous edge.

A version past its expiration date in ``integrations.versions.SUNSETS`` (Meta's published
table) is refused like Meta does: HTTP 400 with error #2635 "You are calling a deprecated
version of the Ads API" (developers.facebook.com/blog/post/2024/04/16/...).

Wire format: ``GET`` with ``access_token`` (query or ``Authorization: Bearer``),
``level=ad``, ``time_increment=1``, ``fields``, ``time_range`` JSON, ``limit``,
``after``. Responses ``{"data": [...], "paging": {"cursors": ..., "next": url}}``;
values are strings; purchases appear in ``actions``/``action_values`` under every
type in ``purchase_action_types`` (Meta reports the same purchase several times).
Errors use ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from integrations.versions import DEFAULT_VERSIONS, is_sunset
from tests.fakes.base import FakeAPI, json_response, truncated
from tests.fakes.data import AdDataset

DEFAULT_TOKEN = "meta-test-token-EAAB1234567890"
PURCHASE_TYPES = ("purchase", "omni_purchase", "offsite_conversion.fb_pixel_purchase")


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        return -1


class FakeMeta(FakeAPI):
    """``FakeMeta(dataset=AdDataset("meta", n_ads=3000, n_days=90))``."""

    platform = "meta"
    api_marker = "/insights"

    def __init__(
        self,
        dataset: AdDataset | None = None,
        access_token: str = DEFAULT_TOKEN,
        account_id: str = "1234567890",
        business_id: str = "998877665544",
        page_size: int = 500,
        purchase_action_types: tuple[str, ...] = PURCHASE_TYPES,
        api_version: str = DEFAULT_VERSIONS["meta"],
        currency: str = "USD",
        timezone_name: str = "America/New_York",
    ) -> None:
        self.dataset = dataset or AdDataset("meta")
        self.access_token = access_token
        self.account_id = account_id
        self.business_id = business_id
        self.page_size = page_size
        self.purchase_action_types = purchase_action_types
        self.api_version = api_version
        self.currency, self.timezone_name = currency, timezone_name
        self.token_store: Any = None  # a tests.fakes.oauth.TokenStore to accept its tokens
        self.report_runs: dict[str, dict[str, Any]] = {}  # async insights jobs
        self.async_polls_until_done = 0  # status polls answered "Job Running" first
        super().__init__()

    # -- helpers ------------------------------------------------------------------------
    def _error(self, status: int, code: int, message: str, **extra: Any) -> Any:
        body = {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "fbtrace_id": "AbCdEfGhIjK",
                **extra,
            }
        }
        return json_response(body, status, self._usage_headers())

    def _usage_headers(self) -> dict[str, str]:
        pct = self.scenario.usage_pct if self.scenario.usage_pct is not None else 4.0
        regain = self.scenario.regain_minutes if pct >= 95 else 0
        buc = {
            self.business_id: [
                {
                    "type": "ads_insights",
                    "call_count": pct,
                    "total_cputime": max(1.0, pct / 2),
                    "total_time": max(1.0, pct / 2),
                    "estimated_time_to_regain_access": regain,
                    "ads_api_access_tier": "standard_access",
                }
            ]
        }
        account = {
            "acc_id_util_pct": pct,
            "reset_time_duration": regain * 60,
            "ads_api_access_tier": "standard_access",
        }
        return {
            "X-Business-Use-Case-Usage": json.dumps(buc),
            "X-Ad-Account-Usage": json.dumps(account),
            "X-App-Usage": json.dumps({"call_count": 1, "total_cputime": 1, "total_time": 1}),
        }

    def _token_ok(self) -> bool:
        token = request.values.get("access_token")  # query string or POST form body
        auth = request.headers.get("Authorization", "")
        if not token and auth.lower().startswith(("bearer ", "oauth ")):
            token = auth.split(" ", 1)[1].strip()
        if self.token_store is not None:  # tokens issued by the OAuth fake (connect flows)
            valid = self.token_store.access_valid(token, "meta")
        else:
            valid = bool(token) and token == self.access_token
        return valid and not self.scenario.expired_token

    def version_gate(self, version: str) -> Any:
        """Meta's answer to an expired Marketing API version (None when it is available)."""
        if not is_sunset("meta", version, self.today):
            return None
        return self._error(
            400,
            2635,
            "(#2635) You are calling a deprecated version of the Ads API. Please update to "
            f"the latest version: {DEFAULT_VERSIONS['meta']}.",
        )

    def _gate(self) -> Any:
        """Common scenario checks; returns a response to short-circuit, or None."""
        if not self._token_ok():
            return self._error(
                400,
                190,
                "Error validating access token: Session has expired on Tuesday, 01-Apr-25.",
                error_subcode=463,
            )
        if self.take("rate_limit"):
            resp = self._error(429, 4, "(#4) Application request limit reached", is_transient=True)
            resp.headers["Retry-After"] = self.scenario.retry_after
            return resp
        if self.take("server_errors"):
            return self._error(
                self.scenario.server_error_status,
                1,
                "An unknown error occurred",
                is_transient=True,
            )
        if self.take("throttle_errors"):
            self.scenario.usage_pct = max(self.scenario.usage_pct or 0, 100.0)
            return self._error(
                400,
                80000,
                "There have been too many calls from this ad-account. Wait a bit and try again.",
                error_subcode=2446079,
                is_transient=True,
            )
        return None

    def wire_row(self, row: dict[str, Any], fields: list[str], account: str) -> dict[str, Any]:
        """One normalized row in Meta's insights wire format (only requested fields)."""
        return self.wire_rows([row], fields, account)[0]

    def wire_rows(
        self, rows: list[dict[str, Any]], fields: list[str], account: str
    ) -> list[dict[str, Any]]:
        """Rows in Meta's insights wire format; strings for numbers, like the Graph API."""
        want = set(fields)
        types = self.purchase_action_types
        with_actions, with_values = "actions" in want, "action_values" in want
        simple = [
            f
            for f in ("campaign_id", "campaign_name", "ad_id", "ad_name", "account_id")
            if f in want
        ]
        source = {"ad_id": "creative_id", "ad_name": "creative_name"}
        out = []
        for row in rows:
            day = row["date"].isoformat()
            item: dict[str, Any] = {f: row.get(source.get(f, f), account) for f in simple}
            if "spend" in want:
                item["spend"] = f"{row['spend']:.2f}"
            if "impressions" in want:
                item["impressions"] = str(row["impressions"])
            if "clicks" in want:
                item["clicks"] = str(row["clicks"])
            if "reach" in want and row.get("reach") is not None:
                item["reach"] = str(row["reach"])
            if "frequency" in want and row.get("frequency") is not None:
                item["frequency"] = f"{row['frequency']:.6f}"
            conv, rev = row["conversions"], row["platform_revenue"]
            if with_actions:
                actions = [{"action_type": "link_click", "value": str(row["clicks"])}]
                if conv:
                    value = str(conv)
                    actions.extend({"action_type": t, "value": value} for t in types)
                item["actions"] = actions
            if with_values and rev:
                value = f"{rev:.2f}"
                item["action_values"] = [{"action_type": t, "value": value} for t in types]
            item["date_start"] = day
            item["date_stop"] = day
            out.append(item)
        return out

    def wire_json(self, rows: list[dict[str, Any]], fields: list[str], account: str) -> str:
        """``json.dumps(self.wire_rows(...))`` built directly as text (fast for big pages)."""
        want = set(fields)
        enc = functools.lru_cache(maxsize=None)(json.dumps)
        types = [json.dumps(t) for t in self.purchase_action_types]
        with_actions, with_values = "actions" in want, "action_values" in want
        simple = [
            f
            for f in ("campaign_id", "campaign_name", "ad_id", "ad_name", "account_id")
            if f in want
        ]
        source = {"ad_id": "creative_id", "ad_name": "creative_name"}
        chunks = []
        for row in rows:
            parts = [f'"{f}":{enc(row.get(source.get(f, f), account))}' for f in simple]
            if "spend" in want:
                parts.append(f'"spend":"{row["spend"]:.2f}"')
            if "impressions" in want:
                parts.append(f'"impressions":"{row["impressions"]}"')
            if "clicks" in want:
                parts.append(f'"clicks":"{row["clicks"]}"')
            if "reach" in want and row.get("reach") is not None:
                parts.append(f'"reach":"{row["reach"]}"')
            if "frequency" in want and row.get("frequency") is not None:
                parts.append(f'"frequency":"{row["frequency"]:.6f}"')
            conv, rev = row["conversions"], row["platform_revenue"]
            if with_actions:
                actions = [f'{{"action_type":"link_click","value":"{row["clicks"]}"}}']
                if conv:
                    actions.extend(f'{{"action_type":{t},"value":"{conv}"}}' for t in types)
                parts.append('"actions":[' + ",".join(actions) + "]")
            if with_values and rev:
                value = f"{rev:.2f}"
                values = ",".join(f'{{"action_type":{t},"value":"{value}"}}' for t in types)
                parts.append('"action_values":[' + values + "]")
            day = row["date"].isoformat()
            parts.append(f'"date_start":"{day}","date_stop":"{day}"')
            chunks.append("{" + ",".join(parts) + "}")
        return "[" + ",".join(chunks) + "]"

    def _insights(
        self, version: str, account: str, args: dict[str, str], run_id: str | None = None
    ) -> Any:
        """One page of insights (synchronous, or the results of an async report run)."""
        if account != self.account_id:
            return self._error(
                400,
                100,
                f"Unsupported get request. Object with ID 'act_{account}' does not exist",
                error_subcode=33,
            )
        if args.get("level") != "ad" or args.get("time_increment") != "1":
            return self._error(400, 100, "(#100) level=ad and time_increment=1 expected")
        try:
            tr = json.loads(args.get("time_range", ""))
            since = dt.date.fromisoformat(tr["since"])
            until = dt.date.fromisoformat(tr["until"])
        except (ValueError, KeyError, TypeError):
            return self._error(400, 100, "(#100) Param time_range must be a JSON object")
        fields = [f for f in args.get("fields", "").split(",") if f]
        limit = self.scenario.page_size or int(args.get("limit") or 25)
        limit = max(1, min(limit, 5000))
        after = args.get("after")
        offset = 0 if after is None else _offset(after)
        if offset < 0:
            return self._error(400, 100, "(#100) Invalid cursor")
        if after is None:
            self.note_pull(self.dataset, since, until)
        path = f"{run_id}/insights" if run_id else f"act_{account}/insights"
        if self.scenario.malformed_json:
            nxt = self._next_url(version, path, offset + limit)
            return truncated({"paging": {"next": nxt}, "data": [{"campaign_id": "1"}]}, 240)
        total = self.dataset.count(since, until)
        rows = self.dataset.slice(since, until, offset, offset + limit)
        end = offset + len(rows)
        paging: dict[str, Any] | None = None
        if rows:
            paging = {"cursors": {"before": _cursor(offset), "after": _cursor(end)}}
            if end < total:
                paging["next"] = self._next_url(version, path, end)
        body = '{"data":' + self.wire_json(rows, fields, account)
        if paging is not None:
            body += ',"paging":' + json.dumps(paging)
        return Response(body + "}", 200, self._usage_headers(), mimetype="application/json")

    # -- routes -------------------------------------------------------------------------
    def routes(self) -> None:
        app = self.app

        @app.get("/<version>/act_<account>/insights")
        def insights(version: str, account: str) -> Any:
            gate = self.version_gate(version) or self._gate()
            if gate is not None:
                return gate
            return self._insights(version, account, request.args.to_dict())

        @app.post("/<version>/act_<account>/insights")
        def insights_async(version: str, account: str) -> Any:
            """An async report run: Meta answers ``{"report_run_id"}`` and works on it."""
            gate = self.version_gate(version) or self._gate()
            if gate is not None:
                return gate
            params = {**request.args.to_dict(), **request.form.to_dict()}
            params.pop("access_token", None)
            if account != self.account_id:
                return self._error(
                    400,
                    100,
                    f"Unsupported post request. Object with ID 'act_{account}' does not exist",
                    error_subcode=33,
                )
            with self._lock:
                run_id = str(6_023_920_149_050 + len(self.report_runs))
                self.report_runs[run_id] = {"account": account, "params": params, "polls": 0}
            return json_response({"report_run_id": run_id}, 200, self._usage_headers())

        @app.get("/<version>/<int:run_id>")
        def report_run(version: str, run_id: int) -> Any:
            gate = self.version_gate(version) or self._gate()
            if gate is not None:
                return gate
            run = self.report_runs.get(str(run_id))
            if run is None:
                return self._error(400, 100, f"Object with ID '{run_id}' does not exist")
            with self._lock:
                run["polls"] += 1
                done = run["polls"] > self.async_polls_until_done
            pct = 100 if done else 50
            return json_response(
                {
                    "id": str(run_id),
                    "account_id": run["account"],
                    "async_status": "Job Completed" if done else "Job Running",
                    "async_percent_completion": pct,
                },
                200,
                self._usage_headers(),
            )

        @app.get("/<version>/<int:run_id>/insights")
        def report_run_insights(version: str, run_id: int) -> Any:
            gate = self.version_gate(version) or self._gate()
            if gate is not None:
                return gate
            run = self.report_runs.get(str(run_id))
            if run is None or run["polls"] <= self.async_polls_until_done:
                return self._error(400, 100, "(#100) The report run is not complete")
            args = {**run["params"], **request.args.to_dict()}
            return self._insights(version, run["account"], args, run_id=str(run_id))

        @app.get("/<version>/act_<account>")
        def ad_account(version: str, account: str) -> Any:
            gate = self.version_gate(version) or self._gate()
            if gate is not None:
                return gate
            if account != self.account_id:
                return self._error(
                    400,
                    100,
                    f"Unsupported get request. Object with ID 'act_{account}' does not exist, "
                    "cannot be loaded due to missing permissions, or does not support this "
                    "operation.",
                    error_subcode=33,
                )
            return json_response(
                {
                    "id": f"act_{account}",
                    "account_id": account,
                    "name": "Lumen Beauty",
                    "currency": self.currency,
                    "timezone_name": self.timezone_name,
                },
                200,
                self._usage_headers(),
            )

        @app.get("/<version>/me/adaccounts")
        def adaccounts(version: str) -> Any:
            if (gate := self.version_gate(version)) is not None:
                return gate
            if not self._token_ok():
                return self._error(400, 190, "Error validating access token", error_subcode=463)
            return json_response(
                {
                    "data": [
                        {
                            "id": f"act_{self.account_id}",
                            "account_id": self.account_id,
                            "name": "Lumen Beauty",
                            "currency": "USD",
                            "timezone_name": "America/New_York",
                            "account_status": 1,
                        }
                    ],
                    "paging": {"cursors": {"before": "x", "after": "y"}},
                },
                200,
                self._usage_headers(),
            )

    def _next_url(self, version: str, path: str, offset: int) -> str:
        # like Meta: echo every query parameter (including access_token) plus the new cursor
        params = {"access_token": request.args.get("access_token", "")}
        params.update((k, v) for k, v in request.args.items() if k not in ("after", "access_token"))
        if not params["access_token"]:
            del params["access_token"]
        params["after"] = _cursor(offset)
        return f"{request.host_url.rstrip('/')}/{version}/{path}?{urlencode(params)}"
