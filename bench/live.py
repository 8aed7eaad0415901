"""How long a produced posting takes to show on the live dashboard of ``skillpulse up``.

    .venv/bin/python bench/live.py [--count 200] [--rate 4] [--runs 1]

Starts a real local Apache Kafka (free ports, unless ``KAFKA_BOOTSTRAP`` is set) and ``skillpulse up
--no-schedule`` on a temporary data directory, then sends ``--count`` new postings at ``--rate`` per
second (each flushed on its own, stamped with its send time). Meanwhile it asks, as fast as each
answers, (a) the dashboard's weekly-volume callback (``/_dash-update-component``, as the browser does)
and (b) the baseline in the same process: ``SELECT count() FROM postings`` through ``/api/query``.
The i-th posting counts as shown when a total first reaches i, so each latency is the wait from its
send to the first answer that includes it. Prints p50/p99 of both and their difference: what the
dashboard adds on top of storage (its freshness token lives 2 s). The open page itself polls every
5 s (``live_ms``), so a watcher sees a posting up to 5 s later than (a).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def unique_postings(count: int, tag: str) -> list[dict]:
    return [{"title": f"Machine Learning Engineer {tag}-{i}", "company": f"Bench AB {i % 17}", "location": "Stockholm",
             "description": "Python, PyTorch and MLOps on AWS.", "posted_date": time.strftime("%Y-%m-%d"),
             "source": "bench"} for i in range(count)]


def volume_total(url: str) -> int:
    payload = {"output": "g-volume.figure", "outputs": {"id": "g-volume", "property": "figure"},
               "inputs": [{"id": "filters", "property": "data", "value": {}}], "changedPropIds": ["filters.data"],
               "state": []}
    fig = httpx.post(url + "/_dash-update-component", json=payload, timeout=30).json()["response"]["g-volume"]["figure"]
    if not fig.get("data"):
        return 0
    raw = fig["data"][0]["y"]
    if isinstance(raw, dict):
        import base64

        import numpy as np

        return int(np.frombuffer(base64.b64decode(raw["bdata"]), dtype=np.dtype(raw["dtype"])).sum())
    return int(sum(raw))


def one_run(bootstrap: str, count: int, rate: float, run: int) -> tuple[list[float], list[float]]:
    from producers.kafka_sink import KafkaSink
    from skillpulse.kafka.local import free_port

    work = Path(tempfile.mkdtemp(prefix="skillpulse-bench-live-"))
    port = free_port()
    topic = f"bench.live.{os.getpid()}.{run}"
    env = {**os.environ, "KAFKA_BOOTSTRAP": bootstrap, "SKILLPULSE_DATA_DIR": str(work / "data"), "RAW_TOPIC": topic,
           "DLQ_TOPIC": topic + ".dlq", "TOPIC_PARTITIONS": "3", "SKILLPULSE_WORKER_GROUP": f"bench-live-{run}-{os.getpid()}",
           "PYTHONPATH": str(ROOT)}
    env.pop("CLICKHOUSE_URL", None)
    log = open(work / "up.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "skillpulse.cli", "up", "--no-schedule", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        token_file = work / "data" / "api-token"
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"skillpulse up did not start; see {work / 'up.log'}")
            try:
                headers = {"Authorization": f"Bearer {token_file.read_text().strip()}"}
                status = httpx.get(url + "/api/status", headers=headers, timeout=5).json()
                if all(p["state"] == "running" for p in status["parts"]) and status["postings"] is not None:
                    break
            except (OSError, httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        sent_at: list[float] = []
        postings = unique_postings(count, f"{run}-{os.getpid()}")

        def produce() -> None:
            sink = KafkaSink(bootstrap, topic, {"linger.ms": 0})
            start = time.monotonic()
            for i, posting in enumerate(postings):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                sink.send(posting)
                sink._producer.flush(10)
                sent_at.append(time.monotonic())
            sink.close()

        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        shown_dash: dict[int, float] = {}
        shown_sql: dict[int, float] = {}
        seen_dash = seen_sql = 0
        deadline = time.monotonic() + count / rate + 120
        while (seen_dash < count or seen_sql < count) and time.monotonic() < deadline:
            if seen_sql < count:
                n = int(httpx.post(url + "/api/query", json={"sql": "SELECT count() FROM postings"}, headers=headers,
                                   timeout=30).json()["rows"][0][0])
                now = time.monotonic()
                for i in range(seen_sql, min(n, count)):
                    shown_sql[i] = now
                seen_sql = max(seen_sql, min(n, count))
            if seen_dash < count:
                n = volume_total(url)
                now = time.monotonic()
                for i in range(seen_dash, min(n, count)):
                    shown_dash[i] = now
                seen_dash = max(seen_dash, min(n, count))
            time.sleep(0.05)
        producer.join()
        if seen_dash < count:
            raise SystemExit(f"only {seen_dash}/{count} postings reached the dashboard; see {work / 'up.log'}")
        dash = [shown_dash[i] - sent_at[i] for i in range(count)]
        sql = [shown_sql[i] - sent_at[i] for i in range(count)]
        return dash, sql
    finally:
        proc.terminate()
        proc.wait(90)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--rate", type=float, default=4.0, help="postings per second")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    broker = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP")
    if not bootstrap:
        from skillpulse.kafka.local import LocalKafka, free_port
        from skillpulse.settings import Settings

        broker = LocalKafka(Path(tempfile.mkdtemp(prefix="skillpulse-bench-kafka-")), port=free_port(),
                            controller_port=free_port(), heap="1g", cache_dir=Settings().cache_dir)
        bootstrap = broker.start(timeout=180)
    try:
        dash_all: list[float] = []
        sql_all: list[float] = []
        for run in range(args.runs):
            dash, sql = one_run(bootstrap, args.count, args.rate, run)
            dash_all += dash
            sql_all += sql
            print(f"run {run + 1}: dashboard p50 {statistics.median(dash):.2f}s p99 {pct(dash, 99):.2f}s;"
                  f" postings table p50 {statistics.median(sql):.2f}s p99 {pct(sql, 99):.2f}s", flush=True)
    finally:
        if broker is not None:
            broker.stop()
    print(f"\nproduced -> shown, {len(dash_all)} postings at {args.rate:g}/s ({args.runs} run(s)):")
    print(f"{'':28} {'p50':>7} {'p99':>7} {'max':>7}")
    print(f"{'dashboard callback':28} {statistics.median(dash_all):6.2f}s {pct(dash_all, 99):6.2f}s {max(dash_all):6.2f}s")
    print(f"{'baseline: SELECT (API)':28} {statistics.median(sql_all):6.2f}s {pct(sql_all, 99):6.2f}s {max(sql_all):6.2f}s")
    print(f"{'dashboard minus baseline':28} {statistics.median(dash_all) - statistics.median(sql_all):6.2f}s")


if __name__ == "__main__":
    main()
