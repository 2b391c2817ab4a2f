"""Template narratives: persona prefixes, and every number in the text backed by the state."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from brain import narrative
from layouts.persona import NARRATIVE_PREFIX, PERSONAS

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "brain_state_example.json"


@pytest.fixture(scope="module")
def example() -> dict:
    return json.loads(EXAMPLE.read_text())


@pytest.fixture(scope="module")
def computed() -> dict:
    from brain.state import compute_brain_state
    from brain.synthetic import generate_brand

    brand = generate_brand(7)
    return compute_brain_state(brand.ad_daily, brand.orders, {"gross_margin": 0.65}, org_id=1)


def test_prefixes_match_the_persona_wording():
    assert narrative.PREFIX == NARRATIVE_PREFIX


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("which", ["example", "computed"])
def test_summary_prefix_and_every_number_backed(request, persona, which):
    state = request.getfixturevalue(which)
    text = narrative.template_summary(state, persona)
    assert text.startswith(NARRATIVE_PREFIX[persona])
    assert len(narrative.numbers_in(text)) >= 5, text
    assert narrative.unsupported_numbers(text, state) == [], text


def test_summary_quotes_the_state_numbers(example):
    totals = example["memory"]["totals"]
    cmo = narrative.template_summary(example, "cmo")
    assert f"${totals['spend']:,.0f}" in cmo
    assert f"{totals['ltv_roas']:.2f}" in cmo
    assert "revenue ÷ spend" in cmo
    vp = narrative.template_summary(example, "vp_growth")
    assert f"{totals['mer']:.2f}" in vp and "confidence" in vp


def test_persona_risk_wording(computed):
    cmo = narrative.template_summary(computed, "cmo")
    vp = narrative.template_summary(computed, "vp_growth")
    assert "stopped paying back" in cmo or "will stop paying back in ~" in cmo
    assert "fatigue in 7 days" in vp and "frequency" in vp


def test_changed_state_changes_the_text_and_old_text_fails_the_check(example):
    text = narrative.template_summary(example, "cmo")
    changed = copy.deepcopy(example)
    changed["memory"]["totals"]["spend"] = 111111.0
    changed["memory"]["totals"]["mer"] = 4.44
    new_text = narrative.template_summary(changed, "cmo")
    assert "$111,111" in new_text and "4.44" in new_text
    stripped = copy.deepcopy(example)
    stripped["memory"]["totals"]["spend"] = 1.0
    spend = float(round(example["memory"]["totals"]["spend"]))
    assert spend in narrative.unsupported_numbers(text, stripped)


def test_numbers_in_reads_money_percent_and_skips_ids_dates_quotes():
    text = (
        "Spend $233,023 (MER 2.62), down 36% on 19 Nov and 2026-11-19; creative C12 in "
        "ME-1001 “Summer 2024 v4” moved −35%."
    )
    assert narrative.numbers_in(text) == [233023.0, 2.62, 36.0, 35.0]


SMALL = {
    "memory": {"totals": {"mer": 2.6154, "spend": 233022.71}},
    "oracle": {"roi_decay": [{"decay": 0.3564}]},
}


def test_checker_flags_invented_numbers():
    assert narrative.unsupported_numbers("MER is 2.62 and spend $233,023.", SMALL) == []
    assert narrative.unsupported_numbers("MER is 2.71 on $1,234,567.", SMALL) == [2.71, 1234567.0]
    # Rounding: 0.3564 backs "36%" and "35.6%", not "37%" or "35.9%".
    assert narrative.unsupported_numbers("decay 36%, 35.6%", SMALL) == []
    assert narrative.unsupported_numbers("decay 37% or 35.9%", SMALL) == [37.0, 35.9]
    # Window lengths of the definitions are allowed; other small integers are not.
    assert narrative.unsupported_numbers("fatigue in 7 days", SMALL) == []
    assert narrative.unsupported_numbers("in 6 days", SMALL) == [6.0]


def test_facts_include_percentages_and_list_sizes(example):
    facts = narrative.facts(SMALL)
    assert 2.6154 in facts and 261.54 in facts and 35.64 in facts
    assert float(len(example["curiosity"]["actions"])) in narrative.facts(example)
    assert 30.0 in narrative.facts({"period": {"start": "2026-10-26", "end": "2026-11-24"}})


@pytest.mark.parametrize("persona", [*PERSONAS, "intruder"])
def test_no_state_gives_a_plain_sentence(persona):
    text = narrative.template_summary(None, persona)
    expected = NARRATIVE_PREFIX.get(persona, NARRATIVE_PREFIX["cmo"])
    assert text.startswith(expected) and "no insights yet" in text
    assert narrative.numbers_in(text) == []
