"""The brain against ground truth on realistic scenario families (issue 8).

Generates ``--seeds`` brands per family (brain/scenarios.py), runs the brain on each and
prints ONE JSON object: per family the found rate, false alarms per brand, RED rate,
budget-shift direction, stated-vs-true weekly impact, marginal ROAS vs the truth.

    .venv/bin/python bench/brain_truth.py [--seeds 20] [--families sale,pause] [--no-events]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brain.scenarios import FAMILIES, generate_scenario, score, summarize  # noqa: E402
from brain.state import compute_brain_state  # noqa: E402


def run(seeds: int, families: tuple[str, ...], with_events: bool) -> dict:
    rows = []
    for fam in families:
        for seed in range(seeds):
            sc = generate_scenario(fam, seed)
            kw = {"events": sc.events} if with_events and sc.events else {}
            try:
                state = compute_brain_state(sc.ad_daily, sc.orders, **kw)
            except TypeError:  # a brain without the events input
                state = compute_brain_state(sc.ad_daily, sc.orders)
            rows.append(score(sc, state))
    return {"seeds_per_family": seeds, "events_given": with_events, "families": summarize(rows)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--no-events", action="store_true", help="do not pass recorded events")
    ap.add_argument("--rows", action="store_true", help="print per-brand rows too")
    a = ap.parse_args()
    fams = tuple(f for f in a.families.split(",") if f)
    print(json.dumps(run(a.seeds, fams, not a.no_events), indent=1))


if __name__ == "__main__":
    main()
