"""The weekly digest: Monday 08:00 in each org's time zone, to CMO and VP Growth (and anyone
who opted in): the week's numbers, the top actions and their impact, decisions taken, the
risk trend and a small MER chart (a PNG drawn with Pillow, inline). HTML + plain text.

A cron tick every 30 minutes (jobs/schedule.py) sends to each org whose local time is
Monday 08:00 or later and that has no DigestLog row for that Monday yet; the row is written
first (unique per org and week), so two schedulers never send twice.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import app_config, db
from jobs.alert_mail import TEMPLATES
from jobs.alerts import members, unsubscribe_headers
from jobs.notify import deliver
from models import ActionDecision, BrainState, Membership, Organization, User
from models.alerts import DigestLog, prefs_for, unsubscribe_token, wants_digest
from models.decisions import LEGACY
from models.tenancy import org_scope

log = logging.getLogger(__name__)

SEND_HOUR = 8  # local time, Mondays (docs/product.md "Alerts")
CHART_CID = "mer-chart"
CHART_DAYS = 28


def due_week(timezone: str, now: datetime) -> date | None:
    """The local Monday whose digest is due at ``now`` (UTC), or None: Monday from 08:00
    local time on, whatever the UTC offset is that day (daylight saving included)."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    if local.weekday() != 0 or local.hour < SEND_HOUR:
        return None
    return local.date()


def send_digests(now: datetime | None = None) -> dict[str, Any]:
    """Cron entry point: send every digest that is due (idempotent per org and week)."""
    now = now or datetime.now(UTC)
    sent: list[int] = []
    due = [
        (org.id, week)
        for org in db.session.execute(select(Organization).order_by(Organization.id)).scalars()
        if (week := due_week(org.timezone, now)) is not None
    ]
    for org_id, week in due:
        with org_scope(org_id):  # a cron job has no org: each digest reads only its own
            db.session.add(DigestLog(org_id=org_id, week=week))
            try:
                db.session.commit()
            except IntegrityError:  # already sent this week (or another scheduler is sending)
                db.session.rollback()
                continue
            count = send_digest(org_id, week, now)
            db.session.execute(
                DigestLog.__table__.update()
                .where(DigestLog.org_id == org_id, DigestLog.week == week)
                .values(recipients=count)
            )
            db.session.commit()
        sent.append(org_id)
    return {"orgs": sent}


def digest_recipients(org_id: int) -> list[tuple[User, Membership]]:
    return [(u, m) for u, m in members(org_id) if wants_digest(prefs_for(org_id, u.id), m.persona)]


def digest_content(org_id: int, now: datetime) -> dict[str, Any]:
    """What the digest says (from the newest brain state and this week's decisions)."""
    states = list(
        db.session.execute(
            select(BrainState)
            .where(BrainState.org_id == org_id)
            .order_by(BrainState.computed_at.desc(), BrainState.id.desc())
            .limit(60)
        ).scalars()
    )
    latest = states[0] if states else None
    totals = (latest.memory or {}).get("totals", {}) if latest else {}
    actions = ((latest.curiosity or {}).get("actions") or []) if latest else []
    titles = {a["id"]: a.get("title", a["id"]) for a in actions}
    since = now - timedelta(days=7)
    decisions = db.session.execute(
        select(ActionDecision)
        .where(
            ActionDecision.org_id == org_id,
            ActionDecision.at >= since,
            ActionDecision.undone_at.is_(None),
        )
        .order_by(ActionDecision.at)
    ).scalars()
    # the honest shared states (models/decisions.py), older rows read through LEGACY
    status_words = {"planned": "planned", "done": "done", "dismissed": "dismissed"}
    status_words.update({old: status_words[new] for old, new in LEGACY.items()})
    daily = ((latest.memory or {}).get("daily") or [])[-CHART_DAYS:] if latest else []
    return {
        "has_state": latest is not None,
        "as_of": str(latest.as_of) if latest and latest.as_of else "",
        "spend": totals.get("spend"),
        "revenue": totals.get("store_revenue"),
        "mer": f"{totals['mer']:.2f}" if isinstance(totals.get("mer"), int | float) else None,
        "risk": ((latest.oracle or {}).get("risk") or {}).get("level") if latest else None,
        "risk_trend": risk_trend(states, now),
        "actions": [
            {"title": a.get("title", ""), "impact": a.get("impact_usd_per_week") or 0}
            for a in actions[:3]
        ],
        "decisions": [
            {"title": titles.get(d.action_id, d.action_id), "status": status_words[d.decision]}
            for d in decisions
            if d.decision in status_words
        ],
        "mer_series": [float(d["mer"]) for d in daily if d.get("mer") is not None],
    }


def risk_trend(states: list[BrainState], now: datetime) -> list[str]:
    """The risk level at the end of each of the last 4 weeks, oldest first."""
    out = []
    for weeks_ago in range(3, -1, -1):
        end = now - timedelta(weeks=weeks_ago)
        level = next(
            (
                (s.oracle or {}).get("risk", {}).get("level")
                for s in states
                if _aware(s.computed_at) <= end
            ),
            None,
        )
        out.append(level or "—")
    return out


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sparkline_png(values: list[float], width: int = 480, height: int = 120) -> bytes:
    """A small line chart of ``values`` (no axes: the numbers are in the text)."""
    scale = 2  # drawn at 2x and scaled down: smooth lines without anti-aliasing support
    img = Image.new("RGB", (width * scale, height * scale), "white")
    draw = ImageDraw.Draw(img)
    if len(values) >= 2:
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        pad = 8 * scale
        w, h = width * scale - 2 * pad, height * scale - 2 * pad
        points = [
            (pad + i * w / (len(values) - 1), pad + h - (v - low) / span * h)
            for i, v in enumerate(values)
        ]
        draw.line(points, fill=(69, 39, 214), width=3 * scale, joint="curve")
        x, y = points[-1]
        r = 4 * scale
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(69, 39, 214))
    img = img.resize((width, height), Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def money(value: Any) -> str:
    try:
        return f"${float(value):,.0f}"
    except (TypeError, ValueError):
        return "—"


def render_digest(org: Organization, content: dict, link: str, unsubscribe: str) -> tuple:
    """(subject, text, html, images) of one org's digest."""
    subject = f"Your week in Omnify Brain: {org.name}"
    if content["risk"]:
        subject += f" · risk {content['risk']}"
    lines = [f"Weekly digest for {org.name}", ""]
    if content["has_state"]:
        lines += [
            f"Last 30 days to {content['as_of']}: spend {money(content['spend'])}, "
            f"store revenue {money(content['revenue'])}, MER {content['mer'] or '—'}.",
            "Risk trend (last 4 weeks): " + " → ".join(content["risk_trend"]),
            "",
            "Top actions:",
            *[f"- {a['title']} (about {money(a['impact'])} a week)" for a in content["actions"]],
        ]
    else:
        lines.append("No numbers yet: connect a platform and run the first sync.")
    lines += ["", "Decisions this week:"]
    lines += [f"- {d['title']}: {d['status']}" for d in content["decisions"]] or ["- none"]
    lines += ["", f"Open the dashboard: {link}", "", f"--\nStop the weekly digest: {unsubscribe}"]
    images = {}
    if len(content["mer_series"]) >= 2:
        images[CHART_CID] = sparkline_png(content["mer_series"])
    html = TEMPLATES.get_template("digest.html").render(
        org=org,
        c=content,
        money=money,
        link=link,
        unsubscribe=unsubscribe,
        chart_cid=CHART_CID if images else None,
        chart_days=CHART_DAYS,
        subject=subject,
    )
    return subject, "\n".join(lines) + "\n", html, images


def send_digest(org_id: int, week: date, now: datetime | None = None) -> int:
    """Mail the digest to the org's readers; returns how many got it."""
    org = db.session.get(Organization, org_id)
    if org is None:
        return 0
    base = app_config().base_url
    content = digest_content(org_id, now or datetime.now(UTC))
    count = 0
    for user, _member in digest_recipients(org_id):
        unsub = base + "/unsubscribe/" + unsubscribe_token(org_id, user.id, "digest")
        subject, text, html, images = render_digest(org, content, base + "/", unsub)
        try:
            deliver(
                [user.email],
                subject,
                text,
                html=html,
                images=images,
                headers=unsubscribe_headers(unsub),
                org_id=org_id,
            )
            count += 1
        except Exception:  # noqa: BLE001 - one bad mailbox must not stop the others
            log.exception("digest of org %s to user %s failed (week %s)", org_id, user.id, week)
    return count
