"""One HTTP helper for every job-source API: JSON GETs with retries that respect rate limits.

Job boards throttle (429 with ``Retry-After``), have bad minutes (5xx, timeouts) and sometimes
answer with a truncated or HTML body. All of that is retried here with exponential backoff
(tenacity); after ``max_tries`` a :class:`SourceError` says what failed and what to try next.
Secrets (API keys) travel only in headers and are masked in every message this module produces.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

log = logging.getLogger("skillpulse.producers")

USER_AGENT = "skillpulse-producer/0.1 (+https://github.com/skillpulse)"


class SourceError(RuntimeError):
    """A source could not be read (after retries, or on a non-retryable answer)."""


class RetryableError(Exception):
    """A failure worth retrying; ``retry_after`` is the server's requested wait in seconds."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How patient a producer is. Tests shrink ``backoff`` and ``max_wait`` to milliseconds."""

    max_tries: int = 5
    backoff: float = 2.0  # first wait in seconds; doubles on each retry (plus up to 25% jitter)
    max_wait: float = 120.0  # cap on any one wait, a server's Retry-After included
    timeout: float = 30.0  # seconds per request (connect and read)

    def wait_for(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before try ``attempt + 1``: Retry-After when given, else backoff."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_wait))
        base = self.backoff * (2 ** (attempt - 1))
        return max(0.0, min(base * (1 + random.random() * 0.25), self.max_wait))


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


class HttpClient:
    """A small JSON-over-HTTP client for one source (``name`` appears in every message)."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        headers: dict[str, str] | None = None,
        policy: RetryPolicy | None = None,
        secrets: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[str], None] | None = None,
    ):
        self.name = name
        self.policy = policy or RetryPolicy()
        self.requests = 0
        self._secrets = [s for s in secrets if s]
        self._sleep = sleep
        self._on_retry = on_retry or (lambda message: log.warning("%s", message))
        self._client = httpx.Client(
            base_url=base_url,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            timeout=httpx.Timeout(self.policy.timeout),
            follow_redirects=False,  # custom key headers would follow a redirect to any host
        )

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _once(self, path: str, params: dict[str, Any]) -> Any:
        self.requests += 1
        try:
            response = self._client.get(path, params=params)
        except httpx.TimeoutException:
            raise RetryableError(f"no answer within {self.policy.timeout:g}s (timeout)") from None
        except httpx.TransportError as exc:
            raise RetryableError(f"connection failed ({type(exc).__name__}: {exc})") from None
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            raise RetryableError("rate limited (HTTP 429)", retry_after)
        if status >= 500:
            raise RetryableError(f"server error (HTTP {status})", retry_after)
        if 300 <= status < 400:
            raise SourceError(self.redact(
                f"{self.name}: the API redirected to {response.headers.get('Location', '?')!r} (HTTP {status}); "
                "redirects are not followed so that keys stay with the API's host: set --base-url to the new address."))
        if status in (401, 403):
            raise SourceError(self.redact(
                f"{self.name}: the API refused the request (HTTP {status}: {_snippet(response.text)}). "
                "Check that the API key is set, valid and subscribed to this API."))
        if status >= 400:
            raise SourceError(self.redact(
                f"{self.name}: HTTP {status} for {response.request.url}: {_snippet(response.text)}. "
                "Check the query options."))
        try:
            return response.json()
        except ValueError:
            raise RetryableError(f"malformed JSON in the answer (starts {_snippet(response.text, 80)!r})") from None

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` and decode JSON, retrying per the policy; raises :class:`SourceError`."""
        params = {k: v for k, v in (params or {}).items() if v is not None and v != [] and v != ""}
        policy = self.policy

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return policy.wait_for(state.attempt_number, getattr(exc, "retry_after", None))

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            seconds = state.next_action.sleep if state.next_action else 0.0
            self._on_retry(self.redact(
                f"{self.name}: {getattr(exc, 'reason', exc)}; retry {state.attempt_number}/"
                f"{policy.max_tries - 1} in {seconds:.1f}s"))

        retrying = Retrying(
            stop=stop_after_attempt(max(1, policy.max_tries)),
            wait=wait,
            retry=retry_if_exception_type(RetryableError),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._once, path, params)
        except RetryableError as exc:
            raise SourceError(self.redact(
                f"{self.name}: gave up after {policy.max_tries} tries: {exc.reason}. "
                "The service may be down or throttling: try again later, or raise --retries / --timeout."
            )) from None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
