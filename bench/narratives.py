"""Size and cost of the AI narratives for the Lumen Beauty demo state.

Prints ONE JSON object: the fact sheet's size (characters, and tokens as ceil(chars / 4) — the
local fakes' count, not a provider tokenizer), each task's input/output/cached tokens as the
fake providers report them through the real SDKs, the cost of one recompute at the configured
prices (cold: first call, nothing cached; warm: the prompt prefix cached), the guardrail time
per answer and the fact-sheet build time. Not a timed test; no network beyond 127.0.0.1.

    .venv/bin/python bench/narratives.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brain.facts import TASKS, check, fact_sheet, user_blocks  # noqa: E402
from config import Config  # noqa: E402
from integrations.llm import complete_json  # noqa: E402
from jobs.narratives import cost_usd, pick_provider  # noqa: E402
from tests.fakes.llm import FakeAnthropic, FakeOpenAI  # noqa: E402

STATE = Path(__file__).resolve().parents[1] / "docs" / "brain_state_example.json"


def main() -> None:
    state = json.loads(STATE.read_text())
    started = time.perf_counter()
    sheet = fact_sheet(state)
    build_ms = (time.perf_counter() - started) * 1000
    out: dict = {
        "fact_sheet": {
            "chars": len(sheet.to_json()),
            "tokens_est": -(-len(sheet.to_json()) // 4),
            "facts": len(sheet.facts),
            "findings": len(sheet.findings),
            "actions": len(sheet.actions),
            "build_ms": round(build_ms, 2),
        },
        "tasks": {},
    }
    with FakeOpenAI() as fo, FakeAnthropic() as fa:
        config = Config.from_env(
            env={
                "ENV": "testing",
                "OPENAI_API_KEY": "sk-bench",
                "ANTHROPIC_API_KEY": "sk-ant-bench",
                "OPENAI_BASE_URL": fo.url + "/v1",
                "ANTHROPIC_BASE_URL": fa.url,
            }
        )
        totals = {"cold": 0.0, "warm": 0.0}
        for run in ("cold", "warm"):
            for task in TASKS.values():
                settings = pick_provider(task, config)
                context, instruction = user_blocks(sheet, task)
                result = complete_json(
                    settings,
                    system=task.system,
                    context=context,
                    instruction=instruction,
                    schema_name=task.schema_name,
                    schema=task.schema,
                    max_output_tokens=task.max_output_tokens,
                    cache_key=f"bench-{task.kind}",
                )
                t0 = time.perf_counter()
                verdict = check(task, result.text, sheet)
                guard_ms = (time.perf_counter() - t0) * 1000
                cost = float(cost_usd(settings.model, result, config))
                totals[run] += cost
                out["tasks"].setdefault(task.kind, {})[run] = {
                    "provider": settings.provider,
                    "model": settings.model,
                    "tokens_in": result.tokens_in,
                    "tokens_out": result.tokens_out,
                    "cached_tokens": result.cached_tokens,
                    "cache_write_tokens": result.cache_write_tokens,
                    "cost_usd": round(cost, 6),
                    "guardrail_ok": verdict.ok,
                    "guardrail_ms": round(guard_ms, 2),
                }
        out["cost_per_recompute_usd"] = {k: round(v, 5) for k, v in totals.items()}
        out["requests_per_recompute"] = len(TASKS)
        budget = config.AI_MONTHLY_BUDGET_USD
        out["recomputes_per_month_within_default_budget"] = {
            k: int(budget // v) if v else None for k, v in totals.items()
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
