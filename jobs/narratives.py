"""RQ job: AI narratives for a stored brain state, guarded, costed, within budget.

After each recompute (jobs/brain.py enqueues :func:`generate`) this writes ``Narrative`` rows
for the state: the executive summary per persona, ORACLE's analysis of the top risks (OpenAI)
and CURIOSITY's recommendations (Anthropic). For each task:

1. the fact sheet (brain/facts.py) is built from the stored state — nothing else is sent;
2. unchanged facts + prompt + model → the previous answer is reused (no request);
3. no key, the org's monthly budget or the global ceiling reached → templates, reason stored;
4. otherwise one SDK call (the SDK retries 429/5xx), then the guardrail; each part that fails
   falls back to the template and the rejection is stored with its reason.

The page never calls a model: it reads these rows. Idempotent: a state that already has
narratives is left alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select

from brain.facts import TASKS, Checked, FactSheet, Task, check, fact_sheet, user_blocks
from brain.narrative import PERSONAS, template_summary
from extensions import app_config, db
from integrations.llm import LLMError, LLMResult, LLMSettings, complete_json
from models import BrainState, Narrative, Organization
from models.billing import ai_narrative_due, record_usage
from models.flags import flag_enabled
from models.narratives import ai_spend_usd, month_start, narratives_for_state, reusable
from models.tenancy import tenant_meta
from ops import metrics

logger = logging.getLogger(__name__)
LOCK_TIMEOUT_S = 300

# USD per million tokens: input, cached input (read), cache write, output. Published list prices;
# AI_PRICES_JSON overrides or adds models. An unknown model is priced as the dearest one.
PRICES: dict[str, tuple[float, float, float, float]] = {
    "gpt-5-mini": (0.25, 0.025, 0.25, 2.00),
    "gpt-5": (1.25, 0.125, 1.25, 10.00),
    "gpt-5-nano": (0.05, 0.005, 0.05, 0.40),
    "gpt-4.1-mini": (0.40, 0.10, 0.40, 1.60),
    "gpt-4o-mini": (0.15, 0.075, 0.15, 0.60),
    "claude-sonnet-4-5": (3.00, 0.30, 3.75, 15.00),
    "claude-haiku-4-5": (1.00, 0.10, 1.25, 5.00),
    "claude-opus-4-1": (15.00, 1.50, 18.75, 75.00),
}
REASONS = {
    "no_key": "no AI key configured",
    "flag_off": "AI narratives are switched off for this organization",
    "budget": "this month's AI budget is reached",
    "plan_cadence": "the plan's AI narrative cadence allows no new one yet",
    "global_ceiling": "the AI spending ceiling is reached",
    "rejected": "the AI answer was rejected by the number check",
    "timeout": "the AI provider timed out",
    "rate_limited": "the AI provider was rate-limited",
    "error": "the AI provider failed",
}


def _config() -> Any:
    return app_config()


def prices(config: Any) -> dict[str, tuple[float, float, float, float]]:
    table = dict(PRICES)
    if getattr(config, "AI_PRICES_JSON", ""):
        for model, row in json.loads(config.AI_PRICES_JSON).items():
            table[model] = tuple(float(x) for x in row)  # type: ignore[assignment]
    return table


def price_for(model: str, config: Any) -> tuple[float, float, float, float]:
    table = prices(config)
    if model in table:
        return table[model]
    # dated snapshots ("gpt-5-mini-2025-08-07", "claude-sonnet-4-5-20250929") price as their base
    for name in sorted(table, key=len, reverse=True):
        if model.startswith(name):
            return table[name]
    return max(table.values(), key=lambda p: p[3])


def cost_usd(model: str, result: LLMResult, config: Any) -> Decimal:
    p_in, p_cached, p_write, p_out = price_for(model, config)
    fresh = max(0, result.tokens_in - result.cached_tokens - result.cache_write_tokens)
    usd = (
        fresh * p_in
        + result.cached_tokens * p_cached
        + result.cache_write_tokens * p_write
        + result.tokens_out * p_out
    ) / 1_000_000
    return Decimal(str(usd)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def estimate_usd(model: str, prompt_chars: int, max_output_tokens: int, config: Any) -> Decimal:
    """An upper estimate before the call: ~4 characters a token, the whole output allowance."""
    p_in, _, p_write, p_out = price_for(model, config)
    usd = (prompt_chars / 4 * max(p_in, p_write) + max_output_tokens * p_out) / 1_000_000
    return Decimal(str(usd)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def settings_for(provider: str, config: Any) -> LLMSettings | None:
    key = config.OPENAI_API_KEY if provider == "openai" else config.ANTHROPIC_API_KEY
    if not key:
        return None
    return LLMSettings(
        provider=provider,
        api_key=key,
        model=config.OPENAI_MODEL if provider == "openai" else config.ANTHROPIC_MODEL,
        base_url=config.OPENAI_BASE_URL if provider == "openai" else config.ANTHROPIC_BASE_URL,
        timeout_s=config.AI_TIMEOUT_S,
        max_retries=config.AI_MAX_RETRIES,
    )


def pick_provider(task: Task, config: Any) -> LLMSettings | None:
    """The task's provider (ORACLE: OpenAI, CURIOSITY: Anthropic), else the one with a key."""
    other = "anthropic" if task.provider == "openai" else "openai"
    return settings_for(task.provider, config) or settings_for(other, config)


# ---- the job ------------------------------------------------------------------------------------
def generate(org_id: int, brain_state_id: int) -> dict:
    """RQ entry point: one narratives run per org at a time (the budget is checked inside)."""
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        rows = write_narratives(org_id, brain_state_id)
    else:
        with job.connection.lock(f"lock:narratives-{org_id}", timeout=LOCK_TIMEOUT_S):
            rows = write_narratives(org_id, brain_state_id)
    return {
        "org_id": org_id,
        "brain_state_id": brain_state_id,
        "narratives": len(rows),
        "ai": sum(1 for r in rows if r.provider != "template"),
        "cost_usd": float(sum((r.cost_usd or Decimal(0)) for r in rows)),
    }


def enqueue_narratives(org_id: int, brain_state_id: int) -> str:
    """Queue the narratives of a new state (one job per state: re-enqueueing is a no-op)."""
    from jobs.queue import fetch_job, get_queue

    job_id = f"narratives-{org_id}-{brain_state_id}"
    existing = fetch_job(job_id)
    if existing is not None and existing.get_status() in ("queued", "scheduled", "started"):
        return job_id
    get_queue("ai").enqueue(
        generate,
        org_id,
        brain_state_id,
        job_id=job_id,
        job_timeout=LOCK_TIMEOUT_S,
        meta=tenant_meta(org_id),
    )
    return job_id


def write_narratives(org_id: int, brain_state_id: int, config: Any = None) -> list[Narrative]:
    """Write (or return the existing) narratives of one brain state of one org."""
    config = config or _config()
    row = db.session.get(BrainState, brain_state_id)
    if row is None or row.org_id != org_id:
        raise ValueError(f"brain state {brain_state_id} of org {org_id} does not exist")
    existing = narratives_for_state(org_id, brain_state_id)
    if existing:
        return existing  # idempotent
    org = db.session.get(Organization, org_id)
    state = row.as_dict()
    sheet = fact_sheet(state)
    out: list[Narrative] = []
    for task in TASKS.values():
        out += _run(task, org, row, state, sheet, config)
        db.session.commit()  # spend is visible to the next task's budget check
    return out


@dataclass
class _Call:
    settings: LLMSettings
    digest: str
    result: LLMResult | None = None
    checked: Checked | None = None
    cost: Decimal = Decimal(0)


def _digest(sheet: FactSheet, task: Task, settings: LLMSettings) -> str:
    key = "|".join((sheet.digest(), task.kind, settings.provider, settings.model))
    return hashlib.sha256(key.encode()).hexdigest()


def _run(
    task: Task, org: Organization, row: BrainState, state: dict, sheet: FactSheet, config: Any
) -> list[Narrative]:
    if not flag_enabled("ai_narratives", org.id):  # switched off for this org (or everyone)
        return _templates(task, org, row, state, reason="flag_off")
    settings = pick_provider(task, config)
    if settings is None:
        return _templates(task, org, row, state, reason="no_key")
    digest = _digest(sheet, task, settings)
    previous = reusable(org.id, task.kind, digest)
    if previous:
        return _reuse(previous, row)
    if config.billing_enabled and not ai_narrative_due(org.id, _last_ai_at(org.id, task.kind)):
        return _templates(
            task, org, row, state, reason="plan_cadence", settings=settings, digest=digest
        )
    system = task.system
    context, instruction = user_blocks(sheet, task)
    estimate = estimate_usd(
        settings.model,
        len(system) + len(context) + len(instruction),
        task.max_output_tokens,
        config,
    )
    since = month_start()
    budget = Decimal(str(config.ai_budget_for(org.plan)))
    if ai_spend_usd(org.id, since) + estimate > budget:
        return _templates(task, org, row, state, reason="budget", settings=settings, digest=digest)
    ceiling = Decimal(str(config.AI_GLOBAL_MONTHLY_CEILING_USD))
    if ai_spend_usd(None, since) + estimate > ceiling:
        return _templates(
            task, org, row, state, reason="global_ceiling", settings=settings, digest=digest
        )
    try:
        result = complete_json(
            settings,
            system=system,
            context=context,
            instruction=instruction,
            schema_name=task.schema_name,
            schema=task.schema,
            max_output_tokens=task.max_output_tokens,
            cache_key=f"omnify-{task.kind}-{org.id}",
        )
    except LLMError as exc:
        reason = exc.kind if exc.kind in ("timeout", "rate_limited") else "error"
        logger.warning("narratives: %s for org %s failed: %s", task.kind, org.id, exc)
        return _templates(
            task, org, row, state, reason=reason, settings=settings, digest=digest,
            detail=str(exc), latency_ms=exc.latency_ms, guardrail="failed",
        )  # fmt: skip
    record_usage(org.id, "ai_tokens", result.tokens_in + result.tokens_out)
    call = _Call(settings, digest, result, check(task, result.text, sheet))
    call.cost = cost_usd(result.model or settings.model, result, config)
    metrics.AI_TOKENS.labels(settings.provider, "input").inc(result.tokens_in)
    metrics.AI_TOKENS.labels(settings.provider, "output").inc(result.tokens_out)
    metrics.AI_COST.labels(settings.provider).inc(float(call.cost))
    return _from_answer(task, org, row, state, call)


def _last_ai_at(org_id: int, kind: str) -> datetime | None:
    """When the org last had this kind of narrative from a model (for the plan's cadence)."""
    return db.session.execute(
        select(func.max(Narrative.created_at)).where(
            Narrative.org_id == org_id, Narrative.kind == kind, Narrative.provider != "template"
        )
    ).scalar()


def _base(org: Organization, row: BrainState, task: Task, **fields: Any) -> Narrative:
    values = {
        "org_id": org.id,
        "brain_state_id": row.id,
        "kind": task.kind,
        "facts_used": [],
        "payload": {},
        "tokens_in": 0,
        "tokens_out": 0,
        "cost_usd": Decimal(0),
        "detail": "",
        "reason": "",
        "fact_digest": "",
        "cached_tokens": 0,
        "latency_ms": 0,
        "model": "",
    }
    values.update(fields)
    n = Narrative(**values)
    db.session.add(n)
    return n


def _templates(
    task: Task,
    org: Organization,
    row: BrainState,
    state: dict,
    *,
    reason: str,
    settings: LLMSettings | None = None,
    digest: str = "",
    detail: str = "",
    latency_ms: int = 0,
    guardrail: str = "skipped",
) -> list[Narrative]:
    """Template narratives, labelled with why no AI text is shown."""
    common = {
        "provider": "template",
        "model": settings.model if settings else "",
        "reason": reason,
        "detail": detail or REASONS.get(reason, reason),
        "guardrail": guardrail,
        "fact_digest": digest,
        "latency_ms": latency_ms,
    }
    if task.kind == "summary":
        return [
            _base(org, row, task, persona=p, text=template_summary(state, p), **common)
            for p in PERSONAS
        ]
    return [_base(org, row, task, persona="all", text="", **common)]


def _reuse(previous: list[Narrative], row: BrainState) -> list[Narrative]:
    """Unchanged facts: the same answer for the new state, at no cost (no request)."""
    out = []
    for old in previous:
        n = Narrative(
            org_id=old.org_id,
            brain_state_id=row.id,
            persona=old.persona,
            kind=old.kind,
            provider=old.provider,
            model=old.model,
            text=old.text,
            facts_used=list(old.facts_used or []),
            payload=dict(old.payload or {}),
            tokens_in=0,
            tokens_out=0,
            cost_usd=Decimal(0),
            guardrail=old.guardrail,
            reason=old.reason,
            detail=old.detail,
            rejected_text=old.rejected_text,
            fact_digest=old.fact_digest,
            cached_tokens=0,
            latency_ms=0,
            reused_from_id=old.reused_from_id or old.id,
            created_at=old.created_at,
        )
        db.session.add(n)
        out.append(n)
    return out


def _split(total: int | Decimal, parts: int) -> list:
    """Split a request's tokens/cost over its rows so the rows add up to the request."""
    if isinstance(total, Decimal):
        share = (total / parts).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        return [total - share * (parts - 1)] + [share] * (parts - 1)
    share = total // parts
    return [total - share * (parts - 1)] + [share] * (parts - 1)


def _from_answer(
    task: Task, org: Organization, row: BrainState, state: dict, call: _Call
) -> list[Narrative]:
    result, checked = call.result, call.checked
    assert result is not None and checked is not None
    keys = list(PERSONAS) if task.kind == "summary" else ["all"]
    tin, tout = _split(result.tokens_in, len(keys)), _split(result.tokens_out, len(keys))
    cached, cost = _split(result.cached_tokens, len(keys)), _split(call.cost, len(keys))
    common = {
        "model": result.model or call.settings.model,
        "fact_digest": call.digest,
        "latency_ms": result.latency_ms,
    }
    out = []
    for i, key in enumerate(keys):
        usage = {"tokens_in": tin[i], "tokens_out": tout[i], "cached_tokens": cached[i]}
        usage["cost_usd"] = cost[i]
        if task.kind == "summary":
            part = checked.parts.get(key)
            if part is not None:
                payload = {"numbers": part["numbers"], "fact_ids": part["fact_ids"]}
                out.append(
                    _base(
                        org,
                        row,
                        task,
                        persona=key,
                        provider=call.settings.provider,
                        text=part["text"],
                        facts_used=part["fact_ids"],
                        payload=payload,
                        guardrail="passed",
                        **common,
                        **usage,
                    )  # fmt: skip
                )
                continue
            detail = checked.rejected.get(key) or checked.reason or "no summary for this persona"
            raw = checked.rejected_text.get(key) or (result.text if not checked.parts else "")
            out.append(
                _base(
                    org,
                    row,
                    task,
                    persona=key,
                    provider="template",
                    text=template_summary(state, key),
                    reason="rejected",
                    detail=detail,
                    rejected_text=raw[:4000],
                    guardrail="rejected",
                    **common,
                    **usage,
                )  # fmt: skip
            )
            continue
        passed = bool(checked.parts)
        facts_used = sorted({f for p in checked.parts.values() for f in p["fact_ids"]})
        detail = "; ".join(f"{k}: {v}" for k, v in checked.rejected.items()) or checked.reason
        out.append(
            _base(
                org,
                row,
                task,
                persona="all",
                provider=call.settings.provider if passed else "template",
                text="\n".join(
                    " ".join(v for k, v in p.items() if isinstance(v, str))
                    for p in checked.parts.values()
                ),
                facts_used=facts_used,
                payload={"items": checked.parts, "rejected": checked.rejected},
                guardrail="passed" if passed else "rejected",
                reason="" if passed else "rejected",
                detail=detail,
                rejected_text=(
                    json.dumps(checked.rejected_text)[:4000]
                    if checked.rejected_text
                    else (result.text[:4000] if not passed else None)
                ),
                **common,
                **usage,
            )  # fmt: skip
        )
    return out
