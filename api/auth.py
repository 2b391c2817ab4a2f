"""Accounts: sign-up, login, logout, password reset, change password, invites, org switch.

Logins are LoginSession rows (api cookie and remember-me carry the row's token): logout revokes
the row, "log out everywhere" revokes them all. Failed logins slow down per e-mail
(exponential wait) and per client address (Flask-Limiter); the owner of the e-mail is told.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from functools import cache
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS, _Auto
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from api.passwords import MAX_PASSWORD, MIN_PASSWORD, StrongPassword
from api.security import external_url
from extensions import app_config, db, limiter, login_manager
from models import AuditLog, Invite, LoginSession, LoginThrottle, Membership, Organization, User
from models.base import utcnow
from models.credentials import open_sealed, seal
from models.org import (
    PERSONA_LABELS,
    PERSONAS,
    ROLE_LABELS,
    ROLES,
    removal_problem,
    role_change_problem,
)
from models.permissions import Cap
from models.security import (
    SESSION_LIFETIME,
    active_session_count,
    audit,
    live_session,
    revoke_sessions,
    token_hash,
)
from models.tenancy import current_membership, unscoped

bp = Blueprint("auth", __name__, template_folder="templates")

# Paths anyone may fetch (the login guard below). Everything else needs a login.
PUBLIC_PREFIXES = (
    "/login",
    "/signup",
    "/reset",
    "/invite/",
    "/unsubscribe/",  # signed per-user links in mails (api/settings.py)
    "/healthz",
    "/readyz",
    "/metrics",  # its own bearer token (METRICS_TOKEN)
    "/webhooks/",
    "/api/cron/",
    "/_dash-component-suites/",
    "/assets/",
    "/_favicon.ico",
    "/static/",
)
# Dash's XHR endpoints: an anonymous call gets a JSON 401, not a redirect to the login page.
DASH_XHR = ("/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/_reload-hash")

RESET_MAX_AGE_S = 3600
INVITE_MAX_AGE_S = 7 * 24 * 3600
SIGNUP_MAX_AGE_S = 24 * 3600
FREE_FAILURES = 5  # failed logins per e-mail before each further one waits
FIRST_WAIT_S = 15  # ...15 s, then 30 s, 60 s, ... doubling
MAX_WAIT_S = 15 * 60  # never longer than this: slowed down, never locked out
NOTIFY_AT = 10  # failures that make us e-mail the account's owner (once a day at most)
FAILURE_MEMORY = timedelta(hours=24)  # failures older than this are forgotten
AUDIT_PAGE = 20
AUDIT_KINDS = ("login", "member", "invite", "connection", "export", "billing")
PERSONA_CHOICES = list(PERSONA_LABELS.items())
ROLE_CHOICES = [(r, ROLE_LABELS[r]) for r in ROLES if r != "owner"]
MEMBER_ROLE_CHOICES = [(r, ROLE_LABELS[r]) for r in ROLES]


# ---- forms -------------------------------------------------------------------------------
class Form(FlaskForm):
    """Reads only the urlencoded/multipart form fields: a file or a JSON body in a text field
    is an empty field (a clear 400), never a crash."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):  # noqa: ANN001, ANN201
            if formdata is not _Auto:
                return formdata
            if request.method in SUBMIT_METHODS:
                return request.form
            return None


class LoginForm(Form):
    email = EmailField("E-mail", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Remember me")


class SignupForm(Form):
    company = StringField("Company", validators=[DataRequired(), Length(max=200)])
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Work e-mail", validators=[DataRequired(), Email()])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=MAX_PASSWORD), StrongPassword()],
    )
    persona = SelectField("I am the", choices=PERSONA_CHOICES, default="cmo")


class ResetRequestForm(Form):
    email = EmailField("E-mail", validators=[DataRequired(), Email()])


class NewPasswordForm(Form):
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=MAX_PASSWORD), StrongPassword()],
    )
    confirm = PasswordField("Repeat it", validators=[DataRequired(), EqualTo("password")])


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField("Current password", validators=[DataRequired()])


class InviteForm(Form):
    email = EmailField("E-mail", validators=[DataRequired(), Email()])
    role = SelectField("Role", choices=ROLE_CHOICES, default="member")
    persona = SelectField("Persona", choices=PERSONA_CHOICES, default="cmo")


class AcceptInviteForm(NewPasswordForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])


class MemberForm(Form):
    role = SelectField("Role", choices=MEMBER_ROLE_CHOICES)
    persona = SelectField("Persona", choices=PERSONA_CHOICES)


class ConfirmForm(Form):
    """A button: confirming a sign-up is a POST, so mail scanners opening links create nothing."""


# ---- helpers -----------------------------------------------------------------------------
def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _normal_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.execute(
        select(User).where(func.lower(User.email) == _normal_email(email))
    ).scalar_one_or_none()


def make_reset_token(user: User) -> str:
    # The password hash is in the salt: once the password changes the token is dead (single use).
    return _serializer("reset:" + user.password_hash).dumps(user.id)


def user_from_reset_token(token: str) -> User | None:
    try:
        user_id = URLSafeTimedSerializer(current_app.config["SECRET_KEY"]).loads_unsafe(token)[1]
        user_id = int(user_id)
    except (BadSignature, TypeError, ValueError, OverflowError):
        return None
    if not 0 < user_id < 2**31:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    try:
        _serializer("reset:" + user.password_hash).loads(token, max_age=RESET_MAX_AGE_S)
    except (BadSignature, SignatureExpired):
        return None
    return user


def unique_slug(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "org"
    slug, n = base, 1
    while db.session.execute(select(Organization.id).where(Organization.slug == slug)).first():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_org_with_owner(
    company: str,
    name: str,
    email: str,
    password: str | None,
    persona: str = "cmo",
    password_hash: str | None = None,
) -> User:
    """Sign-up: a new organization and its owner (caller commits)."""
    org = Organization(name=company, slug=unique_slug(company), onboarding={"step": "profile"})
    user = User(email=_normal_email(email), name=name)
    if password_hash:
        user.password_hash = password_hash
    else:
        user.set_password(password or "")
    db.session.add_all([org, user])
    db.session.flush()
    db.session.add(Membership(user=user, org=org, role="owner", persona=persona))
    user.active_org_id = org.id
    return user


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password", method="scrypt")


def start_session(user: User, remember: bool = False) -> None:
    """Log the user in on a new LoginSession row (caller commits) with a fresh CSRF token."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(
            user_id=user.id,
            token_hash=token_hash(token),
            remember=bool(remember),
            user_agent=(request.user_agent.string or "")[:200],
            expires_at=utcnow() + SESSION_LIFETIME,
        )
    )
    db.session.execute(  # this user's dead sessions are of no further use
        delete(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.expires_at < utcnow())
        .execution_options(synchronize_session=False)
    )
    user.login_token = token
    login_user(user, remember=bool(remember), duration=SESSION_LIFETIME)
    # The pre-login CSRF token (seen by whoever shared this browser) dies with the login.
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)


def _throttle_wait(row: LoginThrottle | None) -> int:
    """Seconds this e-mail must still wait before its next login attempt (0: go ahead)."""
    if row is None or row.failures < FREE_FAILURES or row.last_failure_at is None:
        return 0
    wait = min(FIRST_WAIT_S * 2 ** (row.failures - FREE_FAILURES), MAX_WAIT_S)
    elapsed = (utcnow() - _aware(row.last_failure_at)).total_seconds()
    return max(0, int(wait - elapsed + 0.999))


def _aware(moment):  # noqa: ANN001, ANN202 - SQLite hands back naive UTC datetimes
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _record_failure(email: str, user: User | None) -> None:
    now = utcnow()
    db.session.execute(  # forgotten failures of other e-mails need no row
        delete(LoginThrottle)
        .where(LoginThrottle.last_failure_at < now - FAILURE_MEMORY, LoginThrottle.email != email)
        .execution_options(synchronize_session=False)
    )
    row = db.session.get(LoginThrottle, email)
    if row is None:
        row = LoginThrottle(email=email, failures=0)
        db.session.add(row)
    elif row.last_failure_at and now - _aware(row.last_failure_at) > FAILURE_MEMORY:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    recently = row.notified_at and now - _aware(row.notified_at) < FAILURE_MEMORY
    if user is not None and row.failures >= NOTIFY_AT and not recently:
        row.notified_at = now
        from api.mailer import send

        send(
            [user.email],
            "Failed logins to your Omnify Brain account",
            f"Someone tried to log in to your account with a wrong password {row.failures} "
            "times in the last day. If it was you, nothing to do. If not, your account is "
            "safe as long as the password is strong; each further failed attempt now waits "
            "longer. To be sure, choose a new password:\n\n"
            f"{external_url('auth.reset_request')}\n",
        )


def _login_page(form: LoginForm, status: int, retry_after: int | None = None):  # noqa: ANN202
    resp = current_app.make_response((render_template("auth/login.html", form=form), status))
    if retry_after:
        resp.headers["Retry-After"] = str(retry_after)
    return resp


def _safe_next(target: str | None) -> str:
    """A local path only: browsers drop tabs/newlines and read "\\" as "/", so refuse them."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)
    ):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


# ---- routes ------------------------------------------------------------------------------
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: app_config().RATELIMIT_LOGIN, methods=["POST"])
def login():  # noqa: ANN201
    form = LoginForm()
    if not form.validate_on_submit():
        if request.method == "POST":
            flash("E-mail or password is not right.", "danger")
        return _login_page(form, 200 if request.method == "GET" else 401)
    email = _normal_email(form.email.data)
    wait = _throttle_wait(db.session.get(LoginThrottle, email))
    if wait:
        flash(
            f"Too many failed attempts for this e-mail: try again in {wait} seconds. "
            "Forgot the password? Reset it below.",
            "warning",
        )
        return _login_page(form, 429, retry_after=wait)
    user = find_user(email)
    # One answer (and the same slow hash) for unknown e-mail and wrong password.
    if user is None:
        check_password_hash(_dummy_hash(), form.password.data)
    elif user.check_password(form.password.data) and user.active:
        throttle = db.session.get(LoginThrottle, email)
        if throttle is not None:
            db.session.delete(throttle)
        start_session(user, remember=form.remember.data)
        user.touch_login()
        audit("login.success", user.org_id, user.id, remember=bool(form.remember.data))
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")))
    _record_failure(email, user)
    audit(
        "login.failed",
        user.org_id if user else None,
        user.id if user else None,
        email=email,
        ip=request.remote_addr,
    )
    db.session.commit()
    flash("E-mail or password is not right.", "danger")
    return _login_page(form, 401)


@bp.route("/logout", methods=["POST"])
def logout():  # noqa: ANN201
    if current_user.is_authenticated and current_user.login_token:
        revoke_sessions(current_user.id, token=current_user.login_token)
        db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():  # noqa: ANN201
    user = current_user._get_current_object()
    count = revoke_sessions(user.id)
    audit("login.logout_everywhere", user.org_id, user.id, sessions=count)
    db.session.commit()
    logout_user()
    flash(f"Logged out of {count} session(s) on every device.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup():  # noqa: ANN201
    """The same answer whether or not the e-mail has an account: the mail says what to do."""
    form = SignupForm()
    if not form.validate_on_submit():
        status = 200 if request.method == "GET" else 400
        return render_template("auth/signup.html", form=form), status
    from api.mailer import send

    email = _normal_email(form.email.data)
    if find_user(email):
        check_password_hash(_dummy_hash(), form.password.data)  # the same work either way
        send(
            [email],
            "Your Omnify Brain account",
            "Someone (probably you) tried to sign up with this e-mail, which already has an "
            f"Omnify Brain account. Log in:\n\n{external_url('auth.login')}\n\n"
            f"Forgot the password? Choose a new one:\n\n{external_url('auth.reset_request')}\n",
        )
    else:
        token = seal(
            {
                "company": form.company.data,
                "name": form.name.data,
                "email": email,
                "persona": form.persona.data,
                "password_hash": generate_password_hash(form.password.data, method="scrypt"),
            }
        )
        send(
            [email],
            "Confirm your e-mail for Omnify Brain",
            f"Open this link within a day to create the {form.company.data} account:\n\n"
            f"{external_url('auth.confirm_signup', token=token)}\n\n"
            "If you did not sign up, ignore this e-mail.",
        )
    return render_template("auth/check_email.html", email=email), 200


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def confirm_signup(token: str):  # noqa: ANN201
    data = open_sealed(token, max_age=SIGNUP_MAX_AGE_S)
    keys = {"company", "name", "email", "persona", "password_hash"}
    if not isinstance(data, dict) or not keys <= set(data) or data["persona"] not in PERSONAS:
        flash("That confirmation link is invalid or expired. Sign up again.", "danger")
        return redirect(url_for("auth.signup"))
    if find_user(data["email"]):
        flash("This e-mail is confirmed already: log in.", "info")
        return redirect(url_for("auth.login"))
    form = ConfirmForm()
    if form.validate_on_submit():
        user = create_org_with_owner(
            data["company"],
            data["name"],
            data["email"],
            None,
            data["persona"],
            password_hash=data["password_hash"],
        )
        db.session.flush()
        start_session(user)
        audit("login.signup", user.org_id, user.id)
        db.session.commit()
        return redirect("/onboarding")  # company profile -> connect platforms -> first insights
    return render_template("auth/confirm_signup.html", form=form, data=data)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():  # noqa: ANN201
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        if user and user.active:
            from api.mailer import send

            link = external_url("auth.reset_password", token=make_reset_token(user))
            send(
                [user.email],
                "Reset your Omnify Brain password",
                f"Open this link within an hour to choose a new password:\n\n{link}\n\n"
                "If you did not ask for this, ignore this e-mail.",
            )
        # Same answer whether or not the e-mail exists.
        flash("If that e-mail has an account, a reset link is on its way.", "info")
        return redirect(url_for("auth.login"))
    status = 200 if request.method == "GET" else 400
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):  # noqa: ANN201
    user = user_from_reset_token(token)
    if user is None:
        flash("That reset link is invalid, used or expired. Ask for a new one.", "danger")
        return redirect(url_for("auth.reset_request"))
    form = NewPasswordForm()
    form.password_context = [user.email, user.name] + [m.org.name for m in user.memberships]
    if form.validate_on_submit():
        user.set_password(form.password.data)
        user.session_version += 1
        revoke_sessions(user.id)  # whoever knew the old password is logged out everywhere
        db.session.execute(
            LoginThrottle.__table__.delete().where(LoginThrottle.email == user.email)
        )
        db.session.commit()
        flash("Password changed. Log in with the new one.", "success")
        return redirect(url_for("auth.login"))
    status = 200 if request.method == "GET" else 400
    return render_template("auth/new_password.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():  # noqa: ANN201
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    form.password_context = [user.email, user.name] + [m.org.name for m in user.memberships]
    status = 200 if request.method == "GET" else 400
    if form.validate_on_submit():
        if not user.check_password(form.current.data):
            flash("The current password is not right.", "danger")
        else:
            user.set_password(form.password.data)
            user.session_version += 1
            revoke_sessions(user.id, keep=user.login_token)  # other sessions die
            db.session.commit()
            flash("Password changed; other sessions were logged out.", "success")
            return redirect("/")
    return render_template(
        "auth/change_password.html",
        form=form,
        logout_form=ConfirmForm(),
        sessions=active_session_count(user.id),
    ), status


@bp.route("/team", methods=["GET", "POST"])
@login_required
def team():  # noqa: ANN201
    membership = current_membership()
    form = InviteForm()
    status = 200
    if request.method == "POST":
        if not membership.can(Cap.MANAGE_TEAM):
            abort(403)
        if form.validate_on_submit():
            invite = Invite(
                org_id=membership.org_id,
                email=_normal_email(form.email.data),
                role=form.role.data,
                persona=form.persona.data,
                invited_by_id=current_user.id,
            )
            db.session.add(invite)
            db.session.flush()
            audit(
                "invite.sent",
                membership.org_id,
                current_user.id,
                email=invite.email,
                role=invite.role,
                persona=invite.persona,
            )
            db.session.commit()
            flash(*_send_invite(invite, membership.org.name))
            return redirect(url_for("auth.team"))
        status = 400
    members = db.session.execute(
        select(Membership).where(Membership.org_id == membership.org_id).order_by(Membership.id)
    ).scalars()
    invites = db.session.execute(
        select(Invite).where(Invite.org_id == membership.org_id, Invite.accepted_at.is_(None))
    ).scalars()
    return render_template(
        "auth/team.html",
        form=form,
        member_form=MemberForm(formdata=None),
        members=list(members),
        invites=list(invites),
        me=membership,
        manage=membership.can(Cap.MANAGE_TEAM),
        audit=_audit_page(membership) if membership.can(Cap.MANAGE_TEAM) else None,
        role_labels=ROLE_LABELS,
        persona_labels=PERSONA_LABELS,
    ), status


def _send_invite(invite: Invite, org_name: str) -> tuple[str, str]:
    """E-mail the invitation link; returns the truthful (flash message, category)."""
    from api.mailer import delivery_words, send

    token = _serializer("invite").dumps(invite.id)
    link = external_url("auth.accept_invite", token=token)
    outcome = send(
        [invite.email],
        f"{current_user.name or current_user.email} invited you to Omnify Brain",
        f"Join {org_name} on Omnify Brain:\n\n{link}\n\nThe link works for 7 days.",
    )
    return delivery_words(outcome, "Invitation", invite.email)


def _org_member(me: Membership, membership_id: int) -> Membership:
    target = None
    if 0 < membership_id < 2**31:
        target = db.session.execute(
            select(Membership).where(Membership.id == membership_id, Membership.org_id == me.org_id)
        ).scalar_one_or_none()
    if target is None:
        abort(404)
    return target


def _owners(org_id: int) -> int:
    return db.session.scalar(
        select(db.func.count(Membership.id)).where(
            Membership.org_id == org_id, Membership.role == "owner"
        )
    )


def _admin_invite(invite_id: int) -> tuple[Membership, Invite]:
    """An owner/admin acting on a pending invite of their own org (403/404/400 otherwise)."""
    me = current_membership()
    if not me.can(Cap.MANAGE_TEAM):
        abort(403)
    invite = _org_invite(me, invite_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return me, invite


def _org_invite(me: Membership, invite_id: int) -> Invite:
    invite = None
    if 0 < invite_id < 2**31:
        invite = db.session.execute(
            select(Invite).where(
                Invite.id == invite_id, Invite.org_id == me.org_id, Invite.accepted_at.is_(None)
            )
        ).scalar_one_or_none()
    if invite is None:
        abort(404)
    return invite


@bp.route("/team/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove_member(membership_id: int):  # noqa: ANN201
    me = current_membership()
    target = _org_member(me, membership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    problem = removal_problem(me.role, target.role, _owners(me.org_id))
    if target.id == me.id and problem == "Only owners and admins can remove members.":
        problem = None  # anyone may leave (the last owner still may not)
    if problem:
        flash(problem, "danger")
        return redirect(url_for("auth.team")), 303
    email = target.user.email
    audit("member.removed", me.org_id, current_user.id, member=email, role=target.role)
    user = target.user
    db.session.delete(target)
    if user.active_org_id == me.org_id:
        user.active_org_id = None
    db.session.commit()
    if user.id == current_user.id:
        flash(f"You left {me.org.name}.", "info")
        return redirect("/"), 303
    flash(f"{email} was removed from the team.", "success")
    return redirect(url_for("auth.team")), 303


@bp.route("/team/invites/<int:invite_id>/resend", methods=["POST"])
@login_required
def resend_invite(invite_id: int):  # noqa: ANN201
    me, invite = _admin_invite(invite_id)
    audit("invite.resent", me.org_id, current_user.id, email=invite.email)
    db.session.commit()
    flash(*_send_invite(invite, me.org.name))
    return redirect(url_for("auth.team")), 303


@bp.route("/team/invites/<int:invite_id>/revoke", methods=["POST"])
@login_required
def revoke_invite(invite_id: int):  # noqa: ANN201
    me, invite = _admin_invite(invite_id)
    audit("invite.revoked", me.org_id, current_user.id, email=invite.email)
    email = invite.email
    db.session.delete(invite)
    db.session.commit()
    flash(f"The invitation for {email} was revoked; its link no longer works.", "success")
    return redirect(url_for("auth.team")), 303


def _audit_page(membership: Membership) -> dict:
    """One page of the org's audit log, newest first, optionally one kind (?kind=, ?page=)."""
    kind = request.args.get("kind", "")
    kind = kind if kind in AUDIT_KINDS else ""
    raw_page = request.args.get("page", "1")
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and len(raw_page) < 6 else 1
    page = max(page, 1)
    query = select(AuditLog).where(AuditLog.org_id == membership.org_id)
    if kind:
        query = query.where(AuditLog.action.like(kind + ".%"))
    rows = list(
        db.session.execute(
            query.order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .offset((page - 1) * AUDIT_PAGE)
            .limit(AUDIT_PAGE + 1)
        ).scalars()
    )
    emails = dict(
        db.session.execute(
            select(User.id, User.email).where(User.id.in_({r.user_id for r in rows if r.user_id}))
        ).all()
    )
    return {
        "rows": [
            {
                "at": _aware(r.at).strftime("%Y-%m-%d %H:%M UTC"),
                "action": r.action,
                "who": emails.get(r.user_id, ""),
                "detail": ", ".join(f"{k}: {v}" for k, v in sorted((r.detail or {}).items())),
            }
            for r in rows[:AUDIT_PAGE]
        ],
        "kind": kind,
        "kinds": AUDIT_KINDS,
        "page": page,
        "has_next": len(rows) > AUDIT_PAGE,
    }


@bp.route("/team/members/<int:membership_id>", methods=["POST"])
@login_required
def change_member(membership_id: int):  # noqa: ANN201
    """Owners and admins change a member's role and persona (the owner's role stays)."""
    me = current_membership()
    if not me.can(Cap.MANAGE_TEAM):
        abort(403)
    target = _org_member(me, membership_id)
    form = MemberForm()
    if not form.validate_on_submit():
        flash("Pick a role and a persona from the lists.", "danger")
        return redirect(url_for("auth.team")), 303
    if target.role != form.role.data:
        problem = role_change_problem(
            me.role, target.role, form.role.data, target.id == me.id, _owners(me.org_id)
        )
        if problem:
            flash(problem, "warning")
        else:
            audit(
                "member.role",
                me.org_id,
                current_user.id,
                member=target.user.email,
                before=target.role,
                after=form.role.data,
            )
            target.role = form.role.data
    if target.persona != form.persona.data:
        audit(
            "member.persona",
            me.org_id,
            current_user.id,
            member=target.user.email,
            before=target.persona,
            after=form.persona.data,
        )
        target.persona = form.persona.data
    db.session.commit()
    return redirect(url_for("auth.team")), 303


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):  # noqa: ANN201
    try:
        invite_id = _serializer("invite").loads(token, max_age=INVITE_MAX_AGE_S)
    except (BadSignature, SignatureExpired):
        invite_id = None
    valid_id = isinstance(invite_id, int) and 0 < invite_id < 2**31
    invite = None
    if valid_id:
        with unscoped("invite acceptance: the signed token names another org's invite"):
            invite = db.session.get(Invite, invite_id)
    if invite is None or invite.accepted_at is not None:
        flash("That invitation is invalid, used or expired.", "danger")
        return redirect(url_for("auth.login"))
    user = find_user(invite.email)
    form = AcceptInviteForm()
    org = db.session.get(Organization, invite.org_id)
    form.password_context = [invite.email, org.name if org else ""]
    if user is not None:
        if not current_user.is_authenticated or current_user.id != user.id:
            flash("Log in as the invited e-mail, then open the link again.", "info")
            return redirect(url_for("auth.login", next=request.path))
        _join(user, invite)
        return redirect("/")
    if form.validate_on_submit():
        user = User(email=invite.email, name=form.name.data)
        user.set_password(form.password.data)
        db.session.add(user)
        db.session.flush()
        start_session(user)
        _join(user, invite)
        return redirect("/")
    status = 200 if request.method == "GET" else 400
    return render_template("auth/accept_invite.html", form=form, invite=invite), status


def _join(user: User, invite: Invite) -> None:
    exists = db.session.execute(
        select(Membership).where(Membership.user_id == user.id, Membership.org_id == invite.org_id)
    ).scalar_one_or_none()
    if exists is None:
        db.session.add(
            Membership(
                user_id=user.id, org_id=invite.org_id, role=invite.role, persona=invite.persona
            )
        )
    user.active_org_id = invite.org_id
    invite.accepted_at = utcnow()
    with unscoped("invite acceptance: the new member's audit row belongs to the inviting org"):
        audit("invite.accepted", invite.org_id, user.id, email=invite.email, role=invite.role)
        db.session.commit()


@bp.route("/org/switch", methods=["POST"])
@login_required
def switch_org():  # noqa: ANN201
    raw = request.form.get("org_id", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 11):
        abort(400)
    org_id = int(raw)
    if not any(m.org_id == org_id for m in current_user.memberships):
        abort(404)  # another org's id looks like a missing one
    current_user.active_org_id = org_id
    db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


# ---- wiring ------------------------------------------------------------------------------
def load_user(user_key: str) -> User | None:
    """Cookies carry "user id:login token"; a revoked or expired LoginSession is logged out."""
    from sqlalchemy.orm import joinedload

    from models.tenancy import loading_user

    raw_id, _, token = user_key.partition(":")
    if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 11) or not token:
        return None
    with loading_user():
        # the user, their memberships and orgs in one query (every page reads the active one)
        user = db.session.get(
            User, int(raw_id), options=[joinedload(User.memberships).joinedload(Membership.org)]
        )
        if user is None or not user.active or live_session(user.id, token) is None:
            return None
    user.login_token = token
    return user


def init_app(server: Flask) -> None:
    login_manager.init_app(server)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    server.register_blueprint(bp)

    @server.before_request
    def require_login():  # noqa: ANN202 - registered before CSRFProtect: anonymous POST -> 401
        if request.path.startswith(PUBLIC_PREFIXES) or current_user.is_authenticated:
            return None
        if request.path.startswith(DASH_XHR) or request.path.startswith("/api/"):
            return jsonify(error="authentication required"), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
