"""Shared by tests (moved from tests/integration/test_report.py:
test modules do not import each other)."""

from __future__ import annotations

import shutil
import subprocess


def pdf_text(data: bytes) -> str:
    """The PDF's text: pdftotext when installed, else the raw (uncompressed) content streams."""
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
        )
        return out.stdout.decode()
    return data.decode("latin-1")
