"""Rendered-output cache: the overview and analytics outputs, built and serialised once per
version of everything they show.

A page view used to rebuild the overview's component tree from the stored brain state (plus
~10 small queries and a pandas slice for the period tiles) and serialise it through Plotly's
JSON cleaner: 40-80 ms of CPU per request, twice per page view (GET / paints it, the router
sends it). Under load the two web workers' cores were the bottleneck. Now:

* Each cacheable output is keyed by *everything it is drawn from*, read fresh on every request
  with a few indexed queries (`overview_key`, `analytics_key`): the org, the data fingerprint
  of `models.analytics.org_context` (data version, latest dates, connection syncs, row counts,
  and when the org was created: ids restart when a database is recreated),
  the latest brain state (id and computed_at), its stored narratives, the standing decisions
  (with who decided and when), the ad accounts, the org's name, the user's persona, the
  period / filters of the query string, and whether AI keys are configured.
* A hit returns a `Rendered` holding the JSON as an `orjson.Fragment`: Dash's serialiser (Plotly
  with orjson) splices it in as is, so a hit skips building and serialising alike; the
  first-paint HTML (layouts/first_paint.py) is memoised on the entry per variant (path, tips).
* Output that depends on the clock says so: `layouts.components.ago` reports when its text
  ("5 min ago") next changes and the entry expires then; a body whose narratives are still
  being written ("pending": the text changes as the worker stores them, and after 15 min by the
  clock alone) or that rendered the error panel is never stored (`dont_store`).

The store is a bounded LRU per process (entries and bytes), one per Flask app: gunicorn's
workers each warm their own, which costs one render per worker per version and needs no Redis
(a Redis outage never touches a page). Tenancy: every key starts with the org id taken from
`current_user` (never from the browser), so org B cannot be served org A's entry.
"""

from __future__ import annotations

import functools
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import orjson
from dash._utils import to_json
from flask import current_app, has_app_context

MAX_ENTRIES = 512
MAX_BYTES = 48 * 1024 * 1024

_dont_store: ContextVar[list[str] | None] = ContextVar("render_cache_dont_store", default=None)


def dont_store(reason: str) -> None:
    """Called while rendering: this output must not be cached (pending text, error panel)."""
    reasons = _dont_store.get()
    if reasons is not None:
        reasons.append(reason)


@contextmanager
def _watching() -> Iterator[tuple[list[str], list[float]]]:
    from layouts.components import relative_times

    reasons: list[str] = []
    token = _dont_store.set(reasons)
    try:
        with relative_times() as changes:
            yield reasons, changes
    finally:
        _dont_store.reset(token)


@dataclass(eq=False)
class Rendered:
    """One output, serialised once. Dash's serialiser calls `to_plotly_json` and gets the JSON
    itself (an orjson.Fragment, copied into the response as is); `first_paint` gives
    layouts/first_paint.py the HTML of the same tree (memoised per variant)."""

    tree: Any
    json: orjson.Fragment
    size: int
    expires: float | None = None  # time.time() when a relative time in it changes
    _html: dict[Any, str] = field(default_factory=dict)
    text: str = ""

    @classmethod
    def of(cls, tree: Any, expires: float | None = None) -> Rendered:
        tree = _islands(tree)
        text = to_json(tree)
        return cls(tree, orjson.Fragment(text), len(text), expires, text=text)

    def to_plotly_json(self) -> orjson.Fragment:
        return self.json

    def first_paint(self, render: Callable[[Any], str], variant: Any) -> str:
        html = self._html.get(variant)
        if html is None:
            html = self._html[variant] = render(self.tree)
        return html

    def fresh(self, now: float) -> bool:
        return self.expires is None or now < self.expires


def _islands(tree: Any) -> Any:
    """The tree with its static parts as islands (layouts/islands.py), as the page's layout and
    the analytics callbacks send them: done here, before serialising, because a cached entry
    is opaque JSON to the compaction that runs after it."""
    from layouts.islands import compact, live_ids

    dash_app = current_app.extensions.get("dash_app") if has_app_context() else None
    return tree if dash_app is None else compact(tree, live_ids(dash_app))


class RenderCache:
    """A bounded LRU of `Rendered` by key (entries and bytes); thread-safe."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._data: OrderedDict[Any, Rendered] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Any) -> Rendered | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit.fresh(time.time()):
                self._data.move_to_end(key)
                self.hits += 1
                return hit
            if hit is not None:
                self._drop(key)
            self.misses += 1
            return None

    def put(self, key: Any, value: Rendered) -> None:
        if value.size > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._data:
                self._drop(key)
            self._data[key] = value
            self._bytes += value.size
            while len(self._data) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._data)))

    def _drop(self, key: Any) -> None:
        self._bytes -= self._data.pop(key).size

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)


_FALLBACK = RenderCache()  # outside an app context (never in a request)


def cache() -> RenderCache:
    """This app's cache (tests create apps; each has its own)."""
    if not has_app_context():
        return _FALLBACK
    ext = current_app.extensions
    found = ext.get("omnify_render_cache")
    if found is None:
        found = ext.setdefault("omnify_render_cache", RenderCache())
    return found


def clear() -> None:
    cache().clear()


def cached(key: Any, build: Callable[[], Any]) -> Any:
    """The output for `key`: from the cache, or built, serialised once and stored (unless the
    render said `dont_store`). `key` None: built as before, nothing cached."""
    if key is None:
        return build()
    store = cache()
    hit = store.get(key)
    if hit is not None:
        return hit
    with _watching() as (reasons, changes):
        tree = build()
    rendered = Rendered.of(tree, min(changes) if changes else None)
    if not reasons:
        store.put(key, rendered)
    return rendered


def cached_outputs(key: Any, build: Callable[[], tuple]) -> tuple:
    """A multi-output callback's outputs, each serialised once (`no_update` stays itself)."""
    from dash import no_update

    if key is None:
        return build()
    store = cache()
    hit = store.get(key)
    if hit is not None:
        return hit.tree
    with _watching() as (reasons, changes):
        values = build()
    expires = min(changes) if changes else None
    out = tuple(v if v is no_update else Rendered.of(v, expires) for v in values)
    if not reasons:
        size = sum(v.size for v in out if isinstance(v, Rendered))
        store.put(key, Rendered(out, orjson.Fragment(b"null"), size, expires))
    return out


# ---- the page shell (GET /): per user, the CSRF token and the page spliced in ---------------
_NONCE = secrets.token_hex(8)
PAGE_MARK = f"omnify-page-{_NONCE}"  # where the page goes (unguessable: never in user data)
CSRF_MARK = f"omnify-csrf-{_NONCE}"  # the request's own CSRF token goes here


@dataclass(eq=False)
class Shell:
    """The cached shell (serialised with the two marks) plus this request's page and CSRF
    token: serialises and paints as the shell built with them would."""

    base: Rendered
    page: Any
    csrf: str

    def to_plotly_json(self) -> orjson.Fragment:
        page = self.page.text if isinstance(self.page, Rendered) else to_json(self.page)
        text = self.base.text.replace(CSRF_MARK, self.csrf)
        return orjson.Fragment(text.replace(f'"{PAGE_MARK}"', page, 1))

    def _traverse(self) -> Iterator[Any]:
        """The shell's components (Dash checks the ids of the first layout it serves)."""
        return self.base.tree._traverse()

    def first_paint(self, render: Callable[[Any], str], variant: Any) -> str:
        from html import escape

        html = self.base.first_paint(render, variant).replace(CSRF_MARK, escape(self.csrf))
        return html.replace(PAGE_MARK, render(self.page), 1)


def cached_shell(key: Any, csrf: str, page: Any, build: Callable[[str, str], Any]) -> Shell | Any:
    """The shell for `key` (who is asking and everything the shell shows, except the CSRF
    token) with `page` in it; `build(csrf, page)` builds a shell around those two values."""
    store = cache()
    base = store.get(key)
    if base is None:
        with _watching() as (_reasons, changes):
            tree = build(CSRF_MARK, PAGE_MARK)
        base = Rendered.of(tree, min(changes) if changes else None)
        store.put(key, base)
    return Shell(base, page, csrf)


# ---- keys: everything an output is drawn from ----------------------------------------------
def overview_key(org_id: int, search: str | None) -> tuple:
    """What the overview page (callbacks.overview.page) shows for this org, user and period."""
    from callbacks import overview
    from extensions import app_config, db
    from models import analytics as queries
    from models.decisions import decision_summaries
    from models.tenancy import current_membership

    membership = current_membership()
    org = queries.org_context(org_id)
    row = db.session.execute(_state_query(), {"org_id": org_id}).one()
    config = app_config()
    decisions = decision_summaries(org_id)
    return (
        "overview",
        org_id,
        membership.persona,
        tuple(str(v) for v in row),
        org.fingerprint,
        org.currency,
        repr(overview.chosen_filters(search)),
        tuple(sorted((k, tuple(sorted(v.items()))) for k, v in decisions.items())),
        _done_checks(org_id, row[0], str(row[1]), decisions),
        tuple(sorted(overview.ad_accounts(org_id).items())),
        bool(config.OPENAI_API_KEY or config.ANTHROPIC_API_KEY),
    )


@functools.cache
def _state_query() -> Any:
    """(latest state id, its computed_at, its narratives' count and max id, the org's creation
    time and name): built once, the org id bound per request."""
    from sqlalchemy import Integer, bindparam, func, select

    from models.brain_state import BrainState, Narrative
    from models.org import Organization

    org_id = bindparam("org_id", type_=Integer)
    latest = (
        select(BrainState.id)
        .where(BrainState.org_id == org_id)
        .order_by(BrainState.computed_at.desc(), BrainState.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    mine = (Narrative.org_id == org_id, Narrative.brain_state_id == latest)
    return select(
        latest,
        select(BrainState.computed_at).where(BrainState.id == latest).scalar_subquery(),
        select(func.count(Narrative.id)).where(*mine).scalar_subquery(),
        select(func.max(Narrative.id)).where(*mine).scalar_subquery(),
        Organization.created_at,
        Organization.name,
    ).where(Organization.id == org_id)


_ACTIONS: OrderedDict[tuple, list[dict]] = OrderedDict()  # (org, state, computed_at) -> actions
_ACTIONS_LOCK = threading.Lock()


def _done_checks(org_id: int, state_id: int | None, computed_at: str, decisions: dict) -> str:
    """The data's verdict on each action marked Done, as the card shows it: read fresh (a few
    indexed queries, only while an action is marked Done), so a corrected day of spend shows
    even when nothing else about the org changed."""
    from models.decisions import done_checks

    done = {aid for aid, d in decisions.items() if d.get("decision") == "done"}
    if not done or state_id is None:
        return ""
    actions = [a for a in _state_actions(org_id, state_id, computed_at) if str(a.get("id")) in done]
    return repr(sorted(done_checks(org_id, actions, decisions).items()))


def _state_actions(org_id: int, state_id: int, computed_at: str) -> list[dict]:
    """The actions of a stored brain state (rows are never changed once written)."""
    from sqlalchemy import select

    from extensions import db
    from models.brain_state import BrainState

    key = (org_id, state_id, computed_at)
    with _ACTIONS_LOCK:
        hit = _ACTIONS.get(key)
    if hit is not None:
        return hit
    curiosity = db.session.execute(
        select(BrainState.curiosity).where(BrainState.org_id == org_id, BrainState.id == state_id)
    ).scalar_one_or_none()
    actions = list(((curiosity or {}) if isinstance(curiosity, dict) else {}).get("actions") or [])
    with _ACTIONS_LOCK:
        _ACTIONS[key] = actions
        while len(_ACTIONS) > 256:
            _ACTIONS.popitem(last=False)
    return actions


def analytics_key(kind: str, org_id: int, search: str | None = None) -> tuple:
    """What an analytics output shows: the org's data version and latest brain state (the
    overlays), and the query string."""
    from models import analytics as queries

    org = queries.org_context(org_id)
    return (kind, org_id, org.fingerprint, org.brain_state_id, org.currency, search)
