"""The AI summary on a phone in headless Chromium: labelled with its model, numbers tappable."""

from __future__ import annotations

import dataclasses
import time

import pytest

from jobs.narratives import write_narratives
from tests.fakes.llm import FakeAnthropic, FakeOpenAI
from tests.helpers.overview_e2e import USERS, log_in, start

pytestmark = pytest.mark.e2e


def test_phone_shows_the_ai_summary_and_a_numbers_fact(app, dash_duo, lumen):  # noqa: F811
    with FakeOpenAI() as fake_openai, FakeAnthropic() as fake_anthropic:
        config = dataclasses.replace(
            app.config["OMNIFY"],
            OPENAI_API_KEY="sk-test-openai-key",
            ANTHROPIC_API_KEY="sk-ant-test-key",
            OPENAI_BASE_URL=fake_openai.url + "/v1",
            ANTHROPIC_BASE_URL=fake_anthropic.url,
        )
        with app.app_context():
            from models.brain_data import latest_state

            rows = write_narratives(lumen["org_id"], latest_state(lumen["org_id"]).id, config)
            assert {r.provider for r in rows if r.kind == "summary"} == {"openai"}
    base = start(dash_duo, app)
    driver = dash_duo.driver
    driver.set_window_size(390, 844 + 143)  # the window's toolbar takes ~143 px
    log_in(dash_duo, base, USERS["cmo"])
    label = dash_duo.wait_for_element("#summary-cmo .ov-tag-ai", timeout=10)
    assert label.text.startswith("AI summary · gpt-5-mini ·")
    number = dash_duo.find_element("#summary-cmo .fact-ref[data-fact='totals.mer']")
    pop = number.find_element("css selector", ".fact-pop")
    assert not pop.is_displayed()
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", number
    )
    number.click()  # a tap focuses the number: its fact shows
    deadline = time.time() + 5
    while not pop.is_displayed() and time.time() < deadline:
        time.sleep(0.1)
    assert pop.is_displayed()
    assert "MER (blended ROAS)" in pop.text and "store revenue ÷ ad spend" in pop.text
    box = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right]", pop
    )
    assert box[0] >= 0 and box[1] <= driver.execute_script("return window.innerWidth")
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the phone"
    driver.save_screenshot("/tmp/i13-ai-summary-390.png")
    assert dash_duo.get_logs() == []
