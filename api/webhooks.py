"""Shopify webhooks: verify the HMAC over the raw body, dedupe, act, answer fast.

Each app signs its webhooks with its own client secret, so a shop's webhooks are verified with
the ``app_secret`` stored on that shop's connection (and SHOPIFY_WEBHOOK_SECRET, for one app
shared by every shop). Topics:

* ``orders/create``, ``orders/updated`` - the order is upserted by an RQ job.
* ``app/uninstalled`` - the shop's connections are disabled and their tokens deleted.
* the mandatory compliance topics (shopify.dev/docs/apps/build/privacy-law-compliance):
  ``customers/data_request`` (we hold order ids, amounts and a customer id - nothing to
  send beyond that: acknowledged), ``customers/redact`` (the customer id is removed from their
  orders) and ``shop/redact`` (the shop's orders are deleted).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from api.security import parse_json
from extensions import app_config, csrf, db
from integrations.shopify import verify_webhook
from jobs.queue import get_queue
from jobs.webhooks import process_shopify_order
from models import Connection, Order, ProcessedEvent
from models.credentials import decrypt_credentials
from models.data import ConnectionStatus
from models.tenancy import tenant_meta, unscoped
from models.upsert import bump_data_version

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
ORDER_TOPICS = ("orders/create", "orders/updated")
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")


def _shop_connections(shop: str) -> list[Connection]:
    return list(
        db.session.execute(
            select(Connection)
            .where(Connection.platform == "shopify", Connection.external_account_id == shop)
            .order_by(Connection.id)
        ).scalars()
    )


def _secrets(connections: list[Connection]) -> list[str]:
    """Every secret that may have signed this shop's webhooks."""
    out = []
    for conn in connections:
        if conn.credentials_encrypted:
            secret = decrypt_credentials(conn.credentials_encrypted).get("app_secret")
            if secret:
                out.append(secret)
    cfg = app_config()
    # an OAuth app signs every shop's webhooks with its client secret
    shared = [s for s in (cfg.SHOPIFY_WEBHOOK_SECRET, cfg.SHOPIFY_CLIENT_SECRET) if s]
    return [*out, *shared]


@bp.post("/shopify")
@csrf.exempt  # authenticated by the HMAC signature
@unscoped("Shopify webhook: the signed shop domain picks its connections, of any org")
def shopify():  # noqa: ANN201
    raw = request.get_data(cache=False)
    shop = request.headers.get("X-Shopify-Shop-Domain", "").strip().lower()
    connections = _shop_connections(shop) if shop else []
    signature = request.headers.get("X-Shopify-Hmac-SHA256")
    if not any(verify_webhook(raw, signature, secret) for secret in _secrets(connections)):
        return jsonify(error="invalid signature"), 401
    topic = request.headers.get("X-Shopify-Topic", "")
    event_id = request.headers.get("X-Shopify-Webhook-Id", "")
    if not event_id:
        return jsonify(error="missing X-Shopify-Webhook-Id"), 400
    try:
        payload = parse_json(raw)
    except ValueError as exc:
        return jsonify(error=f"the body is not usable JSON: {exc}"[:200]), 400
    if not isinstance(payload, dict):
        return jsonify(error="the body must be a JSON object"), 400
    if topic not in (*ORDER_TOPICS, "app/uninstalled", *COMPLIANCE_TOPICS):
        return jsonify(status="ignored", topic=topic), 200
    active = [c for c in connections if c.status != ConnectionStatus.DISABLED]
    if topic in ORDER_TOPICS and not active:  # nothing of ours to update: store nothing
        return jsonify(status="ignored", reason="no connected shop with that domain"), 200
    db.session.add(ProcessedEvent(source="shopify", external_event_id=event_id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return jsonify(status="duplicate"), 200
    if topic == "app/uninstalled":
        return _uninstalled(connections)
    if topic in COMPLIANCE_TOPICS:
        return _compliance(topic, connections, payload)
    get_queue("sync").enqueue(
        process_shopify_order,
        active[0].id,
        payload,
        job_timeout=120,
        meta=tenant_meta(active[0].org_id),
    )
    return jsonify(status="queued"), 200


def _uninstalled(connections: list[Connection]):  # noqa: ANN202
    """The app was removed from the store: its token is dead - forget it, stop syncing."""
    ids = [c.id for c in connections]
    if ids:
        db.session.execute(
            update(Connection)
            .where(Connection.id.in_(ids))
            .values(
                status=ConnectionStatus.DISABLED,
                credentials_encrypted=None,
                last_error="The Omnify app was uninstalled from the store; connect it again "
                "to resume.",
            )
        )
        db.session.commit()
    return jsonify(status="disconnected", connections=len(ids)), 200


def _compliance(topic: str, connections: list[Connection], payload: dict):  # noqa: ANN202
    ids = [c.id for c in connections]
    if topic == "customers/data_request" or not ids:
        return jsonify(status="acknowledged"), 200
    if topic == "customers/redact":
        customer = payload.get("customer") or {}
        cid = customer.get("id") if isinstance(customer, dict) else None
        if cid is not None:
            db.session.execute(
                update(Order)
                .where(Order.connection_id.in_(ids), Order.customer_external_id == str(cid))
                .values(customer_external_id=None, raw=None)
            )
    else:  # shop/redact: 48 hours after uninstall, erase the shop's data
        db.session.execute(delete(Order).where(Order.connection_id.in_(ids)))
    for org_id in {c.org_id for c in connections}:
        bump_data_version(db.session, org_id)  # cached views must not show erased data
    db.session.commit()
    return jsonify(status="redacted"), 200
