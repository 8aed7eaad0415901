"""``skillpulse demo``: the whole pipeline on the embedded defaults, in one command.

Order: local Kafka (unless ``KAFKA_BOOTSTRAP``) -> ClickHouse (``CLICKHOUSE_URL`` or chDB under
``--data-dir``) migrated -> synthetic postings (plus a few bad messages) produced -> the worker until
it has caught up -> the weekly batch -> the dashboard until Ctrl-C.

chDB lets one process open a data directory, so in embedded mode every step that touches ClickHouse
runs inside THIS process, one after the other: the worker (in-process Faust), the batch and the
dashboard. Kafka is a separate Java process and is stopped at the end if the demo started it.
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


def _start_kafka(settings) -> tuple[str, Any]:
    """``KAFKA_BOOTSTRAP`` if set; else start (or reuse) the local broker under the data dir."""
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap, None
    from skillpulse.kafka.local import LocalKafka, _port_open, free_port

    broker = LocalKafka(settings.data_dir / "kafka", settings.kafka_port, kafka_home=settings.kafka_home)
    if not broker.is_running() and (_port_open(broker.port) or _port_open(broker.port + 1)):
        broker = LocalKafka(settings.data_dir / "kafka", free_port(), controller_port=free_port(),
                            kafka_home=settings.kafka_home)
        _say(f"port {settings.kafka_port} is taken; the local broker uses {broker.port}")
    started_here = not broker.is_running()
    _say(f"starting Apache Kafka (log: {broker.log_file})" if started_here else f"reusing Kafka at {broker.bootstrap}")
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


def _serve_dashboard(client, settings, host: str, port: int) -> None:
    """Serve the dashboard in this process until Ctrl-C.

    Not through gunicorn: its worker would be a second process opening the chDB directory.
    """
    try:
        from dashboard.app import create_app
    except ImportError as exc:
        _say(f"the dashboard is not installed ({exc}); query the data with:"
             " skillpulse db query 'SELECT * FROM weekly_job_volume'")
        return
    app = create_app(client=client, settings=settings)
    _say(f"dashboard on http://{host}:{port}/  (Ctrl-C stops everything)")
    app.run(host=host, port=port, debug=False)


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


def run_demo(postings: int = 2000, data_dir: Path = Path("data"), headless: bool = False, seed: int = 42,
             run_batch: bool = True, bad_messages: int = len(BAD_MESSAGES), host: str = "127.0.0.1",
             port: int = 8050, files: Path | None = None) -> dict[str, Any]:
    """Run the demo; returns the summary (the JSON line ``--headless`` prints).

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

    bootstrap, broker = _start_kafka(settings)
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

        config = WorkerConfig(app_id=os.environ.get("SKILLPULSE_WORKER_GROUP", "skillpulse-worker"), pipeline_version=settings.pipeline_version,
                              until_caught_up=True, batch_size=settings.sink_batch_size,
                              max_wait_s=settings.sink_max_wait_s, log_level="warning",
                              datadir=settings.data_dir / "faust")
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
        if not headless:
            _say(f"summary: {json.dumps(summary)}")
            try:
                _serve_dashboard(client, settings, host, port)
            except KeyboardInterrupt:
                pass
        return summary
    finally:
        if broker is not None:
            _say("stopping Kafka")
            broker.stop()


def demo(
    postings: Annotated[int, typer.Option("--postings", help="Synthetic postings to produce (duplicates included).")] = 2000,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Local state: chDB data, Kafka logs (SKILLPULSE_DATA_DIR).")] = Path("data"),
    headless: Annotated[bool, typer.Option("--headless", help="Do not serve the dashboard; print one JSON summary line and exit.")] = False,
    batch: Annotated[bool, typer.Option("--batch/--no-batch", help="Run the weekly batch after the worker.")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic generator.")] = 42,
    port: Annotated[int, typer.Option("--port", help="Dashboard port.")] = 8050,
    files: Annotated[Path | None, typer.Option("--files", help="Feed the demo from a seed-format folder (job-postings/DATE/*.txt), JSONL or CSV instead of synthetic postings.")] = None,
) -> None:
    """Run the whole pipeline locally: Kafka, ClickHouse, producer, worker, weekly batch, dashboard.

    Starts the local Kafka unless KAFKA_BOOTSTRAP is set and uses chDB under --data-dir unless
    CLICKHOUSE_URL is set. Everything touching chDB runs in this one process (chDB allows one process
    per data directory); afterwards `skillpulse db query` reads the same directory.
    """
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        summary = run_demo(postings, data_dir, headless, seed, batch, port=port, files=files)
    except Exception as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)
    if headless:
        typer.echo(json.dumps(summary))
