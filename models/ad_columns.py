"""A sync's fetched ad rows, held column-wise.

A backfill fetches hundreds of thousands of creative-days. Kept as one dict per row they cost
about 1.3 KB each (a year of 1,000 ads: ~0.5 GB in the worker), and the heap they fragment made
the decoding of later pages ~1.7x slower. `AdColumns.extend` turns each chunk of rows into
arrays as the client yields them (~60 bytes a row), and keeps what the campaign and creative
upserts need in one entry per campaign and per creative: a campaign's first name; a creative's
first day, and the name and campaign of its newest row (an ad can move between campaigns).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from typing import Any

import numpy as np

CHUNK_ROWS = 5000
# ad_metric_daily's numbers; None (a platform that does not report reach) travels as NaN, which
# the upserts store as NULL
METRIC_FIELDS = (
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "platform_revenue",
    "reach",
    "frequency",
)
MONEY_FIELDS = ("spend", "platform_revenue")
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()  # numpy's day 0


@dataclass
class SeenCreative:
    """One creative as the fetched rows describe it."""

    name: str
    campaign_id: str
    launched_on: dt.date
    latest: dt.date


class AdColumns:
    """Ad rows (integrations.types.AdRow) as arrays, in the order they arrived."""

    def __init__(self) -> None:
        self.campaigns: dict[str, str] = {}  # external id -> the first name seen
        self.creatives: dict[str, SeenCreative] = {}  # external id -> what the rows say
        self._index: dict[str, int] = {}  # external id -> its place in `creatives`
        self._parts: list[dict[str, np.ndarray]] = []
        self._rows = 0

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> AdColumns:
        ads = cls()
        ads.extend(rows)
        return ads

    def __len__(self) -> int:
        return self._rows

    def extend(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Take rows from an iterable (a client's generator), CHUNK_ROWS at a time; returns how
        many were added."""
        source, added = iter(rows), 0
        while chunk := list(islice(source, CHUNK_ROWS)):
            self._add(chunk)
            added += len(chunk)
        return added

    def _add(self, rows: list[Mapping[str, Any]]) -> None:
        codes = np.empty(len(rows), np.int64)  # each row's creative, by its place in creatives
        index = self._index
        for i, row in enumerate(rows):
            key, day, campaign = str(row["creative_id"]), row["date"], str(row["campaign_id"])
            if campaign not in self.campaigns:
                self.campaigns[campaign] = row["campaign_name"]
            seen = self.creatives.get(key)
            if seen is None:
                index[key] = len(self.creatives)
                self.creatives[key] = SeenCreative(row["creative_name"] or "", campaign, day, day)
            else:
                if day < seen.launched_on:
                    seen.launched_on = day
                if day >= seen.latest:  # the newest row names the creative and its campaign
                    seen.latest, seen.campaign_id = day, campaign
                    seen.name = row["creative_name"] or seen.name
            codes[i] = index[key]
        # days by their ordinals: 5x numpy's conversion of date objects
        ordinals = np.fromiter(map(dt.date.toordinal, map(itemgetter("date"), rows)), np.int64)
        part = {"creative": codes, "date": (ordinals - EPOCH_ORDINAL).astype("datetime64[D]")}
        for name in METRIC_FIELDS:
            part[name] = np.array([row.get(name) for row in rows], dtype=np.float64)
        self._parts.append(part)
        self._rows += len(rows)

    def _column(self, name: str) -> np.ndarray:
        if not self._parts:
            return np.empty(0, "datetime64[D]" if name == "date" else np.float64)
        return np.concatenate([part[name] for part in self._parts])

    def days(self) -> list[dt.date]:
        """The distinct days, oldest first."""
        return np.unique(self._column("date")).tolist()

    def convert_money(self, rates: Mapping[dt.date, Any]) -> None:
        """Spend and platform revenue times each day's rate, rounded to 6 places as Python's
        round() does (every day must have a rate)."""
        for part in self._parts:
            per_row = [float(rates[day]) for day in part["date"].tolist()]
            for name in MONEY_FIELDS:
                part[name] = np.array(
                    [round(v * r, 6) for v, r in zip(part[name].tolist(), per_row, strict=True)]
                )

    def metric_columns(self, org_id: int, creative_ids: Mapping[str, int]) -> dict[str, Any]:
        """The ad_metric_daily columns, creatives as their row ids (``creative_ids``: external
        id -> id, every fetched creative in it)."""
        ids = np.array([creative_ids[key] for key in self.creatives], dtype=np.int64)
        columns: dict[str, Any] = {
            "org_id": np.full(self._rows, org_id, dtype=np.int64),
            "creative_id": ids[self._column("creative").astype(np.int64)],
            "date": self._column("date"),
        }
        for name in METRIC_FIELDS:
            columns[name] = self._column(name)
        return columns
