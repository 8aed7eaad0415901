"""Producer sink for ``postings.raw``: confluent-kafka, idempotent, keyed by ``posting_key``."""
from __future__ import annotations

from typing import Any

import orjson

from skillpulse.domain.keys import posting_key
from skillpulse.kafka import MAX_MESSAGE_BYTES
from skillpulse.settings import Settings


class KafkaDeliveryError(RuntimeError):
    """Some postings were not acknowledged by the broker."""


class KafkaSink:
    """Sends raw postings as JSON; the key makes duplicates meet on one partition.

    The producer is idempotent (``enable.idempotence``, ``acks=all``), so its own retries never
    write a message twice. ``close()`` waits for every delivery report.
    """

    def __init__(self, bootstrap: str, topic: str, config: dict[str, Any] | None = None):
        from confluent_kafka import Producer

        self.topic = topic
        self.delivered = 0
        self.failed = 0
        self.errors: list[str] = []
        self._producer = Producer({
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 20,
            "compression.type": "lz4",
            "message.max.bytes": MAX_MESSAGE_BYTES,
            # librdkafka's own log: errors only. Its start-up chatter ("coordinator load in progress:
            # retrying") is expected and retried; failed deliveries are counted by the callbacks.
            "log_level": 3,
            **(config or {}),
        })

    @classmethod
    def from_settings(cls, settings: Settings) -> "KafkaSink":
        """A sink on ``RAW_TOPIC`` of ``KAFKA_BOOTSTRAP`` (or the local broker); creates the topics."""
        from skillpulse.kafka.admin import ensure_topics, resolve_bootstrap

        bootstrap = resolve_bootstrap(settings)
        ensure_topics(bootstrap, settings)
        return cls(bootstrap, settings.raw_topic)

    def _on_delivery(self, err, _msg) -> None:
        if err is None:
            self.delivered += 1
        else:
            self.failed += 1
            if len(self.errors) < 20:
                self.errors.append(str(err))

    def send(self, posting: dict[str, Any]) -> None:
        """Queue one posting; keyed by its posting_key when it has a title."""
        title = posting.get("title")
        key = posting_key(title, posting.get("company"), posting.get("location")) if isinstance(title, str) else None
        self.send_bytes(key.encode() if key else None, orjson.dumps(posting, default=str))

    def send_bytes(self, key: bytes | None, value: bytes) -> None:
        """Queue raw bytes (used by replays and tests of bad input)."""
        while True:
            try:
                self._producer.produce(self.topic, value=value, key=key, on_delivery=self._on_delivery)
                break
            except BufferError:  # local queue full: let deliveries drain, then retry
                self._producer.poll(0.2)
        self._producer.poll(0)

    def close(self, timeout: float = 60.0) -> int:
        """Wait for all delivery reports; returns the number delivered. Raises if any failed."""
        remaining = self._producer.flush(timeout)
        if remaining:
            self.failed += remaining
            self.errors.append(f"{remaining} message(s) not delivered within {timeout:.0f}s")
        if self.failed:
            raise KafkaDeliveryError(f"{self.failed} posting(s) not delivered to {self.topic}: {'; '.join(self.errors[:3])}")
        return self.delivered
