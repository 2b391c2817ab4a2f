"""A local Sentry ingest endpoint: `POST /api/<project>/envelope/` (the envelope format:
newline-separated JSON header, item header, payload; optionally gzip/deflate/br encoded).

Keeps every event it receives (`events`) so a test can read exactly what left the process.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib

from werkzeug.wrappers import Request, Response

from tests.fakes.server import FakeServer


def parse_envelope(body: bytes) -> list[tuple[dict, bytes]]:
    """[(item header, payload bytes)] of one envelope."""
    lines = body.split(b"\n")
    items, i = [], 1  # line 0 is the envelope header
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        header = json.loads(lines[i])
        length = header.get("length")
        rest = b"\n".join(lines[i + 1 :])
        if length is not None:
            payload, rest = rest[:length], rest[length + 1 :]
            items.append((header, payload))
            lines, i = [b""] + rest.split(b"\n"), 1
        else:
            items.append((header, lines[i + 1]))
            i += 2
    return items


class FakeSentry(FakeServer):
    def __init__(self) -> None:
        super().__init__(self._wsgi)
        self.events: list[dict] = []
        self.raw: list[bytes] = []
        self._lock = threading.Lock()

    def dsn(self, project: int = 1) -> str:
        return f"{self.url.replace('http://', 'http://publickey@')}/{project}"

    def _wsgi(self, environ, start_response):  # noqa: ANN001
        request = Request(environ)
        if request.method != "POST" or not request.path.endswith("/envelope/"):
            return Response("not found", 404)(environ, start_response)
        body = request.get_data()
        encoding = request.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        with self._lock:
            self.raw.append(body)
            for header, payload in parse_envelope(body):
                if header.get("type") == "event":
                    self.events.append(json.loads(payload))
        return Response("{}", 200, content_type="application/json")(environ, start_response)

    def wait_for_events(self, n: int = 1, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.events) >= n:
                    return list(self.events)
            time.sleep(0.05)
        return list(self.events)
