"""Connector tests use the fakes' fixtures directly (pytest_plugins belongs in the root)."""

from tests.fakes.fixtures import (  # noqa: F401 - fixtures are used by name
    fake_google,
    fake_meta,
    fake_oauth,
    fake_shopify,
    fake_tiktok,
    fast_retry,
    smtp_server,
)
