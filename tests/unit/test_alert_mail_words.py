"""Each reader gets the alert in their own words (jobs.alert_mail.persona_line)."""

from __future__ import annotations

import pytest

from jobs.alert_mail import persona_line

DECAY = {"kind": "roi_decay", "detail": {"platform": "TikTok", "decay": 0.42}}
DRIFT = {"kind": "ltv_drift", "detail": {"drift": 0.175}}


@pytest.mark.parametrize(
    ("alert", "persona", "words"),
    [
        (DECAY, "cmo", "Money spent on TikTok is returning 42% less than before."),
        (DECAY, "vp_growth", "TikTok ROAS down 42% against its baseline."),
        (DECAY, "director", "Move budget away from TikTok: ROAS is down 42%."),
        (DRIFT, "cmo", "New customers are worth 18% less over 90 days than before."),
        (DRIFT, "vp_growth", "90-day LTV of recent cohorts is down 18%."),
        (DRIFT, "director", "Start a retention action: 90-day LTV is down 18%."),
    ],
)
def test_each_persona_reads_its_own_sentence(alert, persona, words):
    assert persona_line(alert, persona) == words


def test_a_missing_platform_still_reads_as_a_sentence():
    assert persona_line({"kind": "roi_decay", "detail": {"decay": 0.3}}, "vp_growth") == (
        "a platform ROAS down 30% against its baseline."
    )
