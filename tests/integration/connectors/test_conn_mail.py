"""integrations.mail against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import logging
import socket

import pytest

from integrations.errors import BadResponse, Transient
from integrations.mail import parse_smtp_url, send_mail
from tests.fakes.smtp import FakeSMTP


def test_mail_is_received_with_subject_and_recipients(smtp_server):
    send_mail(
        smtp_server.url,
        "Omnify Brain <noreply@omnify.example>",
        ["cmo@lumen.example", "vp@lumen.example"],
        "Your weekly brief",
        "ROAS is 3.2 this week.",
        html="<p>ROAS is <b>3.2</b> this week.</p>",
    )
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail.subject == "Your weekly brief"
    assert mail.rcpt_tos == ["cmo@lumen.example", "vp@lumen.example"]
    assert mail.mail_from == "noreply@omnify.example"
    assert mail.text().strip() == "ROAS is 3.2 this week."
    assert "<b>3.2</b>" in mail.html()
    assert mail.message["To"] == "cmo@lumen.example, vp@lumen.example"
    assert mail.message["Message-ID"]


def test_no_smtp_url_logs_instead_of_sending(caplog, smtp_server):
    caplog.set_level(logging.INFO, logger="integrations.mail")
    send_mail(
        None, "noreply@omnify.example", ["a@x.example"], "Reset your password", "Link: /r/abc"
    )
    assert "Reset your password" in caplog.text
    assert "a@x.example" in caplog.text
    assert "Link: /r/abc" in caplog.text
    assert smtp_server.messages == []


def test_smtp_auth_and_bad_password():
    with FakeSMTP(username="mailer", password="s3cret-pass") as server:
        send_mail(server.url, "n@o.example", ["t@o.example"], "Hi", "body")
        assert server.messages[0].authenticated_as == "mailer"
        bad_url = f"smtp://mailer:wrong-pass-123@{server.host}:{server.port}"
        with pytest.raises(BadResponse) as info:
            send_mail(bad_url, "n@o.example", ["t@o.example"], "Hi", "body")
        assert "wrong-pass-123" not in str(info.value)
        assert len(server.messages) == 1


@pytest.mark.parametrize("tls", ["starttls", "smtps"])
def test_tls_modes(tls):
    with FakeSMTP(tls=tls, username="u", password="p@ss/word") as server:
        assert server.url.startswith("smtp+starttls://" if tls == "starttls" else "smtps://")
        url = server.url.replace("p@ss/word", "p%40ss%2Fword")
        send_mail(
            url,
            "n@o.example",
            ["t@o.example"],
            f"via {tls}",
            "body",
            ssl_context=server.client_context,
        )
        assert server.messages[0].subject == f"via {tls}"


def test_unreachable_server_is_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(Transient) as info:
        send_mail(
            f"smtp://u:hunter2-secret@127.0.0.1:{port}",
            "n@o.example",
            ["t@o.example"],
            "x",
            "y",
            timeout=2,
        )
    assert "hunter2-secret" not in str(info.value)


def test_header_injection_and_bad_urls_rejected(smtp_server):
    with pytest.raises(ValueError):
        send_mail(smtp_server.url, "n@o.example", ["t@o.example"], "Hi\nBcc: evil@x.example", "b")
    with pytest.raises(ValueError):
        send_mail(smtp_server.url, "n@o.example", [], "Hi", "b")
    with pytest.raises(ValueError):
        parse_smtp_url("http://host")
    settings = parse_smtp_url("smtps://user:pa%3Ass@mail.example")
    assert (settings.port, settings.username, settings.password) == (465, "user", "pa:ss")
    assert "pa:ss" not in repr(settings)
    assert parse_smtp_url("smtp+starttls://mail.example").port == 587
    assert smtp_server.messages == []
