"""The Faust app: one per consumer group (the live worker, or one replay).

Pinned choices (docs/architecture.md explains why): faust-streaming with the aiokafka transport,
``processing_guarantee=at_least_once`` with an idempotent ClickHouse sink, agent concurrency 1,
the memory table store (rebuilt from the changelog topic at start), no web server.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from skillpulse.kafka import CLIENT_MAX_BYTES as MAX_MESSAGE_BYTES  # fetch/request sizes: above the broker's limit


@dataclass
class WorkerConfig:
    """What one worker (or replay) run does."""

    app_id: str = "skillpulse-worker"
    pipeline_version: str = "v1"
    activate: bool = True  # activate pipeline_version if none is active yet
    until_caught_up: bool = False  # exit once the group's lag is 0 and every batch is stored
    end_offsets: dict[int, int] | None = None  # replay: stop at these offsets (exclusive) per partition
    batch_size: int = 1000
    max_wait_s: float = 0.5
    dedupe_ttl_days: float = 30.0
    log_level: str = "info"
    session_timeout_s: float = 10.0
    stop_when: Callable[[], bool] | None = None  # with until_caught_up: also wait for this (e.g. a producer done)
    datadir: Path = field(default_factory=lambda: Path("data") / "faust")

    @classmethod
    def from_settings(cls, settings, **overrides) -> WorkerConfig:
        """A config from ``settings`` (group, pipeline version, batch size and wait, dedupe TTL, data dir);
        keyword arguments override any field. The entry point passes its settings in: nothing here reads
        the environment."""
        fields = dict(app_id=settings.worker_group, pipeline_version=settings.pipeline_version,
                      batch_size=settings.sink_batch_size, max_wait_s=settings.sink_max_wait_s,
                      dedupe_ttl_days=settings.dedupe_ttl_days, datadir=settings.data_dir / "faust")
        return cls(**{**fields, **overrides})


def seek_first_recovery():
    """Faust's table ``Recovery``, but the stream partitions are resumed only after the seek and the clear.

    When the tables are restored, faust-streaming 0.15.3 (``Recovery.on_recovery_completed``) resumes
    the stream partitions, then awaits the seek to the committed offsets, then resumes flow control,
    which empties every stream queue (``FlowControlEvent.resume`` clears the queues it manages). The
    fetcher already runs (it read the changelogs) and the consumer's flow is already on, so during the
    seek's round trip the consumer can hand the stream records fetched from the new position; the
    clear then drops those still queued. Nothing acknowledges them and nothing fetches them again (the
    consumer's position is past them), so: dropped offsets followed by processed ones are either seen
    by ``GapGuard`` and read again, or, the seek having reset the consumer's read offset in the middle of
    the hand-off, committed as a "gap" unprocessed (lost); dropped offsets at a partition's end leave the
    group's lag above 0 for good (``--until-caught-up`` never finishes). faust-streaming #596 describes
    the race; it is open upstream.

    Here the order is: seek (stream partitions still paused: none of their records is handed over),
    resume flow control (the clear finds nothing of theirs), then resume the stream partitions, so the
    first record handed over is the one at the committed offset. This needs the consumer of
    ``stream_processors.transport``, which never lets aiokafka hand back a paused partition's records
    (Faust's own consumer can, then drops them: after the seek that would be a loss too). The rest is
    Faust's own method.
    (``Recovery._resume_streams``, Faust's path for an app without tables, is not reached: the worker
    always has its dedupe table.)
    """
    import asyncio

    from faust.tables.recovery import Recovery

    class SeekFirstRecovery(Recovery):
        async def on_recovery_completed(self, generation_id: int = 0) -> None:
            app = self.app
            consumer = app.consumer
            self.log.info("Restore complete!")
            await app.on_rebalance_complete.send()
            self._set_recovery_ended()
            callbacks = [asyncio.ensure_future(table.on_recovery_completed(self.actives_for_table[table],
                                                                           self.standbys_for_table[table]))
                         for table in self.tables.values()]
            if callbacks:
                await asyncio.wait(callbacks)
            assignment = consumer.assignment()
            if app.consumer_generation_id != generation_id:
                self.log.warning(f"Recovery rebalancing again app id {app.consumer_generation_id} param {generation_id}")
                return
            if assignment:
                self.log.info("Seek stream partitions to committed offsets.")
                await self._wait(consumer.perform_seek(), timeout=app.conf.broker_request_timeout)
            self.completed.set()
            app.flow_control.resume()  # clears the stream queues: nothing of the stream partitions is in them
            consumer.resume_flow()
            # only now: what the consumer hands over starts at the committed offsets just sought
            consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
            await app._fetcher.maybe_start()
            self.tables.on_actives_ready()
            if not app.assignor.assigned_standbys():
                self.tables.on_standbys_ready()
            app.on_rebalance_end()
            self.log.info("Worker ready")

    return SeekFirstRecovery


def prompt_table_manager():
    """Faust's ``TableManager`` without its one-second pause at start, with ``seek_first_recovery()``.

    faust-streaming 0.15.3 sleeps 1 s in ``TableManager.on_start`` so that tables created late can still
    register; the worker creates its one table before the app starts, so the pause only delays every
    start (and every replay, and each bench run) by a second. The rest is Faust's own ``on_start``.
    Its recovery (rebuilding the tables after each assignment) is ``seek_first_recovery()``'s, which
    loses no stream record when it resumes the streams.
    """
    from faust.tables import TableManager

    recovery_class = seek_first_recovery()

    class PromptTableManager(TableManager):
        async def on_start(self) -> None:
            if not self.should_stop:
                await self._update_channels()
                await self.recovery.start()

        @property
        def recovery(self):
            if self._recovery is None:
                self._recovery = recovery_class(self.app, self, beacon=self.beacon, loop=self.loop)
            return self._recovery

    return PromptTableManager


def create_app(config: WorkerConfig, bootstrap: str, partitions: int, loop: asyncio.AbstractEventLoop | None = None):
    """A configured ``faust.App`` (agents and tables are attached by ``stream_processors.agents``)."""
    import faust

    from stream_processors.transport import transport_class

    config.datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        config.app_id,
        broker=f"kafka://{bootstrap}",
        broker_client_id=config.app_id,
        store="memory://",
        processing_guarantee="at_least_once",
        autodiscover=False,
        web_enabled=False,
        topic_partitions=partitions,
        topic_replication_factor=1,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=0.5,
        producer_linger=0.01,  # changelog and DLQ writes go out in batches, not one request each
        # A killed worker's partitions move to the others after this long (Faust's default is 60 s).
        broker_session_timeout=config.session_timeout_s,
        broker_heartbeat_interval=min(3.0, config.session_timeout_s / 3),
        stream_recovery_delay=0.0,
        stream_wait_empty=False,  # a batch withheld during an outage must not block shutdown
        stream_buffer_maxsize=max(4096, 4 * config.batch_size),
        # At most this many fetched records per hand-off round: when the stream's buffer nears full,
        # Faust pauses fetching, and what was already fetched still fits without a blocked (and far
        # slower) hand-off per message (stream_processors/transport.py).
        broker_max_poll_records=max(100, config.batch_size // 2),
        consumer_max_fetch_size=MAX_MESSAGE_BYTES,
        producer_max_request_size=MAX_MESSAGE_BYTES,
        datadir=str(config.datadir),
        TableManager=prompt_table_manager(),
        loop=loop,
    )
    # the consumer hands fetched messages to the stream inline (stream_processors/transport.py)
    app.transport = transport_class()(app.conf.broker_consumer, app)
    return app
