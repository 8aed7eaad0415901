"""The dedupe table: ``posting_key`` -> where the posting was first seen, with an expiry window.

It is the FAST PATH, not the guarantee: it spares enriching and storing repeats and counts them.
ClickHouse decides which sighting is kept (``postings_all`` keeps the earliest by Kafka timestamp,
partition, offset; see ``schemas/clickhouse/005_earliest_sighting.sql``), so a table that lost
writes in a crash can only cause a repeat to be stored needlessly, never to replace the original.
A sighting earlier than the one the table holds (a producer's clock, another partitioner) is taken
as first again, so the table never hides the row ClickHouse must keep.

The value is ``[partition, offset, timestamp_ms]`` of the first sighting. Remembering the offset makes
redelivery safe: after a crash the worker reprocesses messages whose offsets were not committed, and
the first sighting itself must then be stored again, not mistaken for a duplicate of itself.

Every first sighting is also kept in a plain dict of this process (``seen``): on a rebalance Faust
clears the memory store and rebuilds it from the changelog, and changelog writes still in the
producer buffer at that moment would be missing; a batch in flight then took a repeat for a first
sighting (seen in the kill -9 test). What this worker has seen it does not forget.

Writes go to the table's store and its changelog explicitly, on the partition of the message that
caused them, so the changelog stays co-partitioned with ``postings.raw`` whichever partitioner the
producer used, and expiry (run from a timer, outside any stream event) can write tombstones too.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

DEDUPE_TABLE = "dedupe"


@dataclass
class Sighting:
    """The verdict on one valid message."""

    first: bool
    first_partition: int
    first_offset: int


@dataclass
class DedupeIndex:
    """First-sighting-wins dedupe over a Faust table (or any dict-like store, for unit tests)."""

    table: Any
    ttl_ms: int
    send_changelog: Any = None  # callable(partition, key, value); None = the table's own
    _latest_ms: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    seen: dict[str, list] = field(default_factory=dict)
    pending: list = field(default_factory=list)  # changelog sends not yet confirmed (see take_pending)

    def _store(self):
        store = getattr(self.table, "data", self.table)
        # Faust's memory store keeps a plain dict in ``.data``: look keys up there, not through the store's
        # ``Mapping.get`` (a KeyError raised and caught per new key). ``_clear`` empties it in place.
        return getattr(store, "data", store)

    def _log(self, partition: int, key: str, value: Any) -> None:
        sender = self.send_changelog or getattr(self.table, "send_changelog", None)
        if sender is None:
            return
        if value is None:
            sent = sender(partition, key, None, value_serializer="raw")
        else:
            sent = sender(partition, key, value)
        if sent is not None:
            self.pending.append(sent)

    def take_pending(self) -> list:
        """The changelog sends since the last call: the agent awaits them before its batch is acknowledged."""
        pending, self.pending = self.pending, []
        return pending

    def see(self, key: str, partition: int, offset: int, timestamp_ms: int) -> Sighting:
        """Record a sighting; ``first`` unless an earlier, different message holds the key."""
        store = self._store()
        if timestamp_ms > self._latest_ms[partition]:
            self._latest_ms[partition] = timestamp_ms
        held = store.get(key) or self.seen.get(key)
        if held is not None:
            held_partition, held_offset, held_ts = held
            expired = timestamp_ms - held_ts > self.ttl_ms
            if (held_partition, held_offset) == (partition, offset):
                if key not in store:  # rebuilt without it: write it again
                    store[key] = held
                    self._log(partition, key, held)
                self.seen[key] = held
                return Sighting(True, partition, offset)  # redelivery of the first sighting itself
            earlier = (timestamp_ms, partition, offset) < (held_ts, held_partition, held_offset)
            if not expired and not earlier:
                return Sighting(False, held_partition, held_offset)
        value = [partition, offset, timestamp_ms]
        store[key] = value
        self.seen[key] = value
        self._log(partition, key, value)
        return Sighting(True, partition, offset)

    def forget(self, key: str, partition: int, offset: int) -> None:
        """Drop ``key`` if this sighting holds it: the row was dead-lettered, so a later repeat may be stored."""
        store = self._store()
        for held in (store.get(key), self.seen.get(key)):
            if held is not None and (held[0], held[1]) == (partition, offset):
                store.pop(key, None)
                self.seen.pop(key, None)
                self._log(partition, key, None)
                return

    def expire(self, partitions: set[int] | None = None) -> int:
        """Forget keys first seen more than the TTL before the newest message of their partition.

        Stream time, not wall time, so a replay of old messages expires exactly like the live run.
        ``partitions`` limits it to partitions this worker owns. Returns the number of keys dropped.
        """
        store = self._store()
        stale = []
        for key, value in [*store.items(), *self.seen.items()]:
            partition, _offset, ts = value
            if self._latest_ms.get(partition, 0) - ts > self.ttl_ms:
                stale.append((key, partition))
        stale = list(dict(stale).items())
        for key, partition in stale:
            self.seen.pop(key, None)
            if key in store and (partitions is None or partition in partitions):
                store.pop(key, None)
                self._log(partition, key, None)
        if stale:
            log.info("dedupe: expired %d key(s) older than %.1f day(s)", len(stale), self.ttl_ms / 86_400_000)
        return len(stale)


def dedupe_table(app, partitions: int):
    """The Faust table behind ``DedupeIndex`` (memory store, rebuilt from its changelog at start)."""
    return app.Table(
        DEDUPE_TABLE,
        default=None,
        partitions=partitions,
        help="posting_key -> [partition, offset, timestamp_ms] of its first sighting",
    )
