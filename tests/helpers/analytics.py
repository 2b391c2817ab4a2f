"""Shared by tests (moved from tests/integration/test_analytics.py:
test modules do not import each other)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from extensions import db
from layouts.analytics import MAIN_OUTPUTS as MAIN_OUTPUT_IDS

END = date(2025, 6, 30)


DAYS = 60


# per creative and day: (spend, platform_revenue); each platform has 1 campaign with 2 creatives
A_PLATFORMS = {"meta": (100.0, 300.0), "tiktok": (50.0, 100.0)}


MAIN_OUTPUTS = tuple(MAIN_OUTPUT_IDS)  # the callback's outputs, as the page declares them


CALLBACKS = {
    "main": (MAIN_OUTPUTS, ("analytics-url", "search")),
    "detail": (
        (("an-leaderboard", "children"), ("an-toast-creatives", "children")),
        ("analytics-url", "search"),
    ),
    "cohorts": (
        (("an-cohort-table", "children"), ("an-toast-cohorts", "children")),
        ("analytics-url", "pathname"),
    ),
    # drawn once its box scrolls into view (the page's IntersectionObserver sets the Store)
    "cohort-chart": ((("an-cohort-plot", "children"),), ("an-cohort-seen", "data")),
}


# ---- data ----------------------------------------------------------------------------------
def brand_frames(tag: str, platforms: dict, days: int = DAYS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ad rows (2 creatives per platform, every day) and 4 orders of $80 a day."""
    rows = []
    for i in range(days):
        day = pd.Timestamp(END - timedelta(days=days - 1 - i))
        for platform, (spend, revenue) in platforms.items():
            for k in (1, 2):
                rows.append(
                    {
                        "date": day,
                        "platform": platform,
                        "campaign_id": f"{tag}-{platform}-camp",
                        "campaign_name": f"{tag} {platform} campaign",
                        "creative_id": f"{tag}-{platform}-cr{k}",
                        "creative_name": f"{tag} {platform} creative {k}",
                        "spend": spend,
                        "impressions": 10_000,
                        "clicks": 100,
                        "conversions": 5,
                        "platform_revenue": revenue,
                        "reach": 5_000,
                        "frequency": 2.0,
                    }
                )
    orders = []
    for i in range(days):
        day = pd.Timestamp(END - timedelta(days=days - 1 - i))
        for k in range(4):
            first = k < 2 or i < 30  # from day 30 on, two of the day's buyers come back
            cust = f"{tag}-c{i}-{k}" if first else f"{tag}-c{i - 30}-{k - 2}"
            orders.append(
                {
                    "order_id": f"{tag}-o{i}-{k}",
                    "placed_on": day,
                    "customer_id": cust,
                    "revenue": 80.0,
                    "is_first_order": first,
                    "utm_source": "facebook",
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(orders)


def load_brand(app, org_id: int, tag: str, platforms: dict) -> None:
    from models.seed import load_frames

    ad_daily, orders = brand_frames(tag, platforms)
    with app.app_context():
        load_frames(org_id, ad_daily, orders)
        db.session.commit()


# ---- Dash helpers --------------------------------------------------------------------------
def callback_payload(name: str, value: object) -> dict:
    """The body Dash's renderer posts for one of the page's views."""
    outputs, (input_id, prop) = CALLBACKS[name]
    if len(outputs) == 1:  # a single output: not a list
        (i, p), *_ = outputs
        output, described = f"{i}.{p}", {"id": i, "property": p}
    else:
        output = ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
        described = [{"id": i, "property": p} for i, p in outputs]
    return {
        "output": output,
        "outputs": described,
        "inputs": [{"id": input_id, "property": prop, "value": value}],
        "changedPropIds": [f"{input_id}.{prop}"],
        "state": [],
    }


def find(tree: object, component_id: str) -> dict | None:
    """The component with this id in a serialized Dash tree."""
    if isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return tree
        for value in tree.values():
            hit = find(value, component_id)
            if hit is not None:
                return hit
    elif isinstance(tree, list):
        for item in tree:
            hit = find(item, component_id)
            if hit is not None:
                return hit
    return None


def expand_islands(tree: object) -> object:
    """A serialized Dash tree with each static island (layouts/islands.py) turned back into the
    html.* components its markup describes, as the browser's DOM has them: tests read ids,
    classes and text the same way whether a part was sent as components or as HTML."""
    if isinstance(tree, list):
        return [expand_islands(t) for t in tree]
    if not isinstance(tree, dict):
        return tree
    if tree.get("namespace") == "omnify_islands":
        props = tree["props"]
        return _element(props.get("tag") or "div", props.get("attrs") or {}, props.get("html"))
    return {k: expand_islands(v) for k, v in tree.items()}


_VOID = {"img", "br", "hr", "input", "meta", "link", "col", "wbr", "source"}


def _element(tag: str, attrs: dict, markup: str | None) -> dict:
    from html.parser import HTMLParser

    root = _node(tag, attrs)

    class Builder(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.stack = [root]

        def handle_starttag(self, t: str, a: list) -> None:
            node = _node(t, {k: ("" if v is None else v) for k, v in a})
            self.stack[-1]["props"]["children"].append(node)
            if t not in _VOID:
                self.stack.append(node)

        def handle_endtag(self, t: str) -> None:
            if len(self.stack) > 1 and t not in _VOID:
                self.stack.pop()

        def handle_data(self, data: str) -> None:
            self.stack[-1]["props"]["children"].append(data)

    Builder().feed(markup or "")
    return _tidy(root)


def _tidy(node: object) -> object:
    """Children as Dash serializes them: one string alone, None when empty."""
    if not isinstance(node, dict):
        return node
    kids = [_tidy(c) for c in node["props"]["children"]]
    node["props"]["children"] = (
        None if not kids else kids[0] if len(kids) == 1 and isinstance(kids[0], str) else kids
    )
    return node


def _node(tag: str, attrs: dict) -> dict:
    props: dict = {"children": []}
    for k, v in attrs.items():
        props[{"class": "className"}.get(k, k)] = v
    return {"type": tag.capitalize(), "namespace": "dash_html_components", "props": props}
