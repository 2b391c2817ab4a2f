"""Tenant scoping: every query of tenant data goes through these helpers with an org id.

The org id always comes from the logged-in user's active membership, never from the browser.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from extensions import db

M = TypeVar("M")
MAX_ID = 2**31 - 1  # primary keys are PostgreSQL integers


def current_org_id() -> int:
    """The active organization of the logged-in user; 401/403 if there is none."""
    if not current_user.is_authenticated:
        abort(401)
    org_id = current_user.org_id
    if org_id is None:
        abort(403)
    return org_id


def current_membership() -> Any:
    if not current_user.is_authenticated:
        abort(401)
    membership = current_user.membership
    if membership is None:
        abort(403)
    return membership


def scoped(model: type[M], org_id: int) -> Select:
    """SELECT model rows of one organization."""
    return select(model).where(model.org_id == org_id)  # type: ignore[attr-defined]


def get_scoped(model: type[M], obj_id: Any, org_id: int) -> M | None:
    """One row by id, only if it belongs to the organization (else None)."""
    try:
        obj_id = int(obj_id)
    except (TypeError, ValueError):
        return None
    if not 0 < obj_id <= MAX_ID:  # beyond any id; the 32-bit column would overflow on it
        return None
    return db.session.execute(
        scoped(model, org_id).where(model.id == obj_id)  # type: ignore[attr-defined]
    ).scalar_one_or_none()


def get_scoped_or_404(model: type[M], obj_id: Any, org_id: int) -> M:
    """Another org's id looks exactly like a missing one: 404."""
    obj = get_scoped(model, obj_id, org_id)
    if obj is None:
        abort(404)
    return obj
