"""A small client for any OpenAI-compatible chat-completions endpoint (``skillpulse.http.JsonClient``).

Retries 429 (honouring ``Retry-After``), 5xx and transport errors with exponential backoff; counts
requests, retries, tokens and an estimated cost. Thread-safe: one client serves a labelling pool.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import httpx

from skillpulse.http import JsonClient, RetryableError, RetryPolicy

log = logging.getLogger(__name__)

# USD per million (prompt, completion) tokens; unknown models count tokens and cost 0.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}
MAX_RETRY_AFTER_S = 120.0  # longest wait, a server's Retry-After included
BACKOFF_S = 0.5  # first backoff; doubles on each retry


class LLMError(RuntimeError):
    """The endpoint refused or failed for good; the message says what to check."""


@dataclass
class Usage:
    """Counters across every call of one client."""

    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["cost_usd"] = round(self.cost_usd, 8)
        return data


class ChatClient(JsonClient):
    """``complete(messages) -> str`` against ``{base_url}/chat/completions``.

    Retries, backoff and ``Retry-After`` (capped at ``MAX_RETRY_AFTER_S``) are ``skillpulse.http``'s,
    shared with the job sources; a refused request or a non-JSON reply is an ``LLMError`` at once.
    """

    def __init__(self, base_url: str, model: str, api_key: str | None = None, *, timeout: float = 60.0,
                 max_attempts: int = 6, json_mode: bool = True,
                 sleep: Callable[[float], None] = time.sleep, transport: httpx.BaseTransport | None = None):
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        policy = RetryPolicy(max_tries=max_attempts, backoff=BACKOFF_S, max_wait=MAX_RETRY_AFTER_S, timeout=timeout)
        super().__init__(base_url.rstrip("/") + "/", name="LLM endpoint", headers=headers, policy=policy,
                         secrets=[api_key or ""], sleep=sleep, on_retry=log.info, transport=transport)
        self.model = model
        self.json_mode = json_mode
        self._tokens = Usage()
        self._lock = threading.Lock()

    @property
    def usage(self) -> Usage:
        """Requests, retries, tokens and estimated cost so far."""
        with self._lock:
            return Usage(self.requests, self.retries, self._tokens.prompt_tokens, self._tokens.completion_tokens,
                         self._tokens.cost_usd)

    def refuse(self, response: httpx.Response) -> Exception:
        return LLMError(f"LLM endpoint answered HTTP {response.status_code}: {self.redact(response.text[:2000])[:300]} "
                        "(check LLM_BASE_URL, LLM_MODEL and LLM_API_KEY)")

    def malformed(self, response: httpx.Response) -> Exception:
        return LLMError(f"LLM endpoint sent a non-JSON body: {self.redact(response.text[:2000])[:200]!r}")

    def gave_up(self, exc: RetryableError) -> Exception:
        return LLMError(f"LLM endpoint still failing after {self.policy.max_tries} attempts: {exc.reason}")

    def complete(self, messages: list[dict], *, temperature: float = 0.0, max_tokens: int = 800) -> str:
        """The assistant's reply text for ``messages``; raises ``LLMError`` after the last retry."""
        payload: dict = {"model": self.model, "messages": messages, "temperature": temperature,
                         "max_tokens": max_tokens}
        if self.json_mode:
            payload["response_format"] = {"type": "json_object"}
        body = self.post_json("chat/completions", payload)
        usage = body.get("usage") or {}
        p_tok, c_tok = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        p_price, c_price = PRICES_PER_MTOK.get(self.model, (0.0, 0.0))
        with self._lock:
            self._tokens.prompt_tokens += p_tok
            self._tokens.completion_tokens += c_tok
            self._tokens.cost_usd += (p_tok * p_price + c_tok * c_price) / 1e6
        try:
            return body["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"LLM reply has no choices[0].message.content: {str(body)[:200]}") from exc
