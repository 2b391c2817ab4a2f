"""Fake TikTok Marketing API: ``/open_api/v1.3/report/integrated/get/``.

``GET`` with the ``Access-Token`` header and query parameters ``advertiser_id``,
``report_type=BASIC``, ``data_level=AUCTION_AD``, ``dimensions`` (JSON list with
``ad_id`` and ``stat_time_day``), ``metrics`` (JSON list), ``start_date``,
``end_date`` (at most 30 days apart, inclusive), ``page``, ``page_size`` (≤ 1000).
Always HTTP 200 with ``{"code", "message", "request_id", "data"}``; ``code != 0`` is
an error. Values are strings; ``stat_time_day`` is ``"YYYY-MM-DD 00:00:00"``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from typing import Any

from flask import Response, request

from integrations.versions import SUNSETS, is_sunset
from tests.fakes.base import FakeAPI, json_response, truncated
from tests.fakes.data import AdDataset

DEFAULT_TOKEN = "tiktok-test-token-5f3e2d1c0b"
MAX_SPAN_DAYS = 30
MAX_PAGE_SIZE = 1000


class FakeTikTok(FakeAPI):
    """``FakeTikTok(dataset=AdDataset("tiktok", n_ads=3000, n_days=90))``."""

    platform = "tiktok"
    api_marker = "/report/integrated/get/"

    def __init__(
        self,
        dataset: AdDataset | None = None,
        access_token: str = DEFAULT_TOKEN,
        advertiser_id: str = "7000000000001",
        currency: str = "USD",
        timezone: str = "America/Los_Angeles",
    ) -> None:
        self.dataset = dataset or AdDataset("tiktok", seed=31)
        self.access_token = access_token
        self.advertiser_id = advertiser_id
        self.currency, self.timezone = currency, timezone
        self.token_store: Any = None  # a tests.fakes.oauth.TokenStore to accept its tokens
        super().__init__()

    @staticmethod
    def envelope(code: int, message: str, data: Any = None) -> Any:
        body = {"code": code, "message": message, "request_id": uuid.uuid4().hex[:20]}
        body["data"] = data if data is not None else {}
        return json_response(body)

    def _gate(self) -> Any:
        token = request.headers.get("Access-Token")
        if self.token_store is not None:  # tokens issued by the OAuth fake (connect flows)
            valid = self.token_store.access_valid(token, "tiktok")
        else:
            valid = token == self.access_token
        if self.scenario.expired_token or not valid:
            return self.envelope(40105, "Access token is incorrect or has been revoked.")
        if self.take("rate_limit"):
            resp = json_response({"code": 40100, "message": "Too many requests."}, 429)
            resp.headers["Retry-After"] = self.scenario.retry_after
            return resp
        if self.take("server_errors"):
            status = self.scenario.server_error_status
            if status == 200:
                return self.envelope(50000, "System error, please try again later.")
            return json_response({"code": 50000, "message": "Internal error"}, status)
        if self.take("throttle_errors"):
            return self.envelope(40100, "Requests made too frequently. Please try again later.")
        return None

    @staticmethod
    def wire_row(row: dict[str, Any], metrics: list[str]) -> dict[str, Any]:
        values = {
            "campaign_id": row["campaign_id"],
            "campaign_name": row["campaign_name"],
            "ad_name": row["creative_name"],
            "spend": f"{row['spend']:.2f}",
            "impressions": str(row["impressions"]),
            "clicks": str(row["clicks"]),
            "reach": "-" if row.get("reach") is None else str(row["reach"]),
            "frequency": "-" if row.get("frequency") is None else f"{row['frequency']:.2f}",
            # the optimization event (add-to-cart here): more than purchases
            "conversion": str(row["conversions"] + row["clicks"] // 10),
            # TikTok leaves a metric blank when there is nothing to report
            "complete_payment": str(row["conversions"]) if row["conversions"] else "",
            "total_complete_payment_rate": f"{row['platform_revenue']:.2f}",
        }
        return {
            "dimensions": {
                "ad_id": row["creative_id"],
                "stat_time_day": f"{row['date'].isoformat()} 00:00:00",
            },
            "metrics": {m: values.get(m, "0") for m in metrics},
        }

    @staticmethod
    def wire_json(rows: list[dict[str, Any]], metrics: list[str]) -> str:
        """``json.dumps([wire_row(r, metrics) ...])`` built directly as text (fast)."""
        enc = functools.lru_cache(maxsize=None)(json.dumps)
        known = {
            "campaign_id": lambda r: enc(r["campaign_id"]),
            "campaign_name": lambda r: enc(r["campaign_name"]),
            "ad_name": lambda r: enc(r["creative_name"]),
            "spend": lambda r: f'"{r["spend"]:.2f}"',
            "impressions": lambda r: f'"{r["impressions"]}"',
            "clicks": lambda r: f'"{r["clicks"]}"',
            "reach": lambda r: '"-"' if r.get("reach") is None else f'"{r["reach"]}"',
            "frequency": lambda r: (
                '"-"' if r.get("frequency") is None else f'"{r["frequency"]:.2f}"'
            ),
            "conversion": lambda r: f'"{r["conversions"] + r["clicks"] // 10}"',
            "complete_payment": lambda r: f'"{r["conversions"]}"' if r["conversions"] else '""',
            "total_complete_payment_rate": lambda r: f'"{r["platform_revenue"]:.2f}"',
        }
        getters = [(enc(m), known.get(m, lambda r: '"0"')) for m in metrics]
        chunks = []
        for r in rows:
            body = ",".join(f"{key}:{get(r)}" for key, get in getters)
            chunks.append(
                f'{{"dimensions":{{"ad_id":{enc(r["creative_id"])},'
                f'"stat_time_day":"{r["date"].isoformat()} 00:00:00"}},"metrics":{{{body}}}}}'
            )
        return "[" + ",".join(chunks) + "]"

    def routes(self) -> None:
        app = self.app

        @app.get("/open_api/<version>/advertiser/info/")
        def advertiser_info(version: str) -> Any:
            gate = self._gate()
            if gate is not None:
                return gate
            try:
                ids = json.loads(request.args.get("advertiser_ids", ""))
            except ValueError:
                return self.envelope(40002, "advertiser_ids: Not a valid list.")
            if ids != [self.advertiser_id]:
                return self.envelope(40002, "No permission to operate advertiser.")
            item = {
                "advertiser_id": self.advertiser_id,
                "name": "Lumen Beauty",
                "currency": self.currency,
                "timezone": self.timezone,
                "display_timezone": self.timezone,
            }
            return self.envelope(0, "OK", {"list": [item]})

        @app.get("/open_api/<version>/report/integrated/get/")
        def report(version: str) -> Any:
            if version not in SUNSETS["tiktok"] or is_sunset("tiktok", version, self.today):
                # TikTok documents no error body for retired versions: the path is gone
                return json_response({"code": 40404, "message": "Not Found"}, 404)
            gate = self._gate()
            if gate is not None:
                return gate
            args = request.args
            if args.get("advertiser_id") != self.advertiser_id:
                return self.envelope(40002, "No permission to operate advertiser.")
            if args.get("report_type") != "BASIC" or args.get("data_level") != "AUCTION_AD":
                return self.envelope(40002, "report_type/data_level: BASIC/AUCTION_AD expected.")
            try:
                dimensions = json.loads(args.get("dimensions", ""))
                metrics = json.loads(args.get("metrics", ""))
                since = dt.date.fromisoformat(args["start_date"])
                until = dt.date.fromisoformat(args["end_date"])
                page = int(args.get("page", "1"))
                page_size = int(args.get("page_size", "10"))
            except (ValueError, KeyError, TypeError):
                return self.envelope(40002, "Invalid parameters.")
            if sorted(dimensions) != ["ad_id", "stat_time_day"]:
                return self.envelope(40002, "dimensions must be ad_id and stat_time_day.")
            if until < since or (until - since).days + 1 > MAX_SPAN_DAYS:
                return self.envelope(
                    40002, "The time span between start_date and end_date can't exceed 30 days."
                )
            if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
                return self.envelope(40002, "page_size must be within 1-1000.")
            if page == 1:
                self.note_pull(self.dataset, since, until)
            if self.scenario.malformed_json:
                return truncated(
                    {"code": 0, "message": "OK", "data": {"list": [{"dimensions": 1}]}}, 50
                )
            size = self.scenario.page_size or page_size
            total = self.dataset.count(since, until)
            start = (page - 1) * size
            rows = self.dataset.slice(since, until, start, start + size)
            page_info = {
                "page": page,
                "page_size": size,
                "total_number": total,
                "total_page": -(-total // size) if total else 0,
            }
            body = (
                f'{{"code":0,"message":"OK","request_id":"{uuid.uuid4().hex[:20]}",'
                f'"data":{{"list":{self.wire_json(rows, metrics)},'
                f'"page_info":{json.dumps(page_info)}}}}}'
            )
            return Response(body, 200, mimetype="application/json")
