"""Feature flags: per org and global, the admin CLI, and the two behaviours they switch."""

# ruff: noqa: F811 - pytest fixtures imported by name are parameters too
from __future__ import annotations

from prometheus_client import REGISTRY

from extensions import db
from models.flags import flag_enabled, set_flag
from tests.conftest import make_org
from tests.helpers.narratives import run
from tests.helpers.overview import EXAMPLE, store_state


def test_org_setting_beats_global_beats_default(app):
    a = make_org(app, "A", "a@a.example")
    b = make_org(app, "B", "b@b.example")
    with app.app_context():
        assert flag_enabled("ai_narratives", a["org_id"]) is True  # the default
        set_flag("ai_narratives", False)  # everyone off...
        set_flag("ai_narratives", True, a["org_id"])  # ...but A
        db.session.commit()
        assert flag_enabled("ai_narratives", a["org_id"]) is True
        assert flag_enabled("ai_narratives", b["org_id"]) is False
        set_flag("ai_narratives", False, a["org_id"])  # update, not a second row
        db.session.commit()
        assert flag_enabled("ai_narratives", a["org_id"]) is False


def test_admin_cli_sets_lists_and_clears(app):
    make_org(app, "Acme", "a@acme.example")
    with app.app_context():
        from models import Organization

        slug = db.session.execute(db.select(Organization.slug)).scalar_one()
        org_id = db.session.execute(db.select(Organization.id)).scalar_one()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["flags", "set", "ai_narratives", "off", "--org", slug])
    assert out.exit_code == 0, out.output
    with app.app_context():
        assert flag_enabled("ai_narratives", org_id) is False
    listed = runner.invoke(args=["flags", "list"]).output
    assert f"ai_narratives {slug}: off" in listed and "brain_known_events: default on" in listed
    assert runner.invoke(args=["flags", "clear", "ai_narratives", "--org", slug]).exit_code == 0
    with app.app_context():
        assert flag_enabled("ai_narratives", org_id) is True
    bad = runner.invoke(args=["flags", "set", "no_such_flag", "on"])
    assert bad.exit_code != 0 and "unknown flag" in bad.output
    bad = runner.invoke(args=["flags", "set", "ai_narratives", "on", "--org", "nope"])
    assert bad.exit_code != 0 and "no organization" in bad.output


def test_ai_narratives_off_for_one_org_only(app, lumen, ai_config, fake_openai, fake_anthropic):
    other = make_org(app, "Other", "o@other.example")
    other["state_id"] = store_state(app, other["org_id"], EXAMPLE)
    with app.app_context():
        set_flag("ai_narratives", False, lumen["org_id"])
        db.session.commit()
    found = run(app, lumen)
    assert found and all(n.provider == "template" and n.reason == "flag_off" for n in found)
    assert fake_openai.call_count == 0 and fake_anthropic.call_count == 0
    tokens_before = REGISTRY.get_sample_value(
        "omnify_ai_tokens_total", {"provider": "openai", "kind": "output"}
    )
    found = run(app, other)  # the other org still gets AI narratives, and they are metered
    assert any(n.provider != "template" for n in found)
    tokens_after = REGISTRY.get_sample_value(
        "omnify_ai_tokens_total", {"provider": "openai", "kind": "output"}
    )
    assert tokens_after > (tokens_before or 0)
    cost = REGISTRY.get_sample_value("omnify_ai_cost_usd_total", {"provider": "openai"})
    assert cost and cost > 0


def test_brain_known_events_can_be_switched_off_for_one_org(app):
    from jobs.brain import compute_and_store
    from models.events import brain_events
    from models.seed import seed_demo

    with app.app_context():
        org = seed_demo(with_users=False)
        db.session.commit()
        assert brain_events(org.id), "the demo org has calendar events"
        with_events = compute_and_store(org.id)
        set_flag("brain_known_events", False, org.id)
        db.session.commit()
        without = compute_and_store(org.id)
        assert without.id != with_events.id  # new inputs: the events are left out
        assert without.input_fingerprint != with_events.input_fingerprint
        set_flag("brain_known_events", True, org.id)
        db.session.commit()
        again = compute_and_store(org.id)
        assert again.input_fingerprint == with_events.input_fingerprint
