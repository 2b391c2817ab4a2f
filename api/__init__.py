"""Flask blueprints: auth pages, JSON API, cron, webhooks, OAuth callbacks, exports."""

from flask import Flask


def register_blueprints(server: Flask) -> None:
    from api import connections, cron, health, json_api, webhooks

    server.register_blueprint(health.bp)
    server.register_blueprint(json_api.bp)
    server.register_blueprint(connections.bp)
    server.register_blueprint(cron.bp)
    server.register_blueprint(webhooks.bp)
