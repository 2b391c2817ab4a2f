"""The brain: pure, vectorized analytics over one org's ad and order data.

Public API (see brain/state.py and brain/schema.py):
    compute_brain_state(ad_daily, orders, settings=None, as_of=None, org_id=None) -> dict
    to_canonical_json(state) -> str; input_fingerprint(ad_daily, orders, settings, as_of) -> str
    validate_state(state) -> None; BRAIN_STATE_SCHEMA
    generate_brand(seed, days=90, scale="default", plant=None, as_of=None) -> Brand
Imports numpy, pandas, scipy, statsmodels, jsonschema only: never web, db or queue code.
"""
