"""One JSON-over-HTTP client with retries, for every API SkillPulse calls (job sources and the LLM).

APIs throttle (429 with ``Retry-After``), have bad minutes (5xx, timeouts, dropped connections) and
sometimes answer with a truncated or HTML body. All of that is retried here with exponential backoff
and jitter (tenacity), waiting what ``Retry-After`` asks when the server says; after ``max_tries``
the caller's own error says what failed and what to try next. Secrets (API keys) travel only in
headers and are masked in every message this module produces.

Callers say what their errors look like by overriding three hooks of :class:`JsonClient`:
``refuse`` (a non-retryable answer: 3xx, 4xx), ``malformed`` (a body that is not JSON) and
``gave_up`` (retries exhausted). ``producers.http.HttpClient`` and ``batch.llm.ChatClient`` do.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from skillpulse.settings import redact_text

log = logging.getLogger("skillpulse.http")

USER_AGENT = "skillpulse/0.1 (+https://github.com/skillpulse)"


class HttpError(RuntimeError):
    """An API could not be used: a refused request, or retries exhausted (the default hooks' error)."""


class RetryableError(Exception):
    """A failure worth retrying; ``retry_after`` is the server's requested wait in seconds."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How patient a client is. Tests shrink ``backoff`` and ``max_wait`` to milliseconds."""

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
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date (RFC 9110); None if absent or unreadable."""
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


def snippet(text: str, limit: int = 200) -> str:
    """``text`` on one line, cut to ``limit`` characters (for error messages quoting a body)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


class JsonClient:
    """JSON over HTTP for one API (``name`` appears in every message), retried per ``policy``."""

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
        transport: httpx.BaseTransport | None = None,
    ):
        self.name = name
        self.policy = policy or RetryPolicy()
        self.requests = 0  # counted under a lock: one client may serve a thread pool
        self.retries = 0
        self._count_lock = threading.Lock()
        self._secrets = [s for s in secrets if s]
        self._sleep = sleep
        self._on_retry = on_retry or (lambda message: log.warning("%s", message))
        self._client = httpx.Client(
            base_url=base_url,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            timeout=httpx.Timeout(self.policy.timeout),
            follow_redirects=False,  # custom key headers would follow a redirect to any host
            transport=transport,
        )

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by ``***`` and URL passwords masked."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return redact_text(text)

    # --- hooks: what a caller's errors look like ----------------------------------------------
    def refuse(self, response: httpx.Response) -> Exception:
        """The error for an answer that is not retried (3xx, 4xx other than 429)."""
        return HttpError(self.redact(f"{self.name}: HTTP {response.status_code}: {snippet(response.text)}"))

    def malformed(self, response: httpx.Response) -> Exception:
        """The error for a 2xx body that is not JSON; by default retried (a truncated or HTML answer)."""
        return RetryableError(f"malformed JSON in the answer (starts {snippet(response.text, 80)!r})")

    def gave_up(self, exc: RetryableError) -> Exception:
        """The error once every try failed."""
        return HttpError(self.redact(f"{self.name}: gave up after {self.policy.max_tries} tries: {exc.reason}"))

    # --- requests -------------------------------------------------------------------------------
    def _once(self, method: str, path: str, params: dict[str, Any] | None, body: Any) -> Any:
        with self._count_lock:
            self.requests += 1
        try:
            response = self._client.request(method, path, params=params, json=body)
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
        if status >= 300:
            raise self.refuse(response)
        try:
            return response.json()
        except ValueError:
            raise self.malformed(response) from None

    def request_json(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        """``method path`` (``body`` sent as JSON) decoded as JSON, retried per the policy."""
        policy = self.policy

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return policy.wait_for(state.attempt_number, getattr(exc, "retry_after", None))

        def before_sleep(state: RetryCallState) -> None:
            with self._count_lock:
                self.retries += 1
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
            return retrying(self._once, method, path, params, body)
        except RetryableError as exc:
            raise self.gave_up(exc) from None

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` (empty parameters dropped) and decode JSON, retrying per the policy."""
        params = {k: v for k, v in (params or {}).items() if v is not None and v != [] and v != ""}
        return self.request_json("GET", path, params=params)

    def post_json(self, path: str, payload: Any) -> Any:
        """POST ``payload`` as JSON to ``path`` and decode the JSON answer, retrying per the policy."""
        return self.request_json("POST", path, body=payload)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
