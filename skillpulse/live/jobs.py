"""The jobs ``skillpulse up`` runs besides the worker: the weekly batch (one at a time, on request or
on schedule), the configured producers on a cron schedule, and a trickle of synthetic postings.

Each job logs one summary line per run. Cron expressions are read by ``croniter`` in local time.
"""
from __future__ import annotations

import datetime as dt
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skillpulse.settings import Settings

log = logging.getLogger("skillpulse.up")

BATCH_PARAMS = {"weeks": int, "sample": int, "epochs": int, "k": int, "seed": int}


def say(message: str) -> None:
    """One line of the instance's log on stderr (Faust reconfigures logging; this stays readable)."""
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"{stamp} [up] {message}", file=sys.stderr, flush=True)


def batch_line(summary: dict) -> str:
    """One line of a weekly batch summary, for the log."""
    clusters = summary.get("clusters") or {}
    model = summary.get("model") or {}
    return (f"run {summary.get('run_id')}: {summary.get('postings')} postings, labeller {summary.get('labeller')},"
            f" model {model.get('status', '?')}{' (promoted)' if model.get('promoted') else ''},"
            f" {clusters.get('k')} skill clusters in {summary.get('timings_s', {}).get('total')}s")


class BatchRunner:
    """Runs the weekly batch in its own part thread (own chDB client), one run at a time."""

    def __init__(self, settings: Settings, defaults: dict[str, Any] | None = None):
        self.settings = settings
        self.defaults = dict(defaults or {})
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._lock = threading.RLock()
        self._state: dict[str, Any] = {"state": "idle", "runs": 0, "last": None}

    @staticmethod
    def parse(body: dict) -> dict[str, Any]:
        """Validated batch parameters from an API body: week (YYYY-MM-DD), weeks, sample, epochs, k, seed."""
        params: dict[str, Any] = {}
        unknown = set(body) - set(BATCH_PARAMS) - {"week", "labeller"}
        if unknown:
            raise ValueError(f"unknown field(s) {sorted(unknown)}; allowed: week, labeller, {', '.join(BATCH_PARAMS)}")
        for name, kind in BATCH_PARAMS.items():
            if name in body:
                value = body[name]
                if not isinstance(value, kind) or isinstance(value, bool) or value < 0:
                    raise ValueError(f"{name} must be a non-negative integer")
                params[name] = value
        if "week" in body:
            try:
                params["week"] = dt.date.fromisoformat(str(body["week"]))
            except ValueError:
                raise ValueError("week must be a date, YYYY-MM-DD") from None
        if "labeller" in body:
            if body["labeller"] not in ("llm", "taxonomy"):
                raise ValueError("labeller must be llm or taxonomy")
            params["labeller"] = body["labeller"]
        return params

    def request(self, params: dict[str, Any], by: str) -> tuple[bool, dict]:
        """Queue a run; False (and the current state) when one is already running or queued."""
        with self._lock:
            if self._state["state"] != "idle":
                return False, self.state()
            self._state.update(state="queued", requested_by=by, params={k: str(v) for k, v in params.items()})
        self._queue.put((params, by))
        return True, self.state()

    def state(self) -> dict:
        with self._lock:
            return dict(self._state)

    def run(self, stop: threading.Event) -> None:
        """The batch part: waits for requests and runs them on this thread's own ClickHouse client."""
        from skillpulse.storage import connect

        client = connect(self.settings)
        try:
            while not stop.is_set():
                try:
                    params, by = self._queue.get(timeout=0.5)
                except queue.Empty:
                    continue
                self._run_one(client, params, by)
        finally:
            client.close()

    def _run_one(self, client, params: dict[str, Any], by: str) -> None:
        from batch.weekly import run_weekly
        from dashboard.report import write_cluster_plots

        with self._lock:
            self._state.update(state="running", started_at=time.time())
        say(f"weekly batch ({by}) started")
        began = time.monotonic()
        last: dict[str, Any] = {"requested_by": by, "started_at": self._state["started_at"]}
        try:
            summary = run_weekly(client, self.settings, progress=False, draw_map=write_cluster_plots,
                                 **{**self.defaults, **params})
            last.update(status="ok", run_id=summary.get("run_id"), summary=batch_line(summary))
            say(f"weekly batch: {batch_line(summary)}")
        except Exception as exc:  # noqa: BLE001 - logged and shown in /api/status; the part lives on
            last.update(status="failed", error=f"{type(exc).__name__}: {exc}")
            say(f"weekly batch failed: {exc}")
        last["seconds"] = round(time.monotonic() - began, 1)
        with self._lock:
            self._state.update(state="idle", runs=self._state["runs"] + 1, last=last)
            self._state.pop("params", None)


def producer_sources(settings: Settings, files: Path | None) -> list[tuple[str, Callable[[], Any]]]:
    """``(name, open)`` of each configured source: JobTech always, LinkedIn with RAPID_API_KEY, files if given."""
    from producers.http import HttpClient, RetryPolicy

    policy = RetryPolicy()

    def jobtech():
        from producers.jobtech import JobTechSource

        client = HttpClient(settings.jobtech_api_base_url, name="jobtech", policy=policy)
        return client, JobTechSource(client, query="machine learning", regions=["01"], municipalities=[],
                                     limit=100, max_pages=None, page_delay=0.5)

    def linkedin():
        from producers.linkedin import LinkedInSource, rapidapi_headers

        key = settings.rapid_api_key or ""
        client = HttpClient(settings.linkedin_api_base_url, name="linkedin", headers=rapidapi_headers(key),
                            secrets=[key], policy=policy)
        return client, LinkedInSource(client, keyword="machine learning", location="Stockholm",
                                      endpoint="/active-jb-7d", limit=100, max_pages=10, page_delay=2.0)

    def folder():
        from producers.files import FilesSource

        return None, FilesSource(files)

    sources: list[tuple[str, Callable[[], Any]]] = [("jobtech", jobtech)]
    if settings.rapid_api_key:
        sources.append(("linkedin", linkedin))
    if files is not None:
        sources.append(("files", folder))
    return sources


def run_producers(settings: Settings, bootstrap: str, files: Path | None) -> list[str]:
    """Run every configured source once into Kafka (cursor and ledger as ``skillpulse produce``)."""
    from producers.base import SourceState, run_source, state_name
    from producers.kafka_sink import KafkaSink

    lines = []
    for name, open_source in producer_sources(settings, files):
        try:
            client, source = open_source()
            try:
                state = SourceState.load(settings.data_dir, state_name(source.name, None, settings.raw_topic))
                with state.locked():
                    is_files = name == "files"
                    report = run_source(source, KafkaSink(bootstrap, settings.raw_topic), state,
                                        use_cursor=not is_files, track_cursor=not is_files)
                line = f"{name}: {report.summary.line()}" + (f" ({'; '.join(report.summary.errors[:2])})"
                                                             if report.summary.errors else "")
            finally:
                if client is not None:
                    client.close()
        except Exception as exc:  # noqa: BLE001 - one source failing does not stop the others
            line = f"{name}: failed: {exc}"
        say(f"producers: {line}")
        lines.append(line)
    return lines


class Schedule:
    """Cron-style schedule of the producers and the weekly batch (``SCHEDULE_PRODUCERS``, ``SCHEDULE_BATCH``)."""

    def __init__(self, settings: Settings, bootstrap: str, batch: BatchRunner, files: Path | None):
        from croniter import croniter

        for name, expr in (("SCHEDULE_PRODUCERS", settings.schedule_producers), ("SCHEDULE_BATCH", settings.schedule_batch)):
            if expr and not croniter.is_valid(expr):
                raise ValueError(f"{name}={expr!r} is not a cron expression (e.g. '0 6 * * 1': Mondays 06:00)")
        self.settings = settings
        self.bootstrap = bootstrap
        self.batch = batch
        self.files = files
        self.jobs = {name: expr for name, expr in (("producers", settings.schedule_producers),
                                                   ("batch", settings.schedule_batch)) if expr}
        self.next_runs: dict[str, dt.datetime] = {}
        self.last_runs: dict[str, dict] = {}

    def _next(self, expr: str, after: dt.datetime) -> dt.datetime:
        from croniter import croniter

        return croniter(expr, after).get_next(dt.datetime)

    def state(self) -> dict:
        return {"jobs": dict(self.jobs), "next": {k: v.isoformat() for k, v in self.next_runs.items()},
                "last": dict(self.last_runs)}

    def run(self, stop: threading.Event) -> None:
        """The schedule part: sleeps until the next job is due, runs it, logs its summary."""
        now = dt.datetime.now().astimezone()
        self.next_runs = {name: self._next(expr, now) for name, expr in self.jobs.items()}
        for name, when in self.next_runs.items():
            say(f"schedule: {name} '{self.jobs[name]}', next at {when:%a %Y-%m-%d %H:%M %Z}")
        while not stop.is_set() and self.next_runs:
            name, when = min(self.next_runs.items(), key=lambda kv: kv[1])
            wait = (when - dt.datetime.now().astimezone()).total_seconds()
            if wait > 0 and stop.wait(min(wait, 30.0)):
                return
            if dt.datetime.now().astimezone() < when:
                continue
            self.fire(name)
            self.next_runs[name] = self._next(self.jobs[name], dt.datetime.now().astimezone())

    def fire(self, name: str) -> None:
        at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        if name == "producers":
            lines = run_producers(self.settings, self.bootstrap, self.files)
            self.last_runs[name] = {"at": at, "summary": lines}
        else:
            accepted, state = self.batch.request({}, "schedule")
            self.last_runs[name] = {"at": at, "summary": "queued" if accepted else f"skipped: batch {state['state']}"}
            if not accepted:
                say(f"schedule: weekly batch skipped, one is {state['state']}")


def parse_rate(text: str | float | None) -> float:
    """Postings per minute from ``N/min``, ``N/h`` or ``N`` (per minute)."""
    if text is None or text == "":
        return 0.0
    if isinstance(text, (int, float)):
        return float(text)
    value, _, unit = str(text).strip().partition("/")
    per = {"": 1.0, "min": 1.0, "m": 1.0, "h": 1 / 60, "hour": 1 / 60, "s": 60.0, "sec": 60.0}.get(unit.strip().lower())
    try:
        rate = float(value) * per if per is not None else -1.0
    except ValueError:
        rate = -1.0
    if rate < 0:
        raise ValueError(f"--trickle {text!r}: use N/min, e.g. 6/min (or N/h)")
    return rate


class Trickle:
    """Sends new synthetic postings (dated today) at ``per_minute``, so the live dashboard moves.

    A :class:`producers.synthetic.TrickleSource` through the producers' run loop
    (``producers.base.run_source``) into Kafka, as every other producer.
    """

    def __init__(self, settings: Settings, bootstrap: str, per_minute: float, seed: int | None = None):
        self.settings = settings
        self.bootstrap = bootstrap
        self.per_minute = per_minute
        self.seed = int(time.time()) if seed is None else seed  # new ads after a restart, not the same again
        self.sent = 0

    def run(self, stop: threading.Event) -> None:
        from producers.base import SourceState, run_source
        from producers.kafka_sink import KafkaSink
        from producers.synthetic import TrickleSource

        source = TrickleSource(self.per_minute, self.seed + self.sent, stop.wait)
        before = self.sent

        def on_progress(_report, queued: int) -> None:
            if before + queued > self.sent:
                self.sent = before + queued
                if self.sent % 10 == 1:
                    say(f"trickle: {self.sent} new synthetic posting(s) sent")

        report = run_source(source, KafkaSink(self.bootstrap, self.settings.raw_topic), SourceState.ephemeral(),
                            use_cursor=False, track_cursor=False, on_progress=on_progress)
        if report.summary.failed or report.summary.errors:
            raise RuntimeError(f"trickle: {'; '.join(report.summary.errors[:2]) or report.summary.line()}")
