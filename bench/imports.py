"""Benchmark: import a 1,000,000-row Meta Ads Manager export (CSV, ~165 MB) end to end.

Runs the real jobs (check = one streamed validating pass, then the import = a second pass
writing chunk by chunk through binary COPY + one merge) into the bench database, then the
same file again (the idempotent re-import). Prints one JSON object: rows, file MB, seconds and
rows/s of each stage, and the process's peak RSS (MB).

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_i16 \
        python bench/imports.py
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchdb import DEFAULT_BENCH_DB, bench_app  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from extensions import db  # noqa: E402
from jobs.imports import check_import, run_import  # noqa: E402
from models import AdMetricDaily  # noqa: E402
from models.imports import DataImport  # noqa: E402
from tests.conftest import make_org, truncate_all  # noqa: E402
from tests.fixtures.exports import write_meta_large  # noqa: E402

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 1_000_000))


def main() -> None:
    app = bench_app(DEFAULT_BENCH_DB)
    truncate_all(app)
    org = make_org(app, "Bench", "bench@imports.example")
    out: dict = {"rows": ROWS}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "meta.csv"
        write_meta_large(path, date(2026, 11, 1), ROWS)
        out["file_mb"] = round(path.stat().st_size / 1e6, 1)
        for label in ("first", "again")[: int(os.environ.get("BENCH_IMPORT_RUNS", 2))]:
            with app.app_context():
                row = DataImport(org_id=org["org_id"], filename="meta.csv", stored_path=str(path))
                db.session.add(row)
                db.session.commit()
                t0 = time.perf_counter()
                check_import(row.id)
                t1 = time.perf_counter()
                path.exists() or sys.exit("the check deleted the file")
                run_import_keep(row.id)
                t2 = time.perf_counter()
                n = db.session.execute(
                    select(func.count(AdMetricDaily.id)).where(
                        AdMetricDaily.org_id == org["org_id"]
                    )
                ).scalar()
            out[label] = {
                "check_s": round(t1 - t0, 1),
                "import_s": round(t2 - t1, 1),
                "check_rows_per_s": round(ROWS / (t1 - t0)),
                "import_rows_per_s": round(ROWS / (t2 - t1)),
                "end_to_end_rows_per_s": round(ROWS / (t2 - t0)),
                "rows_in_db": n,
            }
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))


def run_import_keep(import_id: int) -> None:
    """run_import deletes the uploaded file when done; keep it for the second run."""
    import jobs.imports as jobs

    saved = jobs._discard
    jobs._discard = lambda row: None
    try:
        run_import(import_id)
    finally:
        jobs._discard = saved


if __name__ == "__main__":
    main()
