"""Billing test support: an app with Stripe switched on against the local fake Stripe."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask

from extensions import db
from tests.conftest import make_org
from tests.fakes.stripe_api import API_KEY, WEBHOOK_SECRET, FakeStripe


@pytest.fixture
def billing(
    app: Flask, fake_stripe: FakeStripe, request: pytest.FixtureRequest
) -> Iterator[FakeStripe]:
    """Billing on (STRIPE_* pointing at the fake) for this test; self-hosted again after."""
    old = app.config["OMNIFY"]
    smtp = request.getfixturevalue("smtp_server") if "smtp_server" in request.fixturenames else None
    prices = fake_stripe.price_ids
    app.config["OMNIFY"] = dataclasses.replace(
        old,
        STRIPE_SECRET_KEY=API_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=fake_stripe.url,
        STRIPE_PRICE_STARTER=prices["starter"],
        STRIPE_PRICE_GROWTH=prices["growth"],
        STRIPE_PRICE_SCALE=prices["scale"],
        SMTP_URL=smtp.url if smtp else old.SMTP_URL,
    )
    try:
        yield fake_stripe
    finally:
        app.config["OMNIFY"] = old


def customer_org(app: Flask, fake: FakeStripe, name: str, email: str, role: str = "owner") -> dict:
    """An org whose Stripe customer exists in the fake."""
    org = make_org(app, name, email, role=role)
    from models import Organization

    with app.app_context():
        row = db.session.get(Organization, org["org_id"])
        cid = f"cus_test_{org['org_id']:06d}x"
        fake.customers[cid] = {"id": cid, "object": "customer", "email": email, "metadata": {}}
        row.stripe_customer_id = cid
        db.session.commit()
    org["customer"] = cid
    return org


def subscribe(
    app: Flask, fake: FakeStripe, org: dict, plan: str = "starter", status: str = "active", **kw
) -> dict:
    """A subscription in the fake, stored for the org as the webhook would store it."""
    from integrations.billing import normalize_subscription
    from models import Organization
    from models.billing import apply_subscription

    sub = fake.new_subscription(org["customer"], plan, metadata={"org_id": str(org["org_id"])})
    fake.set_subscription(sub["id"], status=status, **kw)
    with app.app_context():
        apply_subscription(
            db.session.get(Organization, org["org_id"]),
            normalize_subscription(sub, fake.price_ids),
        )
        db.session.commit()
    return sub
