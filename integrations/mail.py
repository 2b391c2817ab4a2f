"""Outgoing e-mail over SMTP (or the log, in development).

``smtp_url`` forms:

* ``smtp://[user:pass@]host[:port]``            - plain SMTP (default port 25)
* ``smtp+starttls://[user:pass@]host[:port]``   - STARTTLS upgrade (default port 587)
* ``smtps://[user:pass@]host[:port]``           - implicit TLS (default port 465)

With ``smtp_url=None`` the message (subject, recipients and body) is logged at INFO
instead of sent - the development default, so password-reset links are visible in
the console. Failures raise :class:`Transient` (connection problems, 4xx replies) or
:class:`BadResponse` (authentication or permanent 5xx refusals); the password never
appears in a message.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from integrations.errors import BadResponse, Transient

__all__ = ["SmtpSettings", "build_message", "parse_smtp_url", "send_mail"]

log = logging.getLogger("integrations.mail")

_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpSettings:
    """Parsed ``SMTP_URL``; ``password`` is excluded from repr."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        return (
            f"SmtpSettings(scheme={self.scheme!r}, host={self.host!r}, port={self.port}, "
            f"username={self.username!r})"
        )


def parse_smtp_url(smtp_url: str) -> SmtpSettings:
    """Parse ``smtp://``, ``smtp+starttls://`` or ``smtps://`` URLs."""
    parts = urlsplit(smtp_url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError("SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
    if not parts.hostname:
        raise ValueError("SMTP_URL has no host")
    return SmtpSettings(
        scheme=scheme,
        host=parts.hostname,
        port=parts.port or _DEFAULT_PORTS[scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_message(
    mail_from: str,
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    images: dict[str, bytes] | None = None,
) -> EmailMessage:
    """A text (+ optional HTML alternative) message; header injection raises ValueError.

    ``headers`` are extra headers (List-Unsubscribe...); ``images`` are PNGs by Content-ID,
    attached inline to the HTML part (``<img src="cid:NAME">``)."""
    if not to:
        raise ValueError("at least one recipient is required")
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2] or None)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        html_part = msg.get_payload()[-1]
        for cid, png in (images or {}).items():
            html_part.add_related(png, "image", "png", cid=f"<{cid}>")
    return msg


def send_mail(
    smtp_url: str | None,
    mail_from: str,
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    *,
    timeout: float = 10.0,
    ssl_context: ssl.SSLContext | None = None,
    headers: dict[str, str] | None = None,
    images: dict[str, bytes] | None = None,
) -> None:
    """Send one message, or log it when ``smtp_url`` is None."""
    msg = build_message(mail_from, to, subject, text, html, headers=headers, images=images)
    if smtp_url is None:
        log.info("mail (not sent, no SMTP_URL) to=%s subject=%r\n%s", ", ".join(to), subject, text)
        return
    settings = parse_smtp_url(smtp_url)
    secrets = [settings.password]
    try:
        _deliver(settings, msg, timeout, ssl_context)
    except smtplib.SMTPAuthenticationError as exc:
        raise BadResponse(
            f"SMTP authentication failed ({exc.smtp_code})", platform="mail", status=exc.smtp_code
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        err_cls = Transient if all(400 <= c < 500 for c in codes) else BadResponse
        raise err_cls(
            f"SMTP refused recipients {sorted(exc.recipients)} ({codes})", platform="mail"
        ) from None
    except smtplib.SMTPResponseException as exc:
        err_cls = Transient if 400 <= exc.smtp_code < 500 else BadResponse
        raise err_cls(
            f"SMTP error {exc.smtp_code}: {_decode(exc.smtp_error)[:200]}",
            platform="mail",
            status=exc.smtp_code,
        ) from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        detail = str(exc)
        for secret in secrets:
            if secret:
                detail = detail.replace(secret, "***")
        raise Transient(
            f"SMTP delivery to {settings.host}:{settings.port} failed: {type(exc).__name__}: "
            f"{detail[:200]}",
            platform="mail",
        ) from None
    log.info("mail sent to=%s subject=%r", ", ".join(to), subject)


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _deliver(
    settings: SmtpSettings, msg: EmailMessage, timeout: float, ssl_context: ssl.SSLContext | None
) -> None:
    if settings.scheme == "smtps":
        context = ssl_context or ssl.create_default_context()
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with client:
        client.ehlo()
        if settings.scheme == "smtp+starttls":
            client.starttls(context=ssl_context or ssl.create_default_context())
            client.ehlo()
        if settings.username:
            client.login(settings.username, settings.password or "")
        client.send_message(msg)
