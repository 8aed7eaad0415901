"""Which ClickHouse errors are worth retrying: an outage is retried, a value the server rejects is not.

Pure (no driver imports): errors are classified by type and by the server's error code in the
message (``Code: 252. DB::Exception: …`` from chDB and the server alike), so the rule is
unit-testable and the same for both engines.
"""
from __future__ import annotations

# Server codes that mean "try again later": timeouts, overload, read-only or lost replicas,
# network trouble, memory pressure, too many parts, cancelled or aborted queries, Keeper.
TRANSIENT_CODES = frozenset({
    3, 23, 24, 32, 159, 164, 202, 203, 209, 210, 236, 241, 242, 252, 285, 319, 364, 373, 394, 425, 439,
    473, 499, 614, 999, 1000, 1001,
})
_TRANSIENT_WORDS = ("cannot lock file", "connection refused", "connection reset", "timed out", "timeout",
                    "temporarily unavailable", "broken pipe", "network is unreachable", "no route to host",
                    "service unavailable", "bad gateway", "gateway timeout", "too many parts")
_DATA_TYPES = (ValueError, TypeError, OverflowError, UnicodeError, KeyError, IndexError)


def server_code(message: str) -> int | None:
    """The ClickHouse error code quoted in ``message`` (``Code: 252.``), if any. Linear scan."""
    at = message.find("Code: ")
    if at < 0:
        at = message.find("code: ")
    if at < 0:
        return None
    digits = ""
    for ch in message[at + 6:at + 12]:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else None


def http_status(message: str) -> int | None:
    """An HTTP status quoted as ``response code 503`` / ``HTTP 503`` in ``message``, if any."""
    for marker in ("HTTP status ", "response code ", "HTTP "):
        at = message.find(marker)
        if at >= 0:
            digits = message[at + len(marker):at + len(marker) + 3]
            if digits.isdigit():
                return int(digits)
    return None


def is_transient(exc: BaseException) -> bool:
    """True for an outage (connection, lock, timeout, overload, HTTP 5xx): retry with backoff.

    False for a data error (the server or the driver rejects a value): retrying it can never
    succeed, so the sink bisects the batch and dead-letters the rows that fail.
    """
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    message = str(exc)
    code = getattr(exc, "code", None) if isinstance(getattr(exc, "code", None), int) else server_code(message)
    if code is not None:
        return code in TRANSIENT_CODES
    status = http_status(message)
    if status is not None:
        return status >= 500 or status == 429
    lowered = message.lower()
    if any(word in lowered for word in _TRANSIENT_WORDS):
        return True
    if isinstance(exc, _DATA_TYPES):
        return False
    if isinstance(exc, OSError):
        return True
    name = type(exc).__name__
    return name in ("OperationalError", "StreamFailureError", "InterfaceError")
