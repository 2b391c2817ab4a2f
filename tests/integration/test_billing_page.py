"""Billing page and routes: owners/admins only, tenant-scoped, CSRF, Checkout and plan changes."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from extensions import db
from models import Organization, Subscription, UsageEvent
from tests.conftest import csrf_headers, login
from tests.helpers.integrations_page import fire, route
from tests.helpers.tenancy import crawl_callbacks_as_org_a as _crawl_callbacks
from tests.helpers.tenancy import crawl_routes_with_org_b_ids as _crawl_routes
from tests.integration.billing_support import billing, customer_org, subscribe  # noqa: F401


def _plan(client, plan: str, headers: dict | None = None):  # noqa: ANN001, ANN202
    return client.post(
        "/billing/plan", data={"plan": plan}, headers=headers or csrf_headers(client)
    )


def test_owner_sees_plans_meters_and_trial(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    login(client, org["email"])
    body = route(client, app, "/billing")
    for text in (
        "Start 14-day trial of Growth",
        "Connections",
        "PDF exports this month",
        "Brain recomputes today",
        "No plan yet",
        "$1,499",
    ):
        assert text in body, text


def test_subscribed_page_shows_status_dates_usage_and_price_differences(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    subscribe(app, billing, org, "growth")
    with app.app_context():
        db.session.add_all([UsageEvent(org_id=org["org_id"], kind="pdf_export") for _ in range(7)])
        db.session.commit()
    login(client, org["email"])
    body = route(client, app, "/billing")
    assert "Growth · $799 / month" in body and "Active" in body and "Renews " in body
    assert "7 of 50" in body and "0 of 6" in body
    assert "Upgrade to Scale (+$700/month)" in body
    assert "Downgrade to Starter (−$300/month)" in body
    assert "Invoices & payment method" in body


def test_member_cannot_open_billing(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "member@acme.example", role="member")
    login(client, org["email"])
    body = route(client, app, "/billing")
    assert "Only owners and admins" in body and "billing-meter" not in body
    headers = csrf_headers(client)
    assert _plan(client, "growth", headers).status_code == 403
    assert client.post("/billing/portal", headers=headers).status_code == 403
    poll = fire(
        client, app, "billing-poll", [{"id": "billing-poll", "property": "n_intervals", "value": 1}]
    )
    assert poll.status_code == 204  # PreventUpdate: nothing rendered for a member
    assert billing.api_calls() == []
    assert "nav-billing" not in json.dumps(client.get("/_dash-layout").get_json())


def test_plan_post_needs_csrf(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    login(client, org["email"])
    resp = client.post("/billing/plan", data={"plan": "growth"})
    assert resp.status_code == 400 and billing.api_calls() == []


def test_checkout_redirects_to_stripe_with_trial_once(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    login(client, org["email"])
    first = _plan(client, "growth")
    assert first.status_code == 303
    assert first.headers["Location"].startswith(billing.url + "/c/pay/cs_test_")
    again = _plan(client, "growth")  # a double click: the same session, not a second one
    assert again.headers["Location"] == first.headers["Location"]
    assert len(billing.sessions) == 1
    session = next(iter(billing.sessions.values()))
    assert session["customer"] == org["customer"]
    assert session["_subscription_data"]["trial_period_days"] == "14"
    assert session["success_url"].endswith("/billing/done?session_id={CHECKOUT_SESSION_ID}")
    # bad plan: a message, nothing sent to Stripe
    calls = len(billing.api_calls())
    bad = _plan(client, "platinum")
    assert bad.status_code == 303 and len(billing.api_calls()) == calls


def test_second_subscription_has_no_trial(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    subscribe(app, billing, org, "starter", status="canceled")
    login(client, org["email"])
    assert _plan(client, "starter").status_code == 303
    session = next(iter(billing.sessions.values()))
    assert "trial_period_days" not in session["_subscription_data"]


def test_new_org_gets_a_customer_once(app, client, billing):  # noqa: F811
    from tests.conftest import make_org

    org = make_org(app, "Fresh", "owner@fresh.example")
    login(client, org["email"])
    _plan(client, "starter")
    _plan(client, "scale")
    assert len(billing.customers) == 1
    with app.app_context():
        row = db.session.get(Organization, org["org_id"])
        assert row.stripe_customer_id == next(iter(billing.customers))


def test_live_subscription_changes_plan_with_proration(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    sub = subscribe(app, billing, org, "starter")
    login(client, org["email"])
    resp = _plan(client, "growth")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/billing")
    assert billing.updates[-1]["proration_behavior"] == "create_prorations"
    assert billing.subscriptions[sub["id"]]["items"]["data"][0]["price"]["id"] == (
        "price_growth_monthly"
    )
    with app.app_context():
        assert db.session.scalar(select(Subscription.plan)) == "growth"
        assert db.session.get(Organization, org["org_id"]).plan == "growth"
    assert "Switched to Growth" in route(client, app, "/billing")


def test_portal_for_own_customer_only(app, client, billing, two_orgs):  # noqa: F811
    a, b = two_orgs
    with app.app_context():
        for org, cid in ((a, "cus_alpha"), (b, "cus_beta")):
            db.session.get(Organization, org["org_id"]).stripe_customer_id = cid
            billing.customers[cid] = {"id": cid, "object": "customer"}
        db.session.commit()
    login(client, a["email"])
    resp = client.post(
        "/billing/portal", data={"org_id": b["org_id"]}, headers=csrf_headers(client)
    )
    assert resp.status_code == 303 and "/p/session/bps_test_" in resp.headers["Location"]
    assert [s["customer"] for s in billing.portal_sessions.values()] == ["cus_alpha"]


def test_tenancy_crawl_with_billing_on(app, client, billing, two_orgs):  # noqa: F811
    """The cross-tenant crawl of every route and callback, billing switched on; B subscribed."""
    a, b = two_orgs
    with app.app_context():
        db.session.get(Organization, b["org_id"]).stripe_customer_id = "cus_beta-secret-account"
        db.session.commit()
    billing.customers["cus_beta-secret-account"] = {"id": "cus_beta-secret-account"}
    subscribe(app, billing, {**b, "customer": "cus_beta-secret-account"}, "scale")
    _crawl_callbacks(app, client, two_orgs)
    _crawl_routes(app, client, two_orgs)
    assert all(s["customer"] != "cus_beta-secret-account" for s in billing.sessions.values())
    assert all(s["customer"] != "cus_beta-secret-account" for s in billing.portal_sessions.values())


def test_self_hosted_hides_billing(app, client):
    from tests.conftest import make_org

    org = make_org(app, "Solo", "owner@solo.example")
    login(client, org["email"])
    assert "Page not found" in route(client, app, "/billing")
    assert _plan(client, "growth").status_code == 404
    assert client.post("/billing/portal", headers=csrf_headers(client)).status_code == 404
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert "nav-billing" not in layout and "billing-shell-banner" not in layout


def test_owner_banner_for_failed_payment(app, client, billing):  # noqa: F811
    import time

    org = customer_org(app, billing, "Acme", "owner@acme.example")
    subscribe(app, billing, org, "starter", status="past_due", period_start=int(time.time()))
    login(client, org["email"])
    layout = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert "billing-shell-banner" in layout and "Your last payment failed" in layout
    assert "nav-billing" in layout


def test_back_from_checkout_polls_until_the_webhook_lands(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    login(client, org["email"])
    location = _plan(client, "starter").headers["Location"]
    assert '"disabled":true' in route(client, app, "/billing").replace(" ", "")  # no poll yet
    assert client.get("/billing/done?session_id=x").status_code == 303
    assert '"disabled":false' in route(client, app, "/billing").replace(" ", "")

    def poll():  # noqa: ANN202
        resp = fire(
            client,
            app,
            "billing-poll",
            [{"id": "billing-poll", "property": "n_intervals", "value": 1}],
        )
        assert resp.status_code == 200
        return resp.get_json()["response"]

    assert poll()["billing-poll"]["disabled"] is False  # still waiting
    session = billing.complete_checkout(location.rsplit("/", 1)[1])
    body, headers = billing.signed(billing.event("checkout.session.completed", session))
    assert client.post("/webhooks/stripe", data=body, headers=headers).status_code == 200
    done = poll()
    assert done["billing-poll"]["disabled"] is True
    assert "Free trial" in json.dumps(done["billing-body"]["children"])


def test_ended_plan_offers_the_data_export(app, client, billing):  # noqa: F811
    import time

    org = customer_org(app, billing, "Acme", "owner@acme.example")
    subscribe(app, billing, org, "growth", status="canceled", period_end=int(time.time()) - 60)
    login(client, org["email"])
    body = route(client, app, "/billing")
    assert "Export your data" in body and "Your plan has ended" in body
    links = re.findall(r'"href": "(/exports/[^"]+)"', body)
    assert len(links) == 2
    for href in links:
        resp = client.get(href)
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "Choose Growth" in body  # no live plan: the buttons start a new subscription


def test_csp_lets_plan_forms_redirect_to_stripe_only_with_billing_on(app, client, billing):  # noqa: F811
    org = customer_org(app, billing, "Acme", "owner@acme.example")
    login(client, org["email"])
    policy = client.get("/billing").headers["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert "https://checkout.stripe.com" in form_action and billing.url in form_action


def test_csp_form_action_is_self_only_when_self_hosted(app, client):
    from tests.conftest import make_org

    org = make_org(app, "Acme", "owner@acme.example")
    login(client, org["email"])
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "form-action 'self';" in policy + ";" and "stripe" not in policy
