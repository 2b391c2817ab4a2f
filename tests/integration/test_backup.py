"""`flask backup` / `flask restore`: back up, drop everything, restore, and every table has
the same row count and the same sums of its numeric columns."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Float, Integer, Numeric, func, inspect, select, text

from extensions import db
from tests.conftest import create_test_app, reset_schema


def fingerprint(app) -> dict[str, tuple]:
    """Per table: row count and the sum of every numeric column."""
    out = {}
    with app.app_context():
        db.session.remove()
        for table in db.metadata.sorted_tables:
            numeric = [c for c in table.columns if isinstance(c.type, Integer | Numeric | Float)]
            row = db.session.execute(
                select(func.count(), *[func.sum(c) for c in numeric]).select_from(table)
            ).one()
            out[table.name] = tuple(float(v) if v is not None else None for v in row)
        out["alembic_version"] = tuple(
            db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )
        db.session.remove()
    return out


def seed(app) -> None:
    from jobs.brain import compute_and_store
    from models.seed import seed_demo

    with app.app_context():
        org = seed_demo(with_users=True)
        compute_and_store(org.id)
        db.session.commit()


def test_postgres_or_sqlite_backup_drop_restore_round_trip(app, tmp_path):
    seed(app)
    before = fingerprint(app)
    assert before["ad_metric_daily"][0] > 100 and before["store_order"][0] > 100
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    dumps = list(tmp_path.iterdir())
    assert len(dumps) == 1 and dumps[0].name.startswith("omnify-")

    with app.app_context():  # drop everything
        db.session.remove()
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            else:
                for name in inspect(conn).get_table_names():
                    conn.execute(text(f'DROP TABLE "{name}"'))
        assert inspect(db.engine).get_table_names() == []
        db.engine.dispose()

    result = runner.invoke(args=["restore", str(dumps[0]), "--yes"])
    assert result.exit_code == 0, result.output
    assert fingerprint(app) == before


def test_sqlite_online_backup_and_restore(app, tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    lite = create_test_app(DATABASE_URL=url, BACKUP_DIR=str(tmp_path / "backups"))
    reset_schema(lite)
    seed(lite)
    before = fingerprint(lite)
    runner = lite.test_cli_runner()
    assert runner.invoke(args=["backup"]).exit_code == 0
    (dump,) = (tmp_path / "backups").iterdir()
    assert dump.suffix == ".sqlite3"
    with sqlite3.connect(dump) as check:  # a complete database on its own
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with lite.app_context():
        db.session.remove()
        db.engine.dispose()
    Path(tmp_path / "live.db").unlink()  # the worst case: the file is gone
    assert runner.invoke(args=["restore", str(dump), "--yes"]).exit_code == 0
    assert fingerprint(lite) == before


def test_retention_keeps_the_newest(app, tmp_path):
    runner = app.test_cli_runner()
    for _ in range(3):
        assert runner.invoke(args=["backup", "--dir", str(tmp_path), "--keep", "2"]).exit_code == 0
    assert len(list(tmp_path.iterdir())) == 2


def test_restore_of_a_missing_file_is_a_clear_error(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "nope.dump"), "--yes"])
    assert result.exit_code != 0 and "no backup at" in result.output
