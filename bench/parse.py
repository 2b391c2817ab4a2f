"""Benchmark: the parse stage of a Meta backfill alone (insights JSON pages -> rows).

Renders 5,000-row insights pages of the 3,000 ads x 90 days dataset in the fake's wire format
(numbers as strings, every purchase type in ``actions``/``action_values``), then times, in this
process's CPU time (``time.process_time``, so a shared machine's other work is not counted):

- ``typed``: what ``MetaAdsClient.fetch_insights`` does now, ``decode_insights_page`` (msgspec
  straight into structs, then rows);
- ``general``: the general path every page took before, ``parse_json`` (orjson) + ``page_rows``.

Each figure is the best of N passes over all pages, with the spread (worst) beside it. No
database, no HTTP: nothing but our parsing. Prints ONE JSON object. Not a timed test.

    .venv/bin/python bench/parse.py [passes]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integrations.http import loads  # noqa: E402
from integrations.meta import INSIGHT_FIELDS, MetaAdsClient, decode_insights_page  # noqa: E402
from tests.fakes.data import AdDataset  # noqa: E402
from tests.fakes.meta import FakeMeta  # noqa: E402

N_ADS = int(os.environ.get("BENCH_ADS", 3000))
N_DAYS = int(os.environ.get("BENCH_DAYS", 90))
PAGE = 5000


def pages() -> list[bytes]:
    dataset = AdDataset("meta", n_ads=N_ADS, n_days=N_DAYS)
    fake = FakeMeta(dataset=dataset)
    total = dataset.count(dataset.start, dataset.end)
    out = []
    for offset in range(0, total, PAGE):
        rows = dataset.slice(dataset.start, dataset.end, offset, offset + PAGE)
        body = '{"data":' + fake.wire_json(rows, list(INSIGHT_FIELDS), fake.account_id)
        body += ',"paging":{"cursors":{"before":"b","after":"a"},"next":"http://x/y?after=a"}}'
        out.append(body.encode())
    return out


def timed(fn, bodies: list[bytes], passes: int) -> list[float]:
    seconds = []
    for _ in range(passes):
        t = time.process_time()
        for body in bodies:
            fn(body)
        seconds.append(time.process_time() - t)
    return seconds


def main() -> None:
    passes = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    bodies = pages()
    client = MetaAdsClient("http://127.0.0.1:9", "token-not-used")

    def typed(body: bytes) -> list:
        got = decode_insights_page(body)
        assert got is not None, "a plain page must take the typed path"
        return got[0]

    def general(body: bytes) -> list:
        return client.page_rows(loads(body))

    rows = sum(len(typed(b)) for b in bodies)
    assert [typed(b) for b in bodies[:2]] == [general(b) for b in bodies[:2]]
    result: dict = {"rows": rows, "pages": len(bodies), "passes": passes}
    for name, fn in (("general", general), ("typed", typed)):
        s = timed(fn, bodies, passes)
        result[f"{name}_rows_per_s_best"] = round(rows / min(s))
        result[f"{name}_rows_per_s_worst"] = round(rows / max(s))
    result["target_rows_per_s"] = 100000
    result["load_average"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
