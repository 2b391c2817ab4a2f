"""Explore with sample data: load the Lumen Beauty sample into an empty org, remove it in one
click. Owners and admins only; the org always comes from the logged-in user."""

from __future__ import annotations

from flask import Blueprint, flash, redirect

from extensions import db
from jobs.brain import enqueue_recompute
from models.permissions import Cap, role_can
from models.seed import SampleRefused, has_own_data, load_sample, remove_sample
from models.tenancy import current_membership, current_org_id

bp = Blueprint("sample", __name__)


def can_manage_sample(role: str | None) -> bool:
    """Who may load or remove sample data: who may change the org (models/permissions.py)."""
    return role_can(role, Cap.MANAGE_ORG)


@bp.post("/sample/load")
def load():  # noqa: ANN201
    org_id = current_org_id()
    if not can_manage_sample(current_membership().role):
        flash("Only owners and admins can load sample data.", "danger")
        return redirect("/onboarding")
    try:
        load_sample(org_id)
    except SampleRefused as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect("/integrations")
    db.session.commit()
    enqueue_recompute(org_id)
    return redirect("/")


@bp.post("/sample/remove")
def remove():  # noqa: ANN201
    org_id = current_org_id()
    if not can_manage_sample(current_membership().role):
        flash("Only owners and admins can remove sample data.", "danger")
        return redirect("/integrations")
    n = remove_sample(org_id)
    db.session.commit()
    if has_own_data(org_id):  # what remains is the org's own data: recompute from it
        enqueue_recompute(org_id)
    flash(
        f"Sample data removed ({n} sample connections and everything computed from them)."
        if n
        else "There was no sample data to remove.",
        "success",
    )
    return redirect("/integrations")
