"""Flask blueprints: auth pages, JSON API, cron, webhooks, OAuth callbacks, exports."""

from flask import Flask


def register_blueprints(server: Flask) -> None:
    from api import (
        billing,
        connections,
        cron,
        exports,
        health,
        imports,
        json_api,
        logrocket,
        metrics,
        report,
        sample,
        settings,
        stripe_webhook,
        webhooks,
    )

    server.register_blueprint(exports.bp)
    server.register_blueprint(health.bp)
    server.register_blueprint(metrics.bp)
    server.register_blueprint(logrocket.bp)
    server.register_blueprint(imports.bp)
    server.register_blueprint(json_api.bp)
    server.register_blueprint(connections.bp)
    server.register_blueprint(cron.bp)
    server.register_blueprint(webhooks.bp)
    server.register_blueprint(report.bp)
    server.register_blueprint(sample.bp)
    server.register_blueprint(billing.bp)
    server.register_blueprint(stripe_webhook.bp)
    server.register_blueprint(settings.bp)
