"""Reliability of the streaming pipeline on the real broker and the real ClickHouse engine (chDB).

Every ClickHouse read happens in a `skillpulse db query` subprocess: chDB lets one process open a
data directory, and pytest's own process must not hold one.
"""
from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
import time

import pytest

import streamkit as kit

pytestmark = pytest.mark.kafka


@pytest.fixture
def stream_env(kafka_bootstrap, unique_name, tmp_path):
    """Own topics, group and data dir for one test; returns (env, topic, dlq, group)."""
    topic, dlq, group = f"raw.{unique_name}", f"dlq.{unique_name}", f"worker-{unique_name}"
    env = kit.env_for(kafka_bootstrap, tmp_path / "data", topic, dlq, SKILLPULSE_WORKER_GROUP=group)
    from skillpulse.kafka.admin import ensure_topics
    from skillpulse.settings import Settings

    ensure_topics(kafka_bootstrap, Settings(raw_topic=topic, dlq_topic=dlq, topic_partitions=3))
    return env, topic, dlq, group


def start_worker(env: dict, log_path, *args: str) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen([*kit.SKILLPULSE, "worker", *args], env=env, cwd=kit.ROOT, stdout=log,
                                stderr=subprocess.STDOUT)


def finish(worker: subprocess.Popen, log_path, timeout_s: float) -> int:
    """The worker's exit status; if it is still running after ``timeout_s``, it is killed (so it does not
    outlive the test) and the test fails with the end of its log, which says where it stood."""
    try:
        return worker.wait(timeout_s)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(30)
        pytest.fail(f"the worker did not finish within {timeout_s:.0f} s; its log ends:\n{log_path.read_text()[-6000:]}")


def run_worker(env: dict, *args: str) -> dict:
    """Run the worker until caught up; returns its JSON summary line."""
    out = kit.cli(env, "worker", "--until-caught-up", "--log-level", "warning", *args).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_kill_9_mid_stream_then_restart_stores_each_posting_exactly_once(stream_env, kafka_bootstrap, tmp_path):
    env, topic, _dlq, group = stream_env
    items = kit.postings(3000, 600, seed=11)
    assert kit.produce(kafka_bootstrap, topic, items) == 3600

    # small batches, so the kill lands between commits with work left to do
    worker = start_worker({**env, "SINK_BATCH_SIZE": "50"}, tmp_path / "worker1.log", "--log-level", "warning")
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline:
        done = kit.committed(kafka_bootstrap, group, topic, 3)
        if done >= 300:
            break
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)
    worker.wait(30)
    assert 0 < done < 3600, f"the kill should land mid-stream (committed {done})"

    result = run_worker(env)
    assert result["caught_up"] is True
    got = kit.summary(env)
    weeks = kit.expected_weeks(items)
    assert got["rows"] == got["unique_keys"] == got["job_count"] == 3000
    assert got["weeks"] == weeks
    assert got["sightings"] == 3600 and got["duplicates"] == 600
    assert got["repeats_stored"] == 0  # the first sighting won everywhere, across the crash too


def test_bad_input_goes_to_the_dlq_with_reasons_while_good_messages_flow(stream_env, kafka_bootstrap):
    env, topic, dlq, _group = stream_env
    good = kit.postings(200, 20, seed=3)
    base = {"description": "Python", "posted_date": "2024-02-01", "source": "synthetic"}
    bad = {
        "invalid JSON": b'{"title": "Data Engineer", "description": ',
        "invalid UTF-8": b'{"title": "\xff\xfe", "description": "x", "posted_date": "2024-02-01", "source": "s"}',
        "title": json.dumps({**base}).encode(),  # missing
        "posted_date": json.dumps({**base, "title": "ML Engineer", "posted_date": 20240201}).encode(),  # mistyped
        "description": json.dumps({**base, "title": "Big", "description": "x" * 5_000_000}).encode(),  # 5 MB
    }
    mixed = good[:100] + list(bad.values()) + good[100:]
    assert kit.produce(kafka_bootstrap, topic, mixed) == len(mixed)

    result = run_worker(env)
    assert result["dead_letters"] == len(bad) and result["stored"] == 200 and result["duplicates"] == 20

    letters = [json.loads(m.value()) for m in kit.read_topic(kafka_bootstrap, dlq, len(bad))]
    assert len(letters) == len(bad)
    originals = {base64.b64decode(letter["original"]): letter for letter in letters}
    for reason, raw in bad.items():
        letter = originals[raw]  # the original bytes, exactly
        assert reason in letter["error"]
        assert letter["topic"] == topic and letter["partition"] >= 0 and letter["offset"] >= 0
        assert letter["failed_at"]
    got = kit.summary(env)
    assert got["rows"] == got["job_count"] == 200 and got["sightings"] == 220


def test_clickhouse_unavailable_for_a_while_the_worker_retries_and_loses_nothing(stream_env, kafka_bootstrap, tmp_path):
    env, topic, _dlq, group = stream_env
    items = kit.postings(600, 90, seed=5)
    first, second = items[:300], items[300:]  # repeats in the second part refer to both parts
    kit.produce(kafka_bootstrap, topic, first)
    run_worker(env)
    kit.produce(kafka_bootstrap, topic, second)

    # Another process holds the chDB data directory: to the worker ClickHouse is unreachable.
    holder_code = ("import sys, time, clickhouse_connect; c = clickhouse_connect.get_client(dsn=sys.argv[1]);"
                   " c.query('SELECT 1'); print('held', flush=True); time.sleep(float(sys.argv[2]))")
    dsn = f"chdb://{(tmp_path / 'data' / 'clickhouse').resolve()}"
    holder = subprocess.Popen([sys.executable, "-c", holder_code, dsn, "12"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    log_path = tmp_path / "worker.log"
    worker = start_worker(env, log_path, "--until-caught-up", "--log-level", "info")  # info: the log tells a stall
    before = kit.committed(kafka_bootstrap, group, topic, 3)
    time.sleep(6)
    assert worker.poll() is None, "the worker must wait for ClickHouse, not exit"
    assert kit.committed(kafka_bootstrap, group, topic, 3) == before == len(first), "nothing committed while ClickHouse is away"
    assert "ClickHouse unavailable" in log_path.read_text()
    holder.wait(30)
    assert finish(worker, log_path, 120) == 0
    got = kit.summary(env)
    assert got["rows"] == got["job_count"] == 600
    assert got["sightings"] == len(first) + len(second) and got["duplicates"] == 90
    assert got["repeats_stored"] == 0


# Runs ``skillpulse ARGS`` with the consumer's seek to the committed offsets (the last step of restoring
# the tables after an assignment) held open until records of the stream wait in its queue (at most 1 s).
# faust-streaming 0.15.3 resumed the stream partitions before that seek and emptied the stream queues
# after it, so records handed over meanwhile were dropped (stream_processors.app.seek_first_recovery).
SLOW_SEEK = """
import asyncio, sys
from faust.transport.drivers import aiokafka as driver
original = driver.Consumer.seek_to_committed
async def seek_to_committed(self):
    offsets = await original(self)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.0
    while loop.time() < deadline and not any(queue.qsize() for queue in self.app.flow_control._queues):
        await asyncio.sleep(0)
    return offsets
driver.Consumer.seek_to_committed = seek_to_committed
from skillpulse.cli import app
sys.argv[0] = "skillpulse"
app()
"""


def test_a_restart_whose_seek_to_the_committed_offsets_is_slow_loses_and_double_counts_nothing(stream_env, kafka_bootstrap,
                                                                                                 tmp_path):
    env, topic, _dlq, _group = stream_env
    items = kit.postings(200, 40, seed=14)
    kit.produce(kafka_bootstrap, topic, items[:10])
    run_worker(env)  # committed offsets and a dedupe changelog: the next start restores the table first
    kit.produce(kafka_bootstrap, topic, items[10:])

    log_path = tmp_path / "worker.log"
    with open(log_path, "ab") as log:
        worker = subprocess.Popen([sys.executable, "-c", SLOW_SEEK, "worker", "--until-caught-up", "--log-level", "info"],
                                  env=env, cwd=kit.ROOT, stdout=log, stderr=subprocess.STDOUT)
    assert finish(worker, log_path, 60) == 0
    result = json.loads(log_path.read_text().strip().splitlines()[-1])
    assert result["caught_up"] is True
    assert (result["stored"], result["duplicates"]) == (190, 40)  # each message processed once
    got = kit.summary(env)
    assert got["rows"] == got["job_count"] == 200
    assert got["sightings"] == 240 and got["duplicates"] == 40 and got["repeats_stored"] == 0


def test_replaying_twice_gives_the_same_rollups(stream_env, kafka_bootstrap):
    env, topic, _dlq, _group = stream_env
    items = kit.postings(400, 80, seed=9)
    kit.produce(kafka_bootstrap, topic, items)
    run_worker(env)
    rollup_sql = ("SELECT (SELECT toJSONString(groupArray((toString(week_start), job_count))) FROM weekly_job_volume) v,"
                  " (SELECT toJSONString(groupArray((toString(week_start), skill, count))) FROM weekly_skill_counts) s,"
                  " (SELECT toJSONString(groupArray((toString(week_start), seniority_level, count))) FROM weekly_seniority) l,"
                  " (SELECT version FROM active_version) active")
    live = kit.query(env, rollup_sql)[0]
    assert live["active"] == "v1"

    outcomes = []
    for version in ("r1", "r2"):
        out = kit.cli(env, "replay", "--since", "2000-01-01", "--pipeline-version", version, "--log-level", "warning").stdout
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
        after = kit.query(env, rollup_sql)[0]
        assert after["active"] == version
        assert (after["v"], after["s"], after["l"]) == (live["v"], live["s"], live["l"])
    assert [o["stored"] for o in outcomes] == [400, 400] and [o["duplicates"] for o in outcomes] == [80, 80]
    got = kit.summary(env)
    assert got["rows"] == got["job_count"] == 400 and got["sightings"] == 480


def test_a_partial_replay_needs_a_flag_and_says_what_the_dashboard_would_show(stream_env, kafka_bootstrap):
    import datetime as dt

    env, topic, _dlq, _group = stream_env
    kit.produce(kafka_bootstrap, topic, kit.postings(30, 0, seed=12))
    time.sleep(1.5)
    since = dt.datetime.now(dt.timezone.utc).isoformat()
    time.sleep(0.5)
    kit.produce(kafka_bootstrap, topic, kit.postings(20, 0, seed=13))
    refused = kit.cli(env, "replay", "--since", since, "--pipeline-version", "part", check=False)
    assert refused.returncode == 2
    assert "covers 20 of the 50 messages" in refused.stderr and "30 earlier" in refused.stderr
    assert "weeks outside it would vanish" in refused.stderr and "--activate-partial" in refused.stderr


# Runs ``skillpulse ARGS`` with a BatchProcessor whose classify raises on its first batch (a bug in the
# agent's body: not an outage, not poison).
CLASSIFY_BUG = """
import sys
from stream_processors import agents
original = agents.BatchProcessor.classify
calls = []
def classify(self, messages, repeats=None):
    calls.append(1)
    if len(calls) == 1:
        raise RuntimeError("injected classify bug")
    return original(self, messages, repeats)
agents.BatchProcessor.classify = classify
from skillpulse.cli import app
sys.argv[0] = "skillpulse"
app()
"""


def test_a_bug_in_the_agent_stops_the_worker_with_an_error_and_commits_nothing_past_it(stream_env, kafka_bootstrap):
    env, topic, _dlq, group = stream_env
    items = kit.postings(300, 50, seed=5)
    assert kit.produce(kafka_bootstrap, topic, items) == 350

    failed = subprocess.run([sys.executable, "-c", CLASSIFY_BUG, "worker", "--until-caught-up", "--log-level", "warning"],
                            env=env, cwd=kit.ROOT, capture_output=True, text=True, timeout=90)
    assert failed.returncode == 2, failed.stderr[-4000:]
    assert "injected classify bug" in failed.stderr and "no offset past the failed batch" in failed.stderr
    # the failed batch was the first: nothing may be committed (before the fail-stop, take_events'
    # drainer acknowledged the rest unprocessed and the worker reported "caught up")
    assert kit.committed(kafka_bootstrap, group, topic, 3) == 0

    result = run_worker(env)  # the fixed worker, as a supervisor's restart would run it
    assert result["caught_up"] is True
    got = kit.summary(env)
    assert got["rows"] == got["unique_keys"] == 300
    assert got["sightings"] == 350 and got["duplicates"] == 50
