"""Credentials at rest: Fernet encryption, key rotation with MultiFernet, masking."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from config import Config
from models.credentials import (
    CredentialsError,
    decrypt_credentials,
    encrypt_credentials,
    mask,
    rotate_credentials,
)


def _app(keys: str) -> Flask:
    app = Flask(__name__)
    app.config["OMNIFY"] = Config.from_env(env={"CREDENTIALS_KEY": keys})
    return app


def test_roundtrip_and_ciphertext_hides_the_token():
    with _app(Fernet.generate_key().decode()).app_context():
        token = encrypt_credentials({"access_token": "EAAB-secret-token"})
        assert b"EAAB-secret-token" not in token
        assert decrypt_credentials(token) == {"access_token": "EAAB-secret-token"}


def test_rotation_keeps_old_tokens_readable_and_rewrites_with_the_new_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with _app(old).app_context():
        stored = encrypt_credentials({"access_token": "t1"})
    with _app(f"{new},{old}").app_context():
        assert decrypt_credentials(stored) == {"access_token": "t1"}
        rotated = rotate_credentials(stored)
    with _app(new).app_context():
        assert decrypt_credentials(rotated) == {"access_token": "t1"}
        with pytest.raises(CredentialsError):
            decrypt_credentials(stored)  # the retired key is gone


def test_mask_shows_only_the_tail():
    assert mask("shpat_0123456789abcdef") == "••••cdef"
    assert mask("short") == "••••"
    assert mask(None) == ""
