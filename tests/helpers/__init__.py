"""Helpers and fixtures shared by test modules (a test module never imports another:
tests/unit/test_no_test_imports.py)."""
