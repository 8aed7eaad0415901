"""The runtime of ``skillpulse up``: one process that owns the data directory and runs everything concurrently.

Embedded chDB lets one process open a data directory, so the live setup is one process with parts
in threads, each with its own ClickHouse client: the Faust worker (continuous), the dashboard with
the HTTP API (waitress, threads), the weekly batch (on request or on schedule), the producers'
schedule and, for the demo, a trickle of synthetic postings. A part that fails is restarted with
backoff and shown on the dashboard's status line; Ctrl-C / SIGTERM stops the parts in order (the
worker commits what it stored), removes the lock and stops the Kafka broker it started.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skillpulse.live.jobs import BatchRunner, Schedule, Trickle, say
from skillpulse.settings import Settings

STOP_ORDER = ["trickle", "schedule", "worker", "batch", "dashboard"]


def public_url(host: str, port: int) -> str:
    return f"http://{'127.0.0.1' if host in ('', '0.0.0.0', '::') else host}:{port}"


def make_scrub(settings, token: str) -> Callable[[str], str]:
    """Replaces every secret this process knows (API token, LLM and RapidAPI keys, DB password) with ***."""
    from urllib.parse import urlparse

    secrets = [token, settings.llm_api_key, settings.rapid_api_key]
    if settings.clickhouse_url and not settings.clickhouse_url.startswith("chdb://"):
        secrets.append(urlparse(settings.clickhouse_url).password)
    secrets = [s for s in secrets if s and len(s) >= 4]

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "***")
        return text
    return scrub


def _batch_when_caught_up(bootstrap: str, settings, group: str, batch: BatchRunner, stop: threading.Event) -> None:
    """Demo: once the worker has stored the seed (its lag is 0), run the weekly batch once."""
    from stream_processors.runner import LagProbe, topic_partitions

    probe = LagProbe(bootstrap, group, settings.raw_topic, topic_partitions(bootstrap, settings.raw_topic))
    try:
        while not stop.wait(1.0):
            try:
                if probe.lag() == 0:
                    say("the seed is stored; running the weekly batch once (skill map, candidates)")
                    batch.request({}, "demo")
                    return
            except Exception:  # noqa: BLE001 - the broker is busy starting: ask again
                continue
    finally:
        probe.close()


def run_up(settings: Settings, host: str = "127.0.0.1", port: int = 8050, schedule: bool = True,
           trickle_per_min: float = 0.0, files: Path | None = None, seed_postings: int = 0, seed: int = 42,
           bad_messages: int = 0, batch_after_seed: bool = False, threads: int = 8) -> None:
    """Run on ``settings`` until Ctrl-C / SIGTERM. ``seed_postings``/``files`` + ``batch_after_seed`` are
    the demo's opening; the worker's consumer group is ``settings.worker_group``."""
    from skillpulse.instance import InstanceLock

    url = public_url(host, port)
    lock = InstanceLock(settings.data_dir, url).acquire()  # refuses a second instance on this directory
    broker = None
    stop = threading.Event()
    try:
        from skillpulse.live.demo import start_kafka

        bootstrap, broker = start_kafka(settings, say)
        settings = settings.model_copy(update={"kafka_bootstrap": bootstrap})
        left = _serve(settings, bootstrap, lock, host, port, url, schedule, trickle_per_min, files, seed_postings,
                      seed, bad_messages, batch_after_seed, threads, stop)
    finally:
        lock.release()
        if broker is not None:
            say("stopping Kafka")
            broker.stop()
    if left:  # e.g. a weekly batch mid-training: end now rather than tear native threads down under it
        say(f"left unfinished: {', '.join(left)}")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _serve(settings, bootstrap, lock, host, port, url, schedule, trickle_per_min, files, seed_postings, seed,
           bad_messages, batch_after_seed, threads, stop) -> list[str]:
    from waitress.server import create_server

    from dashboard.app import create_app
    from skillpulse.kafka.admin import ensure_topics
    from skillpulse.live.api import ReadOnlyQueries, blueprint
    from skillpulse.live.parts import Part, Supervisor
    from skillpulse.storage import connect, migrate
    from stream_processors.app import WorkerConfig
    from stream_processors.runner import run_worker

    say(f"ClickHouse: {settings.display_clickhouse_url}; Kafka: {bootstrap}")
    client = connect(settings)  # the main thread's own client: migrate once before the parts start
    migrate(client, settings.clickhouse_database, settings.taxonomy_path)
    ensure_topics(bootstrap, settings)
    if seed_postings or files is not None:
        from skillpulse.live.demo import seed_topic

        sent, _keys, bad = seed_topic(settings, bootstrap, seed_postings, seed, files, bad_messages, say)
        say(f"seeded {sent} postings and {bad} bad message(s) into {settings.raw_topic}")

    scrub = make_scrub(settings, lock.token)
    supervisor = Supervisor(scrub)
    batch = BatchRunner(settings)
    sched = Schedule(settings, bootstrap, batch, files or settings.produce_files) if schedule else None
    trickle = Trickle(settings, bootstrap, trickle_per_min) if trickle_per_min > 0 else None
    queries = ReadOnlyQueries(settings, settings.api_max_rows, settings.api_timeout_s)
    started_at = time.time()

    def status() -> dict[str, Any]:
        body: dict[str, Any] = {"url": url, "pid": os.getpid(), "data_dir": str(settings.data_dir.resolve()),
                                "started_at": started_at, "parts": supervisor.statuses(), "batch": batch.state(),
                                "schedule": sched.state() if sched else None,
                                "trickle": {"per_minute": trickle_per_min, "sent": trickle.sent} if trickle else None}
        try:
            body["postings"] = queries.run("SELECT count() FROM postings")["rows"][0][0]
        except Exception:  # noqa: BLE001 - no schema or no active version yet
            body["postings"] = None
        return body

    def status_line() -> str:
        line = "Live · " + supervisor.line()
        state = batch.state()
        if state["state"] != "idle":
            line += f" · weekly batch {state['state']}"
        elif state.get("last"):
            line += f" · last batch {state['last'].get('status')}"
        if sched and sched.next_runs:
            name, when = min(sched.next_runs.items(), key=lambda kv: kv[1])
            line += f" · next {name} {when:%a %d %b %H:%M}"
        return line

    app = create_app(None, settings, live_status=status_line)
    app.server.register_blueprint(blueprint(lambda: lock.token, queries, status, batch, supervisor, scrub))
    servers = [create_server(app.server, host=host, port=port, threads=threads)]  # binds now: a busy port fails here

    def dashboard_part(part_stop: threading.Event) -> None:
        server = servers.pop() if servers else create_server(app.server, host=host, port=port, threads=threads)
        done = threading.Event()

        def closer() -> None:
            while not done.is_set():
                if part_stop.wait(0.5):
                    server.close()
                    return
        threading.Thread(target=closer, name="up-dashboard-closer", daemon=True).start()
        try:
            server.run()
        finally:
            done.set()
            server.close()

    def worker_part(part_stop: threading.Event) -> None:
        config = WorkerConfig.from_settings(settings, until_caught_up=False, log_level="warning")
        result = run_worker(settings, config, bootstrap=bootstrap, stop_event=part_stop)
        s = result.stats
        say(f"worker stopped: {s.stored} stored, {s.duplicates} duplicate(s), {s.dead_letters} dead letter(s)"
            f" in {result.seconds:.0f}s")

    supervisor.add(Part("worker", worker_part))
    supervisor.add(Part("dashboard", dashboard_part))
    # A batch run cannot be interrupted; a stop leaves it unfinished ('running' in batch_runs) after 5 s.
    supervisor.add(Part("batch", batch.run, stop_timeout_s=5.0))
    if sched:
        supervisor.add(Part("schedule", sched.run))
    if trickle:
        supervisor.add(Part("trickle", trickle.run))

    def on_signal(signum, _frame) -> None:
        if stop.is_set():
            say("second signal: exiting now")
            os._exit(130)
        say(f"{signal.Signals(signum).name}: stopping (the worker commits what it stored)…")
        stop.set()
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    supervisor.start()
    if batch_after_seed:
        threading.Thread(target=_batch_when_caught_up, args=(bootstrap, settings, settings.worker_group, batch, stop),
                         name="up-demo-batch", daemon=True).start()
    say(f"dashboard on {url}/  · API {url}/api (token in {settings.data_dir / 'api-token'})")
    say("query it meanwhile: skillpulse db query \"SELECT count() FROM postings\"  · Ctrl-C stops everything")
    left: list[str] = []
    try:
        while not stop.wait(1.0):
            pass
    finally:
        left = supervisor.stop(order=STOP_ORDER)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        app.server.config["skillpulse_data"].close()
        queries.close()
        client.close()
        say("stopped")
    return left
