"""Slack incoming webhooks on 127.0.0.1 (https://api.slack.com/messaging/webhooks).

``POST /services/T…/B…/<secret>`` with a JSON body ``{"text": …, "blocks": […]}`` answers
``200 ok``; an unknown path answers ``404 no_service``, a body without text or blocks
``400 invalid_payload`` (Slack's plain-text error bodies). ``fake.messages`` keeps what arrived.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.server import FakeServer

HOOK_PATH = "/services/T0001/B0001/fakesecretfakesecret"


class FakeSlack(FakeServer):
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        super().__init__(self._wsgi)

    @property
    def webhook_url(self) -> str:
        return self.url + HOOK_PATH

    @Request.application
    def _wsgi(self, request: Request) -> Response:
        if request.method != "POST" or request.path != HOOK_PATH:
            return Response("no_service", status=404, content_type="text/plain")
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return Response("invalid_payload", status=400, content_type="text/plain")
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return Response("invalid_payload", status=400, content_type="text/plain")
        with self._lock:
            self.messages.append(body)
        return Response("ok", status=200, content_type="text/plain")
