"""The first paint of a page as plain HTML, from the same Dash layout the renderer gets.

The index of the overview carries this HTML, so the phone shows the page as soon as the HTML
and CSS arrive, before ~300 kB of JavaScript has run; assets/first-paint.js removes it the
moment Dash has rendered the same layout in its place (same classes, same geometry: no shift).
It is a picture, not the app: no ids (Dash's copy owns them), buttons do nothing until Dash
runs, links are plain links.

Covers the html.* components and the dash-bootstrap-components the shell and the overview use,
with Bootstrap 5's markup; anything else renders its children (dcc's Store, Interval and
Location render nothing).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from html import escape, unescape
from typing import Any

from dash.development.base_component import Component

_VOID = {"img", "br", "hr", "input", "meta", "link", "col", "wbr", "source"}
_NOTHING = {"Store", "Interval", "Location", "Tooltip", "Popover", "Modal", "Toast"}
_ATTRS = (
    "href",
    "title",
    "role",
    "src",
    "alt",
    "width",
    "height",
    "colSpan",
    "rowSpan",
    "scope",
    "type",
    "target",
    "rel",
    "open",
    "disabled",
    "value",
    "name",
    "htmlFor",
    "tabIndex",
    "hidden",
    "dateTime",
    "download",
    "viewBox",
)
_RENAME = {"className": "class", "htmlFor": "for", "colSpan": "colspan", "rowSpan": "rowspan"}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_PATH: ContextVar[str | None] = ContextVar("first_paint_path", default=None)
_OVERRIDES: ContextVar[dict[str, dict[str, Any]] | None] = ContextVar("first_props", default=None)
_KEEP_IDS: ContextVar[bool] = ContextVar("first_paint_keep_ids", default=False)
_UNITLESS = {"opacity", "zIndex", "flex", "flexGrow", "flexShrink", "fontWeight", "lineHeight"}
_OPEN_TAG = re.compile(r"<([a-z][a-z0-9]*)([^>]*)>", re.S)
_ATTR = re.compile(r'\s([^\s="]+)(?:="([^"]*)")?')
TIPS_COOKIE = "ov_tips_seen"  # the overview's tips callback mirrors its localStorage here


def page_html(layout: Any, path: str, cookies: Any = None) -> str:
    """The first paint of the page at `path` (nav links to it marked active, as dbc does; the
    first-visit tip the browser will open, as the tips callback decides from `cookies`)."""
    token = _PATH.set(path)
    props = _OVERRIDES.set(tips_props((cookies or {}).get(TIPS_COOKIE)))
    try:
        return to_html(layout)
    finally:
        _PATH.reset(token)
        _OVERRIDES.reset(props)


def tips_props(seen_cookie: str | None) -> dict[str, dict[str, Any]]:
    """{tip id: {"hidden": ...}}: the first tip not yet seen is open, as in tips_js."""
    from layouts.overview import TIP_KEYS

    seen = set((seen_cookie or "").split("."))
    open_key = next((k for k in TIP_KEYS if k not in seen), None)
    return {f"tip-{k}": {"hidden": k != open_key} for k in TIP_KEYS}


def to_html(node: Any) -> str:
    """HTML of a Dash component tree (strings escaped, ids left out)."""
    if node is None or isinstance(node, bool):
        return ""
    if isinstance(node, str | int | float):
        return escape(str(node))
    if isinstance(node, list | tuple):
        return "".join(to_html(c) for c in node)
    if not isinstance(node, Component):
        first_paint = getattr(node, "first_paint", None)  # callbacks/render_cache.Rendered
        return first_paint(to_html, _variant()) if callable(first_paint) else ""
    ns, kind = node._namespace, node._type
    if kind in _NOTHING:
        return ""
    if ns == "omnify_islands":
        return _island_html(node)
    ident = getattr(node, "id", None)
    override = (_OVERRIDES.get() or {}).get(ident) if isinstance(ident, str) else None
    if override:
        node = type(node)(**{**node.to_plotly_json()["props"], **override})
    if ns == "dash_html_components":
        return _element(kind.lower(), _attrs(node), _children(node))
    if ns == "dash_bootstrap_components":
        return _dbc(kind, node)
    if ns == "dash_core_components":
        return _dcc(kind, node)
    return _children(node)


def _variant() -> tuple:
    """What the HTML of a tree depends on besides the tree: the path, the overrides and
    whether ids are kept (islands keep them, the first paint drops them)."""
    overrides = _OVERRIDES.get() or {}
    return (
        _PATH.get(),
        tuple(sorted((k, tuple(sorted(v.items()))) for k, v in overrides.items())),
        _KEEP_IDS.get(),
    )


def _island_html(node: Component) -> str:
    """An Island (layouts/islands.py) as it is drawn, without its ids in the first paint."""
    from layouts.islands import without_ids

    attrs = {k: (True if v == "" else v) for k, v in (node.attrs or {}).items()}
    inner = node.html or ""
    if not _KEEP_IDS.get():
        attrs.pop("id", None)
        inner = without_ids(inner)
    return _element(node.tag or "div", attrs, inner)


def element_parts(node: Component) -> tuple[str, dict[str, Any], str] | None:
    """(tag, HTML attributes, inner HTML) of one component's markup, its ids kept (for
    layouts/islands.py); None when it renders to no single element."""
    token = _KEEP_IDS.set(True)
    try:
        markup = to_html(node)
    finally:
        _KEEP_IDS.reset(token)
    m = _OPEN_TAG.match(markup)
    if m is None:
        return None
    tag = m.group(1)
    if tag in _VOID:
        inner = ""
        if m.end() != len(markup):
            return None
    else:
        close = f"</{tag}>"
        if not markup.endswith(close):
            return None
        inner = markup[m.end() : -len(close)]
    attrs = {k: unescape(v) for k, v in _ATTR.findall(m.group(2))}
    return tag, attrs, inner


def _children(node: Component) -> str:
    return to_html(getattr(node, "children", None))


def _prop(node: Component, name: str, default: Any = None) -> Any:
    return getattr(node, name, default) if name in node._prop_names else default


def _style(style: Any) -> str:
    if not isinstance(style, dict):
        return ""
    return ";".join(f"{_CAMEL.sub('-', k).lower()}:{_css_value(k, v)}" for k, v in style.items())


def _css_value(key: str, value: Any) -> str:
    """React's rule: a bare number is pixels, except for unitless properties."""
    if isinstance(value, int | float) and not isinstance(value, bool) and key not in _UNITLESS:
        return f"{value}px" if value else "0"
    return str(value)


def _attrs(node: Component, extra_class: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    classes = " ".join(
        c
        for c in (
            extra_class,
            _prop(node, "className") or "",
            _prop(node, "class_name") or "",
        )
        if c
    )
    ident = getattr(node, "id", None)
    if _KEEP_IDS.get() and isinstance(ident, str):
        out["id"] = ident
    if classes:
        out["class"] = classes
    style = _style(_prop(node, "style"))
    if style:
        out["style"] = style
    for name in _ATTRS:
        value = _prop(node, name)
        if value is not None and value is not False:
            out[_RENAME.get(name, name.lower())] = value
    for key, value in node.to_plotly_json()["props"].items():
        if key.startswith(("aria-", "data-")) and value is not None:
            out[key] = value
    return out


def _element(tag: str, attrs: dict[str, Any], inner: str = "") -> str:
    parts = [tag]
    for k, v in attrs.items():
        parts.append(k if v is True else f'{k}="{escape(str(v), quote=True)}"')
    open_tag = "<" + " ".join(parts) + ">"
    return open_tag if tag in _VOID else f"{open_tag}{inner}</{tag}>"


def _cls(*names: Any) -> str:
    return " ".join(str(n) for n in names if n)


def _dbc(kind: str, node: Component) -> str:  # noqa: C901, PLR0911, PLR0912 - one branch per component
    p = lambda name, default=None: _prop(node, name, default)  # noqa: E731
    inner = _children(node)
    if kind == "Container":
        return _element(
            "div", _attrs(node, "container-fluid" if p("fluid") else "container"), inner
        )
    if kind == "Row":
        return _element("div", _attrs(node, "row"), inner)
    if kind == "Col":
        sizes = [f"col-{bp}-{p(bp)}" for bp in ("sm", "md", "lg", "xl", "xxl") if p(bp)]
        width = p("width") or p("xs")
        base = f"col-{width}" if width else ("" if sizes else "col")
        return _element("div", _attrs(node, _cls(base, *sizes)), inner)
    if kind in ("Card", "CardBody", "CardHeader", "CardFooter"):
        base = {"Card": "card", "CardBody": "card-body", "CardHeader": "card-header"}.get(
            kind, "card-footer"
        )
        if kind == "Card" and p("color"):
            base += f" {'border' if p('outline') else 'bg'}-{p('color')}"
        return _element("div", _attrs(node, base), inner)
    if kind == "Alert":
        return _element(
            "div",
            {**_attrs(node, f"alert alert-{p('color') or 'success'} fade show"), "role": "alert"},
            inner,
        )
    if kind == "Badge":
        color = p("color") or "secondary"  # react-bootstrap's classes: text-*, bg-*
        cls = _cls(
            "badge",
            p("pill") and "rounded-pill",
            p("text_color") and f"text-{p('text_color')}",
            f"bg-{color}",
        )
        return _element("span", _attrs(node, cls), inner)
    if kind == "Button":
        cls = _cls(
            "btn",
            f"btn-{'outline-' if p('outline') else ''}{p('color') or 'primary'}",
            p("size") and f"btn-{p('size')}",
        )
        if p("href"):
            return _element("a", _attrs(node, cls), inner)
        return _element("button", {**_attrs(node, cls), "type": p("type") or "button"}, inner)
    if kind == "Navbar":
        cls = _cls(
            "navbar",
            p("expand") and f"navbar-expand-{p('expand')}",
            p("dark") and "navbar-dark",
            p("color") and f"bg-{p('color')}",
        )
        return _element("nav", _attrs(node, cls), inner)
    if kind == "NavbarBrand":
        return _element("a", _attrs(node, "navbar-brand"), inner)
    if kind == "NavbarToggler":
        return _element(
            "button", {**_attrs(node, "navbar-toggler collapsed"), "type": "button"}, inner
        )
    if kind == "Collapse":
        cls = _cls("collapse", p("navbar") and "navbar-collapse", p("is_open") and "show")
        return _element("div", _attrs(node, cls), inner)
    if kind == "Nav":
        cls = _cls("navbar-nav" if p("navbar") else "nav", p("pills") and "nav-pills")
        return _element("div", _attrs(node, cls), inner)
    if kind == "NavItem":
        return _element("div", _attrs(node, "nav-item"), inner)
    if kind == "NavLink":
        active = p("active") is True or (p("active") == "exact" and p("href") == _PATH.get())
        return _element("a", _attrs(node, _cls("nav-link", active and "active")), inner)
    if kind == "DropdownMenu":
        label = to_html(p("label"))
        if p("nav"):
            toggle = _element("a", {"class": "dropdown-toggle nav-link", "href": "#"}, label)
            return _element("div", _attrs(node, "dropdown nav-item"), toggle)
        btn = _cls(p("toggle_class_name"), "dropdown-toggle btn", f"btn-{p('color') or 'primary'}")
        toggle = _element("button", {"class": btn, "type": "button"}, label)
        return _element("div", _attrs(node, "dropdown"), toggle)
    if kind == "Select":
        options = "".join(
            _element(
                "option",
                {
                    "value": o.get("value"),
                    **({"selected": True} if o.get("value") == p("value") else {}),
                },
                escape(str(o.get("label"))),
            )
            for o in p("options") or []
            if isinstance(o, dict)
        )
        cls = _cls("form-select", p("size") and f"form-select-{p('size')}")
        return _element("select", _attrs(node, cls), options)
    if kind == "Input":
        if p("type") == "hidden":
            return ""
        return _element("input", {**_attrs(node, "form-control"), "value": p("value") or ""})
    if kind == "Label":
        return _element("label", _attrs(node, "form-label"), inner)
    if kind in ("Checklist", "RadioItems"):
        return _choices(node, "checkbox" if kind == "Checklist" else "radio")
    if kind == "Table":
        cls = _cls(
            "table",
            p("size") and f"table-{p('size')}",
            p("striped") and "table-striped",
            p("hover") and "table-hover",
            p("bordered") and "table-bordered",
        )
        table = _element("table", _attrs(node, cls), inner)
        return _element("div", {"class": "table-responsive"}, table) if p("responsive") else table
    return inner


def _choices(node: Component, kind: str) -> str:
    """dbc's Checklist / RadioItems markup (labels without `for`: the picture has no ids)."""
    p = lambda name, default=None: _prop(node, name, default)  # noqa: E731
    value = p("value")
    chosen = set(value) if isinstance(value, list) else {value}
    items = []
    for o in p("options") or []:
        if not isinstance(o, dict):
            continue
        on = o.get("value") in chosen
        box = _element(
            "input",
            {
                "class": _cls("form-check-input", p("input_class_name")),
                "type": kind,
                "value": o.get("value"),
                **({"checked": True} if on else {}),
            },
        )
        label = _element(
            "label",
            {
                "class": _cls(
                    "form-check-label", p("label_class_name"), on and p("label_checked_class_name")
                )
            },
            to_html(o.get("label")),
        )
        items.append(
            _element(
                "div",
                {"class": _cls("form-check", p("inline") and "form-check-inline")},
                box + label,
            )  # fmt: skip
        )
    return _element("div", _attrs(node), "".join(items))


_CHEVRON = (
    '<svg width="15" height="15" viewBox="0 0 15 15" fill="none" xmlns="http://www.w3.org/2000/svg"'
    ' class="dash-dropdown-trigger-icon"><path d="M4.18179 6.18181C4.35753 6.00608 4.64245 6.00608'
    " 4.81819 6.18181L7.49999 8.86362L10.1818 6.18181C10.3575 6.00608 10.6424 6.00608 10.8182"
    " 6.18181C10.9939 6.35755 10.9939 6.64247 10.8182 6.81821L7.81819 9.81821C7.73379 9.9026"
    " 7.61934 9.95001 7.49999 9.95001C7.38064 9.95001 7.26618 9.9026 7.18179 9.81821L4.18179"
    " 6.81821C4.00605"
    ' 6.64247 4.00605 6.35755 4.18179 6.18181Z" fill="currentColor" fill-rule="evenodd"'
    ' clip-rule="evenodd"></path></svg>'
)


def _dcc(kind: str, node: Component) -> str:  # noqa: PLR0911 - one branch per component
    if kind == "Loading":
        style = _style(_prop(node, "parent_style"))
        if style:  # the box it reserves (a chart's height)
            return _element("div", {"style": f"position:relative;{style}"}, _children(node))
        return _children(node)
    if kind == "Markdown":
        return _children(node)
    if kind == "Graph":  # the box only: Plotly draws when the app runs
        return _element("div", _attrs(node, "dash-graph"))
    if kind == "Dropdown":
        return _dropdown(node)
    if kind == "Link":
        return _element("a", _attrs(node), _children(node))
    if kind == "Input" and _prop(node, "type") == "hidden":
        return ""
    return ""


def _dropdown(node: Component) -> str:
    """Dash 4's closed Dropdown: its button with the chosen labels or the placeholder."""
    value = _prop(node, "value")
    chosen = value if isinstance(value, list) else ([] if value is None else [value])
    labels = [
        to_html(o.get("label"))
        for o in _prop(node, "options") or []
        if isinstance(o, dict) and o.get("value") in chosen
    ]
    if labels:
        items = "".join(
            _element("span", {"class": "dash-dropdown-value-item"}, _element("span", {}, label))
            for label in labels
        )
        shown = _element("span", {"class": "dash-dropdown-value"}, items)
    else:
        shown = _element(
            "span",
            {"class": "dash-dropdown-value dash-dropdown-placeholder"},
            escape(str(_prop(node, "placeholder") or "Select...")),
        )
    trigger = _element(
        "span", {"class": "dash-dropdown-grid-container dash-dropdown-trigger"}, shown + _CHEVRON
    )
    cls = f"dash-dropdown {_prop(node, 'className') or ''}"
    return _element("button", {"type": "button", "class": cls}, trigger)
