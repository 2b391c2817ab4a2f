"""Tenant scoping in one place: every ORM query of a `TenantScoped` model sees one org's rows.

A ``do_orm_execute`` session hook adds
``with_loader_criteria(TenantScoped, cls.org_id == <org>, include_aliases=True)`` to every
ORM SELECT, UPDATE and DELETE, so a query, a ``session.get``, a join or a relationship load
that forgets its ``org_id`` filter still returns only the current org's rows. The current org:

1. inside ``org_scope(org_id)``: that org. Worker jobs run in one: jobs/queue.py reads the
   ``org_id`` every enqueue puts in the job's meta (``tenant_meta``);
2. inside ``unscoped(reason)``: no filter. The explicit, greppable escape hatch for the admin
   CLI, the cross-org scheduler and webhook routing (which org owns this shop?);
3. otherwise, in a request with a logged-in user: that user's active org (from their
   membership, never from the browser); a user without an org sees nothing;
4. otherwise (no request, an anonymous request, a job without an org) a query that touches
   a tenant table raises :class:`TenancyError`: there is no silent cross-org read.

Each request and each job starts with no explicit scope (``init_app``, jobs/queue.py).
A new ORM row of a tenant table must carry the org in scope (a ``before_flush`` check);
raw SQL (``text()``, the PostgreSQL COPY in models/brain_inputs.py, Core upserts) is not
filtered: it carries its own ``org_id``. Objects already in the session's identity map are
returned by ``session.get`` without a query; a request's session only ever loaded its own org.

The route helpers below (``current_org_id``, ``get_scoped_or_404``) stay: the org id still
comes from ``current_user``, and queries keep their explicit ``org_id ==`` filters too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from flask import Flask, abort, g, has_request_context
from flask_login import current_user
from sqlalchemy import Select, event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.util import find_tables

from extensions import db
from models.base import TenantScoped

M = TypeVar("M")
MAX_ID = 2**31 - 1  # primary keys are PostgreSQL integers
NO_ORG = -1  # a logged-in user without an organization: matches no row


class TenancyError(RuntimeError):
    """A tenant table was queried with no org in scope (and no ``unscoped`` reason)."""


@dataclass(frozen=True)
class Unscoped:
    reason: str


_UNSET: Any = object()
_scope: ContextVar[Any] = ContextVar("omnify_tenant_scope", default=_UNSET)
_resolving: ContextVar[bool] = ContextVar("omnify_tenant_resolving", default=False)


@contextmanager
def org_scope(org_id: int) -> Iterator[int]:
    """Every tenant query inside sees only ``org_id``'s rows (worker jobs, CLI per org)."""
    if isinstance(org_id, bool) or not isinstance(org_id, int):
        raise TypeError(f"org_scope needs an int org id, not {org_id!r}")
    token = _scope.set(org_id)
    try:
        yield org_id
    finally:
        _scope.reset(token)


@contextmanager
def unscoped(reason: str) -> Iterator[None]:
    """No tenant filter inside: the escape hatch for work that spans orgs. Say why."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("unscoped() needs a reason")
    token = _scope.set(Unscoped(reason))
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def fresh_scope() -> Iterator[None]:
    """Forget any scope of the caller (each request and each job starts here)."""
    token = _scope.set(_UNSET)
    try:
        yield
    finally:
        _scope.reset(token)


def scope() -> int | Unscoped | None:
    """The org id in scope, an ``Unscoped`` marker, or None when nothing is in scope."""
    value = _scope.get()
    if value is not _UNSET:
        return value
    return _request_org()


@contextmanager
def loading_user() -> Iterator[None]:
    """The user loader's own queries (users, memberships, login sessions: no tenant table).
    Without this, its first query asked for the org in scope, which asked flask-login for the
    user being loaded, which ran the loader a second time (two of every auth query)."""
    token = _resolving.set(True)
    try:
        yield
    finally:
        _resolving.reset(token)


def _request_org() -> int | None:
    """The logged-in user's active org (NO_ORG if they have none); None without a user."""
    if not has_request_context() or _resolving.get():
        return None
    token = _resolving.set(True)  # loading the user queries users and memberships
    try:
        user = current_user._get_current_object()
        if not getattr(user, "is_authenticated", False):
            return None
        org_id = user.org_id
    finally:
        _resolving.reset(token)
    return NO_ORG if org_id is None else org_id


@cache
def _tenant_tables() -> frozenset:
    return frozenset(m.local_table for m in db.Model.registry.mappers if _is_tenant(m.class_))


def _is_tenant(cls: type) -> bool:
    return issubclass(cls, TenantScoped)


def _touches_tenant_table(state: ORMExecuteState) -> bool:
    if any(_is_tenant(m.class_) for m in state.all_mappers):
        return True
    tables = _tenant_tables()
    return any(t in tables for t in find_tables(state.statement, include_joins=True))


def _add_tenant_criteria(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete) or state.is_column_load:
        return  # refreshing an attribute of an object already held is not a new read
    if _resolving.get():
        return  # the user loader's own queries (users, memberships, login sessions)
    current = scope()
    if isinstance(current, Unscoped):
        return
    if current is None:
        if _touches_tenant_table(state):
            names = sorted({m.class_.__name__ for m in state.all_mappers})
            raise TenancyError(
                f"query of tenant data ({', '.join(names) or 'a tenant table'}) with no org in "
                "scope: wrap it in models.tenancy.org_scope(org_id), or unscoped(reason) "
                "for work that spans orgs"
            )
        return
    org_id = current
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            lambda cls: cls.org_id == org_id,
            include_aliases=True,
        )
    )


def _check_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    """A new tenant row must belong to the org in scope: no request or job writes into
    another org (inside ``unscoped`` or with no scope, rows carry their own org_id)."""
    tenant_rows = [o for o in session.new if isinstance(o, TenantScoped)]
    if not tenant_rows:
        return
    with session.no_autoflush:
        current = scope()
    if not isinstance(current, int) or isinstance(current, bool):
        return
    for obj in tenant_rows:
        org_id = obj.org_id  # type: ignore[attr-defined]
        if org_id is not None and org_id != current:
            raise TenancyError(
                f"a new {type(obj).__name__} row for org {org_id} while org {current} is in "
                "scope: write it inside org_scope(its org) or unscoped(reason)"
            )


_listening = False


def install() -> None:
    """Register the session hooks once per process (idempotent)."""
    global _listening
    if not _listening:
        event.listen(Session, "do_orm_execute", _add_tenant_criteria)
        event.listen(Session, "before_flush", _check_new_rows)
        _listening = True


def init_app(server: Flask) -> None:
    """Install the hook; every request starts with no explicit scope (its user's org)."""
    install()

    def _start() -> None:
        g._tenancy_token = _scope.set(_UNSET)

    server.before_request_funcs.setdefault(None, []).insert(0, _start)

    @server.teardown_request
    def _end(exc: BaseException | None) -> None:
        token = g.pop("_tenancy_token", None)
        if token is not None:
            try:
                _scope.reset(token)
            except ValueError:  # created in another context (never in practice)
                pass


def tenant_meta(org_id: int) -> dict[str, int]:
    """The job meta that makes a worker run the job inside ``org_scope(org_id)``."""
    return {"org_id": int(org_id)}


# ---- route helpers: the org id comes from the logged-in user, never from the browser ----
def current_org_id() -> int:
    """The active organization of the logged-in user; 401/403 if there is none."""
    return current_membership().org_id


def current_membership() -> Any:
    """The logged-in user's membership of the active organization; 401/403 if none."""
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
