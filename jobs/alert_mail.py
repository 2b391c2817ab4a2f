"""The words of an alert, per reader: subject, plain text, HTML and Slack blocks.

Persona voices follow docs/product.md: CMO "Here's the truth:" (business, payback),
VP Growth "This week:" (numbers, probabilities), Director "Action needed:" (what to do now).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

PREFIX = {"cmo": "Here's the truth:", "vp_growth": "This week:", "director": "Action needed:"}
KIND_LABEL = {
    "fatigue": "Creative fatigue",
    "roi_decay": "ROI decay",
    "ltv_drift": "LTV drift",
    "risk": "Risk level",
    "anomaly": "Anomaly",
    "sync": "Sync failed",
    "reauth": "Connection expired",
}
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "mail_templates"),
    autoescape=select_autoescape(default=True),
)
SEVERITY_COLOR = {"high": "#b42318", "medium": "#b54708"}


def pct(value: Any) -> str:
    try:
        return f"{round(float(value) * 100)}%"
    except (TypeError, ValueError):
        return "—"


def persona_line(alert: dict[str, Any], persona: str) -> str:
    """One sentence in the reader's words."""
    d = alert.get("detail") or {}
    kind = alert["kind"]
    if kind == "fatigue":
        who = f"creative {d.get('creative') or '?'} on {d.get('platform') or 'its platform'}"
        who_cap = "C" + who[1:]
        if persona == "cmo":
            days = d.get("days_to_breakeven")
            tail = (
                " and has already stopped paying back"
                if days == 0
                else f" and will stop paying back in ~{days} days"
                if days
                else ""
            )
            return f"{who_cap} is wearing out{tail}."
        if persona == "vp_growth":
            return (
                f"{who_cap}: {pct(d.get('prob_7d'))} fatigue probability in 7 days, "
                f"CVR {pct(d.get('cvr_baseline'))} → {pct(d.get('cvr_recent'))}."
            )
        return f"Pause now: {who} ({pct(d.get('prob_7d'))} likely to fatigue within 7 days)."
    if kind == "roi_decay":
        platform, decay = d.get("platform") or "a platform", pct(d.get("decay"))
        return {
            "cmo": f"Money spent on {platform} is returning {decay} less than before.",
            "vp_growth": f"{platform} ROAS down {decay} against its baseline.",
        }.get(persona, f"Move budget away from {platform}: ROAS is down {decay}.")
    if kind == "ltv_drift":
        drift = pct(d.get("drift"))
        return {
            "cmo": f"New customers are worth {drift} less over 90 days than before.",
            "vp_growth": f"90-day LTV of recent cohorts is down {drift}.",
        }.get(persona, f"Start a retention action: 90-day LTV is down {drift}.")
    if kind == "risk":
        return {
            "cmo": "Risk is RED: several findings need a decision today.",
            "vp_growth": f"Risk is RED ({d.get('high', '?')} high-severity findings).",
            "director": "Risk is RED: work through the recommended actions now.",
        }.get(persona, "Risk is RED.")
    if kind == "anomaly":
        return str(d.get("summary") or alert["title"])
    if kind in ("sync", "reauth"):
        return str(d.get("reason") or alert["title"])
    return str(alert["title"])


def subject(alert: dict[str, Any], persona: str, worsened: bool = False) -> str:
    label = KIND_LABEL.get(alert["kind"], "Alert")
    worse = " (worse)" if worsened else ""
    return f"{PREFIX.get(persona, '')} {label}{worse}: {alert['title']}".strip()


def render(
    alert: dict[str, Any],
    persona: str,
    link: str,
    unsubscribe_link: str,
    worsened: bool = False,
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of one alert mail for one reader."""
    line = persona_line(alert, persona)
    sev = alert["severity"]
    kind_label = KIND_LABEL.get(alert["kind"], "Alert")
    text = (
        f"{PREFIX.get(persona, '')} {line}\n\n"
        f"{kind_label} · {sev} urgency{' · worse than before' if worsened else ''}\n"
        f"{alert['title']}\n\n"
        f"Open it: {link}\n\n"
        f"--\nStop these e-mails ({kind_label}): {unsubscribe_link}\n"
    )
    html = TEMPLATES.get_template("alert.html").render(
        subject=subject(alert, persona, worsened),
        color=SEVERITY_COLOR.get(sev, "#344054"),
        kind_label=kind_label,
        severity=sev,
        worsened=worsened,
        prefix=PREFIX.get(persona, ""),
        line=line,
        title=alert["title"],
        link=link,
        unsubscribe=unsubscribe_link,
    )
    return subject(alert, persona, worsened), text, html


def slack_blocks(alert: dict[str, Any], link: str, worsened: bool = False) -> tuple[str, list]:
    """(fallback text, Block Kit blocks) for the org's channel (VP Growth wording: numbers)."""
    label = KIND_LABEL.get(alert["kind"], "Alert")
    line = persona_line(alert, "vp_growth")
    fallback = f"{label} ({alert['severity']}): {alert['title']}"
    emoji = ":red_circle:" if alert["severity"] == "high" else ":large_orange_circle:"
    blocks = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"{emoji} *{label}* · {alert['severity']} urgency"
                f"{' · worse' if worsened else ''}\n{line}",
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open in Omnify Brain"},
                    "url": link,
                }
            ],
        },
    ]
    return fallback, blocks
