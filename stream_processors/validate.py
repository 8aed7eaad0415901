"""Validation of one message of ``postings.raw``: bytes in, a ``RawPosting`` or a reason out.

Pure (no Kafka, no ClickHouse), so the reasons dead letters carry are unit-testable.
"""
from __future__ import annotations

import base64
import datetime as dt

import orjson

from schemas.postings import ContractBounds, DeadLetter, RawPosting, parse_raw_posting

# A dead letter must itself fit a Kafka message (10 MB, see skillpulse.kafka.admin); base64 adds a third.
MAX_ORIGINAL_BYTES = 7 * 1024 * 1024


class Rejected(ValueError):
    """The message cannot be a posting; ``str()`` names the field and the problem."""


def decode_posting(value: bytes | None, bounds: ContractBounds | None = None) -> RawPosting:
    """Decode and validate one message value; raises ``Rejected`` with a reason naming the field."""
    if value is None or not value.strip():
        raise Rejected("(message): empty message, expected a JSON object")
    try:
        value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(f"(message): invalid UTF-8 at byte {exc.start} ({exc.reason})") from None
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise Rejected(f"(message): invalid JSON: {exc}") from None
    try:
        return parse_raw_posting(data, bounds)
    except ValueError as exc:
        raise Rejected(str(exc)) from None


def dead_letter(value: bytes | None, reason: str, topic: str, partition: int, offset: int,
                key: bytes | None = None, now: dt.datetime | None = None) -> bytes:
    """The JSON body sent to ``postings.dlq``: the reason, the original bytes (base64) and where they came from."""
    original = value or b""
    if len(original) > MAX_ORIGINAL_BYTES:
        reason = f"{reason} (original truncated to its first {MAX_ORIGINAL_BYTES} of {len(original)} bytes)"
        original = original[:MAX_ORIGINAL_BYTES]
    letter = DeadLetter(
        error=reason,
        original=base64.b64encode(original).decode("ascii"),
        topic=topic,
        partition=partition,
        offset=offset,
        key=key.decode("utf-8", "replace") if key is not None else None,
        failed_at=now or dt.datetime.now(dt.timezone.utc),
    )
    return letter.model_dump_json().encode("utf-8")
