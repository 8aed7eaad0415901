"""The fault-injection suite's kit, shared with ``bench/faults.py``: a stream with repeats, every poison
kind, worker processes to kill, and ``verify``, which checks the outcome against Kafka itself.

``verify`` reads every message of the topic back (key, value, timestamp, partition, offset), applies
the same contract as the worker, and derives what ClickHouse must hold: one row per posting_key, the
earliest sighting by (Kafka timestamp, partition, offset), rollups equal to SQL over those rows, every
valid message once in ``posting_sightings``, every bad message in the DLQ with its reason.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "stream"))
import streamkit as kit  # noqa: E402

INJECT = [sys.executable, str(ROOT / "tests" / "faults" / "inject.py")]
CRASH_MARK = "ENRICH-CRASH"  # inject.py makes the enricher raise on these titles
REJECT_MARK = "CH-REJECT"  # a CHECK constraint makes ClickHouse refuse these rows
PARTITIONS = 3
SKILLS = ["Python", "PyTorch", "TensorFlow", "SQL", "Kubernetes", "AWS", "MLOps", "LLMs", "Spark", "Docker",
          "scikit-learn", "Airflow"]


@dataclass
class Stream:
    """One test's topics, group and data dir (a chDB path), and the env of its CLI subprocesses."""

    bootstrap: str
    topic: str
    dlq: str
    group: str
    data_dir: Path
    env: dict
    logs: list[Path] = field(default_factory=list)


def make_stream(bootstrap: str, name: str, tmp: Path, **env: str) -> Stream:
    from skillpulse.kafka.admin import ensure_topics
    from skillpulse.settings import Settings

    topic, dlq, group = f"raw.{name}", f"dlq.{name}", f"worker-{name}"
    data_dir = tmp / "data"
    full_env = kit.env_for(bootstrap, data_dir, topic, dlq, SKILLPULSE_WORKER_GROUP=group,
                           TOPIC_PARTITIONS=str(PARTITIONS), **env)
    ensure_topics(bootstrap, Settings(raw_topic=topic, dlq_topic=dlq, topic_partitions=PARTITIONS))
    return Stream(bootstrap, topic, dlq, group, data_dir, full_env)


def stream_postings(n_unique: int, repeat_share: float, seed: int) -> list[dict]:
    """``n_unique`` postings plus ``repeat_share`` as many repeats, each after its original in the stream.

    A repeat has the original's title, company and location (so the same posting_key) but another
    posted_date (two to five weeks later), another description (other skills) and another source: if a
    repeat ever won, the stored row, the week and the skill set would all show it.
    """
    rng = random.Random(seed)
    start = dt.date(2024, 1, 1)
    unique = []
    for i in range(n_unique):
        skills = rng.sample(SKILLS[:6], 2)
        unique.append({
            "title": f"{rng.choice(kit.TITLES)} {seed}-{i}", "company": f"Company {i % 97}",
            "location": rng.choice(["Stockholm", "Berlin", "Remote", "Oslo"]),
            "description": f"We need {' and '.join(skills)}. Posting {i}.",
            "posted_date": (start + dt.timedelta(days=rng.randrange(70))).isoformat(), "source": "board-a",
        })
    stream = list(unique)
    for _ in range(int(n_unique * repeat_share)):
        at = rng.randrange(len(unique))
        original = unique[at]
        later = dt.date.fromisoformat(original["posted_date"]) + dt.timedelta(days=rng.randrange(14, 36))
        repeat = dict(original, posted_date=later.isoformat(), source="board-b",
                      description=f"Now with {' and '.join(rng.sample(SKILLS[6:], 2))}.")
        stream.insert(rng.randrange(stream.index(original) + 1, len(stream) + 1), repeat)
    return stream


def poison_messages(seed: int = 0) -> dict[bytes, str]:
    """Every kind of bad message -> the text its dead letter's reason must hold."""
    base = {"description": "Python and SQL.", "posted_date": "2024-02-01", "source": "board-a", "company": f"Poison {seed}"}

    def doc(**fields) -> bytes:
        return json.dumps({**base, **fields}).encode()
    return {
        doc(title="Old date", posted_date="1800-01-01"): "posted_date: 1800-01-01 is before",
        doc(title="Far date", posted_date="2200-01-01"): "posted_date: 2200-01-01 is more than",
        doc(title="Old scrape", scraped_at="1850-05-05T10:00:00Z"): "scraped_at:",
        doc(title="Nul\u0000title"): "title: control character U+0000",
        doc(title="Nul description", description="Python\u0000SQL"): "description: control character U+0000",
        doc(title="Bell company", company="Acme\u0007"): "company: control character U+0007",
        doc(title="Many extras", **{f"x{i}": i for i in range(80)}): "extra: 80 unknown fields",
        doc(title="Huge extra", blob="y" * 100_000): "extra: unknown fields take",
        doc(title="", ): "title:",
        doc(title="No date", posted_date=None): "posted_date:",
        b'{"title": "Data Engineer", "description": ': "invalid JSON",
        b'{"title": "\xff\xfe", "description": "x", "posted_date": "2024-02-01", "source": "s"}': "invalid UTF-8",
        b"[1, 2, 3]": "expected a JSON object",
        b"": "empty message",
        doc(title=f"{CRASH_MARK} Data Scientist"): "enrich: RuntimeError: injected enricher fault",
        doc(title=f"{REJECT_MARK} ML Engineer"): "clickhouse:",
    }


def hostile_but_valid(seed: int = 0) -> list[dict]:
    """Postings that are ugly but fine: they must be stored, fast (linear-time text handling)."""
    base = {"posted_date": "2024-02-05", "source": "board-a", "company": f"Hostile {seed}"}
    return [
        {**base, "title": "Lt signs", "description": "<" * 60_000},
        {**base, "title": "Open tags", "description": "<a" * 30_000 + " python"},
        {**base, "title": "Tabs and newlines", "description": "Python\tSQL\r\nSpark"},
    ]


def produce(stream: Stream, items: list) -> int:
    return kit.produce(stream.bootstrap, stream.topic, items)


def add_reject_constraint(stream: Stream) -> None:
    """A CHECK constraint the server enforces: rows titled with REJECT_MARK are refused (a real data error)."""
    kit.cli(stream.env, "db", "migrate")
    kit.cli(stream.env, "db", "query",
            f"ALTER TABLE postings_all ADD CONSTRAINT no_poison CHECK position(title, '{REJECT_MARK}') = 0")


STARTED: list[subprocess.Popen] = []  # every worker started, so a failed test never leaves one running


def start_worker(stream: Stream, log_path: Path, *args: str, **env: str) -> subprocess.Popen:
    """A worker process (with the enricher fault installed), logging to ``log_path``."""
    stream.logs.append(log_path)
    with open(log_path, "ab") as log:
        worker = subprocess.Popen([*INJECT, "worker", "--log-level", "warning", *args], env={**stream.env, **env},
                                  cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    STARTED.append(worker)
    return worker


def stop_all() -> None:
    """Kill every worker this process started that still runs (test teardown)."""
    while STARTED:
        worker = STARTED.pop()
        if worker.poll() is None:
            kill9(worker)


def lag_by_partition(stream: Stream) -> dict[int, tuple[int, int]]:
    """``partition -> (committed, end)``: where a worker that did not catch up stands."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": stream.bootstrap, "group.id": stream.group, "enable.auto.commit": False})
    try:
        tps = consumer.committed([TopicPartition(stream.topic, p) for p in range(PARTITIONS)], timeout=10)
        return {tp.partition: (tp.offset, consumer.get_watermark_offsets(tp, timeout=10)[1]) for tp in tps}
    finally:
        consumer.close()


def committed(stream: Stream) -> int:
    return kit.committed(stream.bootstrap, stream.group, stream.topic, PARTITIONS)


def wait_committed(stream: Stream, worker: subprocess.Popen, target: int, timeout: float = 120) -> int:
    """Poll the group's committed total until it reaches ``target`` (or the worker exits)."""
    deadline = time.monotonic() + timeout
    done = committed(stream)
    while done < target and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        done = committed(stream)
    return done


def kill9(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(30)


def run_until_caught_up(stream: Stream, log_path: Path, timeout: float = 240, **env: str) -> tuple[int | None, dict]:
    """Run a worker with --until-caught-up: ``(exit status or None if it wedged, its summary)``."""
    worker = start_worker(stream, log_path, "--until-caught-up", **env)
    try:
        code = worker.wait(timeout)
    except subprocess.TimeoutExpired:
        kill9(worker)
        return None, {}
    lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.startswith("{")]
    return code, (json.loads(lines[-1]) if lines else {})


# --- verification ---------------------------------------------------------------------------------
@dataclass
class Report:
    """What the stream should have become versus what ClickHouse and the DLQ hold."""

    postings: int = 0  # unique valid postings on the topic
    stored: int = 0
    lost: int = 0
    double_counted: int = 0
    wrong_winner: int = 0
    rollup_mismatch: list = field(default_factory=list)
    dlq_missing: list = field(default_factory=list)
    dlq_unexpected: int = 0
    sightings_expected: int = 0
    sightings_stored: int = 0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.double_counted or self.wrong_winner or self.rollup_mismatch
                    or self.dlq_missing or self.dlq_unexpected or self.stored != self.postings
                    or self.sightings_stored != self.sightings_expected)


def _read_all(bootstrap: str, topic: str) -> list:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"verify-{time.time_ns()}",
                         "enable.auto.commit": False, "fetch.message.max.bytes": 20 * 1024 * 1024})
    try:
        partitions = len(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        out, deadline = [], time.monotonic() + 60
        while sum(ends.values()) > len(out) and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                out.append(msg)
        return out
    finally:
        consumer.close()


CHECK_SQL = """
SELECT
  (SELECT toJSONString(groupArray((posting_key, kafka_partition, kafka_offset))) FROM postings) AS rows,
  (SELECT count() FROM postings_all FINAL WHERE pipeline_version = (SELECT version FROM active_version)) AS final_rows,
  (SELECT count() FROM posting_sightings FINAL WHERE pipeline_version = (SELECT version FROM active_version)) AS sightings,
  (SELECT toJSONString(groupArray((toString(week_start), job_count))) FROM
     (SELECT week_start, job_count FROM weekly_job_volume ORDER BY week_start)) AS rollup_weeks,
  (SELECT toJSONString(groupArray((toString(w), n))) FROM
     (SELECT toMonday(posted_date) AS w, count() AS n FROM postings GROUP BY w ORDER BY w)) AS sql_weeks,
  (SELECT toJSONString(groupArray((toString(week_start), skill, count))) FROM
     (SELECT week_start, skill, count FROM weekly_skill_counts ORDER BY week_start, skill)) AS rollup_skills,
  (SELECT toJSONString(groupArray((toString(w), s, n))) FROM
     (SELECT toMonday(posted_date) AS w, s, count() AS n FROM postings ARRAY JOIN extracted_skills AS s
      GROUP BY w, s ORDER BY w, s)) AS sql_skills,
  (SELECT sum(duplicates) FROM duplicates_by_source) AS duplicates
"""


def verify(stream: Stream, bad: dict[bytes, str] | None = None) -> Report:
    """Compare ClickHouse and the DLQ with what the topic says they must hold."""
    import base64

    from skillpulse.domain.keys import posting_key
    from stream_processors.validate import Rejected, decode_posting

    bad = bad or {}
    winners: dict[str, tuple] = {}
    valid = 0
    for msg in _read_all(stream.bootstrap, stream.topic):
        value = msg.value() or b""
        if value in bad:
            continue
        try:
            raw = decode_posting(value)
        except Rejected:
            continue
        valid += 1
        key = posting_key(raw.title, raw.company, raw.location)
        rank = (msg.timestamp()[1], msg.partition(), msg.offset())
        if key not in winners or rank < winners[key]:
            winners[key] = rank
    got = kit.query(stream.env, CHECK_SQL)[0]
    rows = json.loads(got["rows"])
    stored = {}
    for key, partition, offset in rows:
        stored.setdefault(key, []).append((int(partition), int(offset)))
    report = Report(postings=len(winners), stored=len(stored), sightings_expected=valid,
                    sightings_stored=int(got["sightings"]))
    report.lost = sum(1 for key in winners if key not in stored)
    report.double_counted = (sum(len(v) - 1 for v in stored.values()) + sum(1 for key in stored if key not in winners)
                             + max(0, int(got["final_rows"]) - len(stored)) + max(0, report.sightings_stored - valid))
    report.wrong_winner = sum(1 for key, rank in winners.items() if key in stored and stored[key][0] != rank[1:])
    if got["rollup_weeks"] != got["sql_weeks"]:
        report.rollup_mismatch.append("weekly_job_volume")
    if got["rollup_skills"] != got["sql_skills"]:
        report.rollup_mismatch.append("weekly_skill_counts")
    if int(got["duplicates"] or 0) != valid - len(stored):
        report.rollup_mismatch.append(f"duplicates_by_source {got['duplicates']} != {valid - len(stored)}")
    if bad:
        letters = {}
        for msg in _read_all(stream.bootstrap, stream.dlq):
            letter = json.loads(msg.value())
            letters[base64.b64decode(letter["original"])] = letter["error"]
        report.dlq_missing = [f"{raw[:60]!r}: want {reason!r}, got {letters.get(raw)!r}" for raw, reason in bad.items()
                              if reason not in (letters.get(raw) or "")]
        report.dlq_unexpected = sum(1 for raw in letters if raw not in bad)
    return report


_EXPORT = """
import sys, clickhouse_connect
c = clickhouse_connect.get_client(dsn=sys.argv[1])
stored = c.command("EXISTS DATABASE skillpulse") == 1  # a worker killed before its first batch has none
for table in ("postings_all", "posting_sightings"):
    with open(sys.argv[2] + "." + table, "wb") as out:
        out.write(c.raw_query(f"SELECT * FROM skillpulse.{table}", fmt="Native") if stored else b"")
"""
_IMPORT = """
import sys, clickhouse_connect
c = clickhouse_connect.get_client(dsn=sys.argv[1])
for table in ("postings_all", "posting_sightings"):
    with open(sys.argv[2] + "." + table, "rb") as src:
        block = src.read()
    if block:
        c.raw_insert(f"skillpulse.{table}", insert_block=block, fmt="Native")
"""


def merge_store(source: Path, target: Path, scratch: Path) -> None:
    """Insert every row of the chDB store under ``source`` into the one under ``target``.

    Stands in for a shared ClickHouse server (none runs here; chDB allows one process per path): both
    tables are ReplacingMergeTree whose outcome does not depend on the order of inserts, so the merged
    store holds what one server would hold after both workers' inserts.
    """
    for code, path in ((_EXPORT, source), (_IMPORT, target)):
        dsn = f"chdb://{(path / 'clickhouse').resolve()}"
        subprocess.run([sys.executable, "-c", code, dsn, str(scratch)], check=True, timeout=120)
