"""OpenAI and Anthropic clients for the AI narratives, through the official SDKs.

One call, :func:`complete_json`: a system prompt, the fact sheet and the task as the user turn,
and a strict JSON schema the provider enforces (OpenAI chat completions ``response_format``
``json_schema``; Anthropic messages ``output_config.format``). Returns the raw JSON text with
token usage (cached tokens included) and latency; raises :class:`LLMError` with a kind.

Retries on 429/5xx/timeouts are the SDKs' own (``max_retries``, exponential backoff honouring
``retry-after``). Base URLs: the settings here, else the SDKs' standard ``OPENAI_BASE_URL`` /
``ANTHROPIC_BASE_URL``. Prompt caching: the fact sheet is the first user block — Anthropic gets
``cache_control`` breakpoints on the system prompt and the sheet, OpenAI caches the prefix
automatically and gets a stable ``prompt_cache_key``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

PROVIDERS = ("openai", "anthropic")


@dataclass(frozen=True)
class LLMSettings:
    provider: str  # openai | anthropic
    api_key: str
    model: str
    base_url: str = ""  # empty -> the SDK's default (which reads *_BASE_URL)
    timeout_s: float = 30.0
    max_retries: int = 2


@dataclass
class LLMResult:
    text: str
    model: str
    tokens_in: int
    tokens_out: int
    cached_tokens: int = 0  # input tokens read from the provider's prompt cache
    cache_write_tokens: int = 0  # input tokens written to it (Anthropic bills these higher)
    latency_ms: int = 0
    request_id: str = ""


class LLMError(RuntimeError):
    """A provider call failed after the SDK's retries. ``kind`` says why, in one word."""

    def __init__(self, kind: str, message: str, latency_ms: int = 0) -> None:
        super().__init__(message)
        self.kind = kind  # timeout | rate_limited | auth | bad_request | unavailable | bad_response
        self.latency_ms = latency_ms


def _error_kind(exc: Exception, provider: str) -> str:
    sdk: Any
    if provider == "openai":
        import openai as sdk
    else:
        import anthropic as sdk
    if isinstance(exc, sdk.APITimeoutError):
        return "timeout"
    if isinstance(exc, sdk.RateLimitError):
        return "rate_limited"
    if isinstance(exc, sdk.AuthenticationError | sdk.PermissionDeniedError):
        return "auth"
    if isinstance(exc, sdk.BadRequestError | sdk.NotFoundError | sdk.UnprocessableEntityError):
        return "bad_request"
    return "unavailable"


def _client(settings: LLMSettings) -> Any:
    kwargs: dict[str, Any] = {
        "api_key": settings.api_key,
        "timeout": settings.timeout_s,
        "max_retries": settings.max_retries,
    }
    if settings.base_url:
        kwargs["base_url"] = settings.base_url
    if settings.provider == "openai":
        from openai import OpenAI

        return OpenAI(**kwargs)
    if settings.provider == "anthropic":
        from anthropic import Anthropic

        return Anthropic(**kwargs)
    raise ValueError(f"unknown provider {settings.provider!r}")


def complete_json(
    settings: LLMSettings,
    *,
    system: str,
    context: str,
    instruction: str,
    schema_name: str,
    schema: dict[str, Any],
    max_output_tokens: int,
    cache_key: str = "",
) -> LLMResult:
    """One structured answer. ``context`` (the fact sheet) comes first so it can be cached."""
    client = _client(settings)
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        if settings.provider == "openai":
            result = _openai(
                client, settings, system, context, instruction, schema_name, schema,
                max_output_tokens, cache_key,
            )  # fmt: skip
        else:
            result = _anthropic(
                client, settings, system, context, instruction, schema, max_output_tokens
            )
    except LLMError as exc:
        exc.latency_ms = elapsed()
        raise
    except Exception as exc:  # the SDKs' errors, after their own retries
        kind = _error_kind(exc, settings.provider)
        raise LLMError(kind, f"{settings.provider}: {type(exc).__name__}", elapsed()) from exc
    finally:
        client.close()
    result.latency_ms = elapsed()
    return result


def _openai(
    client: Any,
    settings: LLMSettings,
    system: str,
    context: str,
    instruction: str,
    schema_name: str,
    schema: dict[str, Any],
    max_output_tokens: int,
    cache_key: str,
) -> LLMResult:
    extra: dict[str, Any] = {"prompt_cache_key": cache_key} if cache_key else {}
    response = client.chat.completions.create(
        model=settings.model,
        messages=[
            {"role": "system", "content": system},
            {"role": "user", "content": context + "\n\n" + instruction},
        ],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": schema_name, "strict": True, "schema": schema},
        },
        max_completion_tokens=max_output_tokens,
        **extra,
    )
    choice = response.choices[0] if response.choices else None
    if choice is None or choice.message is None:
        raise LLMError("bad_response", "openai: no choices")
    if getattr(choice.message, "refusal", None):
        raise LLMError("bad_response", "openai: the model refused")
    if choice.finish_reason == "length":
        raise LLMError("bad_response", "openai: answer cut off (max tokens)")
    usage = response.usage
    details = getattr(usage, "prompt_tokens_details", None) if usage else None
    return LLMResult(
        text=choice.message.content or "",
        model=response.model or settings.model,
        tokens_in=int(getattr(usage, "prompt_tokens", 0) or 0),
        tokens_out=int(getattr(usage, "completion_tokens", 0) or 0),
        cached_tokens=int(getattr(details, "cached_tokens", 0) or 0),
        request_id=str(getattr(response, "_request_id", "") or response.id or ""),
    )


def _anthropic(
    client: Any,
    settings: LLMSettings,
    system: str,
    context: str,
    instruction: str,
    schema: dict[str, Any],
    max_output_tokens: int,
) -> LLMResult:
    cache = {"type": "ephemeral"}
    message = client.messages.create(
        model=settings.model,
        max_tokens=max_output_tokens,
        system=[{"type": "text", "text": system, "cache_control": cache}],
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": context, "cache_control": cache},
                    {"type": "text", "text": instruction},
                ],
            }
        ],
        output_config={"format": {"type": "json_schema", "schema": schema}},
    )
    if message.stop_reason in ("max_tokens", "refusal"):
        raise LLMError("bad_response", f"anthropic: stop_reason {message.stop_reason}")
    text = "".join(
        block.text for block in message.content or [] if getattr(block, "type", "") == "text"
    )
    usage = message.usage
    cache_read = int(getattr(usage, "cache_read_input_tokens", 0) or 0)
    cache_write = int(getattr(usage, "cache_creation_input_tokens", 0) or 0)
    return LLMResult(
        text=text,
        model=message.model or settings.model,
        # Anthropic's input_tokens excludes cached tokens: count every input token once
        tokens_in=int(usage.input_tokens or 0) + cache_read + cache_write,
        tokens_out=int(usage.output_tokens or 0),
        cached_tokens=cache_read,
        cache_write_tokens=cache_write,
        request_id=str(getattr(message, "_request_id", "") or message.id or ""),
    )
