"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it receives.

``FakeSMTP()`` speaks plain SMTP; ``FakeSMTP(username=..., password=...)`` also
offers AUTH PLAIN/LOGIN (without TLS, like a dev relay). ``FakeSMTP(tls="starttls")``
or ``tls="smtps"`` serve a self-signed certificate (``fake.client_context`` trusts it).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class ReceivedMail:
    """One message as received by the fake server."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    authenticated_as: str | None = None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else None


class _Handler:
    def __init__(self, sink: list[ReceivedMail], lock: threading.Lock) -> None:
        self.sink = sink
        self.lock = lock

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        login = session.auth_data.login.decode() if session.auth_data else None
        with self.lock:
            self.sink.append(
                ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), msg, login)  # type: ignore[arg-type]
            )
        return "250 Message accepted for delivery"


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _self_signed(host: str) -> tuple[ssl.SSLContext, ssl.SSLContext, Path]:
    """(server context, client context trusting it, temp dir)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    tmp = Path(tempfile.mkdtemp(prefix="fake-smtp-"))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_path, key_path)
    client_ctx = ssl.create_default_context(cafile=str(cert_path))
    return server_ctx, client_ctx, tmp


class FakeSMTP:
    """``with FakeSMTP() as smtp: send_mail(smtp.url, ...); smtp.messages[0].subject``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        username: str | None = None,
        password: str | None = None,
        tls: str | None = None,
    ) -> None:
        if tls not in (None, "starttls", "smtps"):
            raise ValueError("tls must be None, 'starttls' or 'smtps'")
        self.host = host
        self.username = username
        self.password = password
        self.tls = tls
        self.messages: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self.port = 0
        self.client_context: ssl.SSLContext | None = None

    def _authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    @property
    def url(self) -> str:
        """An ``SMTP_URL`` for :func:`integrations.mail.send_mail`."""
        scheme = {"starttls": "smtp+starttls", "smtps": "smtps", None: "smtp"}[self.tls]
        cred = f"{self.username}:{self.password}@" if self.username else ""
        return f"{scheme}://{cred}{self.host}:{self.port}"

    def start(self) -> FakeSMTP:
        if self._controller is not None:
            return self
        self.port = _free_port(self.host)
        kwargs: dict[str, Any] = {}
        if self.username:
            kwargs.update(authenticator=self._authenticator, auth_require_tls=False)
        if self.tls:
            server_ctx, self.client_context, _ = _self_signed(self.host)
            if self.tls == "starttls":
                kwargs.update(tls_context=server_ctx, require_starttls=False)
            else:
                kwargs.update(ssl_context=server_ctx)
        self._controller = Controller(
            _Handler(self.messages, self._lock),
            hostname=self.host,
            port=self.port,
            server_hostname=self.host,
            **kwargs,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def __enter__(self) -> FakeSMTP:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
