"""How the product and the sales demo serve their Dash pages light (README "Page weight").

Shared by app.py and demo/app.py:

* `LeanDash`: Dash whose index drops the scripts no page here needs — `@babel/polyfill` (99 kB,
  ~1 s of main-thread work on a throttled phone; every browser Dash 4 supports has ES2017, only
  the async-component loader needs `regeneratorRuntime`, served instead from
  assets/vendor/regenerator-runtime) and the dash_table bundle (no DataTable anywhere) — and
  preloads `/_dash-layout` and `/_dash-dependencies`, so they download with the scripts instead
  of after them.
* `init_serving(server)`: the lighter plotly-basic bundle at the URL dcc.Graph fetches (lazily,
  only where a chart is), and scripts and stylesheets compressed once with brotli at its best
  level (flask-compress compresses every response again at a fast level).
* `requested_path()`: the page a `/_dash-layout` request is for, so a layout can already hold
  the page's content (no router round trip before the first paint).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dash
from flask import Flask, Response, has_request_context, request, send_from_directory

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "assets" / "vendor"
PLOTLY_URL_SUFFIX = "/_dash-component-suites/plotly/package_data/plotly.min.js"
REGENERATOR = "regenerator-runtime-0.14.1.js"
REGENERATOR_URL = f"/assets/vendor/{REGENERATOR}"  # a public path (login guard)
YEAR = 31536000

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}
<link rel="preload" href="/_dash-layout" as="fetch" crossorigin="anonymous">
<link rel="preload" href="/_dash-dependencies" as="fetch" crossorigin="anonymous">
{%css%}</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""

_POLYFILL = re.compile(r'<script src="[^"]*/deps/polyfill@[^"]*"></script>')
_DASH_TABLE = re.compile(r'<script src="[^"]*/dash/dash_table/[^"]*"></script>\n?')


_SRC = re.compile(r'<script src="([^"]+)"></script>\n?')


def lean_scripts(scripts: str) -> str:
    """Dash's script tags without the polyfill (the regenerator runtime in its place) and
    without dash_table's bundle, inside an inert <template> the renderer's start-up script
    loads (in order) once the browser has painted the HTML: the first paint never waits for
    ~300 kB of JavaScript. Inline scripts (clientside callbacks) stay as they are."""
    scripts = _POLYFILL.sub(f'<script src="{REGENERATOR_URL}"></script>', scripts)
    scripts = _DASH_TABLE.sub("", scripts)
    tags = "".join(m.group(0).strip() for m in _SRC.finditer(scripts))
    return f'<template id="{SCRIPT_LIST_ID}">{tags}</template>\n' + _SRC.sub("", scripts)


SCRIPT_LIST_ID = "_omnify-scripts"
# Replaces Dash's `var renderer = new DashRenderer(hooks)`: once the browser has painted the
# HTML (its first contentful paint; a hidden tab paints nothing, so after 3 s at the latest),
# load the listed scripts in order, then start Dash.
START_RENDERER = """(function(){var begun=false;
function start(){window.renderer=new DashRenderer(%s);}
function load(){if(begun){return;}begun=true;
var list=document.getElementById('%s').content.querySelectorAll('script');var left=list.length;
if(!left){start();return;}
list.forEach(function(t){var s=document.createElement('script');
s.src=t.getAttribute('src');s.async=false;s.onload=s.onerror=function(){left-=1;if(left===0){start();}};document.body.appendChild(s);});}
function ready(){try{new PerformanceObserver(function(l,o){
if(l.getEntriesByName('first-contentful-paint').length){o.disconnect();setTimeout(load,0);}
}).observe({type:'paint',buffered:true});}catch(e){setTimeout(load,0);}setTimeout(load,3000);}
if(document.readyState==='loading'){document.addEventListener('DOMContentLoaded',ready);}
else{ready();}})();"""


class LayoutCache:
    """Layouts built for an index's first paint, kept for that page's own `/_dash-layout`
    request a moment later (built once per page view). Keyed by who is asking (the app's
    `layout_cache_key`) and the path; read once; forgotten after `TTL_S`."""

    TTL_S = 30.0
    MAX = 512

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def put(self, key: tuple[str, str], body: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._data) >= self.MAX:
                self._data = {k: v for k, v in self._data.items() if now - v[0] < self.TTL_S}
            if len(self._data) < self.MAX:
                self._data[key] = (now, body)

    def pop(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            hit = self._data.pop(key, None)
        if hit is None or time.monotonic() - hit[0] > self.TTL_S:
            return None
        return hit[1]


class LeanDash(dash.Dash):
    """dash.Dash with the lean script list and, for `first_paint_paths`, the page's first
    paint as HTML in the index (see the module docstring and layouts/first_paint.py).

    `layout_cache_key` says who is asking (a user id; a constant where the layout is the same
    for everyone); None: the layout is built again for `/_dash-layout`."""

    first_paint_paths: tuple[str, ...] = ()
    island_paths: tuple[str, ...] = ()  # their layout's static parts as islands (and first paints')
    layout_cache_key: Callable[[], str | None] = staticmethod(lambda: None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._layouts = LayoutCache()
        hooks = self.renderer.split("new DashRenderer(", 1)[1].rsplit(");", 1)[0]
        # in csp_hashes(): the product's CSP allows it
        self.renderer = START_RENDERER % (hooks, SCRIPT_LIST_ID)

    def _config(self) -> dict:
        """Dash's front-end config, whose validation layout (every page's components: the
        largest part of the index) is serialised once instead of on every page view."""
        config = super()._config()
        layout = config.get("validation_layout")
        if layout is not None:
            config["validation_layout"] = self._validation_json(layout)
        return config

    def _validation_json(self, layout: Any) -> Any:
        import orjson
        from dash._utils import to_json

        key = (id(self.validation_layout), len(self._extra_components))
        cached = getattr(self, "_validation_cache", None)
        if cached is None or cached[0] != key:
            cached = (key, orjson.Fragment(to_json(layout)))
            self._validation_cache = cached
        return cached[1]

    def interpolate_index(self, **kwargs: Any) -> str:
        kwargs["scripts"] = lean_scripts(kwargs.get("scripts", ""))
        painted = self._first_paint()
        if painted:
            kwargs["app_entry"] = painted + kwargs.get("app_entry", "")
        return super().interpolate_index(**kwargs)

    def get_layout(self):  # noqa: ANN201 - a Dash layout
        """The layout; for a first-paint page, its static parts as islands (layouts/islands.py)."""
        layout = super().get_layout()
        if not has_request_context():
            return layout
        pages = (*self.first_paint_paths, *self.island_paths)
        path = request.path if request.path in pages else None
        if path is None and request.path.endswith("/_dash-layout"):
            path = _referrer_page(pages)
        if path is None:
            return layout
        from layouts.islands import compact, live_ids

        return compact(layout, live_ids(self))

    def _first_paint(self) -> str:
        if not has_request_context() or request.path not in self.first_paint_paths:
            return ""
        try:
            return self._first_paint_html()
        except Exception:  # a picture is optional: the page still renders through Dash
            log.exception("first paint of %s failed", request.path)
            return ""

    def _first_paint_html(self) -> str:
        from dash._utils import to_json

        from layouts.first_paint import page_html

        layout = self.get_layout()
        who = self.layout_cache_key()
        if who is not None:
            self._layouts.put((who, request.path), to_json(layout))
        return f'<div id="first-paint">{page_html(layout, request.path, request.cookies)}</div>'

    def serve_layout(self):  # noqa: ANN201 - a Flask response
        if has_request_context():
            who = self.layout_cache_key()
            path = _referrer_page(self.first_paint_paths)
            cached = self._layouts.pop((who, path)) if who is not None and path else None
            if cached is not None:
                return Response(cached, mimetype="application/json")
        return super().serve_layout()


def lean_dash(name: str, title: str, description: str, **kwargs: Any) -> LeanDash:
    """The Dash app as the product and the demo both build it: compressed, served locally
    (no CDN), the lean index, plotly-basic lazily, callbacks validated (layouts/wiring.py)."""
    return LeanDash(
        name,
        title=title,
        compress=True,
        index_string=INDEX,
        assets_folder=str(ROOT / "assets"),
        assets_path_ignore=["vendor"],  # plotly-basic is served lazily, not as an asset
        suppress_callback_exceptions=False,  # a validation_layout; layouts/wiring.py
        update_title=None,
        serve_locally=True,
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1"},
            {"name": "description", "content": description},
        ],
        **kwargs,
    )


def requested_path(pages: Any) -> str | None:
    """The path of the page a layout is built for, when it is one of `pages`: the index's own
    path, or for `/_dash-layout` (fetched by the page) the referrer, same-origin only. None
    otherwise (no referrer, another page): the router then renders the page as before."""
    if not has_request_context():
        return None
    if not request.path.endswith("/_dash-layout"):
        return request.path if request.path in pages else None
    return _referrer_page(pages)


def initial_route_is_in_layout(pathname: Any, triggered: bool, pages: Any) -> bool:
    """True on the router's initial call for the page the layout already holds: the same
    document sends the same referrer for its layout and for this call."""
    if triggered or not has_request_context():
        return False
    return pathname is not None and _referrer_page(pages) == pathname


def _referrer_page(pages: Any) -> str | None:
    ref = urlparse(request.referrer or "")
    if ref.netloc != request.host:
        return None
    path = ref.path or "/"
    return path if path in pages else None


# ---- static files: plotly-basic, the regenerator runtime, brotli once -----------------------
_STATIC = ("/_dash-component-suites/", "/assets/")
_TYPES = {"application/javascript", "text/javascript", "text/css"}
BROTLI_FAST, BROTLI_BEST = 5, 11
MAX_ENTRIES = 200


class BrotliCache:
    """Per path: (content digest, compressed bytes). A miss is served at a fast level at once
    and compressed at the best level on a thread for the next request; a changed file (new
    digest) starts over. Bounded: paths are the installed bundles and assets."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, bytes, int]] = {}
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    def get(self, path: str, body: bytes) -> bytes:
        import brotli

        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        with self._lock:
            hit = self._data.get(path)
            if hit is not None and hit[0] == digest:
                return hit[1]
            start = path not in self._busy and len(self._data) < MAX_ENTRIES
            if start:
                self._busy.add(path)
        fast = brotli.compress(body, quality=BROTLI_FAST)
        if start:
            with self._lock:
                self._data[path] = (digest, fast, BROTLI_FAST)
            threading.Thread(target=self._best, args=(path, digest, body), daemon=True).start()
        return fast

    def _best(self, path: str, digest: str, body: bytes) -> None:
        import brotli

        try:
            best = brotli.compress(body, quality=BROTLI_BEST)
            with self._lock:
                if self._data.get(path, (digest,))[0] == digest:
                    self._data[path] = (digest, best, BROTLI_BEST)
        finally:
            with self._lock:
                self._busy.discard(path)

    def level(self, path: str) -> int | None:
        hit = self._data.get(path)
        return hit[2] if hit else None


def init_serving(server: Flask) -> BrotliCache:
    """Register the static-file hooks on the Flask server (after Dash's own)."""
    cache = BrotliCache()
    server.extensions["omnify_brotli"] = cache
    server.config["SEND_FILE_MAX_AGE_DEFAULT"] = YEAR  # assets are ?m= fingerprinted

    @server.before_request
    def _vendor():  # noqa: ANN202 - plotly-basic where dcc.Graph asks; the runtime
        if request.path.endswith(PLOTLY_URL_SUFFIX):
            return send_from_directory(VENDOR, "plotly-basic.min.js", max_age=YEAR)
        if request.path == REGENERATOR_URL:
            return send_from_directory(VENDOR, REGENERATOR, max_age=YEAR)
        return None

    @server.after_request
    def _brotli(resp: Response) -> Response:  # runs before flask-compress's hook
        if (
            resp.status_code != 200
            or not request.path.startswith(_STATIC)
            or resp.mimetype not in _TYPES
            or "Content-Encoding" in resp.headers
            or "br" not in request.headers.get("Accept-Encoding", "")
        ):
            return resp
        resp.direct_passthrough = False
        body = resp.get_data()
        if len(body) < 500:
            return resp
        resp.set_data(cache.get(request.path, body))
        resp.headers["Content-Encoding"] = "br"
        resp.headers["Vary"] = "Accept-Encoding"
        etag, weak = resp.get_etag()
        if etag and not weak:
            resp.set_etag(f"{etag}:br")
        return resp

    return cache
