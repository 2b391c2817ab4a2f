"""Accounts: sign-up, login, logout, password reset, change password, invites, org switch."""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from extensions import db, limiter, login_manager
from models import Invite, Membership, Organization, User
from models.org import ROLES
from models.tenancy import current_membership

bp = Blueprint("auth", __name__, template_folder="templates")

RESET_MAX_AGE_S = 3600
INVITE_MAX_AGE_S = 7 * 24 * 3600
MIN_PASSWORD = 10
PERSONA_CHOICES = [("cmo", "CMO"), ("vp_growth", "VP Growth"), ("director", "Director")]
ROLE_CHOICES = [(r, r.title()) for r in ROLES if r != "owner"]


# ---- forms -------------------------------------------------------------------------------
class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Remember me")


class SignupForm(FlaskForm):
    company = StringField("Company", validators=[DataRequired(), Length(max=200)])
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Work e-mail", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=MIN_PASSWORD)])
    persona = SelectField("I am the", choices=PERSONA_CHOICES, default="cmo")


class ResetRequestForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email()])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(min=MIN_PASSWORD)])
    confirm = PasswordField("Repeat it", validators=[DataRequired(), EqualTo("password")])


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField("Current password", validators=[DataRequired()])


class InviteForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email()])
    role = SelectField("Role", choices=ROLE_CHOICES, default="member")
    persona = SelectField("Persona", choices=PERSONA_CHOICES, default="cmo")


class AcceptInviteForm(NewPasswordForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])


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
        user = db.session.get(User, int(user_id))
    except (BadSignature, TypeError, ValueError):
        return None
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
    company: str, name: str, email: str, password: str, persona: str = "cmo"
) -> User:
    """Sign-up: a new organization and its owner (caller commits)."""
    org = Organization(name=company, slug=unique_slug(company), onboarding={"step": "profile"})
    user = User(email=_normal_email(email), name=name)
    user.set_password(password)
    db.session.add_all([org, user])
    db.session.flush()
    db.session.add(Membership(user=user, org=org, role="owner", persona=persona))
    user.active_org_id = org.id
    return user


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password", method="scrypt")


def _login_account_key() -> str:
    return "login:" + _normal_email(request.form.get("email", ""))


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
@limiter.limit(lambda: current_app.config["OMNIFY"].RATELIMIT_LOGIN, methods=["POST"])
@limiter.limit(
    lambda: current_app.config["OMNIFY"].RATELIMIT_LOGIN,
    methods=["POST"],
    key_func=_login_account_key,
)
def login():  # noqa: ANN201
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        # One answer (and the same slow hash) for unknown e-mail and wrong password.
        if user is None:
            check_password_hash(_dummy_hash(), form.password.data)
        elif user.check_password(form.password.data) and user.active:
            login_user(user, remember=form.remember.data)
            user.touch_login()
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        flash("E-mail or password is not right.", "danger")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


@bp.route("/logout", methods=["POST"])
def logout():  # noqa: ANN201
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup():  # noqa: ANN201
    form = SignupForm()
    if form.validate_on_submit():
        if find_user(form.email.data):
            flash("That e-mail already has an account: log in or reset the password.", "warning")
            return render_template("auth/signup.html", form=form), 409
        user = create_org_with_owner(
            form.company.data,
            form.name.data,
            form.email.data,
            form.password.data,
            form.persona.data,
        )
        db.session.commit()
        login_user(user)
        return redirect("/onboarding")  # company profile -> connect platforms -> first insights
    return render_template("auth/signup.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():  # noqa: ANN201
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        if user and user.active:
            from api.mailer import send

            link = url_for("auth.reset_password", token=make_reset_token(user), _external=True)
            send(
                [user.email],
                "Reset your Omnify Brain password",
                f"Open this link within an hour to choose a new password:\n\n{link}\n\n"
                "If you did not ask for this, ignore this e-mail.",
            )
        # Same answer whether or not the e-mail exists.
        flash("If that e-mail has an account, a reset link is on its way.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):  # noqa: ANN201
    user = user_from_reset_token(token)
    if user is None:
        flash("That reset link is invalid, used or expired. Ask for a new one.", "danger")
        return redirect(url_for("auth.reset_request"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        user.session_version += 1
        db.session.commit()
        flash("Password changed. Log in with the new one.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/new_password.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():  # noqa: ANN201
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            flash("The current password is not right.", "danger")
        else:
            current_user.set_password(form.password.data)
            current_user.session_version += 1  # other sessions and remember-me cookies die
            db.session.commit()
            login_user(current_user._get_current_object())  # this session lives on
            flash("Password changed; other sessions were logged out.", "success")
            return redirect("/")
    return render_template("auth/change_password.html", form=form)


@bp.route("/team", methods=["GET", "POST"])
@login_required
def team():  # noqa: ANN201
    membership = current_membership()
    form = InviteForm()
    if request.method == "POST":
        if not membership.is_admin:
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
            db.session.commit()
            from api.mailer import send

            token = _serializer("invite").dumps(invite.id)
            link = url_for("auth.accept_invite", token=token, _external=True)
            send(
                [invite.email],
                f"{current_user.name or current_user.email} invited you to Omnify Brain",
                f"Join {membership.org.name} on Omnify Brain:\n\n{link}\n\n"
                "The link works for 7 days.",
            )
            flash(f"Invitation sent to {invite.email}.", "success")
            return redirect(url_for("auth.team"))
    members = db.session.execute(
        select(Membership).where(Membership.org_id == membership.org_id)
    ).scalars()
    invites = db.session.execute(
        select(Invite).where(Invite.org_id == membership.org_id, Invite.accepted_at.is_(None))
    ).scalars()
    return render_template(
        "auth/team.html", form=form, members=list(members), invites=list(invites), me=membership
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):  # noqa: ANN201
    try:
        invite_id = _serializer("invite").loads(token, max_age=INVITE_MAX_AGE_S)
    except (BadSignature, SignatureExpired):
        invite_id = None
    invite = db.session.get(Invite, invite_id) if invite_id else None
    if invite is None or invite.accepted_at is not None:
        flash("That invitation is invalid, used or expired.", "danger")
        return redirect(url_for("auth.login"))
    user = find_user(invite.email)
    form = AcceptInviteForm()
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
        _join(user, invite)
        login_user(user)
        return redirect("/")
    return render_template("auth/accept_invite.html", form=form, invite=invite)


def _join(user: User, invite: Invite) -> None:
    from models.base import utcnow

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
    db.session.commit()


@bp.route("/org/switch", methods=["POST"])
@login_required
def switch_org():  # noqa: ANN201
    try:
        org_id = int(request.form.get("org_id", ""))
    except ValueError:
        abort(400)
    if not any(m.org_id == org_id for m in current_user.memberships):
        abort(404)  # another org's id looks like a missing one
    current_user.active_org_id = org_id
    db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


# ---- wiring ------------------------------------------------------------------------------
def load_user(user_key: str) -> User | None:
    """Sessions carry "id:session_version"; a stale version (password changed) is logged out."""
    try:
        user_id, version = (int(p) for p in user_key.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def init_app(server: Flask) -> None:
    login_manager.init_app(server)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    server.register_blueprint(bp)

    from app import DASH_XHR, PUBLIC_PREFIXES

    @server.before_request
    def require_login():  # noqa: ANN202 - registered before CSRFProtect: anonymous POST -> 401
        if request.path.startswith(PUBLIC_PREFIXES) or current_user.is_authenticated:
            return None
        if request.path.startswith(DASH_XHR) or request.path.startswith("/api/"):
            return jsonify(error="authentication required"), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
