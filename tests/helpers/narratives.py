"""Shared by tests (moved from tests/integration/test_narratives.py:
test modules do not import each other)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from extensions import db
from jobs.narratives import write_narratives
from models import Narrative
from tests.conftest import make_org
from tests.fakes.llm import FakeAnthropic, FakeOpenAI
from tests.helpers.overview import EXAMPLE, store_state


@pytest.fixture
def fake_openai():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake_anthropic():
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def ai_config(app, fake_openai, fake_anthropic, monkeypatch):
    """The app's settings with keys, pointed at the fakes (fast SDK retries)."""
    config = dataclasses.replace(
        app.config["OMNIFY"],
        OPENAI_API_KEY="sk-test-openai-key",
        ANTHROPIC_API_KEY="sk-ant-test-key",
        OPENAI_BASE_URL=fake_openai.url + "/v1",
        ANTHROPIC_BASE_URL=fake_anthropic.url,
        AI_TIMEOUT_S=5.0,
        AI_MAX_RETRIES=2,
    )
    monkeypatch.setitem(app.config, "OMNIFY", config)
    return config


@pytest.fixture
def lumen(app):
    org = make_org(app, "Lumen Beauty", "cmo@lumen-ai.example")
    org["state_id"] = store_state(app, org["org_id"], EXAMPLE)
    return org


def rows(app, org_id: int, state_id: int | None = None) -> list[Narrative]:
    with app.app_context():
        stmt = select(Narrative).where(Narrative.org_id == org_id).order_by(Narrative.id)
        if state_id is not None:
            stmt = stmt.where(Narrative.brain_state_id == state_id)
        out = list(db.session.execute(stmt).scalars())
        db.session.expunge_all()
        return out


def run(app, org: dict, state_id: int | None = None) -> list[Narrative]:
    with app.app_context():
        write_narratives(org["org_id"], state_id or org["state_id"])
    return rows(app, org["org_id"], state_id or org["state_id"])
