"""The dedupe table's changelog writes through librdkafka instead of Faust's aiokafka producer.

Every first sighting writes one changelog record (``DedupeIndex``). Through Faust's own path
(``Table.send_changelog``: topic -> producer buffer -> aiokafka) each record cost the event loop
about as much as the rest of the message's handling together (py-spy, bench/pipeline.py): Python
framing, batching and socket writes, on the thread that also fetches and acknowledges. Here each
record is one ``Producer.produce`` call into librdkafka, which batches, compresses, sends and
retries on its own threads; the agent confirms a batch's records with one ``flush`` on a helper
thread before the batch is acknowledged, exactly where it awaited Faust's futures before.

The records are the ones Faust would write: same topic (the table's changelog), same partition
(the message's), keys and values encoded by the table's own serializers, so Faust's recovery
rebuilds the table from them at start as before. The producer is idempotent (``acks=all``), so a
retried send is neither duplicated nor reordered.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)


class ChangelogWriter:
    """``send(partition, key, value)`` like ``Table.send_changelog``; ``await confirm()`` per batch."""

    def __init__(self, bootstrap: str, topic: str, encode_key: Callable[[Any], bytes],
                 encode_value: Callable[[Any], bytes], max_message_bytes: int = 1_000_000,
                 config: dict | None = None):
        from confluent_kafka import Producer

        self.topic = topic
        self.encode_key = encode_key
        self.encode_value = encode_value
        self.sent = 0
        self.failed = 0
        self._errors: list = []
        self._lock = threading.Lock()
        self._closing = False
        self._producer = Producer({
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,  # acks=all, retries without duplicates or reordering
            "linger.ms": 5,
            "delivery.report.only.error": True,  # a Python callback per failed record only; flush() waits for all
            "message.max.bytes": max_message_bytes,
            "client.id": f"{topic}-writer",
            **(config or {}),
        })
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="changelog")

    @classmethod
    def for_table(cls, table, bootstrap: str, **kwargs) -> ChangelogWriter:
        """A writer for a Faust table's changelog topic, encoding as the table itself does."""
        serializers = table.app.serializers

        def encode_key(key: Any) -> bytes:
            return serializers.dumps_key(table.key_type, key, serializer=table.key_serializer)

        def encode_value(value: Any) -> bytes:
            return serializers.dumps_value(table.value_type, value, serializer=table.value_serializer)

        return cls(bootstrap, table.changelog_topic.get_topic_name(), encode_key, encode_value, **kwargs)

    def _delivered(self, err, _msg) -> None:
        if err is not None:
            with self._lock:
                self._errors.append(err)

    def send(self, partition: int, key: Any, value: Any, value_serializer: str | None = None) -> None:
        """Queue one record (``value`` None: a tombstone). Returns None: ``confirm`` covers it."""
        body = None if value is None else self.encode_value(value)
        while True:
            try:
                self._producer.produce(self.topic, value=body, key=self.encode_key(key), partition=partition,
                                       on_delivery=self._delivered)
                break
            except BufferError:  # librdkafka's queue is full: let it send, then queue again
                self._producer.poll(0.05)
        self.sent += 1

    __call__ = send

    def _flush(self) -> list:
        while len(self._producer) and not self._closing:
            self._producer.flush(1.0)
        with self._lock:
            errors, self._errors = self._errors, []
        return errors

    async def confirm(self) -> None:
        """Wait until every record queued so far is written or has failed; failures are logged, not fatal
        (the table is the fast path, ClickHouse keeps the earliest sighting anyway)."""
        errors = await asyncio.get_running_loop().run_in_executor(self._thread, self._flush)
        if errors:
            self.failed += len(errors)
            log.warning("%d dedupe changelog write(s) failed (%s): after a restart some repeats may be stored again,"
                        " which ClickHouse resolves to the earliest sighting", len(errors), errors[0])

    def close(self, timeout_s: float = 10.0) -> None:
        """Send what is queued (up to ``timeout_s``), release the helper thread and close the producer
        (its connections end with the worker, not when the broker goes away later)."""
        self._closing = True
        left = self._producer.flush(timeout_s)
        if left:
            log.warning("%d dedupe changelog write(s) not sent at shutdown", left)
        self._thread.shutdown(wait=True)
        self._producer.close()
