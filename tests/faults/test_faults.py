"""Fault injection on the real broker and the real ClickHouse engine (chDB): the stream never wedges,
never loses a posting, never keeps the wrong sighting.

After every scenario ``faultkit.verify`` checks, against the topic itself: every unique posting
stored exactly once, with its earliest sighting (Kafka timestamp, partition, offset); rollups equal
to SQL over ``postings``; every valid message once in ``posting_sightings``; every bad message in
the DLQ with its reason; and the worker caught up (it exits by itself with lag 0).
``bench/faults.py`` repeats (a) and (d) many times; here each runs once.
"""
from __future__ import annotations

import random
import subprocess
import sys
import time

import faultkit as fk
import pytest

pytestmark = [pytest.mark.faults, pytest.mark.kafka]


def assert_clean(report: fk.Report) -> None:
    assert report.lost == 0, report
    assert report.double_counted == 0, report
    assert report.wrong_winner == 0, report
    assert report.rollup_mismatch == [], report
    assert report.dlq_missing == [] and report.dlq_unexpected == 0, report
    assert report.stored == report.postings and report.sightings_stored == report.sightings_expected, report


def test_a_kill_9_at_five_random_points_of_a_5000_posting_stream(kafka_bootstrap, unique_name, tmp_path):
    stream = fk.make_stream(kafka_bootstrap, unique_name, tmp_path, SINK_BATCH_SIZE="100", SINK_MAX_WAIT_S="0.1")
    items = fk.stream_postings(4000, 0.25, seed=21)  # 5,000 messages, 20 % of them repeats
    assert fk.produce(stream, items) == len(items) == 5000
    rng = random.Random(21)
    landed = []
    for i, target in enumerate(sorted(rng.sample(range(200, 4600), 5))):
        worker = fk.start_worker(stream, tmp_path / f"worker{i}.log")
        done = fk.wait_committed(stream, worker, target)
        time.sleep(rng.random() * 0.3)  # land anywhere in a batch: enriching, inserting, committing
        fk.kill9(worker)
        landed.append(done)
    assert 0 < landed[0] < len(items), f"the first kill should land mid-stream (committed {landed})"
    code, summary = fk.run_until_caught_up(stream, tmp_path / "final.log")
    assert code == 0 and summary["caught_up"] is True, (tmp_path / "final.log").read_text()[-3000:]
    assert_clean(fk.verify(stream))


def test_b_broker_stopped_and_restarted_mid_stream(tmp_path, unique_name):
    from skillpulse.kafka.local import LocalKafka, free_port
    from skillpulse.settings import Settings

    broker = LocalKafka(tmp_path / "kafka", port=free_port(), controller_port=free_port(), cache_dir=Settings().cache_dir)
    broker.start(timeout=120)
    try:
        stream = fk.make_stream(broker.bootstrap, unique_name, tmp_path, SINK_BATCH_SIZE="100", SINK_MAX_WAIT_S="0.1")
        items = fk.stream_postings(1500, 0.2, seed=22)
        bad = fk.poison_messages(22)
        fk.add_reject_constraint(stream)
        assert fk.produce(stream, items[:900] + list(bad) + items[900:]) == len(items) + len(bad)
        worker = fk.start_worker(stream, tmp_path / "worker.log", "--until-caught-up")
        assert 0 < fk.wait_committed(stream, worker, 400) < len(items) + len(bad)
        broker.stop()
        time.sleep(8)
        assert worker.poll() is None, "the worker must wait for the broker, not exit"
        broker.start(timeout=120)
        assert worker.wait(240) == 0, (tmp_path / "worker.log").read_text()[-3000:]
        assert_clean(fk.verify(stream, bad))
    finally:
        broker.stop()


def test_c_clickhouse_unavailable_for_15_seconds(kafka_bootstrap, unique_name, tmp_path):
    stream = fk.make_stream(kafka_bootstrap, unique_name, tmp_path)
    items = fk.stream_postings(800, 0.2, seed=23)
    fk.produce(stream, items[:300])
    code, _ = fk.run_until_caught_up(stream, tmp_path / "first.log")
    assert code == 0
    fk.produce(stream, items[300:])
    # Another process holds the chDB data directory: to the worker, ClickHouse is unreachable.
    holder_code = ("import sys, time, clickhouse_connect; c = clickhouse_connect.get_client(dsn=sys.argv[1]);"
                   " c.query('SELECT 1'); print('held', flush=True); time.sleep(float(sys.argv[2]))")
    dsn = f"chdb://{(stream.data_dir / 'clickhouse').resolve()}"
    holder = subprocess.Popen([sys.executable, "-c", holder_code, dsn, "15"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    log_path = tmp_path / "worker.log"
    worker = fk.start_worker(stream, log_path, "--until-caught-up")
    before = fk.committed(stream)
    time.sleep(8)
    assert worker.poll() is None, "the worker must wait for ClickHouse, not exit"
    assert fk.committed(stream) == before == 300, "nothing is committed while ClickHouse is away"
    assert "ClickHouse unavailable" in log_path.read_text() and "Cannot lock file" in log_path.read_text()
    holder.wait(30)
    assert worker.wait(180) == 0, log_path.read_text()[-3000:]
    assert_clean(fk.verify(stream))


def test_d_every_poison_kind_mixed_into_good_traffic(kafka_bootstrap, unique_name, tmp_path):
    stream = fk.make_stream(kafka_bootstrap, unique_name, tmp_path, SINK_BATCH_SIZE="50")
    good = fk.stream_postings(400, 0.2, seed=24) + fk.hostile_but_valid(24)
    bad = fk.poison_messages(24)
    rng = random.Random(24)
    mixed = list(good)
    for raw in bad:
        mixed.insert(rng.randrange(len(mixed) + 1), raw)
    fk.add_reject_constraint(stream)
    assert fk.produce(stream, mixed) == len(mixed)
    code, summary = fk.run_until_caught_up(stream, tmp_path / "worker.log", timeout=180)
    assert code == 0 and summary["caught_up"] is True, (tmp_path / "worker.log").read_text()[-3000:]
    assert summary["dead_letters"] == len(bad)
    assert {"enrich", "clickhouse", "posted_date", "extra"} <= set(summary["dead_letter_reasons"])
    assert_clean(fk.verify(stream, bad))
    # the hostile-but-valid ones are stored like any other posting
    titles = {r["title"] for r in fk.kit.query(stream.env, "SELECT title FROM postings WHERE company = 'Hostile 24'")}
    assert titles == {p["title"] for p in fk.hostile_but_valid(24)}


def test_e_two_workers_in_one_group_one_killed(kafka_bootstrap, unique_name, tmp_path):
    """Both workers share the group (and so the partitions and the dedupe changelog); each has its own
    chDB directory (one process per path), merged at the end as one ClickHouse server would hold them."""
    stream = fk.make_stream(kafka_bootstrap, unique_name, tmp_path, SINK_BATCH_SIZE="100", SINK_MAX_WAIT_S="0.1")
    items = fk.stream_postings(2500, 0.2, seed=25)
    bad = fk.poison_messages(25)
    del bad[next(raw for raw in bad if fk.REJECT_MARK.encode() in raw)]  # needs the constraint in both stores
    assert fk.produce(stream, items[:1500] + list(bad) + items[1500:]) == len(items) + len(bad)
    dir_a, dir_b = tmp_path / "a", tmp_path / "b"
    a = fk.start_worker(stream, tmp_path / "a.log", SKILLPULSE_DATA_DIR=str(dir_a))
    b = fk.start_worker(stream, tmp_path / "b.log", "--until-caught-up", SKILLPULSE_DATA_DIR=str(dir_b))
    done = fk.wait_committed(stream, a, 900)
    fk.kill9(a)
    assert 0 < done < len(items) + len(bad), f"the kill should land mid-stream (committed {done})"
    try:
        code = b.wait(180)
    except subprocess.TimeoutExpired:
        code = None
    assert code == 0, f"wedged: {fk.lag_by_partition(stream)}\n" + (tmp_path / "b.log").read_text()[-3000:]
    fk.merge_store(dir_a, dir_b, tmp_path / "export")
    stream.env["SKILLPULSE_DATA_DIR"] = str(dir_b)
    assert_clean(fk.verify(stream, bad))
