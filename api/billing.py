"""Billing actions for owners and admins: POST /billing/plan (Checkout or plan change) and
POST /billing/portal (Stripe's customer portal). CSRF-protected forms on the billing page.

Tenant-scoped from current_user; members and viewers get 403; without STRIPE_SECRET_KEY
(self-hosted) every billing route is a 404.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    session,
)

from api.security import external_url
from extensions import app_config, db
from integrations.errors import IntegrationError
from models.permissions import Cap, can
from models.security import audit
from models.tenancy import current_membership, current_org_id

bp = Blueprint("billing", __name__, url_prefix="/billing")


def _guard() -> int:
    if not app_config().billing_enabled:
        abort(404)
    if not can(Cap.MANAGE_BILLING):
        abort(403)
    return current_org_id()


def _problem(message: str, status: int = 400):  # noqa: ANN202
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(error=message), status
    flash(message, "danger")
    return redirect("/billing", code=303)


@bp.post("/plan")
def choose_plan():  # noqa: ANN201
    """A live subscription switches plan (prorated); otherwise Stripe Checkout starts one."""
    from jobs import billing

    org_id = _guard()
    plan = (request.form.get("plan") or "").strip().lower()
    from plans import PLANS

    if plan not in PLANS:
        return _problem("Choose Starter, Growth or Scale.")
    try:
        if billing.has_live_subscription(org_id):
            flash(billing.change_plan(org_id, plan), "success")
            audit("billing.plan", org_id, plan=plan, via="plan change")
            db.session.commit()
            return redirect("/billing", code=303)
        checkout = billing.start_checkout(
            org_id,
            current_membership().user.email,
            plan,
            success_url=external_url("billing.done") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=_cfg_base() + "/billing",
        )
    except ValueError as exc:
        db.session.rollback()
        return _problem(str(exc))
    except IntegrationError as exc:
        db.session.rollback()
        current_app.logger.warning("Stripe checkout for org %s failed: %s", org_id, exc)
        return _problem("Stripe could not start the checkout; try again in a minute.", 502)
    audit("billing.plan", org_id, plan=plan, via="checkout")
    db.session.commit()
    return redirect(checkout.url, code=303)


@bp.post("/portal")
def portal():  # noqa: ANN201
    from jobs import billing

    org_id = _guard()
    try:
        url = billing.portal_url(org_id, _cfg_base() + "/billing")
    except ValueError as exc:
        return _problem(str(exc))
    except IntegrationError as exc:
        current_app.logger.warning("Stripe portal for org %s failed: %s", org_id, exc)
        return _problem("Stripe could not open the billing portal; try again in a minute.", 502)
    return redirect(url, code=303)


@bp.get("/done")
def done():  # noqa: ANN201
    """Checkout's success URL: the webhook brings the subscription; the page polls for it."""
    _guard()
    session["billing_checkout_pending"] = True  # the billing page polls until the webhook lands
    flash("Thanks! Your subscription starts as soon as Stripe confirms it.", "success")
    return redirect("/billing", code=303)


def _cfg_base() -> str:
    """APP_BASE_URL: Stripe sends the customer back there, never to the request's Host."""
    return app_config().base_url
