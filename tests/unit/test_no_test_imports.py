"""A test module never imports another test module: shared helpers live in tests/helpers/ and
shared fixtures in a conftest.py (importing a test module also collects its tests twice)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_modules_import_no_test_module():
    offenders = []
    for path in [
        *ROOT.glob("tests/**/*.py"),
        *ROOT.glob("bench/**/*.py"),
        *ROOT.glob("demo/**/*.py"),
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(
                n.rsplit(".", 1)[-1].startswith("test_") and n.startswith("tests.") for n in names
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "import tests/helpers/ or a conftest fixture instead: " + ", ".join(
        offenders
    )
