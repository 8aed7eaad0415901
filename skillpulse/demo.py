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
    """``count`` synthetic postings (with the generator's duplicates) from ``producers.synthetic``."""
    try:
        from producers import synthetic
    except ImportError as exc:
        raise RuntimeError(f"producers.synthetic is not available ({exc}); it ships with the producers") from exc
    for name in ("generate_postings", "generate", "synthetic_postings", "postings"):
        make = getattr(synthetic, name, None)
        if callable(make):
            try:
                items = make(count, seed=seed)
            except TypeError:
                items = make(count)
            return [dict(item) for item in items]
    raise RuntimeError("producers.synthetic has no generate_postings(count, seed=…) function")


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


def _run_batch() -> str:
    """Run the weekly batch in this process if the batch package provides a run function."""
    try:
        import batch.weekly as weekly  # noqa: PLC0415
    except ImportError:
        return "skipped: the weekly batch (batch.weekly) is not installed"
    run = getattr(weekly, "run_weekly", None) or getattr(weekly, "run", None)
    if run is None:
        return "skipped: batch.weekly has no run_weekly() function"
    result = run()
    return f"done: {result}" if result is not None else "done"


def _serve_dashboard(host: str, port: int) -> None:
    """Serve the dashboard in this process (chDB) until Ctrl-C."""
    try:
        from dashboard.app import create_app  # noqa: PLC0415
    except ImportError:
        _say("the dashboard (dashboard.app) is not installed; nothing to serve. Query the data with:"
             " skillpulse db query 'SELECT * FROM weekly_job_volume'")
        return
    app = create_app()
    _say(f"dashboard on http://{host}:{port}/  (Ctrl-C stops everything)")
    app.run(host=host, port=port, debug=False)


def run_demo(postings: int = 2000, data_dir: Path = Path("data"), headless: bool = False, seed: int = 42,
             run_batch: bool = True, bad_messages: int = len(BAD_MESSAGES), host: str = "127.0.0.1",
             port: int = 8050) -> dict[str, Any]:
    """Run the demo; returns the summary (the JSON line ``--headless`` prints)."""
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
        _say(f"ClickHouse: {settings.resolved_clickhouse_url}")
        client = connect(settings)
        migrate(client, settings.clickhouse_database)
        ensure_topics(bootstrap, settings)

        items = synthetic_postings(postings, seed)
        unique = len({posting_key(p.get("title") or "", p.get("company"), p.get("location")) for p in items})
        sink = KafkaSink(bootstrap, settings.raw_topic)
        for item in items:
            sink.send(item)
        for raw in BAD_MESSAGES[:bad_messages]:
            sink.send_bytes(None, raw)
        produced = sink.close()
        _say(f"produced {produced} message(s) to {settings.raw_topic}: {len(items)} postings"
             f" ({unique} unique) and {min(bad_messages, len(BAD_MESSAGES))} bad message(s)")

        config = WorkerConfig(app_id="skillpulse-worker", pipeline_version=settings.pipeline_version,
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
                _say(f"weekly batch: {_run_batch()}")
            except Exception as exc:  # the demo goes on: the streaming picture is complete without it
                _say(f"weekly batch failed: {exc}")

        db = settings.clickhouse_database
        stored = client.query(f"SELECT count() FROM {db}.postings").result_rows[0][0]
        weeks = client.query(f"SELECT count() FROM {db}.weekly_job_volume").result_rows[0][0]
        summary = {
            "produced": produced, "unique": unique, "duplicates": stats.duplicates, "stored": int(stored),
            "dead_letters": stats.dead_letters, "weeks": int(weeks), "seconds": round(time.monotonic() - started, 1),
        }
        if not headless:
            _say(f"summary: {json.dumps(summary)}")
            try:
                _serve_dashboard(host, port)
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
) -> None:
    """Run the whole pipeline locally: Kafka, ClickHouse, producer, worker, weekly batch, dashboard.

    Starts the local Kafka unless KAFKA_BOOTSTRAP is set and uses chDB under --data-dir unless
    CLICKHOUSE_URL is set. Everything touching chDB runs in this one process (chDB allows one process
    per data directory); afterwards `skillpulse db query` reads the same directory.
    """
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        summary = run_demo(postings, data_dir, headless, seed, batch, port=port)
    except Exception as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)
    if headless:
        typer.echo(json.dumps(summary))
