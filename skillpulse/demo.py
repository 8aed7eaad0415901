"""``skillpulse demo``: the whole pipeline on the embedded defaults, in one command.

Live (the default, ``make demo``): ``skillpulse up`` seeded with synthetic postings (plus a few bad
messages), the weekly batch once the seed is stored, then a trickle of new postings, so the
dashboard moves while one watches; ``skillpulse db query`` talks to the running instance meanwhile.

``--headless``: each step once, in turn, in this process (chDB: one process per data directory):
local Kafka (unless ``KAFKA_BOOTSTRAP``) -> ClickHouse migrated -> postings produced -> the worker
until it has caught up -> the weekly batch -> one JSON summary line. Kafka is a separate Java
process, stopped at the end if the demo started it.
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

log = logging.getLogger(__name__)

BAD_MESSAGES = [
    b'{"title": "Data Engineer", "description": "truncated',  # invalid JSON
    b'{"description": "no title", "posted_date": "2024-03-04", "source": "synthetic"}',  # missing field
    b'{"title": "ML Engineer", "description": "x", "posted_date": "next week", "source": "synthetic"}',  # bad date
]


def _say(message: str) -> None:
    typer.echo(f"[demo] {message}", err=True)


def synthetic_postings(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` synthetic postings, re-posts (duplicates) included, from ``producers.synthetic``."""
    from producers.synthetic import generate_postings

    return generate_postings(count, seed=seed)


def start_kafka(settings, say=_say) -> tuple[str, Any]:
    """``KAFKA_BOOTSTRAP`` if set; else start (or reuse) the local broker under the data dir.

    Returns ``(bootstrap, broker)``; ``broker`` is None unless started here (then stop it at the end).
    """
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap, None
    from skillpulse.kafka.local import LocalKafka, _port_open, free_port

    broker = LocalKafka(settings.data_dir / "kafka", settings.kafka_port, kafka_home=settings.kafka_home)
    if not broker.is_running() and (_port_open(broker.port) or _port_open(broker.port + 1)):
        broker = LocalKafka(settings.data_dir / "kafka", free_port(), controller_port=free_port(),
                            kafka_home=settings.kafka_home)
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
    result = run_weekly(client=client, settings=settings)
    if not isinstance(result, dict):
        return "done"
    clusters = result.get("clusters")
    k = clusters.get("k") if isinstance(clusters, dict) else clusters
    return f"run {result.get('run_id')}: {result.get('postings')} postings relabelled, {k} skill clusters"


class _ListSink:
    """Collects what a producer would send, so the demo counts it before it goes to Kafka."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def send(self, posting: dict[str, Any]) -> None:
        self.items.append(posting)

    def close(self) -> int:
        return len(self.items)


def _file_postings(path: Path) -> list[dict[str, Any]]:
    """The postings of ``skillpulse produce files --path PATH`` (same parsing, validation, mapping)."""
    from producers.base import SourceState, run_source
    from producers.files import FilesSource

    if not path.exists():
        raise FileNotFoundError(f"--files {path}: no such file or folder")
    collected = _ListSink()
    report = run_source(FilesSource(path), collected, SourceState.ephemeral(), use_cursor=False, track_cursor=False)
    _say(f"files: {report.summary.line()}")
    if not collected.items:
        raise ValueError(f"--files {path}: no valid postings found (expected job-postings/<date>/*.txt, .jsonl or .csv)")
    return collected.items


def run_demo(postings: int = 2000, data_dir: Path = Path("data"), seed: int = 42,
             run_batch: bool = True, bad_messages: int = len(BAD_MESSAGES),
             files: Path | None = None) -> dict[str, Any]:
    """The headless demo: every step once, in turn; returns the summary (the JSON line it prints).

    ``files`` feeds it from a seed-format folder (or JSONL/CSV) instead of synthetic postings.
    """
    started = time.monotonic()
    os.environ["SKILLPULSE_DATA_DIR"] = str(data_dir)
    from skillpulse.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    data_dir.mkdir(parents=True, exist_ok=True)

    from producers.kafka_sink import KafkaSink
    from skillpulse.domain.keys import posting_key
    from skillpulse.kafka.admin import ensure_topics
    from skillpulse.storage import connect, migrate
    from stream_processors.app import WorkerConfig
    from stream_processors.runner import run_worker

    bootstrap, broker = start_kafka(settings)
    os.environ["KAFKA_BOOTSTRAP"] = bootstrap
    get_settings.cache_clear()
    settings = get_settings()
    try:
        _say(f"ClickHouse: {settings.display_clickhouse_url}")
        client = connect(settings)
        migrate(client, settings.clickhouse_database)
        ensure_topics(bootstrap, settings)

        items = _file_postings(files) if files is not None else synthetic_postings(postings, seed)
        unique = len({posting_key(p.get("title") or "", p.get("company"), p.get("location")) for p in items})
        sink = KafkaSink(bootstrap, settings.raw_topic)
        for item in items:
            sink.send(item)
        bad = BAD_MESSAGES[:bad_messages]
        for raw in bad:
            sink.send_bytes(None, raw)
        produced = sink.close() - len(bad)  # close() raises unless every message was delivered
        _say(f"produced {produced} postings ({unique} unique) and {len(bad)} bad message(s) to {settings.raw_topic}")

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


def demo(
    postings: Annotated[int, typer.Option("--postings", help="Synthetic postings to produce (duplicates included).")] = 2000,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Local state: chDB data, Kafka logs (SKILLPULSE_DATA_DIR).")] = Path("data"),
    headless: Annotated[bool, typer.Option("--headless", help="Run each step once (worker until caught up, batch), print one JSON summary line and exit.")] = False,
    batch: Annotated[bool, typer.Option("--batch/--no-batch", help="Run the weekly batch once the seed is stored.")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic generator.")] = 42,
    host: Annotated[str, typer.Option("--host", help="Interface of the dashboard and API.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Dashboard port.")] = 8050,
    trickle: Annotated[str, typer.Option("--trickle", help="Live mode: new synthetic postings per minute after the seed, e.g. 6/min (0 = none).")] = "6/min",
    files: Annotated[Path | None, typer.Option("--files", help="Feed the demo from a seed-format folder (job-postings/DATE/*.txt), JSONL or CSV instead of synthetic postings.")] = None,
) -> None:
    """Run the whole pipeline locally and live: `skillpulse up` seeded with synthetic postings, then a trickle.

    Starts the local Kafka unless KAFKA_BOOTSTRAP is set and uses chDB under --data-dir unless
    CLICKHOUSE_URL is set. Seeds --postings synthetic postings (plus 3 bad messages), runs the worker,
    the dashboard and the API in this one process (`skillpulse up`), runs the weekly batch once the seed
    is stored, and keeps sending --trickle new postings so the dashboard updates while you watch. No
    producer schedule. Meanwhile `skillpulse db query` talks to it. --headless runs each step once instead.
    """
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not headless:
        from skillpulse.instance import InstanceRunning
        from skillpulse.live.jobs import parse_rate
        from skillpulse.live.up import run_up
        from skillpulse.storage import StorageError

        try:
            run_up(data_dir, host, port, schedule=False, trickle_per_min=parse_rate(trickle), files=files,
                   seed_postings=0 if files is not None else postings, seed=seed, bad_messages=len(BAD_MESSAGES),
                   batch_after_seed=batch)
        except (InstanceRunning, StorageError, ValueError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1)
        return
    try:
        summary = run_demo(postings, data_dir, seed, batch, files=files)
    except Exception as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(summary))
