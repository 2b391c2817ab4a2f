"""CLI: seed (demo logins only outside production), create-user, brain compute."""

from __future__ import annotations

import json

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from extensions import db
from models import BrainState, Membership, Organization, User
from tests.conftest import create_test_app, login


def test_seed_creates_lumen_with_personas_and_first_state(app, client):
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "cmo@lumen.example / demo-lumen-2026" in result.output
    with app.app_context():
        org = db.session.execute(select(Organization)).scalar_one()
        assert org.slug == "lumen"
        personas = sorted(
            db.session.execute(
                select(Membership.persona).where(Membership.org_id == org.id)
            ).scalars()
        )
        assert personas == ["cmo", "director", "vp_growth"]
        assert db.session.scalar(select(func.count(BrainState.id))) == 1
        # the demo's dates move with today: its data ends yesterday, not on a fixed date
        from datetime import date, timedelta

        from models.data import AdMetricDaily

        last = db.session.scalar(select(func.max(AdMetricDaily.date)))
        assert last == date.today() - timedelta(days=1)
    assert login(client, "cmo@lumen.example", "demo-lumen-2026").status_code == 302
    state = client.get("/api/brain/state").get_json()
    assert state["oracle"]["risk"]["level"] in ("YELLOW", "RED")
    again = app.test_cli_runner().invoke(args=["seed"])
    assert "nothing seeded" in again.output


def test_seed_in_production_creates_no_demo_logins(app):
    prod = create_test_app(
        ENV="production",
        SECRET_KEY="a-long-production-secret-key-123",
        APP_BASE_URL="https://localhost",
        CREDENTIALS_KEY=Fernet.generate_key().decode(),
    )
    prod.extensions["rq"].stop()  # production mode starts embedded worker threads; not needed
    result = prod.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "demo-lumen-2026" not in result.output
    with prod.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0
        assert db.session.scalar(select(func.count(Organization.id))) == 1


def test_create_user_and_brain_compute(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "New@Acme.example",
            "--company",
            "Acme",
            "--password",
            "a-long-password-1",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.email == "new@acme.example" and user.membership.role == "owner"
        slug = user.membership.org.slug
    short = runner.invoke(args=["create-user", "--email", "x@y.example", "--password", "short"])
    assert short.exit_code != 0 and "at least" in short.output
    computed = runner.invoke(args=["brain", "compute", "--org", slug])
    assert computed.exit_code == 0, computed.output
    body = json.loads(computed.output.strip().splitlines()[-1])
    assert body["org"] == slug and body["brain_state_id"] >= 1
    missing = runner.invoke(args=["brain", "compute", "--org", "nope"])
    assert missing.exit_code != 0 and "no organization" in missing.output


def test_fx_rates_import_command(app, tmp_path):
    from models import FxRate

    good = tmp_path / "rates.csv"
    good.write_text("day,base,quote,rate\n2026-11-02,EUR,USD,1.0854\n2026-11-03,eur,usd,1.09\n")
    result = app.test_cli_runner().invoke(args=["fx-rates", "import", str(good)])
    assert result.exit_code == 0 and "imported 2 rate(s)" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("day,base,quote,rate\nyesterday,EUR,USD,x\n")
    result = app.test_cli_runner().invoke(args=["fx-rates", "import", str(bad)])
    assert result.exit_code != 0 and "line 2" in result.output
    with app.app_context():
        from sqlalchemy import func, select

        from extensions import db

        assert db.session.scalar(select(func.count(FxRate.id))) == 2
