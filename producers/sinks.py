"""Where producers send postings: Kafka (``postings.raw``) or a JSONL file, behind one interface."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import orjson


@dataclass
class ProduceSummary:
    """What a producer run did; printed at the end of every ``skillpulse produce``."""

    fetched: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return f"fetched={self.fetched} sent={self.sent} skipped={self.skipped} failed={self.failed}"


class PostingSink(Protocol):
    """Accepts raw postings (dicts of the raw contract) and delivers them somewhere."""

    def send(self, posting: dict[str, Any]) -> None: ...

    def close(self) -> int:
        """Flush everything; returns the number of postings confirmed delivered."""
        ...


class JsonlSink:
    """Writes one JSON object per line to a file, or stdout for ``-``."""

    def __init__(self, output: str | Path):
        self._own = str(output) != "-"
        self._out: IO[bytes] = open(output, "wb") if self._own else sys.stdout.buffer
        self.delivered = 0

    def send(self, posting: dict[str, Any]) -> None:
        self._out.write(orjson.dumps(posting, default=str) + b"\n")
        self.delivered += 1

    def close(self) -> int:
        self._out.flush()
        if self._own:
            self._out.close()
        return self.delivered


def open_sink(output: str | Path | None, settings=None) -> PostingSink:
    """A JSONL sink for ``output`` (a path or ``-``), else the Kafka sink on ``settings``' ``RAW_TOPIC``
    (``settings`` is needed then)."""
    if output is not None:
        return JsonlSink(output)
    from producers.kafka_sink import KafkaSink  # arrives with the streaming pipeline

    if settings is None:
        raise ValueError("open_sink: the Kafka sink needs settings")
    return KafkaSink.from_settings(settings)
