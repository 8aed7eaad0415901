"""Helpers of the streaming tests: deterministic postings, producing to a topic, running CLI steps."""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKILLPULSE = [sys.executable, "-m", "skillpulse.cli"]

TITLES = ["Machine Learning Engineer", "Senior Data Scientist", "MLOps Engineer", "Lead AI Engineer",
          "Data Engineer", "Junior Data Analyst", "Director of AI", "NLP Researcher"]
SKILLS = ["Python", "PyTorch", "TensorFlow", "SQL", "Kubernetes", "AWS", "MLOps", "LLMs", "Spark", "Docker"]


def postings(n_unique: int, n_duplicates: int, seed: int = 7, start: dt.date = dt.date(2024, 1, 1),
             weeks: int = 6) -> list[dict]:
    """``n_unique`` distinct postings, then ``n_duplicates`` repeats of earlier ones (another source)."""
    rng = random.Random(seed)
    unique = []
    for i in range(n_unique):
        skills = rng.sample(SKILLS, 3)
        unique.append({
            "title": f"{rng.choice(TITLES)} {i}",
            "company": f"Company {i % 50}",
            "location": rng.choice(["Stockholm", "Berlin", "Remote"]),
            "description": f"We need {', '.join(skills)} experience. Posting {i}.",
            "posted_date": (start + dt.timedelta(days=rng.randrange(weeks * 7))).isoformat(),
            "source": "synthetic",
        })
    repeats = [dict(rng.choice(unique), source="board-b") for _ in range(n_duplicates)]
    return unique + repeats


def produce(bootstrap: str, topic: str, items: list[dict | bytes], settings_env: dict | None = None) -> int:
    """Send postings (dicts as JSON, keyed like the real producer) or raw bytes; returns delivered."""
    from producers.kafka_sink import KafkaSink

    sink = KafkaSink(bootstrap, topic)
    for item in items:
        if isinstance(item, bytes):
            sink.send_bytes(None, item)
        else:
            sink.send(item)
    return sink.close()


def env_for(bootstrap: str, data_dir: Path, topic: str, dlq: str, **extra: str) -> dict:
    """Environment of a CLI subprocess on its own data dir and topics."""
    env = dict(os.environ)
    for name in ("CLICKHOUSE_URL", "PIPELINE_VERSION"):
        env.pop(name, None)
    env.update({"KAFKA_BOOTSTRAP": bootstrap, "SKILLPULSE_DATA_DIR": str(data_dir), "RAW_TOPIC": topic,
                "DLQ_TOPIC": dlq, "TOPIC_PARTITIONS": "3", "SINK_MAX_WAIT_S": "0.2", **extra})
    return env


def cli(env: dict, *args: str, timeout: float = 180, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``skillpulse ARGS`` in a subprocess (chDB: one process per data dir, so never in pytest's)."""
    result = subprocess.run([*SKILLPULSE, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"skillpulse {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-4000:]}")
    return result


def query(env: dict, sql: str) -> list[dict]:
    """Rows of ``skillpulse db query --format json``."""
    out = cli(env, "db", "query", sql, "--format", "json").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def scalar(env: dict, sql: str):
    rows = query(env, sql)
    return next(iter(rows[0].values()))


def committed(bootstrap: str, group: str, topic: str, partitions: int, timeout: float = 30) -> int:
    """Sum of the group's committed offsets on ``topic`` (0 where none).

    A retriable broker answer (NOT_COORDINATOR while a fresh broker loads its offsets topic, or while
    the group's coordinator moves) is asked again: it says "not yet", not "no offsets".
    """
    import time

    from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

    not_yet = {KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
               KafkaError.COORDINATOR_NOT_AVAILABLE, KafkaError._TIMED_OUT, KafkaError._TRANSPORT}
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                tps = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
                return sum(max(tp.offset, 0) for tp in tps)
            except KafkaException as exc:
                error = exc.args[0]
                if not (error.retriable() or error.code() in not_yet) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        consumer.close()


def read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 30) -> list:
    """Every message of ``topic`` from the start (waits for ``expected`` of them)."""
    import time

    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{topic}-{time.time()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "fetch.message.max.bytes": 20 * 1024 * 1024})
    consumer.subscribe([topic])
    out, deadline = [], time.monotonic() + timeout
    try:
        while len(out) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                out.append(msg)
    finally:
        consumer.close()
    return out


def monday(date_text: str) -> str:
    """The Monday of an ISO date, as ISO text."""
    from skillpulse.domain.weeks import monday as week_start

    return week_start(dt.date.fromisoformat(date_text)).isoformat()


def expected_weeks(items: list[dict]) -> dict[str, int]:
    """Unique postings per Monday, first sighting wins (what weekly_job_volume must say)."""
    from skillpulse.domain.keys import posting_key

    seen, weeks = set(), {}
    for p in items:
        key = posting_key(p["title"], p.get("company"), p.get("location"))
        if key not in seen:
            seen.add(key)
            week = monday(p["posted_date"])
            weeks[week] = weeks.get(week, 0) + 1
    return weeks


SUMMARY_SQL = """
SELECT (SELECT count() FROM postings) AS rows,
       (SELECT uniqExact(posting_key) FROM postings) AS unique_keys,
       (SELECT sum(job_count) FROM weekly_job_volume) AS job_count,
       (SELECT count() FROM posting_sightings FINAL WHERE pipeline_version = (SELECT version FROM active_version)) AS sightings,
       (SELECT sum(duplicates) FROM duplicates_by_source) AS duplicates,
       (SELECT countIf(source != 'synthetic') FROM postings) AS repeats_stored,
       (SELECT toJSONString(groupArray((toString(week_start), job_count))) FROM weekly_job_volume) AS weeks
"""


def summary(env: dict) -> dict:
    """One query for the counts the reliability tests compare (one chDB process start)."""
    row = query(env, SUMMARY_SQL)[0]
    row["weeks"] = {w: int(c) for w, c in json.loads(row["weeks"])}
    for name in ("rows", "unique_keys", "job_count", "sightings", "duplicates", "repeats_stored"):
        row[name] = int(row[name])
    return row
