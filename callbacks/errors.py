"""The product's binding of the one callback error wrapper (layouts.wiring.soft_fail)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dash.exceptions import PreventUpdate
from werkzeug.exceptions import HTTPException

from extensions import db
from layouts import wiring

log = logging.getLogger("callbacks")


def soft_fail(
    message: str, fallback: Callable[..., Any] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """layouts.wiring.soft_fail for the product: HTTP errors pass (a 403 stays a 403) and a
    failed callback rolls the database session back."""
    return wiring.soft_fail(
        log,
        message,
        fallback,
        passthrough=(PreventUpdate, HTTPException),
        cleanup=db.session.rollback,
    )
