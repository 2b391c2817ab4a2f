"""Alerts: findings of a recompute or a sync -> deduplicated Alert rows -> the right people.

Triggers (docs/product.md "Alerts", thresholds from the org's settings):

* creative fatigue probability in 7 days > threshold (70%): the brain's severity
* ROI decay > threshold (20%): the brain's severity
* LTV drift > threshold (15%): the brain's severity
* risk turned RED: high
* a new high-severity anomaly: high
* a sync that failed after its retries, a connection whose token expired: high, to the
  org's owners and admins (the people who can reconnect it)

Routing of the brain's findings: high urgency -> everyone in the org, medium -> VP Growth
and Director.

Dedupe: one Alert row per (org, key). A new or re-opened finding notifies; an open one
notifies again only when its severity rises above what was already sent; a finding that
clears is marked resolved (the bell shows it) and sends nothing. Each reader's channel per
kind comes from their preferences (e-mail / Slack / in-app / off); the org's Slack channel,
when set, gets each notification once.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from extensions import app_config, db
from jobs import alert_mail
from jobs.notify import deliver_or_retry
from models import BrainState, Membership, User
from models.alerts import (
    SEVERITY_RANK,
    Alert,
    AlertStatus,
    Notification,
    alert_settings,
    channel_for,
    prefs_for,
    thresholds,
    unsubscribe_token,
)
from models.base import utcnow
from models.credentials import CredentialsError, decrypt_credentials
from models.permissions import Cap, roles_with

log = logging.getLogger(__name__)

BRAIN_KINDS = ("fatigue", "roi_decay", "ltv_drift", "risk", "anomaly")
MEDIUM_PERSONAS = ("vp_growth", "director")


# ---- findings -------------------------------------------------------------------------------
PLATFORMS = {"meta": "Meta", "google_ads": "Google Ads", "tiktok": "TikTok"}
SERIES = {
    "mer": "MER",
    "revenue": "store revenue",
    "store_revenue": "store revenue",
    "spend": "spend",
    "roas": "ROAS",
    "cpa": "CPA",
}


def _platform(key: Any) -> str:
    return PLATFORMS.get(key, str(key or "all platforms"))


def _named(f: dict[str, Any]) -> str:
    name = f.get("name")
    return f" “{name}”" if name and name != f.get("creative_id") else ""


def _sev(value: Any) -> str:
    return "high" if value == "high" else "medium"


def brain_findings(oracle: dict[str, Any], limits: dict[str, float]) -> list[dict[str, Any]]:
    """The alert-worthy findings of one brain state (pure: the oracle JSON and thresholds)."""
    out: list[dict[str, Any]] = []
    for f in oracle.get("fatigue") or []:
        prob = f.get("prob_7d")
        if prob is not None and prob > limits["fatigue"]:
            out.append(
                {
                    "key": f["id"],
                    "kind": "fatigue",
                    "severity": _sev(f.get("severity")),
                    "title": f"Creative {f.get('creative_id')}{_named(f)} "
                    f"({_platform(f.get('platform'))}) {round(prob * 100)}% likely to fatigue "
                    "in 7 days",
                    "detail": {
                        "creative": f.get("creative_id") or f.get("name"),
                        "platform": _platform(f.get("platform")),
                        "prob_7d": prob,
                        "cvr_recent": f.get("cvr_recent"),
                        "cvr_baseline": f.get("cvr_baseline"),
                        "days_to_breakeven": f.get("days_to_breakeven"),
                    },
                }
            )
    for d in oracle.get("roi_decay") or []:
        decay = d.get("decay")
        if decay is not None and decay > limits["roi_decay"]:
            out.append(
                {
                    "key": d["id"],
                    "kind": "roi_decay",
                    "severity": _sev(d.get("severity")),
                    "title": f"{_platform(d.get('platform'))} ROAS down {round(decay * 100)}% "
                    "vs baseline",
                    "detail": {"platform": _platform(d.get("platform")), "decay": decay},
                }
            )
    drift = oracle.get("ltv_drift") or {}
    value = drift.get("drift")
    if value is not None and value > limits["ltv_drift"]:
        out.append(
            {
                "key": "ltv_drift",
                "kind": "ltv_drift",
                "severity": _sev(drift.get("severity")),
                "title": f"90-day LTV down {round(value * 100)}% in recent cohorts",
                "detail": {"drift": value},
            }
        )
    risk = oracle.get("risk") or {}
    if risk.get("level") == "RED":
        out.append(
            {
                "key": "risk:red",
                "kind": "risk",
                "severity": "high",
                "title": f"Risk is RED ({risk.get('high', 0)} high-severity findings)",
                "detail": {"high": risk.get("high"), "score": risk.get("score")},
            }
        )
    for a in oracle.get("anomalies") or []:
        if a.get("severity") == "high":
            out.append(
                {
                    "key": a["id"],
                    "kind": "anomaly",
                    "severity": "high",
                    "title": f"{SERIES.get(a.get('series'), a.get('series'))} "
                    f"{a.get('direction')} on {a.get('date')} "
                    f"({_platform(a.get('platform')) if a.get('platform') else 'whole store'})",
                    "detail": {"summary": a.get("summary"), "date": a.get("date")},
                }
            )
    for f in out:
        f["link"] = finding_link(f["kind"], f["key"])
    return out


def finding_link(kind: str, key: str) -> str:
    """Where a finding lives in the app (a path; mails prefix APP_BASE_URL)."""
    if kind in ("sync", "reauth"):
        return "/integrations"
    return f"/?finding={key}#card-oracle"


# ---- recording ------------------------------------------------------------------------------
def record(
    org_id: int,
    findings: list[dict[str, Any]],
    kinds: tuple[str, ...],
    resolve_missing: bool = True,
) -> list[tuple]:
    """Upsert the findings of these kinds and (``resolve_missing``) resolve the open ones
    that cleared. Returns [(alert, worsened)] to notify; the caller commits."""
    query = select(Alert).where(Alert.org_id == org_id, Alert.kind.in_(kinds))
    if not resolve_missing:
        query = query.where(Alert.key.in_([f["key"] for f in findings]))
    existing = {a.key: a for a in db.session.execute(query).scalars()}
    now = utcnow()
    to_notify: list[tuple] = []
    seen = set()
    for f in findings:
        seen.add(f["key"])
        alert = existing.get(f["key"])
        if alert is None:
            alert = Alert(org_id=org_id, key=f["key"], kind=f["kind"], status=AlertStatus.OPEN)
            db.session.add(alert)
        reopened = alert.status == AlertStatus.RESOLVED or alert.notified_severity is None
        worsened = not reopened and SEVERITY_RANK[f["severity"]] > SEVERITY_RANK.get(
            alert.notified_severity or "", 0
        )
        alert.kind, alert.severity, alert.title = f["kind"], f["severity"], f["title"][:300]
        alert.detail, alert.link, alert.updated_at = f.get("detail") or {}, f["link"], now
        if reopened or worsened:
            alert.status, alert.resolved_at, alert.notified_severity = (
                AlertStatus.OPEN,
                None,
                f["severity"],
            )
            to_notify.append((alert, worsened))
    for key, alert in existing.items():
        if key not in seen and alert.status == AlertStatus.OPEN:
            alert.status, alert.resolved_at, alert.updated_at = AlertStatus.RESOLVED, now, now
    db.session.flush()
    return to_notify


def resolve(org_id: int, keys: list[str]) -> None:
    """Mark these alerts resolved (a sync that succeeded); caller commits."""
    now = utcnow()
    for alert in db.session.execute(
        select(Alert).where(
            Alert.org_id == org_id, Alert.key.in_(keys), Alert.status == AlertStatus.OPEN
        )
    ).scalars():
        alert.status, alert.resolved_at, alert.updated_at = AlertStatus.RESOLVED, now, now


# ---- routing and delivery ---------------------------------------------------------------------
def members(org_id: int) -> list[tuple[User, Membership]]:
    """The org's active users with their membership (role, persona)."""
    return [
        (u, m)
        for u, m in db.session.execute(
            select(User, Membership)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.org_id == org_id, User.active.is_(True))
            .order_by(User.id)
        ).all()
    ]


def recipients(org_id: int, alert: Alert) -> list[tuple[User, Membership]]:
    """high -> everyone in the org; medium -> VP Growth and Director; sync/reauth -> admins."""
    rows = members(org_id)
    if alert.kind in ("sync", "reauth"):
        return [(u, m) for u, m in rows if m.role in roles_with(Cap.MANAGE_CONNECTIONS)]
    if alert.severity == "high":
        return [(u, m) for u, m in rows]
    return [(u, m) for u, m in rows if m.persona in MEDIUM_PERSONAS]


def slack_url(org_id: int) -> str | None:
    row = alert_settings(org_id)
    if row is None or not row.slack_webhook_encrypted:
        return None
    try:
        return decrypt_credentials(row.slack_webhook_encrypted).get("url")
    except CredentialsError:
        log.warning("the Slack webhook of org %s cannot be decrypted", org_id)
        return None


def notify(org_id: int, alert: Alert, worsened: bool = False) -> dict[str, int]:
    """Bell entries, e-mails and the Slack post for one alert; never raises on delivery."""
    base = app_config().base_url
    link = base + alert.link
    data = {"kind": alert.kind, "severity": alert.severity, "title": alert.title}
    data["detail"] = alert.detail or {}
    counts = {"in_app": 0, "email": 0, "slack": 0}
    pref_kind = "sync" if alert.kind in ("sync", "reauth") else alert.kind
    for user, member in recipients(org_id, alert):
        channel = channel_for(prefs_for(org_id, user.id), pref_kind)
        if channel == "off":
            continue
        db.session.add(
            Notification(
                org_id=org_id,
                user_id=user.id,
                alert_id=alert.id,
                severity=alert.severity,
                title=alert.title,
                body=alert_mail.persona_line(data, member.persona),
                link=alert.link,
            )
        )
        counts["in_app"] += 1
        if channel != "email":
            continue
        unsub = base + "/unsubscribe/" + unsubscribe_token(org_id, user.id, pref_kind)
        subj, text, html = alert_mail.render(data, member.persona, link, unsub, worsened)
        # SMTP down: the mail is queued and retried (jobs/notify.py), never lost or doubled
        if deliver_or_retry(
            [user.email],
            subj,
            text,
            html=html,
            headers=unsubscribe_headers(unsub),
            org_id=org_id,
        ):
            counts["email"] += 1
    url = slack_url(org_id)
    if url:
        from integrations.slack import post_message

        text, blocks = alert_mail.slack_blocks(data, link, worsened)
        try:
            post_message(url, text, blocks)
            counts["slack"] += 1
        except Exception as exc:  # noqa: BLE001 - Slack down must not fail the job
            log.warning("alert %s: Slack post failed: %s", alert.id, exc)
    return counts


def unsubscribe_headers(link: str) -> dict[str, str]:
    """RFC 2369 + RFC 8058 one-click unsubscribe."""
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# ---- triggers -----------------------------------------------------------------------------------
def after_recompute(state: BrainState) -> dict[str, int]:
    """Alert on a new brain state (called by jobs.brain after each recompute)."""
    org_id = state.org_id
    findings = brain_findings(state.oracle or {}, thresholds(org_id))
    to_notify = record(org_id, findings, BRAIN_KINDS)
    db.session.commit()
    sent = {"alerts": len(to_notify), "in_app": 0, "email": 0, "slack": 0}
    for alert, worsened in to_notify:
        for k, v in notify(org_id, alert, worsened).items():
            sent[k] += v
    db.session.commit()
    return sent


def connection_problem(org_id: int, connection_id: int, kind: str, title: str, reason: str) -> None:
    """A sync that failed after its retries (kind "sync") or an expired token ("reauth")."""
    key = f"{kind}:{connection_id}"
    finding = {
        "key": key,
        "kind": kind,
        "severity": "high",
        "title": title,
        "detail": {"reason": reason},
        "link": finding_link(kind, key),
    }
    to_notify = record(org_id, [finding], (kind,), resolve_missing=False)
    db.session.commit()
    for alert, worsened in to_notify:
        notify(org_id, alert, worsened)
    db.session.commit()


def connection_ok(org_id: int, connection_id: int) -> None:
    """A successful sync clears the connection's sync and reauth alerts (no mail)."""
    resolve(org_id, [f"sync:{connection_id}", f"reauth:{connection_id}"])
    db.session.commit()
