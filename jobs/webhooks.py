"""RQ job: upsert one Shopify order from a webhook payload."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from extensions import app_config, db
from integrations.shopify import assign_first_orders, parse_order_webhook
from models import Connection, Order
from models.upsert import bump_data_version, upsert_orders


def process_shopify_order(connection_id: int, payload: dict) -> dict:
    connection = db.session.get(Connection, connection_id)
    if connection is None:
        return {"skipped": "connection removed"}
    order = parse_order_webhook(payload)
    known = {}
    if order["customer_id"]:
        row = db.session.execute(
            select(Order.placed_at, Order.external_id).where(
                Order.connection_id == connection_id,
                Order.is_first_order.is_(True),
                Order.customer_external_id == order["customer_id"],
                Order.external_id != order["order_id"],
            )
        ).first()
        if row is not None:
            placed = row.placed_at if row.placed_at.tzinfo else row.placed_at.replace(tzinfo=UTC)
            known[order["customer_id"]] = (placed, row.external_id)
    [order] = assign_first_orders([order], known)
    # One source of truth for the channel: the customerJourneySummary a sync reads. A webhook
    # carries none, so it keeps the stored channel (a new order gets it at the next sync).
    order["utm_source"] = db.session.execute(
        select(Order.utm_source).where(
            Order.connection_id == connection_id, Order.external_id == order["order_id"]
        )
    ).scalar_one_or_none()
    upsert_orders(db.session, connection.org_id, connection.id, [order])
    bump_data_version(db.session, connection.org_id)
    db.session.commit()

    from jobs.brain import enqueue_recompute

    # A refund changes revenue: the brain must see it; a burst of orders shares one recompute.
    enqueue_recompute(connection.org_id, app_config().RECOMPUTE_COALESCE_S)
    return {"order_id": order["order_id"]}
