"""Operator commands: `flask --app app backup` / `restore` (ops/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from config import ROOT
from extensions import db
from ops.backup import BackupError, backup, restore


def _folder(path: str | None) -> Path:
    configured = current_app.config["OMNIFY"].BACKUP_DIR
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


def register(server: Flask) -> None:
    server.cli.add_command(backup_command)
    server.cli.add_command(restore_command)
