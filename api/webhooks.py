"""Shopify webhooks: verify the HMAC over the raw body, dedupe, hand the work to RQ, answer fast."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.security import parse_json
from extensions import csrf, db
from integrations.shopify import verify_webhook
from jobs.queue import get_queue
from jobs.webhooks import process_shopify_order
from models import Connection, ProcessedEvent

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
ORDER_TOPICS = ("orders/create", "orders/updated")


@bp.post("/shopify")
@csrf.exempt  # authenticated by the HMAC signature
def shopify():  # noqa: ANN201
    raw = request.get_data(cache=False)
    secret = current_app.config["OMNIFY"].SHOPIFY_WEBHOOK_SECRET
    if not secret or not verify_webhook(raw, request.headers.get("X-Shopify-Hmac-SHA256"), secret):
        return jsonify(error="invalid signature"), 401
    topic = request.headers.get("X-Shopify-Topic", "")
    event_id = request.headers.get("X-Shopify-Webhook-Id", "")
    shop = request.headers.get("X-Shopify-Shop-Domain", "").lower()
    if not event_id:
        return jsonify(error="missing X-Shopify-Webhook-Id"), 400
    try:
        payload = parse_json(raw)
    except ValueError as exc:
        return jsonify(error=f"the body is not usable JSON: {exc}"[:200]), 400
    if not isinstance(payload, dict):
        return jsonify(error="the body must be a JSON object"), 400
    if topic not in ORDER_TOPICS:
        return jsonify(status="ignored", topic=topic), 200
    connection = (
        db.session.execute(
            select(Connection).where(
                Connection.platform == "shopify",
                Connection.external_account_id == shop,
                Connection.status != "disabled",
            )
        )
        .scalars()
        .first()
    )
    if connection is None:
        return jsonify(status="ignored", reason="no connected shop with that domain"), 200
    db.session.add(ProcessedEvent(source="shopify", external_event_id=event_id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return jsonify(status="duplicate"), 200
    get_queue().enqueue(process_shopify_order, connection.id, payload, job_timeout=120)
    return jsonify(status="queued"), 200
