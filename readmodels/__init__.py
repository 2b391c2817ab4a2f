"""Pure read models: small frames and dicts -> page data (no I/O, no framework)."""
