"""Fixtures shared by the integration tests (a module's own fixture of the same name wins)."""

from tests.helpers.narratives import ai_config, fake_anthropic, fake_openai, lumen  # noqa: F401
from tests.helpers.overview import orgs  # noqa: F401 - two orgs with stored states (modules may override)
from tests.helpers.tenancy import two_orgs  # noqa: F401
