"""Who may do what, in one place: roles -> capabilities, a check and a decorator.

Routes, Dash callbacks and jobs ask for a capability, never for a role:

    if can(Cap.MANAGE_CONNECTIONS): ...                       # a check (current user)
    @requires(Cap.ACT)                                        # a Flask view: 403 + reason
    @requires(Cap.MANAGE_CONNECTIONS, deny=lambda *a: ...)    # a Dash callback: its outputs

Roles (models/org.py ROLES): owner and admin may do everything; a member reads and acts on
the insights (decisions, events, recomputes, syncs); a viewer only reads.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask import abort, jsonify, make_response
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])


class Cap(StrEnum):
    VIEW = "view"  # every page, export and report
    ACT = "act"  # decide on actions, record/hide events, start a recompute or a sync
    MANAGE_CONNECTIONS = "manage_connections"  # connect, reconnect, disconnect platforms
    MANAGE_ORG = "manage_org"  # company profile, the onboarding wizard's steps
    MANAGE_TEAM = "manage_team"  # invite, change roles and personas, read the audit log
    MANAGE_BILLING = "manage_billing"  # plans, checkout, the Stripe portal


ROLE_CAPABILITIES: dict[str, frozenset[Cap]] = {
    "owner": frozenset(Cap),
    "admin": frozenset(Cap),
    "member": frozenset({Cap.VIEW, Cap.ACT}),
    "viewer": frozenset({Cap.VIEW}),
}

DENIED: dict[Cap, str] = {
    Cap.VIEW: "You are not a member of this organization.",
    Cap.ACT: "Viewers can read the insights but not change them; ask an admin or a member.",
    Cap.MANAGE_CONNECTIONS: "Only owners and admins can connect or disconnect platforms.",
    Cap.MANAGE_ORG: "Only owners and admins can change the company profile.",
    Cap.MANAGE_TEAM: "Only owners and admins can manage the team.",
    Cap.MANAGE_BILLING: "Only owners and admins can manage billing.",
}


def role_can(role: str | None, cap: Cap) -> bool:
    """Whether a membership role has the capability (an unknown role has none)."""
    return cap in ROLE_CAPABILITIES.get(role or "", frozenset())


def roles_with(cap: Cap) -> tuple[str, ...]:
    """The roles that have the capability (e.g. who hears about a failed sync)."""
    return tuple(role for role, caps in ROLE_CAPABILITIES.items() if cap in caps)


def current_role() -> str | None:
    """The logged-in user's role in their active organization (None: not logged in / no org)."""
    if not current_user.is_authenticated:
        return None
    membership = current_user.membership
    return membership.role if membership is not None else None


def can(cap: Cap) -> bool:
    """Whether the logged-in user may do this in their active organization."""
    return role_can(current_role(), cap)


def requires(cap: Cap, deny: Callable[..., Any] | None = None) -> Callable[[F], F]:
    """Run the view or callback only with the capability. Otherwise ``deny(*args, **kwargs)``
    answers (a Dash callback's outputs with a message), or a 403 with the plain reason."""

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401)
            if can(cap):
                return fn(*args, **kwargs)
            if deny is not None:
                return deny(*args, **kwargs)
            abort(make_response(jsonify(error=DENIED[cap]), 403))

        return wrapper  # type: ignore[return-value]

    return decorate
