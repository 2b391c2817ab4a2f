"""Callbacks wired to components that exist: a mistyped id or property fails at start-up.

Dash checks callbacks against ``app.validation_layout`` in the browser (with
``suppress_callback_exceptions=False``), where a mistake is a console line at best. The app
factories also call :func:`check_wiring` once all callbacks are registered: every input,
output and state of every callback must name a component of the validation layout (a
pattern-matching id: a component whose id has the same keys and agrees on the fixed ones)
and a property that component has. Only dash is imported, so the demo app uses it too.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import dash
from dash import Input, Output, State, ctx, html
from dash._utils import split_callback_id
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate


class CallbackWiringError(RuntimeError):
    """A callback names a component id or property the validation layout does not have."""


def _components(value: object) -> Iterator[Component]:
    """Every component in a tree, through ``children`` and the other props that hold
    components (``_children_props``: a dropdown's ``label``, a list's ``options[].label``),
    as the browser walks the layout."""
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _components(item)
    elif isinstance(value, Component):
        yield value
        for prop in {"children", *getattr(value, "_children_props", [])}:
            yield from _components(_at(value, prop.replace("[]", ".[]").split(".")))


def _at(value: object, path: list[str]) -> object:
    """The value at a ``_children_props`` path (``[]``: every item of a list)."""
    if not path or value is None:
        return value
    head, rest = path[0], path[1:]
    if head == "[]":
        return [_at(v, rest) for v in value] if isinstance(value, (list, tuple)) else None
    if isinstance(value, Component):
        return _at(getattr(value, head, None), rest)
    if isinstance(value, dict):
        return _at(value.get(head), rest)
    return None


def skeleton(layout: Component) -> html.Div:
    """Every component with an id, once, stripped to its type and id: what Dash and
    :func:`check_wiring` need from a validation layout. Dash ships the validation layout
    in each page's HTML; the whole tree of every page would add ~60 kB to it."""
    seen: set[str] = set()
    bare = []
    for comp in _components(layout):
        ident = getattr(comp, "id", None)
        key = json.dumps(ident, sort_keys=True) if ident is not None else None
        if key is None or key in seen:
            continue
        seen.add(key)
        stripped = copy.copy(comp)
        for prop in comp._prop_names:
            if prop != "id" and prop in stripped.__dict__:
                delattr(stripped, prop)
        bare.append(stripped)
    return html.Div(bare)


def _has_prop(component: Component, prop: str) -> bool:
    if prop in component._prop_names:
        return True
    return any(prop.startswith(w) for w in getattr(component, "_valid_wildcard_attributes", []))


def _id_matches(pattern: dict[str, Any], ident: object) -> bool:
    if not isinstance(ident, dict) or set(ident) != set(pattern):
        return False
    return all(isinstance(v, list) or ident[k] == v for k, v in pattern.items())


def _dependencies(callback: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(role, id, property) of each output, input and state of a registered callback."""
    if not callback.get("no_output"):
        outputs = split_callback_id(callback["output"])
        for out in outputs if isinstance(outputs, list) else [outputs]:
            yield "output", out["id"], out["property"].split("@")[0]  # @: allow_duplicate
    for role in ("inputs", "state"):
        for dep in callback.get(role, []):
            yield role.rstrip("s"), dep["id"], dep["property"]


def wiring_problems(app: dash.Dash) -> list[str]:
    """What is wrong with the callbacks' wiring (empty when every dependency exists)."""
    if app.validation_layout is None:
        return ["the app has no validation_layout"]
    by_id: dict[str, Component] = {}
    patterned: list[Component] = []
    for comp in _components(app.validation_layout):
        ident = getattr(comp, "id", None)
        if isinstance(ident, str):
            by_id[ident] = comp
        elif isinstance(ident, dict):
            patterned.append(comp)
    problems = []
    for callback in app._callback_list:
        for role, ident, prop in _dependencies(callback):
            if ident.startswith("{"):
                pattern = json.loads(ident)
                found = [c for c in patterned if _id_matches(pattern, c.id)]
            else:
                found = [by_id[ident]] if ident in by_id else []
            if not found:
                problems.append(f"{role} {ident}.{prop}: no component with that id")
            elif not any(_has_prop(c, prop) for c in found):
                kind = type(found[0]).__name__
                problems.append(f"{role} {ident}.{prop}: a {kind} has no property {prop!r}")
    return problems


def register_shell_callbacks(app: dash.Dash) -> None:
    """The shell's own callbacks, the same in the product and the demo: the phone menu opens
    and closes; the persona switch changes words in the browser (no server round trip,
    numbers untouched)."""

    @app.callback(
        Output("navbar-collapse", "is_open"),
        Input("navbar-toggler", "n_clicks"),
        State("navbar-collapse", "is_open"),
        prevent_initial_call=True,
    )
    def toggle_navbar(n: int | None, is_open: bool) -> bool:
        return not is_open

    app.clientside_callback(
        """function(p){ return 'persona-root persona-is-' + (p || 'cmo'); }""",
        Output("persona-root", "className"),
        Input("persona-select", "value"),
    )


def check_wiring(app: dash.Dash) -> None:
    """Raise CallbackWiringError naming every callback dependency that does not exist."""
    problems = wiring_problems(app)
    if problems:
        raise CallbackWiringError("callbacks wired to nothing:\n  " + "\n  ".join(problems))


def clicked_index(values: Any) -> Any:
    """The index of the pattern-matched button that was really clicked (not just rendered)."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not isinstance(values, list):
        raise PreventUpdate
    for item, value in zip(ctx.inputs_list[0], values, strict=False):
        if isinstance(item, dict) and item.get("id") == trigger and value:
            return trigger.get("index")
    raise PreventUpdate


def outputs_by_action(count: int) -> list[list[str]]:
    """For a callback whose first `count` outputs are ALL patterns over action cards: each
    output's action ids, in the order Dash expects the values (PreventUpdate when the request
    does not carry them)."""
    lists = ctx.outputs_list if isinstance(ctx.outputs_list, list) else []
    if len(lists) < count or not all(isinstance(lst, list) for lst in lists[:count]):
        raise PreventUpdate
    return [
        [o.get("id", {}).get("action") for o in lst if isinstance(o, dict)] for lst in lists[:count]
    ]


def soft_fail(
    log: logging.Logger,
    message: str,
    fallback: Callable[..., Any] | None = None,
    passthrough: tuple[type[BaseException], ...] = (PreventUpdate,),
    cleanup: Callable[[], Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The one error wrapper for callbacks (product and demo): ``passthrough`` exceptions
    (no update, an HTTP error) pass; anything else is logged with ``message`` and the
    traceback, ``cleanup`` runs (the product rolls the session back), and the callback answers
    ``fallback(*args)`` -- a toast, unchanged outputs -- or no update at all. No stack trace
    ever reaches the browser."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except passthrough:
                raise
            except Exception:
                log.exception("%s (%s)", message, fn.__name__)
                if cleanup is not None:
                    cleanup()
                if fallback is None:
                    raise PreventUpdate from None
                return fallback(*args, **kwargs)

        return guarded

    return wrap
