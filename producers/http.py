"""The job sources' HTTP client: ``skillpulse.http.JsonClient`` with the messages a producer run prints.

Retries, backoff and ``Retry-After`` live in :mod:`skillpulse.http` (shared with the LLM client);
this module says what a refused request or an exhausted retry means for a job source, as a
:class:`SourceError` that names the fix (the key, ``--base-url``, ``--retries`` / ``--timeout``).
"""
from __future__ import annotations

import httpx

from skillpulse.http import JsonClient, RetryableError, RetryPolicy, parse_retry_after, snippet

__all__ = ["HttpClient", "RetryPolicy", "RetryableError", "SourceError", "parse_retry_after"]


class SourceError(RuntimeError):
    """A source could not be read (after retries, or on a non-retryable answer)."""


class HttpClient(JsonClient):
    """A JSON-over-HTTP client for one job source (``name`` appears in every message)."""

    def refuse(self, response: httpx.Response) -> Exception:
        """A :class:`SourceError` naming the fix for a redirect, a refused key or a bad query."""
        status = response.status_code
        if status < 400:
            return SourceError(self.redact(
                f"{self.name}: the API redirected to {response.headers.get('Location', '?')!r} (HTTP {status}); "
                "redirects are not followed so that keys stay with the API's host: set --base-url to the new address."))
        if status in (401, 403):
            return SourceError(self.redact(
                f"{self.name}: the API refused the request (HTTP {status}: {snippet(response.text)}). "
                "Check that the API key is set, valid and subscribed to this API."))
        return SourceError(self.redact(
            f"{self.name}: HTTP {status} for {response.request.url}: {snippet(response.text)}. "
            "Check the query options."))

    def gave_up(self, exc: RetryableError) -> Exception:
        """A :class:`SourceError` once every try failed."""
        return SourceError(self.redact(
            f"{self.name}: gave up after {self.policy.max_tries} tries: {exc.reason}. "
            "The service may be down or throttling: try again later, or raise --retries / --timeout."))
