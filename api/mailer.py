"""Send mail with the app's SMTP settings (printed to the log when SMTP_URL is unset)."""

from __future__ import annotations

from flask import current_app

from integrations.mail import send_mail


def send(to: list[str], subject: str, text: str) -> None:
    cfg = current_app.config["OMNIFY"]
    send_mail(cfg.SMTP_URL or None, cfg.MAIL_FROM, to, subject, text)
