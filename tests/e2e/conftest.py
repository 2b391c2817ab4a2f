"""Fixtures shared by the E2E tests."""

from tests.helpers.overview_e2e import lumen  # noqa: F401
