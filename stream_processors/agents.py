"""The worker's one agent: validate -> dead-letter or dedupe -> enrich -> sink, a batch at a time.

A message never blocks the others: one that fails validation, that the enricher raises on, or whose
row ClickHouse rejects goes to ``postings.dlq`` with the reason (the field, the exception, the
server's message), and the rest of its batch is stored. Every dead letter and every changelog write
of the batch is awaited (delivered) before the batch's offsets become committable, so a committed
offset never points past a dead letter that was not written.

Batches come from ``stream.take_events``, which acknowledges its batch in a ``finally:`` when the
body returns. Two batches overlap: the body validates, dedupes and enriches batch N+1 while batch N
is stored, dead-lettered and confirmed by a task (``finish``). Batch N's offsets are held meanwhile
by one more reference per message (``hold_acks``), so take_events' acknowledgement commits nothing;
``finish`` gives the last reference (``release_acks``) once everything is written. The body awaits
batch N before it starts batch N+1's store: one batch in flight, stored in order, and rows that
ClickHouse refused in batch N free their keys before batch N+1's repeats of them are judged
(``BatchProcessor.retake``). The body never fails for an outage: the sink retries until the batch is
stored. If a batch is abandoned anyway (the worker is stopped mid-retry), its messages keep their
held reference, or are marked so that Faust's acknowledgement does not count them: the committed
offset stops before the first unstored message and a restart processes it again. (``noack_take``
with manual acks was tried first: in faust-streaming 0.15.3 it re-acks offsets after a restart, and
commits then creep forward one offset per interval.) Concurrency stays 1: above 1 Faust can commit
past a message still in flight (faust-streaming #606). Any other exception (a bug) is a fail-stop:
commits stop for good in this process (``stop_committing``) and the worker stops with the error, so
a restart processes the rest; Faust's own agent restart would let take_events' passive drainer
acknowledge messages nobody processed.
"""
from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from schemas.postings import ContractBounds, RawPosting
from skillpulse.domain.enrich import Enricher
from skillpulse.domain.keys import posting_key
from skillpulse.storage import posting_row, sighting_row
from stream_processors.tables import DedupeIndex
from stream_processors.validate import Rejected, dead_letter, decode_posting

log = logging.getLogger(__name__)


@dataclass
class Stats:
    """Counters of one worker run (printed at exit, read by the demo and the tests)."""

    consumed: int = 0
    stored: int = 0  # first sightings written to postings_all
    duplicates: int = 0
    dead_letters: int = 0
    skipped: int = 0  # replay: messages past --until
    batches: int = 0
    refetched_gaps: int = 0  # offsets the consumer skipped and the worker read again (see GapGuard)
    dead_letter_reasons: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("started",)}


@dataclass(slots=True)
class Message:
    """What the processor needs of one Kafka message (a Faust event's message, or a test double)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int


class BatchProcessor:
    """Turns a batch of messages into dead letters, posting rows and sighting rows."""

    def __init__(self, enricher: Enricher, dedupe: DedupeIndex, stats: Stats,
                 end_offsets: dict[int, int] | None = None, bounds: ContractBounds | None = None):
        self.enricher = enricher
        self.dedupe = dedupe
        self.stats = stats
        self.end_offsets = end_offsets
        self.bounds = bounds

    def split(self, messages: list[Message]) -> tuple[list[tuple[Message, bytes]], list[list], list[list]]:
        """``(dead_letters, posting_rows, sighting_rows)`` of a batch, in message order."""
        letters, firsts, sightings = self.classify(messages)
        rows, failed = self.posting_rows(firsts)
        return letters + self.reject_enrichment(failed, sightings), rows, sightings

    def posting_rows(self, firsts: list[tuple[Message, RawPosting]]) -> tuple[list[list], list[tuple[Message, RawPosting, str]]]:
        """Enrich the first sightings into posting rows: ``(rows, failures)``.

        One batched call (the hybrid model runs once); if it raises, each posting is enriched alone
        and the ones that still raise come back as ``(message, posting, reason)`` failures, to be
        dead-lettered, so one posting the enricher cannot handle never holds up the others. Pure and
        thread-safe: the agent runs it off the event loop, which must keep heartbeating meanwhile.
        """
        try:
            enriched = self.enricher.enrich_many([raw for _, raw in firsts])
            pairs = list(zip(firsts, enriched, strict=True))
            failed = []
        except Exception as exc:  # noqa: BLE001 - isolate the message(s) that raise
            log.warning("the enricher raised on a batch of %d posting(s) (%s: %s); enriching them one by one",
                        len(firsts), type(exc).__name__, str(exc)[:200])
            pairs, failed = [], []
            for msg, raw in firsts:
                try:
                    pairs.append(((msg, raw), self.enricher.enrich_many([raw])[0]))
                except Exception as one:  # noqa: BLE001
                    failed.append((msg, raw, f"enrich: {type(one).__name__}: {str(one)[:500]}"))
        rows = [posting_row(posting, msg.partition, msg.offset, msg.timestamp_ms) for (msg, _), posting in pairs]
        return rows, failed

    def reject(self, msg: Message, reason: str) -> tuple[Message, bytes]:
        """A dead letter for ``msg``, counted under the field (or stage) its reason names first."""
        field_name = reason.split(":", 1)[0]
        self.stats.dead_letter_reasons[field_name] = self.stats.dead_letter_reasons.get(field_name, 0) + 1
        self.stats.dead_letters += 1
        return msg, dead_letter(msg.value, reason, msg.topic, msg.partition, msg.offset, msg.key)

    def reject_enrichment(self, failed: list[tuple[Message, RawPosting, str]], sightings: list) -> list[tuple[Message, bytes]]:
        """Dead letters for postings the enricher raised on; their sightings and dedupe marks are withdrawn."""
        if not failed:
            return []
        letters, gone = [], set()
        for msg, raw, reason in failed:
            self.dedupe.forget(posting_key(raw.title, raw.company, raw.location), msg.partition, msg.offset)
            letters.append(self.reject(msg, reason))
            gone.add((msg.partition, msg.offset))
        sightings[:] = [s for s in sightings if (s.kafka_partition, s.kafka_offset) not in gone]
        return letters

    def reject_stored(self, rejected, messages: list[Message], forgotten: set[str] | None = None) -> list[tuple[Message, bytes]]:
        """Dead letters for rows ClickHouse refused (``sink.RejectedRow``), with the server's reason.

        Their keys are withdrawn from the dedupe index (a later repeat may then be stored) and added to
        ``forgotten`` when given.
        """
        by_position = {(m.partition, m.offset): m for m in messages}
        letters = []
        for row in rejected:
            msg = by_position.get((row.partition, row.offset))
            if msg is None:
                log.error("ClickHouse rejected a row of partition %d offset %d, not in this batch", row.partition, row.offset)
                continue
            try:
                raw = decode_posting(msg.value, self.bounds)
                key = posting_key(raw.title, raw.company, raw.location)
                self.dedupe.forget(key, msg.partition, msg.offset)
                if forgotten is not None:
                    forgotten.add(key)
            except Rejected:
                pass
            letters.append(self.reject(msg, f"clickhouse: {row.reason}"))
        return letters

    def classify(self, messages: list[Message], repeats: list | None = None,
                 ) -> tuple[list[tuple[Message, bytes]], list[tuple[Message, RawPosting]], list[list]]:
        """``(dead_letters, first_sightings, sighting_rows)``: validation and dedupe (touches the table).

        ``repeats``, when given, receives ``(message, posting, key)`` of each repeat (see ``retake``).
        """
        version = self.enricher.pipeline_version
        letters: list[tuple[Message, bytes]] = []
        firsts: list[tuple[Message, RawPosting]] = []
        sightings: list = []
        see = self.dedupe.see
        end_offsets = self.end_offsets
        stats = self.stats
        for msg in messages:
            if end_offsets is not None and msg.offset >= end_offsets.get(msg.partition, 0):
                stats.skipped += 1
                continue
            stats.consumed += 1
            try:
                raw = decode_posting(msg.value, self.bounds)
            except Rejected as exc:
                letters.append(self.reject(msg, str(exc)))
                continue
            key = posting_key(raw.title, raw.company, raw.location)
            sightings.append(sighting_row(version, key, raw.source, raw.posted_date, msg.partition, msg.offset,
                                          msg.timestamp_ms))
            if see(key, msg.partition, msg.offset, msg.timestamp_ms).first:
                firsts.append((msg, raw))
            else:
                stats.duplicates += 1
                if repeats is not None:
                    repeats.append((msg, raw, key))
        return letters, firsts, sightings

    def retake(self, repeats: list, forgotten: set[str]) -> list[tuple[Message, RawPosting]]:
        """Repeats (from ``classify``) whose key ``forgotten`` withdrew, seen again: the new first sightings.

        The agent classifies a batch while the previous one is being stored; when ClickHouse refused a row
        of that one, a repeat of it in this batch was taken for a duplicate before the refusal freed its key.
        """
        if not forgotten:
            return []
        firsts = []
        for msg, raw, key in repeats:
            if key in forgotten and self.dedupe.see(key, msg.partition, msg.offset, msg.timestamp_ms).first:
                self.stats.duplicates -= 1
                firsts.append((msg, raw))
        return firsts


class GapGuard:
    """Notices an offset skipped inside a partition and asks for it again.

    Under concurrent writes, faust-streaming 0.15.3 with aiokafka was seen (bench/pipeline.py) to hand
    the stream offset N+1 right after N-1 around its start-up seek, then to treat N as a "gap" (as for
    compacted topics) and commit past it: N would be lost. The cause found since (records dropped when
    the tables' recovery resumed the streams) is fixed in ``stream_processors.app.seek_first_recovery``;
    this stays as a backstop. ``postings.raw`` is never compacted and carries no transaction markers, so
    every offset must arrive; when one does not, the worker seeks its partition back to it (processing
    after it is idempotent). A gap that comes back after one seek is accepted as real and logged.
    """

    def __init__(self):
        self.last: dict[int, int] = {}
        self.retried: set[tuple[int, int]] = set()
        self.refetches = 0

    def check(self, partition: int, offset: int, committed: int | None = None) -> int | None:
        """Record an offset; returns the first missing offset to seek back to, if any.

        ``committed`` (the group's committed offset, i.e. the next one due) is the baseline for the
        first offset seen on a partition: the skipped one was twice the first after a restart.
        """
        last = self.last.get(partition)
        self.last[partition] = offset
        if last is None:
            if committed is None or committed < 0 or offset <= committed:
                return None
            last = committed - 1
        if offset <= last + 1:
            return None
        missing = last + 1
        if (partition, missing) in self.retried:
            log.warning("offsets %d..%d of partition %d are absent from the log; going on", missing, offset - 1, partition)
            return None
        self.retried.add((partition, missing))
        self.refetches += 1
        return missing


class StallWatch:
    """Notices a partition whose commits cannot advance, and says why, so the worker can read it again.

    Faust commits a partition only up to its first unacknowledged offset. If offsets between the
    committed one and the first acknowledged one never come back (seen after a rebalance moved a
    killed worker's partitions: the fetch position was ahead of the committed offset), every later
    acknowledgement piles up behind the hole and the group never catches up: a wedge. A hole seen at
    two checks in a row is reported; the worker then seeks the partition back to its committed offset
    (processing is idempotent), which fills the hole.
    """

    def __init__(self):
        self.seen: dict = {}

    def check(self, acked: dict, committed: dict, topic: str) -> list[tuple]:
        """``[(tp, committed, first_acked)]`` of partitions stuck since the previous check."""
        stuck = []
        for tp, offsets in list(acked.items()):
            if tp.topic != topic:
                continue
            done = committed.get(tp)
            head = min(offsets) if offsets else None
            if done is None or head is None or head <= done:
                self.seen.pop(tp, None)
                continue
            state = (done, head)
            if self.seen.get(tp) == state:
                stuck.append((tp, done, head))
                self.seen.pop(tp, None)
            else:
                self.seen[tp] = state
        return stuck


def watch_stalls(app, topic: str, stats: Stats, interval_s: float = 3.0) -> None:
    """Register the timer that runs ``StallWatch`` on ``app``'s consumer and seeks stuck partitions back."""
    watch = StallWatch()

    @app.timer(interval=interval_s)
    async def unstick() -> None:
        consumer = app.consumer
        for tp, done, head in watch.check(getattr(consumer, "_acked", {}), getattr(consumer, "_committed_offset", {}), topic):
            log.warning("partition %d: offsets %d..%d were never acknowledged, so commits cannot pass them;"
                        " reading the partition again from %d", tp.partition, done, head - 1, done)
            stats.refetched_gaps += 1
            await consumer.seek(tp, done)


def withhold_acks(events) -> None:
    """Make take_events' coming acknowledgement a no-op for these events, so their offsets stay uncommitted.

    Faust's ``Message.ack`` does nothing for a message already flagged ``acked``; the consumer then never
    sees these offsets as done, and commits stop below the first of them.
    """
    for event in events:
        event.message.acked = True
    log.warning("batch of %d message(s) not stored; its offsets stay uncommitted and will be processed again",
                len(events))


async def deliver_dead_letters(dlq, letters: list[tuple[Message, bytes]], max_backoff_s: float = 5.0) -> None:
    """Send each dead letter and wait until the broker has it; retry (with backoff) while it is away.

    Never gives up: a dead letter that is not in ``postings.dlq`` must keep its offset uncommitted.
    """
    pending = list(letters)
    delay = 0.2
    while pending:
        try:
            futures = [await dlq.send(key=msg.key, value=body) for msg, body in pending]
            outcomes = await asyncio.gather(*futures, return_exceptions=True)
        except Exception as exc:  # noqa: BLE001 - the producer itself failed: retry the lot
            outcomes = [exc] * len(pending)
        failed = [(item, out) for item, out in zip(pending, outcomes, strict=True) if isinstance(out, BaseException)]
        if not failed:
            return
        log.warning("%d dead letter(s) not delivered to the DLQ (%s); retrying in %.1fs — their offsets stay"
                    " uncommitted", len(failed), failed[0][1], delay)
        pending = [item for item, _ in failed]
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_backoff_s)


async def confirm_changelog(futures: list) -> None:
    """Wait for the dedupe table's changelog writes of this batch (logged, not fatal, when one fails:
    the table is the fast path and ClickHouse keeps the earliest sighting anyway)."""
    if not futures:
        return
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    if errors:
        log.warning("%d dedupe changelog write(s) failed (%s): after a restart some repeats may be stored again,"
                    " which ClickHouse resolves to the earliest sighting", len(errors), errors[0])


def hold_acks(events) -> None:
    """Keep these events' offsets from being committed when take_events acknowledges them.

    Faust commits a message once every reference to it is acknowledged (``Message.refcount``); one more
    reference makes take_events' acknowledgement a partial one, and ``release_acks`` gives the last.
    """
    for event in events:
        event.message.incref()


def release_acks(app, events) -> None:
    """Give the reference ``hold_acks`` took: the offsets become committable (in offset order per partition)."""
    consumer = app.consumer
    on_message_out = app.sensors.on_message_out
    for event in events:
        message = event.message
        if message.ack(consumer):
            on_message_out(message.tp, message.offset, message)


def stop_committing(app) -> None:
    """Fail-stop, step one: from now on this process commits no offset and makes none committable.

    Faust marks an offset done through ``Consumer.ack`` and writes offsets to the broker through
    ``Consumer._commit`` (every commit path ends there: the commit interval, a rebalance, the stop);
    both become no-ops on ``app.consumer``. Whatever the stream still hands over or acknowledges (after
    a body exception, take_events' passive drainer goes on draining with acknowledgements on) stays
    uncommitted, and the next run of the group processes it again (processing is idempotent).
    """
    consumer = app.consumer

    def ack(message) -> bool:
        return False

    async def commit(offsets) -> bool:
        log.info("commit of %d partition(s) withheld: the worker is failing", len(offsets))
        return False

    consumer.ack = ack
    consumer._commit = commit


def attach_pipeline(app, source, dlq, processor: BatchProcessor, sink, batch_size: int, max_wait_s: float,
                    changelog=None, on_failure=None):
    """Register the agent on ``app``: it consumes ``source`` and writes ``dlq`` and ClickHouse.

    Two batches overlap: while batch N is stored (the ClickHouse thread), its dead letters delivered
    and its changelog writes confirmed (a task), the agent validates, dedupes and enriches batch N+1.
    Batch N's offsets are held (``hold_acks``) until all of that is done, so take_events acknowledging
    the batch when the body returns commits nothing early; batch N+1 waits for batch N before its own
    store starts, so at most one batch is in flight and batches are stored in order.

    ``changelog`` (a ``stream_processors.changelog.ChangelogWriter``, if the dedupe table writes through
    one) is confirmed with each batch, like the table's own changelog futures.

    Fail-stop: an unexpected exception in the agent (a bug; outages are retried and poison is
    dead-lettered) first stops every commit (``stop_committing``), then calls ``on_failure(exc)`` (the
    runner stops the worker and reports the error) and ends the agent without re-raising, so Faust's
    supervisor does not restart it over a stream that would be acknowledged unprocessed.
    """

    guard = GapGuard()
    # Faust's record of the group's committed offsets (next offset due), per source partition.
    committed_offsets = getattr(app.consumer, "_committed_offset", {})
    stats = processor.stats

    enrich_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="enrich")

    async def finish(events, messages: list[Message], rows: list, sightings: list, letters: list) -> set[str]:
        """Store a batch, dead-letter what ClickHouse refused, confirm its changelog writes, release its offsets.

        Returns the keys the refused rows withdrew from the dedupe index.
        """
        forgotten: set[str] = set()
        try:
            # retries while ClickHouse is away; rows it rejects come back, the rest is stored
            rejected = await sink.store(rows, sightings)
            letters += processor.reject_stored(rejected, messages, forgotten)
            # Every produce of this batch is delivered before the batch is acknowledged.
            await deliver_dead_letters(dlq, letters)
            await confirm_changelog(processor.dedupe.take_pending())
            if changelog is not None:
                await changelog.confirm()
        except BaseException:
            log.warning("batch of %d message(s) not stored; its offsets stay uncommitted and will be processed"
                        " again", len(events))
            raise
        stats.stored += len(rows) - sum(r.table == "postings_all" for r in rejected)
        stats.batches += 1
        release_acks(app, events)
        log.debug("batch: %d message(s), %d stored, %d dead letter(s)", len(messages), len(rows), len(letters))
        return forgotten

    failures: list[BaseException] = []

    def fail(exc: BaseException) -> None:
        if failures:
            return
        failures.append(exc)
        stop_committing(app)
        log.error("the worker's pipeline raised %s: %s; no further offset is committed and the worker stops"
                  " (a restart processes the uncommitted messages again)", type(exc).__name__, exc,
                  exc_info=(type(exc), exc, exc.__traceback__))
        if on_failure is not None:
            on_failure(exc)

    def retrieved(task: asyncio.Task) -> None:
        if not task.cancelled():
            exc = task.exception()  # finish() logged it; the next batch re-raises it (none may come)
            if isinstance(exc, Exception):
                fail(exc)

    async def postings(stream):
        try:
            await batches(stream)
        except Exception as exc:  # noqa: BLE001 - fail-stop on any bug; cancellation (a stop) passes
            fail(exc)

    async def batches(stream):
        loop = asyncio.get_running_loop()
        pending: asyncio.Task | None = None  # the previous batch's finish()
        async for events in stream.take_events(batch_size, within=max_wait_s):
            if failures:  # finish() of the previous batch failed: take nothing more
                withhold_acks(events)
                return
            rewind: dict = {}
            messages = []
            for event in events:
                m = event.message
                missing = guard.check(m.partition, m.offset, committed_offsets.get(m.tp))
                if missing is not None and m.tp not in rewind:
                    rewind[m.tp] = missing
                messages.append(Message(m.topic, m.partition, m.offset, m.key, m.value, int((m.timestamp or 0) * 1000)))
            try:
                repeats: list = []
                letters, firsts, sightings = processor.classify(messages, repeats)
                rows, failed = await loop.run_in_executor(enrich_thread, processor.posting_rows, firsts)
                letters += processor.reject_enrichment(failed, sightings)
                if pending is not None:
                    previous, pending = pending, None
                    retaken = processor.retake(repeats, await previous)
                    if retaken:
                        more, failed = processor.posting_rows(retaken)
                        rows += more
                        letters += processor.reject_enrichment(failed, sightings)
            except BaseException:
                withhold_acks(events)
                raise
            hold_acks(events)
            pending = asyncio.ensure_future(finish(events, messages, rows, sightings, letters))
            pending.add_done_callback(retrieved)
            if rewind:  # rare (start-up): seek only with nothing in flight, as before batches overlapped
                previous, pending = pending, None
                await previous
            for tp, offset in rewind.items():
                log.warning("partition %d: offset %d was skipped by the consumer; reading again from it", tp.partition, offset)
                stats.refetched_gaps += 1
                guard.last.pop(tp.partition, None)
                await app.consumer.seek(tp, offset)

    return app.agent(source, name="postings", concurrency=1)(postings)
