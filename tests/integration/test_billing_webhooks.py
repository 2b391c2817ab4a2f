"""POST /webhooks/stripe: signature, dedupe, out-of-order deliveries, each handled event type.

Events are built and signed by the fake exactly as Stripe sends them; the app verifies them
with stripe.Webhook.construct_event and re-fetches the subscription from the fake.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from extensions import db
from models import Organization, ProcessedEvent, Subscription
from tests.conftest import csrf_headers, login
from tests.fakes.stripe_api import sign
from tests.integration.billing_support import billing, customer_org, subscribe  # noqa: F401


def _post(client, fake, event, timestamp=None, headers=None):  # noqa: ANN001, ANN202
    body, signed = fake.signed(event, timestamp=timestamp)
    return client.post("/webhooks/stripe", data=body, headers={**signed, **(headers or {})})


def _subs(app) -> list[Subscription]:  # noqa: ANN001
    with app.app_context():
        return list(db.session.scalars(select(Subscription).order_by(Subscription.id)))


def _processed(app) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count(ProcessedEvent.id)))


def _sub_event(fake, org, kind="customer.subscription.created", **changes):  # noqa: ANN001, ANN202
    sub = fake.new_subscription(org["customer"], "starter", trial_days=14)
    if changes:
        fake.set_subscription(sub["id"], **changes)
    return sub, fake.event(kind, sub)


def test_bad_signature_is_400_and_changes_nothing(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    _, event = _sub_event(billing, org)
    body, headers = billing.signed(event)
    forged = {**headers, "Stripe-Signature": sign(body, "whsec_someone_else")}
    assert client.post("/webhooks/stripe", data=body, headers=forged).status_code == 400
    tampered = body.replace(b'"trialing"', b'"active"')
    assert client.post("/webhooks/stripe", data=tampered, headers=headers).status_code == 400
    assert client.post("/webhooks/stripe", data=body).status_code == 400  # no header
    assert _subs(app) == [] and _processed(app) == 0


def test_stale_timestamp_is_400(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    _, event = _sub_event(billing, org)
    resp = _post(client, billing, event, timestamp=int(time.time()) - 600)  # tolerance is 300 s
    assert resp.status_code == 400
    assert _subs(app) == [] and _processed(app) == 0
    assert _post(client, billing, event).status_code == 200  # the same event, signed now
    assert len(_subs(app)) == 1


def test_not_json_is_400(app, client, billing):  # noqa: F811
    body = b"not json"
    resp = client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": sign(body)})
    assert resp.status_code == 400


def test_replayed_event_is_processed_once(app, client, billing, smtp_server):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    sub, _ = _sub_event(billing, org)
    event = billing.event("customer.subscription.trial_will_end", sub)
    first = _post(client, billing, event)
    second = _post(client, billing, event)
    assert first.get_json()["status"].startswith("applied")
    assert second.get_json() == {"status": "duplicate"}
    assert _processed(app) == 1 and len(_subs(app)) == 1
    trial_mails = [m for m in smtp_server.messages if "trial ends" in m.subject]
    assert len(trial_mails) == 1 and trial_mails[0].rcpt_tos == ["owner@acme.example"]


def test_updated_before_created_keeps_the_newest_state(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    sub, created = _sub_event(billing, org)  # snapshot: trialing on Starter
    billing.set_subscription(sub["id"], status="active", plan="growth", trial_end=None)
    updated = billing.event("customer.subscription.updated", sub)  # snapshot: active Growth
    assert _post(client, billing, updated).status_code == 200
    assert _post(client, billing, created).status_code == 200  # arrives late
    [row] = _subs(app)
    assert (row.status, row.plan) == ("active", "growth")
    with app.app_context():
        assert db.session.get(Organization, org["org_id"]).plan == "growth"


def test_payment_failed_after_a_later_paid_stays_active(app, client, billing, smtp_server):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    sub = subscribe(app, billing, org, status="past_due")
    failed = billing.event(
        "invoice.payment_failed", billing.invoice(sub["id"], "open"), created=int(time.time()) - 60
    )
    billing.set_subscription(sub["id"], status="active")  # the retry succeeded
    paid = billing.event("invoice.paid", billing.invoice(sub["id"], "paid"))
    assert _post(client, billing, paid).status_code == 200
    assert _post(client, billing, failed).status_code == 200  # the older failure arrives last
    [row] = _subs(app)
    assert row.status == "active"
    assert not [m for m in smtp_server.messages if "Payment failed" in m.subject]


def test_payment_failed_marks_past_due_and_mails_owners(app, client, billing, smtp_server):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    sub = subscribe(app, billing, org, status="active")
    billing.set_subscription(sub["id"], status="past_due")
    event = billing.event("invoice.payment_failed", billing.invoice(sub["id"], "open"))
    assert _post(client, billing, event).status_code == 200
    assert _subs(app)[0].status == "past_due"
    [mail] = [m for m in smtp_server.messages if "Payment failed" in m.subject]
    assert mail.rcpt_tos == ["owner@acme.example"] and "7 days" in mail.text()


def test_checkout_completed_starts_the_trial(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    from jobs.billing import start_checkout

    with app.test_request_context():
        checkout = start_checkout(
            org["org_id"], "owner@acme.example", "growth", "http://x/ok", "http://x/no"
        )
    session = billing.complete_checkout(checkout.id)
    assert (
        _post(client, billing, billing.event("checkout.session.completed", session)).status_code
        == 200
    )
    [row] = _subs(app)
    assert (row.status, row.plan) == ("trialing", "growth")
    trial_end = row.trial_end if row.trial_end.tzinfo else row.trial_end.replace(tzinfo=UTC)
    assert abs(trial_end - (datetime.now(UTC) + timedelta(days=14))) < timedelta(minutes=5)


def test_deleted_subscription_is_canceled_and_read_only(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    sub = subscribe(app, billing, org, status="active")
    billing.set_subscription(sub["id"], status="canceled", period_end=int(time.time()) - 60)
    event = billing.event("customer.subscription.deleted", sub)
    assert _post(client, billing, event).status_code == 200
    assert _subs(app)[0].status == "canceled"
    from models.billing import access_for

    with app.app_context():
        acc = access_for(org["org_id"])
    assert acc.read_only and acc.export_only


def test_unknown_customer_and_other_types_are_ignored(app, client, billing):  # noqa: F811
    stranger = billing.new_subscription("cus_nobody", "scale")
    resp = _post(client, billing, billing.event("customer.subscription.updated", stranger))
    assert resp.status_code == 200 and "ignored" in resp.get_json()["status"]
    other = billing.event("charge.refunded", {"id": "ch_1", "object": "charge"})
    assert _post(client, billing, other).get_json()["status"] == "ignored"
    assert _subs(app) == []


def test_stripe_down_is_503_and_the_redelivery_applies(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    _, event = _sub_event(billing, org)
    billing.set_scenario(server_errors=10)
    assert _post(client, billing, event).status_code == 503
    assert _processed(app) == 0 and _subs(app) == []
    billing.reset()
    assert _post(client, billing, event).status_code == 200
    assert _subs(app)[0].status == "trialing"


def test_self_hosted_has_no_stripe_webhook(app, client):
    body = b"{}"
    resp = client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": sign(body)})
    assert resp.status_code == 404


def test_billing_changes_are_in_the_audit_log(app, client, billing):  # noqa: F811
    from models import AuditLog

    org = customer_org(app, billing, "Acme", "owner@acme.example")
    login(client, org["email"])
    client.post("/billing/plan", data={"plan": "growth"}, headers=csrf_headers(client))
    sub, created = _sub_event(billing, org)
    assert _post(client, billing, created).status_code == 200
    assert _post(client, billing, created).status_code == 200  # a replay records nothing
    with app.app_context():
        rows = db.session.execute(
            select(AuditLog.action, AuditLog.detail)
            .where(AuditLog.org_id == org["org_id"], AuditLog.action.like("billing.%"))
            .order_by(AuditLog.id)
        ).all()
    assert [(a, d.get("plan"), d.get("status")) for a, d in rows] == [
        ("billing.plan", "growth", None),
        ("billing.subscription", "starter", "trialing"),
    ]
