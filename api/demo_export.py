"""`flask --app app demo export`: the sales demo's snapshots, from the seeded Lumen Beauty org.

The demo (demo/) runs without a database, so everything its pages need is written to
demo/data/ here, through the product's own read models:

- brain_state.json   the latest stored brain state (volatile fields dropped)
- narratives.json    the template executive summary per persona
- analytics.json     currency, data bounds, campaigns, creatives, cohort LTV curves
- ad_daily.csv       ad metrics per creative and day (the demo slices it like the SQL does)
- store_daily.csv    store revenue and orders per local day (models.analytics.daily_series)
- integrations.json  the four connections with row counts and a sync history

Deterministic: database ids are renumbered in a stable order, nothing depends on the clock
(the sync history is laid out relative to the data's as-of date), and files are written with
sorted keys and fixed float formatting, so a re-export gives identical bytes. The demo shifts
every date to "today" when it starts (demo/snapshot.py).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import Float, cast, select

from brain.narrative import PERSONAS, template_summary
from config import ROOT
from extensions import db
from models import Organization
from models import analytics as queries
from models.brain_data import latest_state
from models.connections_view import HISTORY_LIMIT, connection_summaries
from models.data import AdMetricDaily, Creative
from models.tenancy import org_scope

demo_cli = AppGroup("demo", help="The static-data sales demo (demo/).")
DEFAULT_OUT = ROOT / "demo" / "data"
AD_COLUMNS = (
    "date",
    "creative",
    "spend",
    "platform_revenue",
    "impressions",
    "clicks",
    "conversions",
)
VOLATILE_STATE_KEYS = ("computed_at", "duration_ms")
# A plausible nightly schedule: every connection syncs a few minutes apart after 02:00 UTC.
SYNC_SLOTS = {
    "google_ads": (2, 0, 38),
    "meta": (2, 1, 52),
    "shopify": (2, 3, 21),
    "tiktok": (2, 2, 44),
}
HISTORY_DAYS = 3


class ExportError(click.ClickException):
    """The org to export is missing or has no brain state yet."""


def export_demo(org_id: int, out: Path) -> list[Path]:
    """Write the demo's snapshot files for one org into `out`; returns the paths written."""
    row = latest_state(org_id)
    if row is None:
        raise ExportError("the org has no brain state yet: run `flask brain compute --org lumen`")
    state = row.as_dict()
    for key in VOLATILE_STATE_KEYS:
        state.pop(key, None)
    state["org_id"] = 0
    ctx = queries.org_context(org_id)
    if not ctx.has_data:
        raise ExportError("the org has no analytics data")
    as_of = date.fromisoformat(state["as_of"]) if state.get("as_of") else ctx.latest

    campaigns, campaign_ids = _campaigns(ctx)
    creatives, creative_ids = _creatives(org_id, campaign_ids)
    files = {
        "brain_state.json": _json(state),
        "narratives.json": _json({p: template_summary(state, p) for p in PERSONAS}),
        "analytics.json": _json(
            {
                "as_of": as_of.isoformat(),
                "currency": ctx.currency,
                "timezone": ctx.timezone,
                "ad_bounds": [_iso(ctx.earliest_ad), _iso(ctx.latest_ad)],
                "order_bounds": [_iso(ctx.earliest_order), _iso(ctx.latest_order)],
                "campaigns": campaigns,
                "creatives": creatives,
                "cohorts": _cohorts(ctx),
            }
        ),
        "ad_daily.csv": _ad_daily_csv(org_id, creative_ids),
        "store_daily.csv": _store_daily_csv(ctx),
        "integrations.json": _json(_integrations(org_id, as_of)),
    }
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


# ---- the parts -------------------------------------------------------------------------------
def _campaigns(ctx: queries.OrgContext) -> tuple[list[dict], dict[int, int]]:
    """Campaigns numbered 1..n in (platform, name) order; the db id -> demo id map."""
    ordered = sorted(ctx.campaigns, key=lambda c: (c["platform"], c["name"], c["id"]))
    ids = {c["id"]: i for i, c in enumerate(ordered, start=1)}
    return [
        {"id": ids[c["id"]], "name": c["name"], "platform": c["platform"]} for c in ordered
    ], ids


def _cohorts(ctx: queries.OrgContext) -> list[dict]:
    """Cohort LTV curves (store-wide, filter-independent), rounded so SQL sum order can't show."""
    return [
        dict(c, points=[[h, round(v, 4)] for h, v in c["points"]])
        for c in queries.cohort_curves(ctx, max_cohorts=12)
    ]


def _creatives(org_id: int, campaign_ids: dict[int, int]) -> tuple[list[dict], dict[int, int]]:
    rows = db.session.execute(
        select(Creative.id, Creative.external_id, Creative.name, Creative.platform)
        .add_columns(Creative.campaign_id)
        .where(Creative.org_id == org_id)
        .order_by(Creative.platform, Creative.external_id, Creative.id)
    ).all()
    ids = {r.id: i for i, r in enumerate(rows, start=1)}
    return [
        {
            "id": ids[r.id],
            "external_id": r.external_id,
            "name": r.name or r.external_id,
            "platform": r.platform,
            "campaign_id": campaign_ids.get(r.campaign_id, -1),
        }
        for r in rows
    ], ids


def _ad_daily_csv(org_id: int, creative_ids: dict[int, int]) -> str:
    m = AdMetricDaily
    rows = db.session.execute(
        select(
            m.date,
            m.creative_id,
            cast(m.spend, Float),
            cast(m.platform_revenue, Float),
            cast(m.impressions, Float),
            cast(m.clicks, Float),
            cast(m.conversions, Float),
        ).where(m.org_id == org_id)
    ).all()
    records = sorted(
        (
            (_iso(r[0]), creative_ids[r[1]], *(float(v or 0.0) for v in r[2:]))
            for r in rows
            if r[1] in creative_ids
        ),
        key=lambda rec: (rec[0], rec[1]),
    )
    return _csv(AD_COLUMNS, [[d, c, *(_num(v) for v in vals)] for d, c, *vals in records])


def _store_daily_csv(ctx: queries.OrgContext) -> str:
    """Store revenue and orders per local day over the whole order history."""
    first = min(d for d in (ctx.earliest_order, ctx.earliest_ad) if d)
    period = queries.Period(first, ctx.latest)  # type: ignore[arg-type]
    series = queries.daily_series(ctx, queries.Filters(), period)
    rows = [
        [day.date().isoformat(), _num(r["store_revenue"]), _num(r["orders"])]
        for day, r in series.iterrows()
        if r["store_revenue"] == r["store_revenue"]  # not NaN: inside the order history
    ]
    return _csv(("date", "store_revenue", "orders"), rows)


def _integrations(org_id: int, as_of: date) -> dict[str, Any]:
    """The connections as the page shows them, with a nightly sync history before `as_of`.

    The seeded brand has no sync jobs (its data was loaded, not synced), so the history is the
    schedule the product runs: each connection nightly, a few days back, newest first.
    """
    conns = sorted(connection_summaries(org_id, with_hint=False), key=lambda c: c["platform"])
    history: list[dict[str, Any]] = []
    out = []
    next_id = 1
    for back in range(HISTORY_DAYS, 0, -1):
        day = as_of + timedelta(days=2 - back)  # the night after each data day
        for i, conn in enumerate(conns, start=1):
            hour, minute, seconds = SYNC_SLOTS.get(conn["platform"], (2, 5, 0))
            created = datetime.combine(day, time(hour, minute), tzinfo=UTC)
            restated = 3 if conn["platform"] != "shopify" else 1
            history.append(
                {
                    "id": next_id,
                    "connection_id": i,
                    "platform": conn["platform"],
                    "account_name": conn["account_name"] or conn["account_id"],
                    "trigger": "scheduled",
                    "status": "succeeded",
                    "progress": 100,
                    "rows": _sync_rows(conn, restated),
                    "error": None,
                    "attempts": 1,
                    "created_at": created.isoformat(),
                    "started_at": (created + timedelta(seconds=2)).isoformat(),
                    "finished_at": (created + timedelta(seconds=2 + seconds)).isoformat(),
                }
            )
            next_id += 1
    history = history[::-1][:HISTORY_LIMIT]  # newest first, as many as the page lists
    for i, conn in enumerate(conns, start=1):
        latest = next(h for h in history if h["connection_id"] == i)
        out.append(
            {
                "id": i,
                "platform": conn["platform"],
                "account_id": conn["account_id"],
                "account_name": conn["account_name"],
                "status": "active",
                "last_synced_at": latest["finished_at"],
                "last_error": None,
                "token_expires_at": None,
                "token_hint": "" if conn["platform"] == "shopify" else "••••demo",
                "stored_rows": conn["stored_rows"],
                "latest_sync": {
                    k: v for k, v in latest.items() if k not in ("platform", "account_name")
                },
            }
        )
    return {"connections": out, "history": history}


def _sync_rows(conn: dict[str, Any], days: int) -> int:
    """Rows one nightly sync re-pulls: a few days of its share of the stored rows (~90 days of
    ads, ~456 of orders), so the numbers on the page add up."""
    span = 456 if conn["platform"] == "shopify" else 90
    return max(1, round(conn["stored_rows"] * days / span))


# ---- formatting (stable bytes) ---------------------------------------------------------------
def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _num(value: Any) -> str:
    """Fixed formatting: integers without a decimal point, money to the cent."""
    v = float(value)
    return str(int(v)) if v.is_integer() else f"{v:.4f}".rstrip("0").rstrip(".")


def _csv(header: tuple[str, ...], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _json(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False, default=_iso) + "\n"


@demo_cli.command("export")
@click.option("--org", "org_slug", default="lumen", show_default=True, help="Organization slug.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Directory for the snapshot files.",
)
def export_command(org_slug: str, out: Path) -> None:
    """Write the sales demo's snapshots (demo/data/) from a seeded org (`flask seed` first)."""
    org = db.session.execute(
        select(Organization).where(Organization.slug == org_slug)
    ).scalar_one_or_none()
    if org is None:
        raise ExportError(f"no organization with slug {org_slug!r}: run `flask seed` first")
    with org_scope(org.id):
        paths = export_demo(org.id, out)
    for path in paths:
        click.echo(f"wrote {path}")
