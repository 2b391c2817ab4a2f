"""Flask blueprints: auth pages, JSON API, cron, webhooks, OAuth callbacks, exports."""

from flask import Flask


def register_blueprints(server: Flask) -> None:
    from api import health, json_api

    server.register_blueprint(health.bp)
    server.register_blueprint(json_api.bp)
