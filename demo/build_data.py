"""Regenerate demo/data/brain_state.json from the synthetic Lumen Beauty brand.

Run from the project root with the main virtualenv (it needs the brain's numpy/pandas):
    .venv/bin/python demo/build_data.py
The demo itself only reads the JSON snapshot.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from brain.state import compute_brain_state  # noqa: E402
from brain.synthetic import LUMEN_SEED, generate_brand  # noqa: E402

SNAPSHOT = ROOT / "demo" / "data" / "brain_state.json"


def main() -> None:
    brand = generate_brand(LUMEN_SEED)
    state = compute_brain_state(brand.ad_daily, brand.orders, {"gross_margin": 0.65}, org_id=0)
    SNAPSHOT.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)} (as of {state['as_of']})")


if __name__ == "__main__":
    main()
