"""integrations/billing.py against the fake Stripe, through the official SDK."""

from __future__ import annotations

import pytest

from integrations.billing import BillingClient, SignatureInvalid, construct_event
from integrations.errors import AuthExpired, BadResponse, Transient
from tests.fakes.stripe_api import API_KEY, WEBHOOK_SECRET, decode_form, sign


@pytest.fixture
def stripe_client(fake_stripe):  # noqa: ANN001, ANN201
    return BillingClient(API_KEY, fake_stripe.price_ids, fake_stripe.url, max_network_retries=0)


def test_form_encoding_is_stripes_bracket_notation():
    pairs = [("line_items[0][price]", "p"), ("line_items[0][quantity]", "1"), ("metadata[a]", "b")]
    assert decode_form(pairs) == {
        "line_items": [{"price": "p", "quantity": "1"}],
        "metadata": {"a": "b"},
    }


def test_customer_create_is_idempotent(fake_stripe, stripe_client):  # noqa: ANN001
    first = stripe_client.create_customer(7, "Acme", "a@acme.example", "org7-customer")
    again = stripe_client.create_customer(7, "Acme", "a@acme.example", "org7-customer")
    assert first == again and len(fake_stripe.customers) == 1
    call = fake_stripe.api_calls("/v1/customers")[0]
    assert call.headers["Idempotency-Key"] == "org7-customer"
    assert call.headers["Authorization"] == f"Bearer {API_KEY}"
    assert call.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert call.form["metadata[org_id]"] == "7"
    with pytest.raises(BadResponse, match="idempotency"):
        stripe_client.create_customer(7, "Other name", "a@acme.example", "org7-customer")


def test_checkout_with_trial_then_plan_change_prorates(fake_stripe, stripe_client):  # noqa: ANN001
    cus = stripe_client.create_customer(7, "Acme", "a@acme.example", "k-cus")
    checkout = stripe_client.create_checkout(
        customer_id=cus,
        org_id=7,
        plan="starter",
        trial_days=14,
        success_url="http://app/ok",
        cancel_url="http://app/billing",
        idempotency_key="k-co",
    )
    assert checkout.url.startswith(fake_stripe.url + "/c/pay/cs_test_")
    form = fake_stripe.api_calls("/v1/checkout/sessions")[0].form
    assert form["mode"] == "subscription"
    assert form["line_items[0][price]"] == "price_starter_monthly"
    assert form["subscription_data[trial_period_days]"] == "14"
    sub_id = fake_stripe.complete_checkout(checkout.id)["subscription"]
    sub = stripe_client.retrieve_subscription(sub_id)
    assert (sub["status"], sub["plan"], sub["org_id"]) == ("trialing", "starter", "7")
    changed = stripe_client.change_plan(sub_id, "scale", "k-change")
    assert changed["plan"] == "scale"
    assert fake_stripe.updates[-1]["proration_behavior"] == "create_prorations"


def test_no_trial_means_no_trial_parameter(fake_stripe, stripe_client):  # noqa: ANN001
    cus = stripe_client.create_customer(7, "Acme", "a@acme.example", "k-cus")
    stripe_client.create_checkout(
        customer_id=cus,
        org_id=7,
        plan="growth",
        trial_days=0,
        success_url="http://app/ok",
        cancel_url="http://app/billing",
        idempotency_key="k-co2",
    )
    form = fake_stripe.api_calls("/v1/checkout/sessions")[0].form
    assert "subscription_data[trial_period_days]" not in form


def test_portal_and_errors(fake_stripe, stripe_client):  # noqa: ANN001
    cus = stripe_client.create_customer(7, "Acme", "a@acme.example", "k-cus")
    assert "/p/session/bps_test_" in stripe_client.portal_url(cus, "http://app/billing", "k-p")
    with pytest.raises(BadResponse) as missing:
        stripe_client.retrieve_subscription("sub_missing")
    assert (missing.value.status, missing.value.code) == (404, "resource_missing")
    with pytest.raises(AuthExpired):
        BillingClient("sk_test_wrong", fake_stripe.price_ids, fake_stripe.url).create_customer(
            1, "x", "x@x.example", "k-x"
        )
    fake_stripe.set_scenario(server_errors=1)
    with pytest.raises(Transient):
        stripe_client.retrieve_subscription("sub_missing")
    assert "sk_test" not in str(missing.value)


def test_construct_event_verifies_stripes_signature(fake_stripe):  # noqa: ANN001
    event = fake_stripe.event("invoice.paid", {"id": "in_1", "object": "invoice"})
    body, headers = fake_stripe.signed(event)
    assert construct_event(body, headers["Stripe-Signature"], WEBHOOK_SECRET)["id"] == event["id"]
    with pytest.raises(SignatureInvalid):
        construct_event(body, sign(body, "whsec_other"), WEBHOOK_SECRET)
    with pytest.raises(SignatureInvalid):
        construct_event(body, sign(body, WEBHOOK_SECRET, timestamp=1), WEBHOOK_SECRET)
