"""Settings input: parse a submitted form into clean values or plain-words errors.

Every parser returns (clean, errors by field); the route stores nothing when errors is
not empty. Shared wording with the onboarding wizard (layouts/onboarding.py).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.slack import valid_webhook_url
from layouts.onboarding import parse_profile, timezone_names
from models.alerts import ALERT_KINDS, CHANNELS, DEFAULT_THRESHOLDS

MAX_NAME = 200


def parse_company(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Name, currency, gross margin (percent, 1-100) and time zone."""
    clean, errors = parse_profile(
        form.get("currency"),
        form.get("timezone"),
        form.get("gross_margin"),
        frozenset(timezone_names()),
    )
    name = str(form.get("name") or "").strip()
    if not name:
        errors["name"] = "Enter the company name."
    elif len(name) > MAX_NAME:
        errors["name"] = f"The company name is at most {MAX_NAME} characters."
    else:
        clean["name"] = name
    return clean, errors


def parse_percent(raw: Any, low: float, high: float) -> Decimal | None:
    """'70', '70 %' or '70.5' -> Decimal('70.5'); None when not a number within [low, high]."""
    try:
        value = Decimal(str(raw if raw is not None else "").strip().rstrip("%").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or not (low <= value <= high):
        return None
    return value


def parse_thresholds(form: Any) -> tuple[dict[str, float], dict[str, str]]:
    """Alert thresholds in percent (1-100) -> fractions."""
    clean: dict[str, float] = {}
    errors: dict[str, str] = {}
    for key in DEFAULT_THRESHOLDS:
        value = parse_percent(form.get(key), 1, 100)
        if value is None:
            errors[key] = "Enter a percentage from 1 to 100."
        else:
            clean[key] = float(value / 100)
    return clean, errors


def parse_prefs(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A channel per alert kind and the digest on/off."""
    channels: dict[str, str] = {}
    errors: dict[str, str] = {}
    for kind in ALERT_KINDS:
        value = form.get(f"channel_{kind}", "email")
        if value not in CHANNELS:
            errors[f"channel_{kind}"] = "Pick e-mail, Slack, in-app or off."
        else:
            channels[kind] = value
    digest = form.get("digest", "")
    if digest not in ("", "y", "on", "1"):
        errors["digest"] = "The digest is either on or off."
    return {"channels": channels, "digest": digest != ""}, errors


def parse_slack(form: Any, allow_local: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """A Slack incoming-webhook URL, or remove=y to forget it."""
    if form.get("remove"):
        return {"url": None}, {}
    url = str(form.get("webhook_url") or "").strip()
    if not valid_webhook_url(url, allow_local=allow_local):
        return {}, {
            "webhook_url": "Paste the incoming-webhook URL Slack gave you; it starts with "
            "https://hooks.slack.com/services/."
        }
    return {"url": url}, {}
