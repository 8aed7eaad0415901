"""``skillpulse replay``: reprocess ``postings.raw`` from a time under a new group and pipeline version.

A replay is a fresh consumer group (a new Faust app id, so fresh dedupe tables) whose committed
offsets are set, before it starts, to the first message at or after ``--since``
(``offsets_for_times``). It processes up to the end offsets taken at its start (or the first message
at ``--until``), writes rows under its own ``pipeline_version``, and only then activates that
version, so the views switch at once from the old complete picture to the new complete one.

A PARTIAL replay (``--since`` after the topic's first message, or ``--until`` before its end) holds
only that window: activating it would make the dashboard show those postings only, and earlier or
later weeks would vanish. So it activates only with ``--activate-partial``; without it the command
refuses before doing any work and says what the dashboard would then show.
"""
from __future__ import annotations

import datetime as dt
import logging
import time

from skillpulse.settings import Settings

log = logging.getLogger(__name__)


class ReplayError(RuntimeError):
    """The replay cannot run; the message says why and what to do."""


def parse_when(text: str) -> dt.datetime:
    """An ISO date (midnight UTC) or datetime (UTC unless it names a zone)."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ReplayError(f"cannot read {text!r} as a date or time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+zone]") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def seek_plan(bootstrap: str, topic: str, partitions: int, since: dt.datetime,
              until: dt.datetime | None) -> tuple[dict[int, int], dict[int, int]]:
    """``(start, end)`` offsets per partition: first message at/after ``since``; end exclusive."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "skillpulse-replay-planner",
                         "enable.auto.commit": False})
    try:
        highs = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}

        def lookup(when: dt.datetime) -> dict[int, int]:
            found = consumer.offsets_for_times([TopicPartition(topic, p, _ms(when)) for p in range(partitions)], timeout=10)
            return {tp.partition: (tp.offset if tp.offset >= 0 else highs[tp.partition]) for tp in found}

        start = lookup(since)
        end = lookup(until) if until else dict(highs)
    finally:
        consumer.close()
    return start, {p: max(end[p], start[p]) for p in range(partitions)}


def topic_range(bootstrap: str, topic: str, partitions: int) -> tuple[dict[int, int], dict[int, int]]:
    """``(low, high)`` watermark offsets per partition: the whole history kept on ``topic``."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "skillpulse-replay-planner",
                         "enable.auto.commit": False})
    try:
        marks = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in range(partitions)}
    finally:
        consumer.close()
    return {p: lo for p, (lo, _) in marks.items()}, {p: hi for p, (_, hi) in marks.items()}


def partial_warning(start: dict[int, int], end: dict[int, int], low: dict[int, int], high: dict[int, int],
                    since: dt.datetime, until: dt.datetime | None) -> str | None:
    """What activating this replay would hide, or None when it covers the whole topic."""
    before = sum(max(0, start[p] - low.get(p, 0)) for p in start)
    after = sum(max(0, high.get(p, 0) - end[p]) for p in end)
    if before == 0 and after == 0:
        return None
    window = f"from {since.isoformat()}" + (f" until {until.isoformat()}" if until else "")
    total = sum(high.get(p, 0) - low.get(p, 0) for p in high)
    return (f"this replay covers {sum(end[p] - start[p] for p in end)} of the {total} messages on the topic ({window});"
            f" {before} earlier and {after} later message(s) are outside it. Once active, the dashboard and every"
            " view would show only postings first seen in that window: the weeks outside it would vanish."
            " Pass --activate-partial to activate it anyway, or --no-activate to write it without switching"
            " (the active version stays as it is)")


def commit_start(bootstrap: str, group: str, topic: str, start: dict[int, int]) -> None:
    """Set ``group``'s committed offsets, so the worker begins exactly at ``start``."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in start.items()], asynchronous=False)
    finally:
        consumer.close()


def run_replay(settings: Settings, since: dt.datetime, until: dt.datetime | None = None,
               pipeline_version: str | None = None, activate: bool = True, log_level: str = "info",
               bootstrap: str | None = None, activate_partial: bool = False) -> dict:
    """Reprocess the range into a new pipeline version, then activate it; returns a summary."""
    from skillpulse.kafka.admin import ensure_topics, resolve_bootstrap
    from skillpulse.storage import StorageError, connect, set_version_status
    from stream_processors.app import WorkerConfig
    from stream_processors.runner import WorkerError, run_worker, topic_partitions

    if until is not None and until <= since:
        raise ReplayError("--until must be later than --since")
    version = pipeline_version or "replay-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    group = f"skillpulse-replay-{version}"
    bootstrap = bootstrap or resolve_bootstrap(settings)
    try:
        ensure_topics(bootstrap, settings)
        partitions = topic_partitions(bootstrap, settings.raw_topic)
    except (RuntimeError, WorkerError) as exc:
        raise ReplayError(str(exc)) from exc
    try:  # fail fast rather than retry forever, e.g. when the live worker holds the chDB directory
        connect(settings).query("SELECT 1")
    except StorageError as exc:
        raise ReplayError(f"{exc}. With embedded chDB stop the worker first, or use a ClickHouse server") from exc
    start, end = seek_plan(bootstrap, settings.raw_topic, partitions, since, until)
    total = sum(end[p] - start[p] for p in range(partitions))
    if total == 0:
        raise ReplayError(f"no messages on {settings.raw_topic} between {since.isoformat()} and "
                          f"{until.isoformat() if until else 'now'}; nothing to replay, the active version is unchanged")
    low, high = topic_range(bootstrap, settings.raw_topic, partitions)
    partial = partial_warning(start, end, low, high, since, until)
    if partial and activate and not activate_partial:
        raise ReplayError(f"not started: {partial}")
    if partial:
        log.warning("partial replay: %s", partial)
    log.info("replay %s: %d message(s) from %s as group %s", version, total, since.isoformat(), group)
    commit_start(bootstrap, group, settings.raw_topic, start)

    replay_settings = settings.model_copy(update={"pipeline_version": version})
    config = WorkerConfig.from_settings(replay_settings, app_id=group, activate=False, until_caught_up=True,
                                        end_offsets=end, log_level=log_level)
    started = time.monotonic()
    try:
        result = run_worker(replay_settings, config, bootstrap=bootstrap)
    except WorkerError as exc:
        raise ReplayError(str(exc)) from exc
    if not result.caught_up:
        raise ReplayError(f"replay {version} stopped before the end; version not activated. Run it again with"
                          f" --pipeline-version {version} to finish it")
    if activate:
        try:
            set_version_status(connect(replay_settings), version, "active", f"replay since {since.isoformat()}",
                               settings.clickhouse_database)
        except StorageError as exc:
            raise ReplayError(f"replayed, but could not activate {version}: {exc}") from exc
    return {"pipeline_version": version, "group": group, "messages": total, "activated": activate,
            "partial": bool(partial),
            **result.stats.as_dict(), "seconds": round(time.monotonic() - started, 1)}
