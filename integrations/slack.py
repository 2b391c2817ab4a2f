"""Slack incoming webhooks: post one message (text fallback + Block Kit blocks).

https://api.slack.com/messaging/webhooks - POST JSON to the webhook URL; Slack answers
``200 ok``, or 400 ``invalid_payload``, 403 ``action_prohibited``, 404 ``no_service``,
410 ``channel_is_archived`` (all permanent), 429 / 5xx (retry later). The URL is a secret:
it never appears in an error message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from integrations.http import make_session, raise_for_status, send

__all__ = ["post_message", "valid_webhook_url"]

SLACK_HOST = "hooks.slack.com"


def valid_webhook_url(url: str, allow_local: bool = False) -> bool:
    """https://hooks.slack.com/services/... (tests may allow a local http fake)."""
    parts = urlsplit(url)
    if allow_local and parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost"):
        return True
    return (
        parts.scheme == "https"
        and parts.hostname == SLACK_HOST
        and parts.path.startswith("/services/")
        and len(parts.path) > len("/services/")
        and not parts.query
    )


def post_message(url: str, text: str, blocks: list[dict[str, Any]], timeout: float = 10.0) -> None:
    """Post to the webhook; raises RateLimited / Transient / BadResponse (URL redacted)."""
    session = make_session(timeout=(5.0, timeout))
    resp = send(
        session,
        "POST",
        url,
        platform="slack",
        secrets=[url, urlsplit(url).path],
        json={"text": text, "blocks": blocks},
    )
    body = resp.text[:100] if resp.status_code >= 400 else ""
    raise_for_status(resp, platform="slack", secrets=[url], detail=body)
