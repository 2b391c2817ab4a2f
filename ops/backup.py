"""Database backups: `flask --app app backup` and `flask --app app restore FILE`.

PostgreSQL: `pg_dump --format=custom` (compressed, restorable table by table with
pg_restore) into a timestamped file; restore is `pg_restore --clean --if-exists --no-owner
--single-transaction` (all or nothing). SQLite: the online backup API (a consistent copy
while the app runs). Retention: keep the newest N backups of the folder, delete the rest.
The password never appears on a command line (PGPASSWORD in the child's environment).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

PREFIX = "omnify-"
_NAME = re.compile(r"^omnify-\d{8}T\d{6}(\d{6})?Z\.(dump|sqlite3)$")


class BackupError(RuntimeError):
    """A backup or restore failed; the message says why (never a password)."""


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """(a libpq URI without the password, env with PGPASSWORD) from a SQLAlchemy URL."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return path


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def backup(url: str, folder: Path, keep: int | None = None, now: datetime | None = None) -> Path:
    """Write one timestamped backup of the database at `url` into `folder`; returns its path.
    With `keep`, only the newest `keep` backups of the folder remain."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    dialect = make_url(url).get_backend_name()
    if dialect == "postgresql":
        target = folder / f"{PREFIX}{stamp}.dump"
        uri, env = _libpq(url)
        partial = target.with_suffix(".partial")
        done = subprocess.run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", uri],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
        partial.rename(target)  # a backup file is complete or absent
    elif dialect == "sqlite":
        target = folder / f"{PREFIX}{stamp}.sqlite3"
        source = sqlite3.connect(_sqlite_path(url))
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)
        finally:
            dest.close()
            source.close()
    else:
        raise BackupError(f"backups of {dialect} databases are not supported")
    if keep is not None:
        prune(folder, keep)
    return target


def backups(folder: Path) -> list[Path]:
    """The folder's backups, oldest first."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if _NAME.match(p.name))


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; returns the deleted paths."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    old = backups(folder)[:-keep]
    for path in old:
        path.unlink()
    return old


def restore(url: str, path: Path) -> None:
    """Replace the database at `url` with the backup at `path` (all or nothing)."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    dialect = make_url(url).get_backend_name()
    if dialect == "postgresql":
        uri, env = _libpq(url)
        done = subprocess.run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={uri}",
                str(path),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
    elif dialect == "sqlite":
        source = sqlite3.connect(path)
        dest = sqlite3.connect(_sqlite_path(url))
        try:
            with dest:
                source.backup(dest)
        finally:
            dest.close()
            source.close()
    else:
        raise BackupError(f"restores of {dialect} databases are not supported")
