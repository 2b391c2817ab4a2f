"""Shared by tests (moved from tests/integration/test_recompute_kill.py:
test modules do not import each other)."""

from __future__ import annotations

import os
import signal
import subprocess


def kill_session(sid: int) -> None:
    """SIGKILL every process of the worker's session: the work horse has its own process
    group (rq calls setpgrp), so killpg on the worker alone would leave it running."""
    out = subprocess.run(["ps", "-s", str(sid), "-o", "pid="], capture_output=True, text=True)
    for pid in (int(p) for p in out.stdout.split()):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
