"""Operations: error reporting (Sentry), structured logs with request ids, Prometheus metrics,
feature-flag-free plumbing every room may use, and database backups.

A room of its own (docs/architecture.md): it may import flask, extensions and config, never
models, jobs, api, callbacks, layouts or brain, so every other room can record a metric or a
log field through it.
"""
