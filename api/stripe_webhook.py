"""POST /webhooks/stripe: verified with stripe.Webhook.construct_event, deduplicated on the
event id, applied in the same transaction as its ProcessedEvent row.

A bad signature, a stale timestamp or a body that is not JSON → 400 and nothing changes. A
repeated event id → 200 "duplicate" and nothing changes. Stripe unreachable while we
re-fetch the subscription → 503 and nothing is recorded, so Stripe delivers it again.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from extensions import app_config, csrf, db
from integrations.billing import HANDLED_EVENTS, SignatureInvalid, construct_event
from integrations.errors import BadResponse, IntegrationError
from models import ProcessedEvent
from models.tenancy import unscoped

bp = Blueprint("stripe_webhook", __name__, url_prefix="/webhooks")


@bp.post("/stripe")
@csrf.exempt  # authenticated by the Stripe-Signature header
@unscoped("Stripe webhook: the signed event names a customer, of any org")
def stripe_webhook():  # noqa: ANN201
    cfg = app_config()
    if not cfg.billing_enabled:
        return jsonify(error="billing is not enabled on this server"), 404
    raw = request.get_data(cache=False)
    try:
        event = construct_event(
            raw, request.headers.get("Stripe-Signature"), cfg.STRIPE_WEBHOOK_SECRET
        )
    except SignatureInvalid as exc:
        current_app.logger.warning("Stripe webhook refused: %s", exc)
        return jsonify(error="invalid signature"), 400
    except BadResponse:
        return jsonify(error="the body is not a Stripe event"), 400
    if event["type"] not in HANDLED_EVENTS:
        return jsonify(status="ignored", type=event["type"]), 200
    from jobs.billing import handle_event

    db.session.add(ProcessedEvent(source="stripe", external_event_id=str(event["id"])))
    try:
        db.session.flush()  # a concurrent twin waits here, then fails on the unique key
    except IntegrityError:
        db.session.rollback()
        return jsonify(status="duplicate"), 200
    try:
        outcome = handle_event(event)
    except IntegrationError as exc:
        db.session.rollback()
        current_app.logger.warning("Stripe event %s not applied yet: %s", event["id"], exc)
        return jsonify(error="could not apply the event now; Stripe will retry"), 503
    except ValueError as exc:  # e.g. a subscription that moved to another customer's org
        db.session.rollback()
        current_app.logger.warning("Stripe event %s ignored: %s", event["id"], exc)
        return jsonify(status="ignored", reason=str(exc)), 200
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return jsonify(status="duplicate"), 200
    return jsonify(status=outcome), 200
