"""Documents built from a brain state (pure: no Flask, database or request)."""
