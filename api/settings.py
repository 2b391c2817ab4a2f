"""The Settings page (/settings): company profile, alert thresholds, the Slack webhook, the
org's data events (owners and admins edit, others read), each user's own notification
preferences, and the outbox of unsent mails (admins). Plus the logged-out unsubscribe link.

Every change is validated first (a clear message per field, 400, nothing stored) and
written to the audit log. Everything is scoped to the logged-in user's active org.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from api import settings_forms as forms
from extensions import app_config, csrf, db
from jobs.notify import mail_configured, outbox_mails
from layouts.onboarding import CURRENCIES, margin_percent, timezone_names
from models import Organization
from models.alerts import (
    ALERT_KINDS,
    CHANNELS,
    THRESHOLD_LABELS,
    AlertSettings,
    NotifyPref,
    alert_settings,
    channel_for,
    prefs_for,
    read_unsubscribe_token,
    thresholds,
    unsubscribe,
    wants_digest,
)
from models.base import utcnow
from models.credentials import CredentialsError, decrypt_credentials, encrypt_credentials, mask
from models.events import (
    EVENT_KINDS,
    PLATFORM_KEYS,
    EventError,
    add_event,
    delete_event,
    list_events,
)
from models.permissions import Cap, can
from models.security import audit
from models.tenancy import current_membership, org_scope

bp = Blueprint("settings", __name__, template_folder="templates")

KIND_WORDS = {"digest": "weekly digest", **{k: v.lower() for k, v in ALERT_KINDS.items()}}


def _org() -> Organization:
    org = db.session.get(Organization, current_membership().org_id)
    if org is None:
        abort(404)
    return org


def _admin() -> None:
    if not can(Cap.MANAGE_ORG):
        abort(403)


def _saved(message: str, section: str):  # noqa: ANN202
    """Post/redirect/get: the message on top, the page at the section that changed."""
    flash(message, "success")
    return redirect(url_for("settings.settings") + "#" + section, 303)


def _settings_row(org_id: int) -> AlertSettings:
    """The org's alert settings row, created (unsaved) on first use."""
    row = alert_settings(org_id)
    if row is None:
        row = AlertSettings(org_id=org_id, thresholds={})
        db.session.add(row)
    return row


def _slack_masked(org_id: int) -> str:
    row = alert_settings(org_id)
    if row is None or not row.slack_webhook_encrypted:
        return ""
    try:
        return mask(decrypt_credentials(row.slack_webhook_encrypted).get("url"))
    except CredentialsError:
        return "stored, but it cannot be read with the current CREDENTIALS_KEY"


def _page(errors: dict[str, dict[str, str]] | None = None, values: Any = None, status: int = 200):  # noqa: ANN202
    """The whole page; ``errors`` by section, ``values`` the rejected input to show again."""
    membership = current_membership()
    org = _org()
    pref = prefs_for(org.id, current_user.id)
    limits = thresholds(org.id)
    is_admin = can(Cap.MANAGE_ORG)
    return render_template(
        "settings.html",
        org=org,
        me=membership,
        is_admin=is_admin,
        errors=errors or {},
        values=values or {},
        currencies=CURRENCIES,
        timezones=timezone_names(),
        margin=margin_percent(org.gross_margin),
        limits={k: round(v * 100, 2) for k, v in limits.items()},
        threshold_labels=THRESHOLD_LABELS,
        kinds=ALERT_KINDS,
        channels=CHANNELS,
        my_channels={k: channel_for(pref, k) for k in ALERT_KINDS},
        my_digest=wants_digest(pref, membership.persona),
        slack=_slack_masked(org.id),
        events=[e for e in list_events(org.id) if e.source == "manual"],
        event_kinds=EVENT_KINDS,
        platforms=PLATFORM_KEYS,
        mail_on=mail_configured(),
        outbox=outbox_mails(org.id, limit=20) if is_admin else [],
    ), status


@bp.get("/settings")
@login_required
def settings():  # noqa: ANN201
    return _page()


@bp.post("/settings/company")
@login_required
def save_company():  # noqa: ANN201
    _admin()
    clean, errors = forms.parse_company(request.form)
    if errors:
        return _page({"company": errors}, request.form, 400)
    org = _org()
    before = {
        "name": org.name,
        "currency": org.currency,
        "timezone": org.timezone,
        "gross_margin": str(org.gross_margin),
    }
    org.name, org.currency = clean["name"], clean["currency"]
    org.timezone, org.gross_margin = clean["timezone"], clean["gross_margin"]
    after = {**clean, "gross_margin": str(clean["gross_margin"])}
    changed = {k: f"{before[k]} → {after[k]}" for k in before if str(before[k]) != str(after[k])}
    audit("settings.company", org.id, **changed)
    db.session.commit()
    return _saved("Company profile saved." if changed else "Nothing changed.", "company")


@bp.post("/settings/thresholds")
@login_required
def save_thresholds():  # noqa: ANN201
    _admin()
    clean, errors = forms.parse_thresholds(request.form)
    if errors:
        return _page({"thresholds": errors}, request.form, 400)
    org_id = current_membership().org_id
    row = _settings_row(org_id)
    row.thresholds, row.updated_at = clean, utcnow()
    audit("settings.thresholds", org_id, **{k: f"{round(v * 100, 2)}%" for k, v in clean.items()})
    db.session.commit()
    return _saved("Alert thresholds saved; they apply from the next recompute.", "thresholds")


@bp.post("/settings/notifications")
@login_required
def save_notifications():  # noqa: ANN201
    """Each member sets their own channels (viewers included: it is their inbox)."""
    clean, errors = forms.parse_prefs(request.form)
    if errors:
        return _page({"notifications": errors}, request.form, 400)
    org_id = current_membership().org_id
    pref = prefs_for(org_id, current_user.id)
    if pref is None:
        pref = NotifyPref(org_id=org_id, user_id=current_user.id)
        db.session.add(pref)
    pref.channels, pref.digest = clean["channels"], clean["digest"]
    audit("settings.notifications", org_id, digest=clean["digest"], **clean["channels"])
    db.session.commit()
    return _saved("Your notification preferences are saved.", "notifications")


@bp.post("/settings/slack")
@login_required
def save_slack():  # noqa: ANN201
    _admin()
    allow_local = app_config().ENV != "production"
    clean, errors = forms.parse_slack(request.form, allow_local=allow_local)
    if errors:
        return _page({"slack": errors}, {}, 400)  # never echo the URL back
    org_id = current_membership().org_id
    row = _settings_row(org_id)
    if clean["url"] is None:
        row.slack_webhook_encrypted = None
        audit("settings.slack", org_id, webhook="removed")
        message = "Slack webhook removed."
    else:
        row.slack_webhook_encrypted = encrypt_credentials({"url": clean["url"]})
        audit("settings.slack", org_id, webhook=mask(clean["url"]))
        message = "Slack webhook saved (stored encrypted). Alerts now post to that channel."
    row.updated_at = utcnow()
    db.session.commit()
    return _saved(message, "slack")


@bp.post("/settings/events")
@login_required
def add_data_event():  # noqa: ANN201
    _admin()
    org_id = current_membership().org_id
    data = {k: request.form.get(k) for k in ("kind", "start", "end", "platform", "note")}
    try:
        ev = add_event(org_id, current_user.id, data)
    except EventError as exc:
        db.session.rollback()
        return _page({"events": {"event": str(exc).capitalize() + "."}}, request.form, 400)
    audit("settings.event_added", org_id, kind=ev.kind, start=str(ev.start), end=str(ev.end))
    db.session.commit()
    return _saved("Event added; the brain takes it into account from the next recompute.", "events")


@bp.post("/settings/events/<int:event_id>/delete")
@login_required
def remove_data_event(event_id: int):  # noqa: ANN201
    _admin()
    org_id = current_membership().org_id
    if not delete_event(org_id, event_id):
        abort(404)  # another org's event looks like a missing one
    audit("settings.event_removed", org_id, event_id=event_id)
    db.session.commit()
    return _saved("Event removed.", "events")


@bp.get("/settings/outbox/<name>")
@login_required
def outbox_html(name: str):  # noqa: ANN201
    """One unsent mail's HTML part (admins of the org it was written for)."""
    _admin()
    mail = next(
        (m for m in outbox_mails(current_membership().org_id, 200) if m["name"] == name), None
    )
    if mail is None or not mail["html"]:
        abort(404)
    resp = Response(mail["html"], mimetype="text/html")
    resp.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    )
    return resp


# ---- unsubscribe (logged out) ----------------------------------------------------------------
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the credential; RFC 8058 one-click POSTs carry no session
def unsubscribe_link(token: str):  # noqa: ANN201
    """GET: one button (mail scanners that open links change nothing); POST: done."""
    parsed = read_unsubscribe_token(token)
    if parsed is None:
        return render_template("unsubscribe.html", state="invalid"), 404
    org_id, user_id, kind = parsed
    if request.method == "GET":
        return render_template("unsubscribe.html", state="ask", what=KIND_WORDS[kind], token=token)
    with org_scope(org_id):  # logged out: the signed token names the org
        if not unsubscribe(org_id, user_id, kind):
            db.session.rollback()
            return render_template("unsubscribe.html", state="invalid"), 404
        audit("settings.unsubscribe", org_id, user_id, kind=kind)
        db.session.commit()
    return render_template("unsubscribe.html", state="done", what=KIND_WORDS[kind])
