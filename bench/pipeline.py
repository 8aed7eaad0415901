"""End-to-end pipeline speed: Kafka -> worker -> ClickHouse, against a plain consumer loop.

    .venv/bin/python bench/pipeline.py [--count 50000] [--runs 3] [--rate 1000] [--seconds 15] [--profile DIR]

Runs on a real local Apache Kafka (started here on free ports unless ``KAFKA_BOOTSTRAP`` is set)
and embedded chDB in a temporary folder (this process owns it; the worker runs in-process).

* **throughput**: a producer thread sends ``--count`` synthetic postings while the consumer runs;
  the clock stops when every message is stored and its offset committed (i.e. queryable). Median of
  ``--runs`` runs, each under a fresh consumer group and pipeline version.
* **latency**: a producer thread sends at a steady ``--rate`` per second for ``--seconds``, stamping
  each posting's ``scraped_at`` with its send time; latency is ``ingested_at - scraped_at`` of the
  stored rows (ingested_at is set by ClickHouse at insert, when the row becomes queryable): p50/p99.

Each is measured for the SkillPulse worker (Faust, dedupe table with changelog, DLQ checks, batched
inserts, offsets committed after storing) and for a **baseline**: a plain confluent-kafka consumer
loop doing the same validation, in-memory dedupe, enrichment and batched inserts, committing after
each insert. Goals: the worker >= 0.8x the baseline's postings/s in the same run (and >= 5,000/s end
to end); p99 < 2 s at 1,000/s. ``--profile DIR`` samples the worker runs with py-spy and prints where
its time goes (per thread, top functions by self and total samples).
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import logging
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class Producer(threading.Thread):
    """Sends postings (optionally at a steady rate, stamping scraped_at) and says when it is done."""

    def __init__(self, bootstrap: str, topic: str, postings: list[dict], rate: float | None = None):
        super().__init__(daemon=True)
        self.bootstrap, self.topic, self.postings, self.rate = bootstrap, topic, postings, rate
        self.finished = threading.Event()
        self.sent = 0

    def run(self) -> None:
        from producers.kafka_sink import KafkaSink

        sink = KafkaSink(self.bootstrap, self.topic, {"linger.ms": 5})
        start = time.monotonic()
        for i, posting in enumerate(self.postings):
            if self.rate:
                delay = start + i / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                posting = {**posting, "scraped_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")}
            sink.send(posting)
        self.sent = sink.close()
        self.finished.set()


class Spy:
    """py-spy sampling this process while the worker runs (``--profile``); ``top()`` summarises the samples.

    Raw (collapsed) stacks with thread names, one file per worker run; ``--profile`` needs py-spy
    (``pip install -e .[dev]``) and the right to ptrace this process (root, or ptrace_scope 0).
    """

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.files: list[Path] = []
        self._proc: subprocess.Popen | None = None

    def __enter__(self):
        if self.folder is None:
            return self
        exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        self.folder.mkdir(parents=True, exist_ok=True)
        out = self.folder / f"worker-{len(self.files) + 1}.txt"
        self.files.append(out)
        self._proc = subprocess.Popen([exe, "record", "-p", str(os.getpid()), "-f", "raw", "-o", str(out), "-t",
                                       "-F", "-r", "100", "--nonblocking"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # let it attach
        return self

    def __exit__(self, *exc):
        if self._proc is not None:
            self._proc.send_signal(signal.SIGINT)
            self._proc.wait(timeout=60)
            self._proc = None

    def top(self, n: int = 15) -> str:
        """Per-thread share of samples, then the top functions by self and by total (inclusive) samples."""
        threads: collections.Counter = collections.Counter()
        self_: collections.Counter = collections.Counter()
        total: collections.Counter = collections.Counter()
        samples = 0
        for path in self.files:
            if not path.exists():
                continue
            for line in path.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if not stack:
                    continue
                frames = stack.split(";")
                thread = frames[0].split(": ", 1)[-1] if frames[0].startswith("thread") else "?"
                thread = thread.rstrip("0123456789_") or thread  # enrich_0 -> enrich
                k = int(count)
                samples += k
                threads[thread] += k
                funcs = [f for f in frames[1:] if f]
                if funcs:
                    self_[funcs[-1]] += k
                for f in set(funcs):
                    total[f] += k
        if not samples:
            return "no samples (py-spy missing or not allowed to attach)"
        lines = [f"{samples} samples (100/s, non-idle threads; shares of all samples)", "threads:"]
        lines += [f"  {100 * c / samples:5.1f}%  {t}" for t, c in threads.most_common()]
        lines.append("self:")
        lines += [f"  {100 * c / samples:5.1f}%  {f}" for f, c in self_.most_common(n)]
        lines.append("total (inclusive):")
        lines += [f"  {100 * c / samples:5.1f}%  {f}" for f, c in total.most_common(n)]
        return "\n".join(lines)


def warm_imports() -> None:
    """Import what each consumer needs before any clock starts: a process pays it once, not per run."""
    import importlib

    import faust

    for module in ("confluent_kafka", "stream_processors.runner", "skillpulse.domain.enrich"):
        importlib.import_module(module)
    from stream_processors.app import prompt_table_manager
    from stream_processors.transport import transport_class

    faust.App, faust.Worker, faust.Schema  # noqa: B018 - faust imports its parts lazily, on first use
    prompt_table_manager(), transport_class()


def run_faust(settings, bootstrap: str, group: str, version: str, producer: Producer) -> float:
    """The SkillPulse worker in-process until the producer is done and everything is committed."""
    from stream_processors.app import WorkerConfig
    from stream_processors.runner import run_worker

    config = WorkerConfig.from_settings(settings, app_id=group, pipeline_version=version, activate=False,
                                        until_caught_up=True, log_level="warning", stop_when=producer.finished.is_set)
    start = time.monotonic()
    producer.start()
    run_worker(settings.model_copy(update={"pipeline_version": version}), config, bootstrap=bootstrap)
    return time.monotonic() - start


def run_baseline(settings, bootstrap: str, group: str, version: str, producer: Producer, client) -> float:
    """A plain confluent-kafka loop: poll a batch, validate, dedupe, enrich, insert, commit."""
    from confluent_kafka import Consumer

    from skillpulse.domain.enrich import default_enricher
    from skillpulse.domain.keys import posting_key
    from skillpulse.kafka import CLIENT_MAX_BYTES
    from skillpulse.storage import insert_postings, insert_sightings, posting_row, sighting_row
    from stream_processors.validate import Rejected, decode_posting

    enricher = default_enricher(version)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "fetch.message.max.bytes": CLIENT_MAX_BYTES})
    consumer.subscribe([settings.raw_topic])
    seen: dict[str, tuple[int, int]] = {}
    target = len(producer.postings)
    consumed = 0
    start = time.monotonic()
    producer.start()
    while consumed < target:
        messages = consumer.consume(num_messages=settings.sink_batch_size, timeout=settings.sink_max_wait_s)
        firsts, sightings = [], []
        for msg in messages:
            if msg.error():
                continue
            consumed += 1
            try:
                raw = decode_posting(msg.value())
            except Rejected:
                continue
            key = posting_key(raw.title, raw.company, raw.location)
            sightings.append(sighting_row(version, key, raw.source, raw.posted_date, msg.partition(), msg.offset(),
                                          msg.timestamp()[1]))
            if seen.setdefault(key, (msg.partition(), msg.offset())) == (msg.partition(), msg.offset()):
                firsts.append((msg, raw))
        enriched = enricher.enrich_many([raw for _, raw in firsts])
        insert_postings(client, [posting_row(p, m.partition(), m.offset(), m.timestamp()[1]) for (m, _), p in zip(firsts, enriched)], settings.clickhouse_database)
        insert_sightings(client, sightings, settings.clickhouse_database)
        if messages:
            consumer.commit(asynchronous=False)
    consumer.close()
    return time.monotonic() - start


def stored_rows(client, db: str, version: str) -> int:
    return client.query(f"SELECT uniqExact(posting_key) FROM {db}.postings_all WHERE pipeline_version = %(v)s",
                        parameters={"v": version}).result_rows[0][0]


def latency_ms(client, db: str, version: str) -> tuple[float, float]:
    row = client.query(
        f"SELECT quantilesExact(0.5, 0.99)(dateDiff('millisecond', scraped_at, ingested_at))"
        f" FROM {db}.postings_all WHERE pipeline_version = %(v)s", parameters={"v": version}).result_rows[0][0]
    return float(row[0]), float(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=50_000, help="postings per throughput run")
    parser.add_argument("--runs", type=int, default=3, help="runs per consumer (median reported)")
    parser.add_argument("--rate", type=float, default=1000.0, help="postings/s in the latency run")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the latency run")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="py-spy the worker's throughput runs into DIR and print the top entries")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    load_start = os.getloadavg()

    workdir = Path(tempfile.mkdtemp(prefix="skillpulse-bench-"))
    os.environ["SKILLPULSE_DATA_DIR"] = str(workdir)
    os.environ["TOPIC_PARTITIONS"] = str(args.partitions)
    stamp = str(int(time.time()))  # groups and topics of this invocation only (dedupe memory is per group)
    os.environ.setdefault("RAW_TOPIC", f"bench.raw.{stamp}")
    os.environ.setdefault("DLQ_TOPIC", f"bench.dlq.{stamp}")
    from producers.synthetic import generate_postings
    from skillpulse.domain.keys import posting_key
    from skillpulse.kafka.admin import ensure_topics
    from skillpulse.settings import get_settings
    from skillpulse.storage import connect, migrate

    broker = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP")
    if not bootstrap:
        from skillpulse.kafka.local import LocalKafka, free_port

        broker = LocalKafka(workdir / "kafka", port=free_port(), controller_port=free_port(), heap="1g",
                            cache_dir=get_settings().cache_dir)
        bootstrap = broker.start(timeout=120)
    settings = get_settings()
    warm_imports()
    client = connect(settings)
    migrate(client, settings.clickhouse_database)
    db = settings.clickhouse_database
    print(f"Kafka {bootstrap}, chDB {settings.resolved_clickhouse_url}, batch {settings.sink_batch_size},"
          f" max wait {settings.sink_max_wait_s}s, {args.partitions} partitions", flush=True)

    spy = Spy(args.profile)
    results: dict[str, dict[str, list[float]]] = {"worker (Faust)": {}, "baseline (confluent loop)": {}}
    try:
        # --- throughput: one topic per run, so each run reads exactly its own postings ---------------
        postings = generate_postings(args.count, seed=7)
        unique = len({posting_key(p["title"], p.get("company"), p.get("location")) for p in postings})
        for run in range(args.runs):
            for name in results:
                topic = f"{settings.raw_topic}.t{run}.{'w' if 'Faust' in name else 'b'}"
                run_settings = settings.model_copy(update={"raw_topic": topic})
                ensure_topics(bootstrap, run_settings)
                version = f"bench-{'w' if 'Faust' in name else 'b'}-t{run}"
                producer = Producer(bootstrap, topic, postings)
                if "Faust" in name:
                    with spy:
                        seconds = run_faust(run_settings, bootstrap, f"bench-w-t{run}-{stamp}", version, producer)
                else:
                    seconds = run_baseline(run_settings, bootstrap, f"bench-b-t{run}-{stamp}", version, producer, client)
                stored = stored_rows(client, db, version)
                assert stored == unique, f"{name}: stored {stored} of {unique} unique postings"
                results[name].setdefault("postings/s", []).append(args.count / seconds)
                print(f"  {name:28s} run {run + 1}: {args.count} postings in {seconds:5.1f}s"
                      f" = {args.count / seconds:7.0f}/s ({stored} unique stored)", flush=True)

        # --- latency at a steady rate --------------------------------------------------------------
        steady = generate_postings(int(args.rate * args.seconds), seed=8)
        for name in results:
            topic = f"{settings.raw_topic}.lat.{'w' if 'Faust' in name else 'b'}"
            run_settings = settings.model_copy(update={"raw_topic": topic})
            ensure_topics(bootstrap, run_settings)
            version = f"bench-{'w' if 'Faust' in name else 'b'}-lat"
            producer = Producer(bootstrap, topic, steady, rate=args.rate)
            if "Faust" in name:
                run_faust(run_settings, bootstrap, f"bench-w-lat-{stamp}", version, producer)
            else:
                run_baseline(run_settings, bootstrap, f"bench-b-lat-{stamp}", version, producer, client)
            p50, p99 = latency_ms(client, db, version)
            results[name]["p50 ms"], results[name]["p99 ms"] = [p50], [p99]
            print(f"  {name:28s} latency at {args.rate:.0f}/s: p50 {p50:.0f} ms, p99 {p99:.0f} ms", flush=True)
    finally:
        if broker is not None:
            broker.stop()

    worker, baseline = results["worker (Faust)"], results["baseline (confluent loop)"]
    median = {name: {k: statistics.median(v) for k, v in r.items()} for name, r in results.items()}
    print()
    print(f"{'consumer':28s} {'postings/s (median)':>20s} {'p50 ms @' + str(int(args.rate)) + '/s':>14s} {'p99 ms':>8s}")
    for name, m in median.items():
        print(f"{name:28s} {m['postings/s']:20.0f} {m['p50 ms']:14.0f} {m['p99 ms']:8.0f}")
    ratio = median["worker (Faust)"]["postings/s"] / median["baseline (confluent loop)"]["postings/s"]
    print(f"worker / baseline throughput: {ratio:.2f}x (goal >= 0.8x: {'met' if ratio >= 0.8 else 'NOT met'});"
          f" >= 5000/s: {'met' if median['worker (Faust)']['postings/s'] >= 5000 else 'NOT met'};"
          f" p99 < 2000 ms: {'met' if median['worker (Faust)']['p99 ms'] < 2000 else 'NOT met'}")
    print(f"runs: {args.runs} x {args.count} postings ({unique} unique); raw runs: "
          f"worker {[round(x) for x in worker['postings/s']]}, baseline {[round(x) for x in baseline['postings/s']]}")
    print("load average (1, 5, 15 min) at start %.2f %.2f %.2f, at end %.2f %.2f %.2f" % (*load_start, *os.getloadavg()))
    if args.profile:
        print(f"\nworker profile (py-spy, throughput runs; raw stacks in {args.profile}):")
        print(spy.top())

if __name__ == "__main__":
    main()
