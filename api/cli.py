"""Flask CLI commands: seed, create-user, brain compute, demo export."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from api.demo_export import demo_cli
from extensions import app_config, db
from models import Membership, Organization
from models.org import PERSONAS, ROLES
from models.tenancy import org_scope

brain_cli = AppGroup("brain", help="Brain computations.")


@click.command("seed")
@click.option("--force", is_flag=True, help="Seed even if organizations exist.")
@with_appcontext
def seed_command(force: bool) -> None:
    """Seed the Lumen Beauty demo brand (and its demo logins outside production)."""
    from jobs.brain import compute_and_store
    from models.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo

    if not force and db.session.execute(select(Organization.id).limit(1)).first():
        click.echo("database already has data; nothing seeded (use --force to add the demo)")
        return
    production = app_config().production
    slug = "lumen"
    if db.session.execute(select(Organization.id).where(Organization.slug == slug)).first():
        slug = f"lumen-{db.session.execute(select(db.func.count(Organization.id))).scalar() + 1}"
    org = seed_demo(with_users=not production, slug=slug)
    with org_scope(org.id):
        row = compute_and_store(org.id)
        click.echo(f"seeded {org.name} ({org.slug}); first brain state in {row.duration_ms} ms")
        _narratives(org.id, row.id)
    if not production:
        for email, _name, _role, persona in DEMO_USERS:
            click.echo(f"  login {email} / {DEMO_PASSWORD}  ({persona})")


def _narratives(org_id: int, state_id: int) -> None:
    """The state's narratives, in this process (AI when keys are set, else labelled templates)."""
    from jobs.narratives import write_narratives

    try:
        rows = write_narratives(org_id, state_id)
    except Exception as exc:  # noqa: BLE001 - the state is stored; the page falls back
        click.echo(f"narratives not written: {type(exc).__name__}", err=True)
        return
    ai = sum(1 for r in rows if r.provider != "template")
    click.echo(f"narratives: {ai} AI, {len(rows) - ai} template")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--org", "org_slug", help="Join this organization (slug); default: a new one.")
@click.option("--company", default="My company", help="Name of the new organization.")
@click.option("--role", type=click.Choice(ROLES), default="owner")
@click.option("--persona", type=click.Choice(PERSONAS), default="cmo")
@with_appcontext
def create_user_command(
    email: str,
    name: str,
    password: str,
    org_slug: str | None,
    company: str,
    role: str,
    persona: str,
) -> None:
    """Create a user (and an organization unless --org names one)."""
    from api.auth import create_org_with_owner, find_user
    from api.passwords import password_problem
    from models import User

    problem = password_problem(password, [email, name, company])
    if problem:
        raise click.ClickException(f"the password is refused: {problem}")
    if find_user(email):
        raise click.ClickException(f"{email} already has an account")
    if org_slug is None:
        user = create_org_with_owner(company, name, email, password, persona)
    else:
        org = db.session.execute(
            select(Organization).where(Organization.slug == org_slug)
        ).scalar_one_or_none()
        if org is None:
            raise click.ClickException(f"no organization with slug {org_slug!r}")
        user = User(email=email.strip().lower(), name=name, active_org_id=org.id)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, org_id=org.id, role=role, persona=persona))
    db.session.commit()
    click.echo(f"created {user.email}")


@brain_cli.command("compute")
@click.option("--org", "org_slug", required=True, help="Organization slug.")
def brain_compute_command(org_slug: str) -> None:
    """Recompute one organization's brain state now (in this process)."""
    from jobs.brain import compute_and_store

    org = db.session.execute(
        select(Organization).where(Organization.slug == org_slug)
    ).scalar_one_or_none()
    if org is None:
        raise click.ClickException(f"no organization with slug {org_slug!r}")
    with org_scope(org.id):
        row = compute_and_store(org.id)
        _narratives(org.id, row.id)
    risk = (row.oracle or {}).get("risk", {})
    click.echo(
        json.dumps(
            {
                "org": org.slug,
                "brain_state_id": row.id,
                "as_of": row.as_of.isoformat() if row.as_of else None,
                "duration_ms": row.duration_ms,
                "risk": risk.get("level"),
            }
        )
    )


fx_cli = AppGroup("fx-rates", help="Dated exchange rates for converting ad spend.")


@fx_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def fx_import_command(path: str) -> None:
    """Import rates from a CSV file with columns day,base,quote,rate."""
    from models.fx import import_rates_file

    try:
        written = import_rates_file(db.session, path)
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"imported {written} rate(s) from {path}")


def register_cli(server: Flask) -> None:
    server.cli.add_command(fx_cli)
    server.cli.add_command(seed_command)
    server.cli.add_command(create_user_command)
    server.cli.add_command(brain_cli)
    server.cli.add_command(demo_cli)
    from api import ops_cli

    ops_cli.register(server)
