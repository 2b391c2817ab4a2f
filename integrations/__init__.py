"""Thin clients for the outside world (ad platforms, Shopify, OAuth, mail).

Each client returns normalized rows (see :mod:`integrations.types`) and raises the
typed errors of :mod:`integrations.errors`. Base URLs always come from parameters so
tests can point them at the local fakes in ``tests/fakes/``.
"""

from integrations.errors import AuthExpired, BadResponse, IntegrationError, RateLimited, Transient

__all__ = ["AuthExpired", "BadResponse", "IntegrationError", "RateLimited", "Transient"]
