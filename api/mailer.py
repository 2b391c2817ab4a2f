"""Send mail with the app's SMTP settings (see jobs.notify.deliver)."""

from __future__ import annotations

from jobs.notify import deliver


def send(to: list[str], subject: str, text: str) -> None:
    deliver(to, subject, text)
