"""Security wiring of the web app, registered by `init_app(server, dash_app)`:

* every external link is built from APP_BASE_URL (`external_url`), never from the request's Host;
  a request naming a Host outside TRUSTED_HOSTS is a 400 before any view runs;
* ProxyFix for TRUSTED_PROXIES reverse proxies (client address, scheme, host);
* Content-Security-Policy with the sha256 hashes of Dash's inline scripts, HSTS in production
  (flask-talisman);
* tokens are redacted from request logs (werkzeug's dev server and gunicorn's access log);
* odd input that would overflow Python or the database is a 4xx.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, jsonify, request, url_for
from markupsafe import escape
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from extensions import app_config

# Path segments after these prefixes are credentials (reset, invite, sign-up links).
_TOKEN_PATH = re.compile(r"(/(?:reset|invite|signup/confirm)/)[^/\s?\"']+")
# Query parameters that carry credentials (OAuth code and state, tokens).
_TOKEN_QUERY = re.compile(r"(?i)([?&](?:code|state|token|access_token|key)=)[^&\s\"']+")
REDACTED = "[redacted]"
MAX_JSON_DEPTH = 64  # Shopify orders nest about 6 deep


def redact(text: str) -> str:
    """The text with reset/invite/sign-up tokens and OAuth codes replaced by [redacted]."""
    return _TOKEN_QUERY.sub(r"\1" + REDACTED, _TOKEN_PATH.sub(r"\1" + REDACTED, text))


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mails and OAuth: APP_BASE_URL + the route's path."""
    return app_config().base_url + url_for(endpoint, **values)


def parse_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads that refuses documents nested deeper than max_depth (ValueError)."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {max_depth} levels") from None
    stack = [(value, 1)]
    while stack:  # iterative: a deep document must not recurse here either
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > max_depth:
                raise ValueError(f"JSON nested deeper than {max_depth} levels")
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return value


class RedactingFilter(logging.Filter):
    """Redacts tokens from a log record's message (request lines, printed links)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


try:  # gunicorn is a production dependency; the dev server does not need it
    from gunicorn.glogging import Logger as _GunicornLogger

    class RedactingGunicornLogger(_GunicornLogger):
        """gunicorn --logger-class api.security.RedactingGunicornLogger: access log sans tokens."""

        def atoms(self, resp, req, environ, request_time):  # noqa: ANN001, ANN201
            atoms = super().atoms(resp, req, environ, request_time)
            for key in ("r", "U", "q", "f", "{raw_uri}e"):
                if isinstance(atoms.get(key), str):
                    atoms[key] = redact(atoms[key])
            return atoms

except ImportError:  # pragma: no cover
    pass


def csp_policy(dash_app: Any, logrocket: bool = False) -> dict[str, Any]:
    """A strict CSP Dash lives with: Dash's inline scripts by hash, no 'unsafe-eval'."""
    script_src = ["'self'", *dash_app.csp_hashes()]
    connect_src = ["'self'"]
    if logrocket:
        script_src.append("https://cdn.lr-ingest.io")
        connect_src.append("https://*.lr-ingest.io")
    return {
        "default-src": "'self'",
        "script-src": script_src,
        # Plotly and Dash components set style attributes and inject <style> at run time.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": connect_src,
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def stripe_origins(cfg: Any) -> list[str]:
    """Where Stripe's Checkout and portal live (and the local fake's origin in tests)."""
    origins = ["https://checkout.stripe.com", "https://billing.stripe.com"]
    if cfg.STRIPE_API_BASE:
        parts = urlsplit(cfg.STRIPE_API_BASE)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def init_app(server: Flask, dash_app: Any) -> None:
    """Register everything above; call last in the factory (the CSP hashes Dash's scripts)."""
    from flask_talisman import Talisman
    from werkzeug.middleware.proxy_fix import ProxyFix

    cfg = server.config["OMNIFY"]
    if cfg.TRUSTED_PROXIES:
        n = cfg.TRUSTED_PROXIES
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    @server.after_request
    def _stripe_form_action(resp):  # noqa: ANN001, ANN202 - runs after Talisman's own hook
        # Plan and portal forms answer with a redirect to Stripe; form-action covers redirects.
        cfg = server.config["OMNIFY"]
        policy = resp.headers.get("Content-Security-Policy")
        if cfg.billing_enabled and policy:
            resp.headers["Content-Security-Policy"] = policy.replace(
                "form-action 'self'", "form-action 'self' " + " ".join(stripe_origins(cfg))
            )
        return resp

    Talisman(
        server,
        content_security_policy=csp_policy(dash_app, logrocket=bool(cfg.LOGROCKET_APP_ID)),
        force_https=False,  # TLS ends at the proxy, which redirects http; HSTS pins browsers
        strict_transport_security=cfg.production,
        strict_transport_security_include_subdomains=False,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",  # Flask-WTF checks Referer on https
        session_cookie_secure=cfg.production,
    )

    redactor = RedactingFilter()
    for name in ("werkzeug", "gunicorn.access", "integrations.mail"):
        logging.getLogger(name).addFilter(redactor)

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(err: RequestEntityTooLarge):  # noqa: ANN202
        limit = server.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        if request.path == "/imports/upload":  # the one route with its own limit
            limit = server.config["OMNIFY"].IMPORT_MAX_BYTES // (1024 * 1024)
            return jsonify(error=f"the file is larger than {limit} MB; split the export"), 413
        return jsonify(error=f"the request body is larger than {limit} MB"), 413

    from dash.exceptions import DependencyException

    @server.errorhandler(DependencyException)
    def _no_such_bundle(err: DependencyException):  # noqa: ANN202 - unknown Dash asset path
        return jsonify(error="not found"), 404

    @server.errorhandler(RecursionError)
    def _too_deep(err: RecursionError):  # noqa: ANN202
        return jsonify(error="the request is nested too deeply"), 400

    @server.errorhandler(BadRequest)
    def _bad_request(err: BadRequest):  # noqa: ANN202 - unknown Host, undecodable body, ...
        if request.path.startswith(("/api/", "/_dash", "/webhooks/", "/connections/")):
            return jsonify(error=err.description or "bad request"), 400
        return f"<h1>Bad request</h1><p>{escape(err.description or '')}</p>", 400
