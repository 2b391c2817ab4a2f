"""gunicorn settings for the web process (`gunicorn -c gunicorn.conf.py "app:create_app()"`).

WEB_CONCURRENCY workers (default 2) x WEB_THREADS threads (default 4) on $PORT (8050).
Prometheus multiprocess mode: every worker writes its samples under PROMETHEUS_MULTIPROC_DIR
(a fresh temporary folder unless set; wiped at start) and /metrics adds them up.
"""

import os
import tempfile
from pathlib import Path

bind = f"0.0.0.0:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 60
keepalive = 5  # > a client's pause between requests: no reset of a reused idle connection
graceful_timeout = 8  # SIGTERM: requests in flight get this long, then the workers go
logger_class = "api.security.RedactingGunicornLogger"  # tokens never reach the access log

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    _metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in _metrics_dir.glob("*.db"):  # samples of a previous run
        stale.unlink()
else:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="omnify-metrics-")


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn hook
    from ops.metrics import mark_process_dead

    mark_process_dead(worker.pid)
