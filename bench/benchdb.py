"""The benchmarks' own PostgreSQL database (never `test`, which the suite wipes)."""

from __future__ import annotations

DEFAULT_BENCH_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/omnify_bench"


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist (a bench must not share `test`)."""
    if not url.startswith("postgresql"):
        return
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = psycopg.connect(
        host=u.host,
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (u.database,))
        if exists.fetchone() is None:
            admin.execute(f'CREATE DATABASE "{u.database}"')


def bench_app(default_db: str = DEFAULT_BENCH_DB):  # noqa: ANN201 - a Flask app
    """The app on the bench database (BENCH_DATABASE_URL or `default_db`), migrated."""
    import os

    from flask_migrate import upgrade

    from app import create_app
    from config import Config

    db_url = os.environ.get("BENCH_DATABASE_URL") or default_db
    ensure_database(db_url)
    env = {
        "ENV": "testing",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "DATABASE_URL": db_url,
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "RATELIMIT_LOGIN": "1000 per minute",
    }
    app = create_app(Config.from_env(env=env))
    with app.app_context():
        upgrade()
    return app
