"""Static islands: the parts of a Dash layout no callback touches, sent as HTML.

Each Dash component costs the browser a React component with the renderer's wrapper, hooks and
store subscriptions; on the overview ~500 of them took one long task on a throttled phone
(Lighthouse's TBT). Most are plain html.* text and Bootstrap markup no callback reads or writes.
`compact(layout, live)` keeps as components only what has to be one — components with a
pattern-matching id or an id some callback names (`live_ids`), anything that is not html.* or
static Bootstrap markup (a Store, a Dropdown, a Collapse), and their ancestors — and turns every
subtree without such a component into one `Island`: its element with the subtree's HTML inside
(layouts/first_paint.py renders the same markup, ids kept). assets/islands.js draws it.

The DOM is the same (same tags, classes, ids, styles, attributes): CSS, tests and native
behaviour (links, <details>) see no difference; only React no longer manages the static parts.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from dash.development.base_component import Component

NAMESPACE = "omnify_islands"
# dbc components whose markup first_paint renders exactly and that hold no state of their own
STATIC_DBC = {
    "Container",
    "Row",
    "Col",
    "Card",
    "CardBody",
    "CardHeader",
    "CardFooter",
    "Badge",
}
_ID_ATTR = re.compile(r'\sid="[^"]*"')


class Island(Component):
    """One static element: `tag` with HTML `attrs` (names as in HTML) and `html` inside."""

    _children_props: list[str] = []
    _base_nodes: list[str] = []
    _namespace = NAMESPACE
    _type = "Island"

    def __init__(
        self, tag: str = "div", attrs: dict[str, Any] | None = None, html: str = "", **kwargs: Any
    ) -> None:
        self._prop_names = ["id", "tag", "attrs", "html"]
        self._valid_wildcard_attributes: list[str] = []
        self.available_properties = ["id", "tag", "attrs", "html"]
        self.available_wildcard_properties: list[str] = []
        # No keyword arguments to Component.__init__: for every one it builds an error message
        # with __import__(namespace), a failing import of "omnify_islands" per prop (sys.path
        # scanned, the module's import lock taken: a request thread hung on it in a test run).
        super().__init__()
        unknown = set(kwargs) - {"id"}
        if unknown:
            raise TypeError(f"Island got unexpected arguments: {sorted(unknown)}")
        self.tag, self.attrs, self.html = tag, attrs or {}, html
        if "id" in kwargs:
            self.id = kwargs["id"]


def without_ids(markup: str) -> str:
    """The island's HTML without its ids (the first paint's copy: Dash's copy owns them).
    Text is escaped (no raw quote can be inside a tag's text), so ` id="…"` is an attribute."""
    return _ID_ATTR.sub("", markup)


def live_ids(app: Any) -> frozenset[str]:
    """Every string id a callback of `app` names (input, state or output); cached on the app
    for its current set of callbacks."""
    from dash._utils import split_callback_id

    cached = getattr(app, "_island_live_ids", None)
    if cached is not None and cached[0] == len(app.callback_map):
        return cached[1]
    ids: set[str] = set()
    for key, spec in app.callback_map.items():
        outs = split_callback_id(key)
        for part in [*(outs if isinstance(outs, list) else [outs])]:
            ids.add(str(part["id"]).split("@", 1)[0])
        for part in [*spec.get("inputs", []), *spec.get("state", [])]:
            ids.add(str(part["id"]))
    out = frozenset(i for i in ids if not i.startswith("{"))
    app._island_live_ids = (len(app.callback_map), out)
    return out


def compact(node: Any, live: frozenset[str] | set[str]) -> Any:
    """`node` with every subtree that holds no live component as one Island."""
    if isinstance(node, list | tuple):
        return [compact(c, live) for c in node]
    if not isinstance(node, Component):
        return node
    if not _has_live(node, live):
        island = _island(node)
        if island is not None:
            return island
    children = getattr(node, "children", None)
    if children is None or "children" not in node._prop_names:
        return node
    out = copy.copy(node)  # the caller's tree stays as it was
    out.children = compact(children, live)
    return out


def _is_static_kind(node: Component) -> bool:
    ns, kind = node._namespace, node._type
    return ns == "dash_html_components" or (
        ns == "dash_bootstrap_components" and kind in STATIC_DBC
    )


def _own_live(node: Component, live: frozenset[str] | set[str]) -> bool:
    ident = getattr(node, "id", None)
    if isinstance(ident, dict):
        return True
    if isinstance(ident, str) and ident in live:
        return True
    return not _is_static_kind(node)


def _has_live(node: Any, live: frozenset[str] | set[str]) -> bool:
    if isinstance(node, list | tuple):
        return any(_has_live(c, live) for c in node)
    if not isinstance(node, Component):
        return False
    if _own_live(node, live):
        return True
    return _has_live(getattr(node, "children", None), live)


def _island(node: Component) -> Island | None:
    """The node as an Island (None when its own markup cannot be split into tag + attrs)."""
    from layouts.first_paint import element_parts

    parts = element_parts(node)
    if parts is None:
        return None
    tag, attrs, inner = parts
    return Island(tag=tag, attrs=attrs, html=inner)


def count(node: Any) -> int:
    """How many Dash components a layout holds (the browser mounts each)."""
    if isinstance(node, list | tuple):
        return sum(count(c) for c in node)
    if isinstance(node, dict) and "namespace" in node:
        return 1 + sum(count(v) for v in (node.get("props") or {}).values())
    if isinstance(node, dict):
        return sum(count(v) for v in node.values())
    if isinstance(node, Component):
        return count(json.loads(json.dumps(node.to_plotly_json(), default=_plain)))
    return 0


def _plain(value: Any) -> Any:
    return value.to_plotly_json() if hasattr(value, "to_plotly_json") else str(value)
