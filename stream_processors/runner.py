"""Run one worker in this process: ``run_worker(settings, config)``.

Used by ``skillpulse worker``, ``skillpulse replay``, the demo and the benchmark. In-process matters
for chDB: one process may open a data path, so the demo runs the worker inside its own process.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass

from skillpulse.settings import Settings
from stream_processors.agents import BatchProcessor, Stats, attach_pipeline, watch_stalls
from stream_processors.app import MAX_MESSAGE_BYTES, WorkerConfig, create_app
from stream_processors.changelog import ChangelogWriter
from stream_processors.sink import ClickHouseSink
from stream_processors.tables import DEDUPE_TABLE, DedupeIndex, dedupe_table
from stream_processors.topics import dlq_topic, raw_topic

log = logging.getLogger(__name__)


class WorkerError(RuntimeError):
    """The worker could not start, or stopped on a failure; the message says what to do."""


@dataclass
class WorkerResult:
    """What a finished run did."""

    stats: Stats
    seconds: float
    caught_up: bool


def topic_partitions(bootstrap: str, topic: str, timeout: float = 30.0, missing_ok: bool = False) -> int:
    """Number of partitions of ``topic`` on the broker (0 if missing and ``missing_ok``)."""
    from confluent_kafka.admin import AdminClient

    meta = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=timeout)
    info = meta.topics.get(topic)
    if info is None or info.error is not None or not info.partitions:
        if missing_ok:
            return 0
        raise WorkerError(f"topic {topic} does not exist on {bootstrap}: run `skillpulse produce …` or start the worker"
                          " with topics created (skillpulse.kafka.admin.ensure_topics)")
    return len(info.partitions)


class LagProbe:
    """Compares a group's committed offsets with the topic's end (or replay target) offsets."""

    def __init__(self, bootstrap: str, group: str, topic: str, partitions: int,
                 end_offsets: dict[int, int] | None = None):
        from confluent_kafka import Consumer

        self.topic = topic
        self.partitions = partitions
        self.end_offsets = end_offsets
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                   "enable.auto.commit": False})

    def lag(self) -> int:
        """Messages not yet committed by the group (0 = caught up)."""
        from confluent_kafka import TopicPartition

        tps = [TopicPartition(self.topic, p) for p in range(self.partitions)]
        committed = {tp.partition: tp.offset for tp in self._consumer.committed(tps, timeout=10)}
        total = 0
        for p in range(self.partitions):
            low, high = self._consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10)
            end = high if self.end_offsets is None else self.end_offsets.get(p, low)
            done = committed.get(p, -1)
            done = low if done < 0 else done
            total += max(0, end - done)
        return total

    def close(self) -> None:
        self._consumer.close()


async def _brief_sentinel() -> None:
    await asyncio.sleep(0.1)


def run_worker(settings: Settings, config: WorkerConfig, bootstrap: str | None = None,
               on_started=None, stop_event=None) -> WorkerResult:
    """Run the Faust worker until stopped (Ctrl-C/SIGTERM) or, with ``until_caught_up``, until lag is 0.

    Returns the run's counters. Raises ``WorkerError`` if the pipeline raised unexpectedly (a bug): the
    worker then commits nothing more and stops, so a supervisor's restart processes the rest again.
    Safe to call more than once per process (each run gets a new loop).
    ``stop_event`` (a ``threading.Event``) stops it from another thread: ``skillpulse up`` runs it in one.
    """
    import faust

    from skillpulse.domain.enrich import default_enricher
    from skillpulse.kafka.admin import TopicSpec, ensure_topics, resolve_bootstrap

    bootstrap = bootstrap or resolve_bootstrap(settings)
    try:
        ensure_topics(bootstrap, settings)
    except RuntimeError as exc:
        raise WorkerError(str(exc)) from exc
    partitions = topic_partitions(bootstrap, settings.raw_topic)
    changelog = f"{config.app_id}-{DEDUPE_TABLE}-changelog"
    changelog_partitions = topic_partitions(bootstrap, changelog, missing_ok=True)
    if changelog_partitions and changelog_partitions != partitions:
        raise WorkerError(f"the dedupe changelog {changelog} has {changelog_partitions} partitions but {settings.raw_topic}"
                          f" has {partitions}; they must match. Use another --group (a fresh dedupe table), or delete"
                          f" {changelog} to start its dedupe memory afresh")
    # Created here, co-partitioned with postings.raw and compacted, so Faust finds it ready.
    ensure_topics(bootstrap, settings, extra=[TopicSpec(changelog, partitions, {"cleanup.policy": "compact"})])

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app = create_app(config, bootstrap, partitions, loop=loop)
    stats = Stats()
    table = dedupe_table(app, partitions)
    changelog_writer = ChangelogWriter.for_table(table, bootstrap, max_message_bytes=MAX_MESSAGE_BYTES)
    dedupe = DedupeIndex(table, ttl_ms=int(config.dedupe_ttl_days * 86_400_000), send_changelog=changelog_writer.send)
    taxonomy_path = str(settings.taxonomy_path) if settings.taxonomy_path else None
    enricher = default_enricher(config.pipeline_version, taxonomy_path)
    if settings.extractor != "taxonomy":  # hybrid: the promoted model, loaded once for the whole run
        from skillpulse.extraction.extractor import apply_extractor_setting

        try:
            enricher = apply_extractor_setting(enricher, settings)
        except ValueError as exc:
            raise WorkerError(str(exc)) from exc
    processor = BatchProcessor(enricher, dedupe, stats, config.end_offsets, settings.contract_bounds)
    sink = ClickHouseSink(settings, config.pipeline_version, activate=config.activate)
    state: dict = {"caught_up": False, "failure": None}

    def on_failure(exc: BaseException) -> None:
        # attach_pipeline has already stopped every commit; stop the way until_caught_up does
        state["failure"] = exc
        stop_soon()

    attach_pipeline(app, raw_topic(app, settings.raw_topic), dlq_topic(app, settings.dlq_topic), processor, sink,
                    config.batch_size, config.max_wait_s, changelog=changelog_writer, on_failure=on_failure)

    watch_stalls(app, settings.raw_topic, stats)

    worker = faust.Worker(app, loglevel=config.log_level.upper(), quiet=True, redirect_stdouts=False, loop=loop)
    worker.spinner = None  # no terminal escapes in logs and in the demo's output
    worker._sentinel_task = _brief_sentinel  # mode waits 1 s for stray callbacks before closing the loop
    if threading.current_thread() is not threading.main_thread():
        worker.install_signal_handlers = lambda: None  # signals reach the main thread only; it sets stop_event

    def stop_soon() -> None:
        if worker._signal_stop_future is None:
            worker._signal_stop_future = asyncio.ensure_future(worker.stop())

    @app.task
    async def open_sink() -> None:
        # Table changelog writes wait in Faust's producer buffer; let a whole batch fit before it throttles.
        app.producer.buffer.max_messages = max(app.producer.buffer.max_messages, 4 * config.batch_size)
        await sink.open()

    @app.timer(interval=600.0)
    async def expire_dedupe() -> None:
        owned = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == settings.raw_topic}
        dedupe.expire(owned)

    if config.until_caught_up:
        probe = LagProbe(bootstrap, config.app_id, settings.raw_topic, partitions, config.end_offsets)

        @app.task
        async def watch_lag() -> None:
            await asyncio.sleep(1.0)
            while True:
                if config.stop_when is None or config.stop_when():
                    # commit what is stored now rather than at the next commit interval, then ask the broker
                    lag = None
                    try:
                        await app.consumer.commit()
                        lag = await loop.run_in_executor(None, probe.lag)
                    except Exception as exc:  # noqa: BLE001 - broker away or coordinator moving: ask again
                        log.info("lag unknown for now (%s); asking again", exc)
                    if lag == 0:
                        log.info("caught up: every message is stored and committed; stopping")
                        state["caught_up"] = True
                        stop_soon()
                        return
                await asyncio.sleep(0.2)

    if stop_event is not None:
        @app.timer(interval=0.2)
        async def watch_stop_event() -> None:
            if stop_event.is_set():
                stop_soon()

    if on_started is not None:
        @app.task
        async def _started() -> None:
            on_started()

    started = time.monotonic()
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise WorkerError(f"the worker exited with status {exc.code}; see the log above") from None
    finally:
        changelog_writer.close()
        sink.close()
        if config.until_caught_up:
            probe.close()
        asyncio.set_event_loop(None)
    failure = state["failure"]
    if failure is not None:
        raise WorkerError(f"the worker stopped on an unexpected error in its pipeline ({type(failure).__name__}:"
                          f" {failure}); no offset past the failed batch was committed, so a restart processes"
                          " those messages again once the cause is fixed (traceback in the log above)") from failure
    return WorkerResult(stats, time.monotonic() - started, state["caught_up"])
