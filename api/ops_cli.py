"""Operator commands: `flask --app app backup` / `restore` (ops/backup.py), `flags`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from config import ROOT
from extensions import app_config, db
from ops.backup import BackupError, backup, restore


def _folder(path: str | None) -> Path:
    configured = app_config().BACKUP_DIR
    return Path(path or configured or ROOT / "instance" / "backups")


@click.command("backup")
@click.option("--dir", "folder", default=None, help="Folder for backups (BACKUP_DIR).")
@click.option("--keep", type=int, default=None, help="Keep only the newest N backups.")
@with_appcontext
def backup_command(folder: str | None, keep: int | None) -> None:
    """Back up the database: pg_dump custom format (PostgreSQL) or SQLite's backup API."""
    try:
        path = backup(db.engine.url.render_as_string(hide_password=False), _folder(folder), keep)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written: {path} ({path.stat().st_size} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database with a backup (stop the web and workers first)."""
    if not yes:
        click.confirm(f"Replace every row of the database with {path}?", abort=True)
    db.session.remove()
    db.engine.dispose()  # no pooled connection holds locks on the tables being replaced
    try:
        restore(db.engine.url.render_as_string(hide_password=False), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {path}")


flags_cli = AppGroup("flags", help="Feature flags per organization or global (models/flags.py).")


def _org_id(slug: str | None) -> int | None:
    from sqlalchemy import select

    from models import Organization

    if slug is None:
        return None
    org_id = db.session.execute(
        select(Organization.id).where(Organization.slug == slug)
    ).scalar_one_or_none()
    if org_id is None:
        raise click.ClickException(f"no organization with slug {slug!r}")
    return org_id


@flags_cli.command("list")
@with_appcontext
def flags_list_command() -> None:
    """Every flag with its default, and every global or per-org setting."""
    from models import Organization
    from models.flags import FLAGS, all_flags

    for name, (default, what) in sorted(FLAGS.items()):
        click.echo(f"{name}: default {'on' if default else 'off'} - {what}")
    for row in all_flags():
        where = "global" if row.org_id is None else db.session.get(Organization, row.org_id).slug
        click.echo(f"  {row.name} {where}: {'on' if row.enabled else 'off'}")


@flags_cli.command("set")
@click.argument("name")
@click.argument("value", type=click.Choice(["on", "off"]))
@click.option("--org", "org_slug", default=None, help="Only this organization (slug).")
@with_appcontext
def flags_set_command(name: str, value: str, org_slug: str | None) -> None:
    """Switch a flag on or off, for one organization (--org) or for everyone."""
    from models.flags import set_flag

    try:
        set_flag(name, value == "on", _org_id(org_slug))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{name} is {value} for {org_slug or 'every organization without its own setting'}")


@flags_cli.command("clear")
@click.argument("name")
@click.option("--org", "org_slug", default=None, help="Only this organization (slug).")
@with_appcontext
def flags_clear_command(name: str, org_slug: str | None) -> None:
    """Forget a setting: the org falls back to the global setting, the global to the default."""
    from models.flags import clear_flag

    try:
        found = clear_flag(name, _org_id(org_slug))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{name}: {'cleared' if found else 'nothing to clear'}")


def register(server: Flask) -> None:
    server.cli.add_command(backup_command)
    server.cli.add_command(restore_command)
    server.cli.add_command(flags_cli)
