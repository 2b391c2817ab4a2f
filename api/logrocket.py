"""LogRocket session replay, only when LOGROCKET_APP_ID is set (app.py adds the scripts).

The init script is ours (served from our origin, so the CSP needs no inline script): every
input and textarea is masked (`inputSanitizer`), request and response bodies and headers are
dropped (`requestSanitizer` / `responseSanitizer`), and the user is identified by id only,
never name or e-mail. We keep no page-view counter of our own: LogRocket's sessions and
the server's request log answer "who used what" (README, Operations).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort
from flask_login import current_user

from extensions import app_config

bp = Blueprint("logrocket", __name__)
SDK_URL = "https://cdn.lr-ingest.io/LogRocket.min.js"
INIT_PATH = "/ops/logrocket-init.js"

INIT = """(function () {
  if (!window.LogRocket) { return; }
  window.LogRocket.init(%(app_id)s, {
    dom: { inputSanitizer: true, textSanitizer: false },
    network: {
      requestSanitizer: function (r) { r.headers = {}; r.body = null; return r; },
      responseSanitizer: function (r) { r.headers = {}; r.body = null; return r; }
    }
  });
  %(identify)s
})();
"""


def scripts(app_id: str) -> list[dict[str, str]]:
    """Dash's external_scripts: the SDK from LogRocket's CDN, then our init script."""
    if not app_id:
        return []
    return [{"src": SDK_URL, "crossorigin": "anonymous"}, {"src": INIT_PATH}]


@bp.get(INIT_PATH)
def init_script() -> Response:
    app_id = app_config().LOGROCKET_APP_ID
    if not app_id:
        abort(404)
    identify = ""
    if current_user.is_authenticated:
        identify = f"window.LogRocket.identify({json.dumps(str(current_user.id))});"
    body = INIT % {"app_id": json.dumps(app_id), "identify": identify}
    resp = Response(body, content_type="application/javascript")
    resp.headers["Cache-Control"] = "no-store"
    return resp
