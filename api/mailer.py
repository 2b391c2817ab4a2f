"""Send mail with the app's SMTP settings (see jobs.notify.deliver)."""

from __future__ import annotations

from jobs.notify import deliver


def send(to: list[str], subject: str, text: str) -> str:
    """Returns "sent", "outbox" (development without SMTP_URL) or "not_sent" (production
    without SMTP_URL): pages say which, never "sent" when it was not."""
    return deliver(to, subject, text)


def delivery_words(outcome: str, what: str, to: str) -> tuple[str, str]:
    """(flash message, category) that says truthfully what happened to a mail."""
    if outcome == "sent":
        return f"{what} sent to {to}.", "success"
    if outcome == "outbox":
        return (
            f"{what} for {to} was not e-mailed: this server has no SMTP_URL, so it was saved "
            "to the development outbox (instance/outbox). Forward the link yourself, or set "
            "SMTP_URL.",
            "warning",
        )
    return (
        f"{what} for {to} was created but not e-mailed: this server has no SMTP_URL. Set "
        "SMTP_URL, then press Resend.",
        "warning",
    )
