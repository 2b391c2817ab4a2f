"""Run a WSGI app (Flask or werkzeug) on 127.0.0.1 in a background thread."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request (fakes serve thousands)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class FakeServer:
    """``with FakeServer(app) as srv: requests.get(srv.url + "/x")``."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self._server.server_port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> FakeServer:
        if self._server is not None:
            return self
        self._server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler
        )
        server = self._server
        self._thread = threading.Thread(
            # a short poll interval keeps stop() fast (shutdown waits for one poll)
            target=lambda: server.serve_forever(poll_interval=0.02),
            name=f"fake-{self.host}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
