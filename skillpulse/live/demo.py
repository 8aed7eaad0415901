"""The runtime of ``skillpulse demo``: the whole pipeline on the embedded defaults.

Live (the default, ``make demo``): ``skillpulse up`` seeded with synthetic postings (plus a few bad
messages), the weekly batch once the seed is stored, then a trickle of new postings, so the
dashboard moves while one watches; ``skillpulse db query`` talks to the running instance meanwhile.

``--headless``: each step once, in turn, in this process (chDB: one process per data directory):
local Kafka (unless ``KAFKA_BOOTSTRAP``) -> ClickHouse migrated -> postings produced -> the worker
until it has caught up -> the weekly batch -> one JSON summary line. Kafka is a separate Java
process, stopped at the end if the demo started it.
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BAD_MESSAGES = [
    b'{"title": "Data Engineer", "description": "truncated',  # invalid JSON
    b'{"description": "no title", "posted_date": "2024-03-04", "source": "synthetic"}',  # missing field
    b'{"title": "ML Engineer", "description": "x", "posted_date": "next week", "source": "synthetic"}',  # bad date
]


def _say(message: str) -> None:
    print(f"[demo] {message}", file=sys.stderr, flush=True)


def start_kafka(settings, say=_say) -> tuple[str, Any]:
    """``KAFKA_BOOTSTRAP`` if set; else start (or reuse) the local broker under the data dir.

    Returns ``(bootstrap, broker)``; ``broker`` is None unless started here (then stop it at the end).
    """
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap, None
    from skillpulse.kafka.local import LocalKafka, _port_open, free_port

    broker = LocalKafka(settings.data_dir / "kafka", settings.kafka_port, kafka_home=settings.kafka_home,
                        cache_dir=settings.cache_dir)
    if not broker.is_running() and (_port_open(broker.port) or _port_open(broker.port + 1)):
        broker = LocalKafka(settings.data_dir / "kafka", free_port(), controller_port=free_port(),
                            kafka_home=settings.kafka_home, cache_dir=settings.cache_dir)
        say(f"port {settings.kafka_port} is taken; the local broker uses {broker.port}")
    started_here = not broker.is_running()
    say(f"starting Apache Kafka (log: {broker.log_file})" if started_here else f"reusing Kafka at {broker.bootstrap}")
    bootstrap = broker.start(timeout=120)
    return bootstrap, broker if started_here else None


def _run_batch(client, settings) -> str:
    """The weekly batch in this process, on the demo's own ClickHouse client (chDB: one process)."""
    try:
        from batch.weekly import run_weekly
    except ImportError as exc:
        return f"skipped: the weekly batch is not installed ({exc})"
    from dashboard.report import write_cluster_plots

    result = run_weekly(client=client, settings=settings, draw_map=write_cluster_plots)
    if not isinstance(result, dict):
        return "done"
    clusters = result.get("clusters")
    k = clusters.get("k") if isinstance(clusters, dict) else clusters
    return f"run {result.get('run_id')}: {result.get('postings')} postings relabelled, {k} skill clusters"


class _KeyCounter:
    """A sink wrapper that notes each posting's ``posting_key`` (how many distinct ads were sent)."""

    def __init__(self, sink) -> None:
        from skillpulse.domain.keys import posting_key

        self._key = posting_key
        self.sink = sink
        self.keys: set[str] = set()

    def send(self, posting: dict[str, Any]) -> None:
        self.keys.add(self._key(posting.get("title") or "", posting.get("company"), posting.get("location")))
        self.sink.send(posting)

    def close(self) -> int:
        return self.sink.close()


def seed_topic(settings, bootstrap: str, postings: int = 2000, seed: int = 42, files: Path | None = None,
               bad_messages: int = len(BAD_MESSAGES), say=_say) -> tuple[int, int, int]:
    """The demo's opening, through the producers' one run loop (``producers.base.run_source``):
    ``postings`` synthetic postings (or the postings of ``files``, as ``skillpulse produce files``
    reads them) into ``RAW_TOPIC``, then ``bad_messages`` of :data:`BAD_MESSAGES`.

    Returns ``(sent, distinct posting keys, bad messages sent)``; raises when nothing valid was sent.
    """
    from producers.base import SourceState, run_source
    from producers.kafka_sink import KafkaSink

    if files is not None:
        from producers.files import FilesSource

        if not files.exists():
            raise FileNotFoundError(f"--files {files}: no such file or folder")
        source = FilesSource(files)
    else:
        from producers.synthetic import SyntheticSource

        source = SyntheticSource(postings, seed)
    sink = _KeyCounter(KafkaSink(bootstrap, settings.raw_topic))
    report = run_source(source, sink, SourceState.ephemeral(), use_cursor=False, track_cursor=False)
    summary = report.summary
    say(f"{source.name}: {summary.line()}")
    if summary.failed or (summary.errors and not summary.sent):
        raise RuntimeError(f"{source.name}: {'; '.join(summary.errors[:3])}")
    if files is not None and not summary.sent:
        raise ValueError(f"--files {files}: no valid postings found (expected job-postings/<date>/*.txt, .jsonl or .csv)")
    bad = BAD_MESSAGES[:bad_messages]
    if bad:
        raw = KafkaSink(bootstrap, settings.raw_topic)
        for message in bad:
            raw.send_bytes(None, message)
        raw.close()
    return summary.sent, len(sink.keys), len(bad)


def run_demo(settings, postings: int = 2000, seed: int = 42, run_batch: bool = True,
             bad_messages: int = len(BAD_MESSAGES), files: Path | None = None) -> dict[str, Any]:
    """The headless demo on ``settings``: every step once, in turn; returns the summary (the JSON line it prints).

    ``files`` feeds it from a seed-format folder (or JSONL/CSV) instead of synthetic postings; the
    worker's consumer group is ``settings.worker_group``.
    """
    started = time.monotonic()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    from skillpulse.kafka.admin import ensure_topics
    from skillpulse.storage import connect, migrate
    from stream_processors.app import WorkerConfig
    from stream_processors.runner import run_worker

    bootstrap, broker = start_kafka(settings)
    settings = settings.model_copy(update={"kafka_bootstrap": bootstrap})
    try:
        _say(f"ClickHouse: {settings.display_clickhouse_url}")
        client = connect(settings)
        migrate(client, settings.clickhouse_database, settings.taxonomy_path)
        ensure_topics(bootstrap, settings)

        produced, unique, bad = seed_topic(settings, bootstrap, postings, seed, files, bad_messages)
        _say(f"produced {produced} postings ({unique} unique) and {bad} bad message(s) to {settings.raw_topic}")

        config = WorkerConfig.from_settings(settings, until_caught_up=True, log_level="warning")
        _say("running the worker until it has caught up…")
        result = run_worker(settings, config, bootstrap=bootstrap)
        stats = result.stats
        _say(f"worker: {stats.stored} stored, {stats.duplicates} duplicate(s), {stats.dead_letters} dead letter(s)"
             f" in {result.seconds:.1f}s")

        if run_batch:
            try:
                _say("weekly batch: relabel, retrain, cluster…")
                _say(f"weekly batch: {_run_batch(client, settings)}")
            except Exception as exc:  # the demo goes on: the streaming picture is complete without it
                _say(f"weekly batch failed: {exc}")

        db = settings.clickhouse_database
        stored, duplicates, weeks = client.query(
            f"SELECT (SELECT count() FROM {db}.postings), (SELECT sum(duplicates) FROM {db}.duplicates_by_source),"
            f" (SELECT count() FROM {db}.weekly_job_volume)").result_rows[0]
        summary = {
            "produced": produced, "unique": unique, "duplicates": int(duplicates or 0), "stored": int(stored),
            "dead_letters": stats.dead_letters, "weeks": int(weeks), "seconds": round(time.monotonic() - started, 1),
        }
        return summary
    finally:
        if broker is not None:
            _say("stopping Kafka")
            broker.stop()
