"""Who may import whom (docs/architecture.md "Rooms"), checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from config import ROOT

# room -> top-level packages its modules must never import
FORBIDDEN = {
    "brain": {
        "flask",
        "flask_login",
        "flask_sqlalchemy",
        "sqlalchemy",
        "redis",
        "rq",
        "requests",
        "dash",
        "dash_bootstrap_components",
        "models",
        "jobs",
        "api",
        "callbacks",
        "layouts",
        "integrations",
        "extensions",
        "app",
        "openai",
        "anthropic",
        "httpx",
    },
    "integrations": {
        "models",
        "dash",
        "dash_bootstrap_components",
        "flask_login",
        "sqlalchemy",
        "flask_sqlalchemy",
        "callbacks",
        "layouts",
        "jobs",
        "api",
    },
    "layouts": {
        "models",
        "jobs",
        "api",
        "callbacks",
        "flask_login",
        "sqlalchemy",
        "redis",
        "rq",
        "integrations",
    },
    "callbacks": {"api"},
    # operations plumbing every room records into: never the rooms that record
    "ops": {"models", "jobs", "api", "callbacks", "layouts", "brain", "dash"},
    "models": {"jobs", "api", "callbacks", "layouts", "integrations", "dash"},
    "jobs": {"api", "callbacks", "layouts", "dash"},
    "readmodels": {
        "flask",
        "flask_login",
        "flask_sqlalchemy",
        "sqlalchemy",
        "redis",
        "rq",
        "requests",
        "dash",
        "dash_bootstrap_components",
        "models",
        "jobs",
        "api",
        "callbacks",
        "layouts",
        "integrations",
        "extensions",
        "app",
    },
    "reports": {
        "flask",
        "flask_login",
        "flask_sqlalchemy",
        "sqlalchemy",
        "redis",
        "rq",
        "requests",
        "models",
        "jobs",
        "api",
        "callbacks",
        "integrations",
        "extensions",
        "app",
    },
    "demo": {
        "models",
        "jobs",
        "api",
        "callbacks",
        "flask_login",
        "sqlalchemy",
        "flask_sqlalchemy",
        "redis",
        "rq",
        "integrations",
        "extensions",
        "openai",
        "anthropic",
        "stripe",
    },
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_room_imports(room):
    offenders = {}
    for path in sorted((ROOT / room).rglob("*.py")):
        bad = _imports(path) & FORBIDDEN[room]
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_readmodels_platforms_match_the_models():
    from models.data import AD_PLATFORMS
    from readmodels.analytics import AD_PLATFORMS as PURE_PLATFORMS

    assert PURE_PLATFORMS == AD_PLATFORMS
