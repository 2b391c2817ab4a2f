"""Encryption at rest for connection credentials (Fernet; MultiFernet for key rotation)."""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from extensions import app_config


class CredentialsError(RuntimeError):
    """Credentials cannot be encrypted or decrypted (missing or rotated-away key)."""


def _fernet() -> MultiFernet:
    keys = app_config().CREDENTIALS_KEY or current_app.config.get("DEV_CREDENTIALS_KEY", "")
    if not keys:
        raise CredentialsError("CREDENTIALS_KEY is not configured")
    return MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])


def encrypt_credentials(data: dict[str, Any]) -> bytes:
    return _fernet().encrypt(json.dumps(data, sort_keys=True).encode())


def decrypt_credentials(token: bytes | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token))
    except InvalidToken as exc:
        raise CredentialsError(
            "stored credentials cannot be decrypted with CREDENTIALS_KEY"
        ) from exc


def rotate_credentials(token: bytes) -> bytes:
    """Re-encrypt with the newest key (the first in CREDENTIALS_KEY)."""
    return _fernet().rotate(token)


def mask(secret: str | None) -> str:
    """Show only enough of a secret to recognise it."""
    if not secret:
        return ""
    return "••••" + secret[-4:] if len(secret) > 8 else "••••"


def seal(data: dict[str, Any]) -> str:
    """Encrypt and sign a small JSON payload into a URL-safe token (e-mailed links)."""
    return _fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def open_sealed(token: str, max_age: int) -> dict[str, Any] | None:
    """The payload of a `seal` token younger than max_age seconds, else None."""
    try:
        return json.loads(_fernet().decrypt(token.encode(), ttl=max_age))
    except (InvalidToken, ValueError, UnicodeError):
        return None
