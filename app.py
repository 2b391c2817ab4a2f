"""The application factory: Flask server + Dash app, each part registered through its init_app.

`python app.py` serves it on 127.0.0.1:8050; `flask --app app ...` runs the CLI.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from flask import Flask, g, jsonify, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf

from config import ROOT, Config
from extensions import csrf, db, limiter, migrate


def warn_api_versions(config: Config, logger: logging.Logger, today: object = None) -> list[str]:
    """Log (and return) a warning per configured API version within 60 days of its sunset."""
    from integrations.versions import status
    from jobs.connectors import VERSION_FIELD, api_version

    out = []
    for platform in VERSION_FIELD:
        st = status(platform, api_version(config, platform), today)  # type: ignore[arg-type]
        if st.state != "ok":
            logger.warning("API version: %s", st.message)
            out.append(st.message)
    return out


def create_app(config: Config | None = None) -> Flask:
    """Build the Flask server and its Dash app. Returns the Flask app (Dash at extensions)."""
    config = config or Config.from_env()
    server = Flask(__name__, static_folder=None)
    server.config.update(config.flask_settings())
    _configure_logging(config)
    _dev_credentials_key(server, config)
    warn_api_versions(config, server.logger)
    register_extensions(server, config)
    register_blueprints(server)
    register_errorhandlers(server)
    dash_app = _create_dash(server)
    register_security(server, dash_app)
    register_cli(server)
    _observability(server)  # last: its before_request runs after the login guard
    return server


def register_extensions(server: Flask, config: Config) -> None:
    """Database (+ tenant scoping), migrations, rate limits, login + guard, CSRF, the queue."""
    db.init_app(server)
    from models import tenancy

    tenancy.init_app(server)  # every tenant query scoped to the current org (models/tenancy.py)
    migrate.init_app(server, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    limiter.init_app(server)
    from api import auth

    auth.init_app(server)  # login manager + guard: BEFORE CSRFProtect (anonymous POST -> 401)
    from api.imports import allow_large_uploads

    allow_large_uploads(server)  # BEFORE CSRFProtect reads the form
    csrf.init_app(server)
    from jobs import queue

    queue.init_app(server, start_worker=config.ENV != "testing")


def register_blueprints(server: Flask) -> None:
    from api import register_blueprints as register_api

    register_api(server)


def register_security(server: Flask, dash_app: dash.Dash) -> None:
    """The CSRF cookie Dash reads, then host check, proxies, CSP/HSTS, log redaction, limits
    (last: the CSP hashes Dash's scripts)."""
    _security_headers(server)
    from api import security

    security.init_app(server, dash_app)


def register_cli(server: Flask) -> None:
    from api.cli import register_cli as register_commands

    register_commands(server)


def get_dash(server: Flask) -> dash.Dash:
    return server.extensions["dash_app"]


def _create_dash(server: Flask) -> dash.Dash:
    from api.logrocket import scripts
    from callbacks import register_callbacks, serve_layout, validation_layout
    from layouts.serving import init_serving, lean_dash
    from layouts.wiring import check_wiring, skeleton

    app = lean_dash(
        __name__,
        "Omnify Brain",
        "Omnify Brain marketing intelligence",
        server=server,
        external_stylesheets=[],
        external_scripts=scripts(server.config["OMNIFY"].LOGROCKET_APP_ID),  # session replay
    )
    app.validation_layout = skeleton(validation_layout())  # first: else Dash calls layout
    app.layout = serve_layout
    app.first_paint_paths = ("/", "/analytics")  # they paint before their JavaScript has run
    app.layout_cache_key = lambda: str(current_user.get_id()) if _signed_in() else None
    register_callbacks(app)
    check_wiring(app)  # a callback naming an id or property no layout has fails start-up
    server.extensions["dash_app"] = app

    init_serving(server)  # plotly-basic lazily, no polyfill, brotli-compressed bundles

    @server.before_request
    def _dash_request_shape():  # noqa: ANN202 - a malformed callback request is a 400, not a 500
        if request.path.endswith("/_dash-update-component") and request.method == "POST":
            body = request.get_json(silent=True)
            problem = callback_request_problem(body, app.callback_map)
            if problem:
                return jsonify(error=f"malformed callback request: {problem}"), 400
            g.dash_callback = body["output"]  # a declared output: the metrics' callback label
        return None

    assert dbc  # imported for its components' registration with Dash
    return app


def callback_request_problem(body: object, callback_map: dict) -> str | None:
    """What is wrong with a /_dash-update-component body (None when it is well formed):
    its outputs, inputs and state must match the callback's declared shape, one by one."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("output"), str) or body["output"] not in callback_map:
        return "unknown output"
    spec = callback_map[body["output"]]
    declared = spec["output"] if isinstance(spec["output"], list) else [spec["output"]]
    outputs = body.get("outputs")
    if isinstance(spec["output"], list):
        if not isinstance(outputs, list) or len(outputs) != len(declared):
            return f"outputs must be a list of {len(declared)}"
    elif not isinstance(outputs, dict):
        return "outputs must be an object"
    else:
        outputs = [outputs]
    for entry, out in zip(outputs, declared, strict=True):
        if not _dependency_ok(entry, out.to_dict()):
            return "outputs do not match the callback"
    for key in ("inputs", "state"):
        deps = body.get(key, [])
        if not isinstance(deps, list):
            return f"{key} must be a list"
        if len(deps) != len(spec.get(key, [])):
            return f"wrong number of {key}"
        for entry, dep in zip(deps, spec.get(key, []), strict=True):
            if not _dependency_ok(entry, dep):
                return f"every {key} entry needs the declared id and property"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds must be a list of strings"
    return None


def _dependency_ok(entry: object, declared: dict) -> bool:
    """One input/state/output entry against its declaration ({"id": str, "property": str});
    a pattern id with ALL/ALLSMALLER takes a list of entries, one per matching component."""
    declared_id = declared["id"]
    pattern = json.loads(declared_id) if declared_id.startswith("{") else None
    many = pattern is not None and any(v in (["ALL"], ["ALLSMALLER"]) for v in pattern.values())
    if many and not isinstance(entry, list):
        return False
    for item in entry if many else [entry]:
        if not isinstance(item, dict) or not isinstance(item.get("property"), str):
            return False
        if item["property"].split("@")[0] != declared["property"].split("@")[0]:
            return False  # "@hash": an allow_duplicate output
        if pattern is None and item.get("id") != declared_id:
            return False
        if pattern is not None and not _id_matches(item.get("id"), pattern):
            return False
    return True


def _id_matches(ident: object, pattern: dict) -> bool:
    """A concrete pattern-matching id: the same keys, the fixed values equal, wildcards filled
    with a scalar (string, number, boolean, null: the callbacks treat odd ones as unknown)."""
    if not isinstance(ident, dict) or set(ident) != set(pattern):
        return False
    for key, want in pattern.items():
        if want in (["ALL"], ["MATCH"], ["ALLSMALLER"]):
            if ident[key] is not None and not isinstance(ident[key], str | int | float | bool):
                return False
        elif ident[key] != want:
            return False
    return True


def _security_headers(server: Flask) -> None:
    @server.after_request
    def _headers(resp):  # noqa: ANN001, ANN202
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        # Dash's renderer reads _csrf_token and sends X-CSRFToken (docs/recipes.md §1):
        # readable by JS, so not HttpOnly; skipped on cacheable bundles and assets.
        if _signed_in() and not request.path.startswith(("/_dash-component-suites/", "/assets/")):
            resp.set_cookie(
                "_csrf_token",
                generate_csrf(),
                samesite="Lax",
                secure=server.config["SESSION_COOKIE_SECURE"],
                httponly=False,
            )
        return resp


def register_errorhandlers(server: Flask) -> None:
    """Plain answers, never a stack trace: JSON for the API and Dash, a line of HTML else."""

    @server.errorhandler(CSRFError)
    def _csrf_error(err: CSRFError):  # noqa: ANN202
        if request.path.startswith(("/api/", "/_dash")) or request.is_json:
            return jsonify(error="CSRF token missing or invalid; reload the page"), 400
        return (
            "<p>Your form expired or came from another site. "
            f"<a href='{url_for('auth.login')}'>Try again</a>.</p>",
            400,
        )

    @server.errorhandler(404)
    def _not_found(err: Exception):  # noqa: ANN202
        if request.path.startswith(("/api/", "/_dash")):
            return jsonify(error="not found"), 404
        return "<h1>Not found</h1><p><a href='/'>Back to the dashboard</a></p>" + _rid(), 404

    @server.errorhandler(403)
    def _forbidden(err: Exception):  # noqa: ANN202
        return jsonify(error="forbidden"), 403

    @server.errorhandler(500)
    def _server_error(err: Exception):  # noqa: ANN202 - never a stack trace for users
        return _error_page("internal error; it has been logged", 500)

    from sqlalchemy.exc import DBAPIError

    @server.errorhandler(DBAPIError)
    def _database_down(err: DBAPIError):  # noqa: ANN202 - a restart: 503, the pool recovers
        from extensions import db

        server.logger.error("database error: %s", type(err.orig or err).__name__)
        db.session.rollback()
        return _error_page("the database is unavailable; try again in a moment", 503)

    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    @server.errorhandler(RedisConnectionError)
    @server.errorhandler(RedisTimeoutError)
    def _queue_down(err: Exception):  # noqa: ANN202 - pages still work; background work waits
        server.logger.error("job queue (Redis) unavailable: %s", type(err).__name__)
        return _error_page(
            "the job queue is unavailable, so this could not be started; nothing was lost, "
            "try again in a minute",
            503,
        )


def _signed_in() -> bool:
    """current_user.is_authenticated, False when the user cannot be loaded (database down)."""
    from sqlalchemy.exc import DBAPIError

    try:
        return bool(current_user.is_authenticated)
    except DBAPIError:
        return False


def _rid() -> str:
    """The request id line of an HTML error page (support finds the request's log with it)."""
    rid = g.get("request_id")
    return f"<p>Request id: <code>{rid}</code></p>" if rid else ""


def _error_page(message: str, status: int):  # noqa: ANN202
    rid = g.get("request_id")
    if request.path.startswith(("/api/", "/_dash")) or request.is_json:
        return jsonify(error=message, request_id=rid), status
    return f"<h1>Sorry</h1><p>{message.capitalize()}.</p>{_rid()}", status


def _configure_logging(config: Config) -> None:
    from ops import errors, logs

    logs.configure(config.log_format)
    errors.init_sentry(config.SENTRY_DSN, config.ENV)


def _observability(server: Flask) -> None:
    """Request ids, the per-request log line and metrics, Sentry's user/org tags (ops/)."""
    from ops import errors, logs

    def who() -> tuple[int | None, int | None]:
        user = g.get("_login_user")  # only if this request loaded it: no query of our own
        if user is None or not getattr(user, "is_authenticated", False):
            return None, None
        try:
            return user.id, user.org_id
        except Exception:  # noqa: BLE001 - a broken session must not break the log line
            return None, None

    logs.init_app(server, who)

    @server.before_request
    def _tag_errors() -> None:  # after the login guard (registered last): the user is loaded
        user_id, org_id = who()
        if user_id is not None:
            errors.tag_scope(user_id, org_id)


def _dev_credentials_key(server: Flask, config: Config) -> None:
    """Outside production a missing CREDENTIALS_KEY gets a generated key kept under instance/."""
    if config.CREDENTIALS_KEY or config.production:
        return
    from cryptography.fernet import Fernet

    if config.ENV == "testing":
        server.config["DEV_CREDENTIALS_KEY"] = Fernet.generate_key().decode()
        return
    path = Path(ROOT / "instance" / "credentials.key")
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
        os.chmod(path, 0o600)
    server.config["DEV_CREDENTIALS_KEY"] = path.read_text().strip()


if __name__ == "__main__":
    flask_app = create_app()
    get_dash(flask_app).run(host="127.0.0.1", port=int(os.environ.get("PORT", 8050)), debug=False)
