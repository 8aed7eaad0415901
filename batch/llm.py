"""A small client for any OpenAI-compatible chat-completions endpoint (httpx + tenacity).

Retries 429 (honouring ``Retry-After``), 5xx and transport errors with exponential backoff; counts
requests, retries, tokens and an estimated cost. Thread-safe: one client serves a labelling pool.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from email.utils import parsedate_to_datetime

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

# USD per million (prompt, completion) tokens; unknown models count tokens and cost 0.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}
MAX_RETRY_AFTER_S = 120.0


class LLMError(RuntimeError):
    """The endpoint refused or failed for good; the message says what to check."""


class RetryableStatus(LLMError):
    """A 429 or 5xx reply; ``retry_after`` is the server's hint in seconds, if it gave one."""

    def __init__(self, status: int, body: str, retry_after: float | None):
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER_S))


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


class ChatClient:
    """``complete(messages) -> str`` against ``{base_url}/chat/completions``."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, *, timeout: float = 60.0,
                 max_attempts: int = 6, backoff_max: float = 30.0, json_mode: bool = True,
                 sleep: Callable[[float], None] = time.sleep, transport: httpx.BaseTransport | None = None):
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.model = model
        self._secret = api_key or None
        self.json_mode = json_mode
        self.usage = Usage()
        self._lock = threading.Lock()
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/", headers=headers, timeout=timeout,
                                  transport=transport)
        self._max_attempts = max_attempts
        self._backoff = wait_exponential(multiplier=0.5, min=0.5, max=backoff_max)
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ChatClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableStatus) and exc.retry_after is not None:
            return exc.retry_after
        return self._backoff(state)

    def _count_retry(self, state: RetryCallState) -> None:
        with self._lock:
            self.usage.retries += 1

    def _post(self, payload: dict) -> dict:
        with self._lock:
            self.usage.requests += 1
        try:
            resp = self._http.post("chat/completions", json=payload)
        except httpx.TransportError as exc:
            raise RetryableStatus(0, f"{type(exc).__name__}: {exc}", None) from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            raise RetryableStatus(resp.status_code, self._redacted(resp.text),
                                  parse_retry_after(resp.headers.get("retry-after")))
        if resp.status_code >= 400:
            raise LLMError(f"LLM endpoint answered HTTP {resp.status_code}: {self._redacted(resp.text)[:300]} "
                           "(check LLM_BASE_URL, LLM_MODEL and LLM_API_KEY)")
        try:
            return resp.json()
        except ValueError as exc:
            raise LLMError(f"LLM endpoint sent a non-JSON body: {self._redacted(resp.text)[:200]!r}") from exc

    def _redacted(self, body: str) -> str:
        """An error body safe to log: the API key (if the endpoint echoes it) and URL passwords masked."""
        from skillpulse.settings import redact_text

        body = redact_text(body[:2000])
        return body.replace(self._secret, "***") if self._secret else body

    def complete(self, messages: list[dict], *, temperature: float = 0.0, max_tokens: int = 800) -> str:
        """The assistant's reply text for ``messages``; raises ``LLMError`` after the last retry."""
        payload: dict = {"model": self.model, "messages": messages, "temperature": temperature,
                         "max_tokens": max_tokens}
        if self.json_mode:
            payload["response_format"] = {"type": "json_object"}
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, RetryableStatus)),
            wait=self._wait, stop=stop_after_attempt(self._max_attempts), sleep=self._sleep,
            before_sleep=self._count_retry, reraise=True,
        )
        try:
            body = retrying(self._post, payload)
        except RetryableStatus as exc:
            raise LLMError(f"LLM endpoint still failing after {self._max_attempts} attempts: {exc}") from exc
        usage = body.get("usage") or {}
        p_tok, c_tok = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        p_price, c_price = PRICES_PER_MTOK.get(self.model, (0.0, 0.0))
        with self._lock:
            self.usage.prompt_tokens += p_tok
            self.usage.completion_tokens += c_tok
            self.usage.cost_usd += (p_tok * p_price + c_tok * c_price) / 1e6
        try:
            return body["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"LLM reply has no choices[0].message.content: {str(body)[:200]}") from exc
