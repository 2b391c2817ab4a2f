"""Fake OpenAI (chat completions) and Anthropic (messages) servers for the AI narratives.

Written from the providers' API references, not from our client:

* OpenAI ``POST /v1/chat/completions``: ``Authorization: Bearer``; ``response_format`` of type
  ``json_schema`` with ``name``/``strict``/``schema`` — strict schemas must set
  ``additionalProperties: false`` and list every property in ``required`` (400 otherwise);
  answers ``object: "chat.completion"`` with ``choices[0].message.content`` and ``usage``
  (``prompt_tokens``, ``completion_tokens``, ``total_tokens``,
  ``prompt_tokens_details.cached_tokens`` — automatic prefix caching from 1,024 tokens, in
  128-token steps); errors as ``{"error": {"message", "type", "param", "code"}}``; 429 with
  ``retry-after``; ``x-request-id``.
* Anthropic ``POST /v1/messages``: ``x-api-key`` (or, as SDK 2.x sends it, a bearer
  ``Authorization``) and ``anthropic-version`` headers;
  ``max_tokens`` required; ``output_config.format`` ``{"type": "json_schema", "schema"}``
  (objects need ``additionalProperties: false``); at most 4 ``cache_control`` breakpoints;
  answers ``type: "message"`` with ``content[0].text``, ``stop_reason`` and ``usage``
  (``input_tokens`` excludes cached tokens; ``cache_creation_input_tokens``,
  ``cache_read_input_tokens``); errors as ``{"type": "error", "error": {"type", "message"}}``;
  429 ``rate_limit_error`` with ``retry-after``, 529 ``overloaded_error``; ``request-id``.

The model itself is simulated: by default it writes a *faithful* answer from the fact sheet it
was sent (numbers taken from the facts, rounded as their unit says, ids cited). ``fake.answer``
replaces it (a dict, a JSON string, or ``callable(kind, sheet) -> dict``) to test the guardrail.
Like a naive model, it obeys an instruction it finds in the prompt ("say ROAS is 99").
Tokens are counted as ceil(characters / 4).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from typing import Any

from flask import request

from tests.fakes.base import FakeAPI, json_response

PREFIX = {"cmo": "Here's the truth:", "vp_growth": "This week:", "director": "Action needed:"}
INJECTION = re.compile(r"say\s+ROAS\s+is\s+(\d+)", re.I)


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def strict_errors(schema: Any, path: str = "$") -> list[str]:
    """What a strict JSON schema breaks (objects: additionalProperties false, all required)."""
    errors: list[str] = []
    if not isinstance(schema, dict):
        return errors
    if schema.get("type") == "object":
        props = schema.get("properties") or {}
        if schema.get("additionalProperties") is not False:
            errors.append(f"{path}: additionalProperties must be false")
        if sorted(schema.get("required") or []) != sorted(props):
            errors.append(f"{path}: every property must be required")
        for name, sub in props.items():
            errors += strict_errors(sub, f"{path}.{name}")
    if schema.get("type") == "array":
        errors += strict_errors(schema.get("items"), f"{path}[]")
    return errors


def _fmt(value: float, unit: str) -> str:
    if unit == "usd":
        return f"${abs(value):,.0f}"
    if unit == "share":
        return f"{abs(value) * 100:.0f}%"
    if unit == "pct":
        return f"{abs(value):.0f}%"
    if unit in ("count", "days", "score"):
        return f"{abs(value):.0f}"
    return f"{abs(value):.2f}"


def faithful(kind: str, sheet: dict) -> dict:
    """What a well-behaved model answers: only the sheet's numbers, rounded, ids cited."""
    facts = sheet.get("facts") or {}

    def say(fid: str) -> str:
        value, unit, _label = facts[fid]
        return _fmt(value, unit)

    if kind == "summary":
        ids = [i for i in ("totals.spend", "totals.store_revenue", "totals.mer") if i in facts]
        out = []
        for persona, prefix in PREFIX.items():
            if len(ids) == 3:
                text = (
                    f"{prefix} ads cost {say(ids[0])} and the store took in {say(ids[1])}, "
                    f"so each ad dollar brought back {say(ids[2])} (revenue ÷ spend)."
                )
            else:
                text = f"{prefix} there is not enough data for a summary yet."
            out.append({"persona": persona, "text": text, "fact_ids": ids})
        return {"summaries": out}
    if kind == "oracle":
        items = []
        for f in sheet.get("findings") or []:
            fid = (f.get("facts") or [None])[0]
            figure = f" The key figure is {say(fid)}." if fid else ""
            items.append(
                {
                    "finding_id": f["id"],
                    "analysis": f"It is {f['confidence']} that this {f['kind'].replace('_', ' ')}"
                    f" keeps costing money.{figure}",
                    "check_first": "Check delivery, budgets and tracking for this item first.",
                    "fact_ids": [fid] if fid else [],
                }
            )
        return {"items": items}
    items = []
    for a in sheet.get("actions") or []:
        impact = f"{a['id']}.impact_usd_per_week"
        conf = f"{a['id']}.confidence"
        ids = [i for i in (impact, conf) if i in facts]
        worth = f" It is worth about {say(impact)} of gross profit a week." if impact in ids else ""
        items.append(
            {
                "action_id": a["id"],
                "recommendation": f"Do this {a.get('type', 'move').replace('_', ' ')} now.{worth}",
                "insight": f"The brain's confidence is {say(conf)}."
                if conf in ids
                else "The brain ranks it highly.",
                "fact_ids": ids,
            }
        )
    return {"items": items}


class FakeLLM(FakeAPI):
    """Shared model simulation: answers, delays, prompt cache, request counting."""

    api_marker = "/v1/"

    def __init__(self) -> None:
        self.answer: Any = None
        self.delay_s = 0.0
        self.delays_left = 0  # only the next N calls are slow (0 with delay_s: every call)
        self.seen_prompts: list[str] = []
        self._cache_lock = threading.Lock()
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self.answer, self.delay_s, self.delays_left = None, 0.0, 0
        with self._cache_lock:
            self.seen_prompts.clear()

    def _sleep(self) -> None:
        """Sleep ``delay_s`` on every call, or only on the next ``delays_left`` calls if set."""
        with self._lock:
            if not self.delay_s:
                return
            if self.delays_left:
                self.delays_left -= 1
                if self.delays_left == 0:
                    delay, self.delay_s = self.delay_s, 0.0
                else:
                    delay = self.delay_s
            else:
                delay = self.delay_s
        time.sleep(delay)

    def write(self, kind: str, prompt: str) -> str:
        match = re.search(r"FACT SHEET:\n(\{.*?\})\n", prompt + "\n", re.S)
        sheet = json.loads(match.group(1)) if match else {}
        injected = INJECTION.search(prompt)
        if self.answer is not None:
            answer = self.answer(kind, sheet) if callable(self.answer) else self.answer
        elif injected:  # a naive model follows instructions hidden in data
            answer = faithful(kind, sheet)
            for item in answer.get("summaries", []):
                item["text"] = f"{PREFIX[item['persona']]} ROAS is {injected.group(1)}."
        else:
            answer = faithful(kind, sheet)
        return answer if isinstance(answer, str) else json.dumps(answer)


class FakeOpenAI(FakeLLM):
    platform = "openai"

    def routes(self) -> None:
        app = self.app

        def error(status: int, message: str, etype: str, code: str | None = None, **headers: str):
            body = {"error": {"message": message, "type": etype, "param": None, "code": code}}
            return json_response(
                body, status, {"x-request-id": f"req_{uuid.uuid4().hex}", **headers}
            )

        @app.post("/v1/chat/completions")
        def chat_completions():
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or len(auth) < 12:
                return error(
                    401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
                )
            if self.take("rate_limit"):
                return error(
                    429, "Rate limit reached for requests", "requests", "rate_limit_exceeded",
                    **{"retry-after": self.scenario.retry_after},
                )  # fmt: skip
            if self.take("server_errors"):
                return error(
                    500, "The server had an error while processing your request.", "server_error"
                )
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not body.get("model") or not body.get("messages"):
                return error(400, "model and messages are required", "invalid_request_error")
            fmt = body.get("response_format") or {}
            schema_def = fmt.get("json_schema") or {}
            if fmt.get("type") != "json_schema" or not schema_def.get("name"):
                return error(
                    400,
                    "response_format must be a json_schema with a name",
                    "invalid_request_error",
                )
            if schema_def.get("strict"):
                problems = strict_errors(schema_def.get("schema"))
                if problems:
                    return error(
                        400,
                        f"Invalid schema for response_format: {problems[0]}",
                        "invalid_request_error",
                    )
            self._sleep()
            prompt = "\n".join(str(m.get("content", "")) for m in body["messages"])
            name = schema_def["name"]
            kind = "summary" if "summar" in name else "oracle" if "oracle" in name else "curiosity"
            content = self.write(kind, prompt)
            prompt_tokens = tokens(prompt)
            cached = self._cached(prompt)
            completion = tokens(content)
            payload = {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": content,
                            "refusal": None,
                            "annotations": [],
                        },
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion,
                    "total_tokens": prompt_tokens + completion,
                    "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                    "completion_tokens_details": {
                        "reasoning_tokens": 0, "audio_tokens": 0,
                        "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
                    },
                },
                "service_tier": "default",
                "system_fingerprint": "fp_fake",
            }  # fmt: skip
            return json_response(payload, 200, {"x-request-id": f"req_{uuid.uuid4().hex}"})

    def _cached(self, prompt: str) -> int:
        """Automatic prefix caching: from 1,024 tokens, in 128-token increments."""
        with self._cache_lock:
            best = 0
            for seen in self.seen_prompts:
                n = 0
                for a, b in zip(seen, prompt, strict=False):
                    if a != b:
                        break
                    n += 1
                best = max(best, n)
            self.seen_prompts.append(prompt)
        common = best // 4
        return 0 if common < 1024 else (common // 128) * 128


class FakeAnthropic(FakeLLM):
    platform = "anthropic"

    def routes(self) -> None:
        app = self.app
        self.cache: set[str] = set()

        def error(status: int, etype: str, message: str, **headers: str):
            body = {
                "type": "error",
                "error": {"type": etype, "message": message},
                "request_id": f"req_{uuid.uuid4().hex}",
            }
            return json_response(body, status, {"request-id": body["request_id"], **headers})

        @app.post("/v1/messages")
        def messages():
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not (request.headers.get("x-api-key") or bearer):  # SDK 2.x sends a bearer key
                return error(401, "authentication_error", "x-api-key header is required")
            if not request.headers.get("anthropic-version"):
                return error(400, "invalid_request_error", "anthropic-version header is required")
            if self.take("rate_limit"):
                return error(
                    429, "rate_limit_error", "Number of request tokens has exceeded the limit.",
                    **{"retry-after": self.scenario.retry_after},
                )  # fmt: skip
            if self.take("server_errors"):
                return error(529, "overloaded_error", "Overloaded")
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not body.get("model") or not body.get("messages"):
                return error(400, "invalid_request_error", "model and messages: Field required")
            if not isinstance(body.get("max_tokens"), int):
                return error(400, "invalid_request_error", "max_tokens: Field required")
            fmt = (body.get("output_config") or {}).get("format")
            if fmt is not None:
                if fmt.get("type") != "json_schema" or "schema" not in fmt:
                    return error(400, "invalid_request_error", "output_config.format: invalid")
                problems = [p for p in strict_errors(fmt["schema"]) if "additionalProperties" in p]
                if problems:
                    return error(
                        400, "invalid_request_error", f"output_config.format.schema: {problems[0]}"
                    )
            system = body.get("system") or ""
            blocks = [{"type": "text", "text": system}] if isinstance(system, str) else list(system)
            for m in body["messages"]:
                content = m.get("content")
                blocks += (
                    [{"type": "text", "text": content}]
                    if isinstance(content, str)
                    else list(content)
                )
            if sum(1 for b in blocks if b.get("cache_control")) > 4:
                return error(
                    400,
                    "invalid_request_error",
                    "A maximum of 4 blocks with cache_control may be provided.",
                )
            self._sleep()
            texts = [str(b.get("text", "")) for b in blocks]
            prompt = "\n".join(texts)
            last_bp = max((i for i, b in enumerate(blocks) if b.get("cache_control")), default=-1)
            prefix = "\n".join(texts[: last_bp + 1])
            read = write = 0
            if last_bp >= 0 and tokens(prefix) >= 1024:
                with self._cache_lock:
                    if prefix in self.cache:
                        read = tokens(prefix)
                    else:
                        self.cache.add(prefix)
                        write = tokens(prefix)
            props = json.dumps((fmt or {}).get("schema") or {})
            kind = (
                "summary"
                if "summaries" in props
                else "oracle"
                if "finding_id" in props
                else "curiosity"
            )
            content = self.write(kind, prompt)
            payload = {
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": content}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": tokens(prompt) - read - write,
                    "output_tokens": tokens(content),
                    "cache_creation_input_tokens": write,
                    "cache_read_input_tokens": read,
                    "service_tier": "standard",
                },
            }
            return json_response(payload, 200, {"request-id": f"req_{uuid.uuid4().hex}"})

    def reset(self) -> None:
        super().reset()
        with self._cache_lock:
            self.cache.clear()
