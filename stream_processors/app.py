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


def prompt_table_manager():
    """Faust's ``TableManager`` without its one-second pause at start.

    faust-streaming 0.15.3 sleeps 1 s in ``TableManager.on_start`` so that tables created late can still
    register; the worker creates its one table before the app starts, so the pause only delays every
    start (and every replay, and each bench run) by a second. The rest is Faust's own ``on_start``.
    """
    from faust.tables import TableManager

    class PromptTableManager(TableManager):
        async def on_start(self) -> None:
            if not self.should_stop:
                await self._update_channels()
                await self.recovery.start()

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
