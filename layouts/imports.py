"""Import page: upload a platform's report export, see its preview, import it, watch progress.

Pure functions from plain dicts (callbacks/imports.py builds them) to components. The upload
is a native multipart form (the file never travels through a Dash callback); confirm and
remove are small native forms too, each carrying the session's CSRF token.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

LIST = "imp-list"
POLL = "imp-poll"
POLL_MS = 1500
SAMPLE_ROWS = 4  # platforms' how-to shown per card

STATUS_VIEW = {
    "checking": ("Checking", "info"),
    "ready": ("Ready to import", "primary"),
    "invalid": ("Cannot import", "danger"),
    "importing": ("Importing", "primary"),
    "succeeded": ("Imported", "success"),
    "failed": ("Failed", "danger"),
}
PLATFORM_CHOICES = (
    ("auto", "Recognise it from the columns"),
    ("meta", "Meta Ads Manager export"),
    ("google_ads", "Google Ads report"),
    ("tiktok", "TikTok Ads Manager export"),
    ("shopify", "Shopify orders export"),
)


def is_active(status: str | None) -> bool:
    return status in ("checking", "importing")


def money(value: Any, currency: str) -> str:
    try:
        return f"{currency} {float(value):,.2f}".strip()
    except (TypeError, ValueError):
        return "–"


def preview_lines(item: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs of a checked file's preview, in words."""
    p = item.get("preview") or {}
    if not p:
        return []
    currency = "/".join(p.get("currencies") or []) or ""
    lines = [
        ("Recognised as", p.get("platform_name", "")),
        ("Rows", f"{p.get('rows', 0):,}"),
        ("Dates", f"{p.get('date_from')} → {p.get('date_to')}"),
    ]
    if p.get("kind") == "ads":
        lines += [
            ("Spend", money(p.get("spend"), currency)),
            ("Campaigns / ads", f"{p.get('campaigns', 0):,} / {p.get('ads', 0):,}"),
        ]
    else:
        lines.append(("Revenue (net of refunds)", money(p.get("revenue"), currency)))
    columns = p.get("columns") or {}
    if columns:
        lines.append(("Columns read", ", ".join(dict.fromkeys(columns.values()))))
    return lines


def _token_input(csrf_token: str) -> dcc.Input:
    return dcc.Input(type="hidden", name="csrf_token", value=csrf_token)


FILE_SLOT = "imp-file-slot"


def file_input(disabled: bool) -> html.Div:
    """Where a native file input goes (Dash has no component for a file that posts with its
    form; a clientside callback in callbacks/imports.py puts one here)."""
    return html.Div(
        id=FILE_SLOT,
        className="imp-file mb-2",
        **{"data-disabled": "1" if disabled else "0"},
    )


def upload_form(csrf_token: str, can_import: bool) -> dbc.Card:
    body = [
        _token_input(csrf_token),
        dbc.Label("File (.csv or .xlsx)", html_for="imp-file", className="small mb-1"),
        file_input(not can_import),
        dbc.Label("What is it?", html_for="imp-platform", className="small mb-1"),
        dbc.Select(
            id="imp-platform",
            name="platform",
            options=[{"label": label, "value": value} for value, label in PLATFORM_CHOICES],
            value="auto",
            className="mb-3",
            disabled=not can_import,
        ),
        dbc.Button(
            "Upload and check",
            type="submit",
            color="primary",
            id="imp-submit",
            disabled=not can_import,
        ),
        html.Div(
            "We check every row first and show what we found; nothing is written until you "
            "press Import."
            if can_import
            else "Viewers can't import data; ask an admin or a member.",
            className="form-text",
            id="imp-file-help",
        ),
    ]
    return dbc.Card(
        dbc.CardBody(
            html.Form(
                body,
                action="/imports/upload",
                method="POST",
                encType="multipart/form-data",
                id="imp-form",
            )
        ),
        className="imp-upload mb-3",
    )


def how_to(guides: list[tuple[str, str]]) -> html.Details:
    return html.Details(
        [
            html.Summary("How to export each report", className="small"),
            html.Ul(
                [
                    html.Li([html.Strong(name + ": "), text], className="small")
                    for name, text in guides
                ],
                className="mt-2 mb-0 ps-3",
            ),
        ],
        className="imp-howto mb-3",
    )


def _action_form(action: str, label: str, csrf_token: str, color: str, outline: bool) -> html.Form:
    return html.Form(
        [
            _token_input(csrf_token),
            dbc.Button(label, type="submit", color=color, outline=outline, size="sm"),
        ],
        action=action,
        method="POST",
        className="d-inline-block me-2 mb-1",
    )


def import_card(item: dict[str, Any], csrf_token: str, can_import: bool) -> dbc.Card:
    label, color = STATUS_VIEW.get(item["status"], (item["status"], "secondary"))
    head = html.Div(
        [
            html.Span(item["filename"], className="imp-filename fw-semibold"),
            dbc.Badge(label, color=color, className="ms-2"),
        ],
        className="imp-head",
    )
    body: list[Any] = [head, html.Div(item.get("when", ""), className="small text-body-secondary")]
    if is_active(item["status"]):
        doing = "Checking every row" if item["status"] == "checking" else "Writing rows"
        body.append(
            dbc.Progress(
                value=item.get("progress") or 1,
                label=f"{item.get('progress') or 0}%",
                striped=True,
                animated=True,
                className="my-2",
                id={"type": "imp-progress", "index": item["id"]},
            )
        )
        body.append(html.Div(f"{doing}… this page updates by itself.", className="small"))
    lines = preview_lines(item)
    if lines:
        body.append(
            html.Dl(
                [
                    part
                    for k, v in lines
                    for part in (html.Dt(k, className="small"), html.Dd(v, className="small mb-1"))
                ],
                className="imp-preview my-2",
            )
        )
    if item.get("error"):
        body.append(dbc.Alert(item["error"], color="danger", className="py-2 small mb-2 imp-error"))
    if item["status"] == "succeeded":
        body.append(
            html.P(
                [
                    f"{item.get('rows', 0):,} rows imported. The numbers are being recomputed; ",
                    html.A("open the overview", href="/"),
                    ".",
                ],
                className="small mb-2",
            )
        )
    actions = []
    if item["status"] == "ready" and can_import:
        rows = (item.get("preview") or {}).get("rows", 0)
        actions.append(
            _action_form(
                f"/imports/{item['id']}/confirm",
                f"Import {rows:,} rows",
                csrf_token,
                "primary",
                False,
            )
        )
    if not is_active(item["status"]) and can_import:
        actions.append(
            _action_form(
                f"/imports/{item['id']}/discard",
                "Remove from list",
                csrf_token,
                "secondary",
                True,
            )
        )
    if actions:
        body.append(html.Div(actions, className="imp-actions"))
    return dbc.Card(dbc.CardBody(body), className="imp-item mb-2", id=f"imp-item-{item['id']}")


def import_list(items: list[dict[str, Any]], csrf_token: str, can_import: bool) -> html.Div:
    if not items:
        return html.P(
            "No files imported yet.", className="small text-body-secondary", id="imp-empty"
        )
    return html.Div([import_card(i, csrf_token, can_import) for i in items])


def notices(messages: list[tuple[str, str]]) -> list[dbc.Alert]:
    return [
        dbc.Alert(
            text,
            color=category if category in ("danger", "success") else "info",
            dismissable=True,
            className="mb-3",
        )
        for category, text in messages
    ]


def import_page(
    items: list[dict[str, Any]],
    csrf_token: str,
    guides: list[tuple[str, str]],
    can_import: bool = True,
    messages: list[tuple[str, str]] | None = None,
) -> html.Div:
    return html.Div(
        [
            html.H1("Import data", className="h3 mb-1"),
            html.P(
                "No platform app needed: upload the reports you already export from Meta Ads "
                "Manager, Google Ads, TikTok Ads Manager and Shopify. Importing the same file "
                "again changes nothing; a newer file updates the days it covers.",
                className="text-body-secondary",
            ),
            *notices(messages or []),
            dcc.Interval(
                id=POLL, interval=POLL_MS, disabled=not any(is_active(i["status"]) for i in items)
            ),
            dbc.Row(
                [
                    dbc.Col([upload_form(csrf_token, can_import), how_to(guides)], xs=12, lg=5),
                    dbc.Col(
                        [
                            html.H2("Your files", className="h5"),
                            html.Div(
                                import_list(items, csrf_token, can_import),
                                id=LIST,
                                **{"aria-live": "polite"},
                            ),
                        ],
                        xs=12,
                        lg=7,
                    ),
                ],
                className="g-3",
            ),
        ],
        id="import-page",
        className="import-page",
    )
