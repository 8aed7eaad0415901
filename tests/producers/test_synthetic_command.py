"""``skillpulse produce synthetic``: to a file, to stdout, and (without --output) to the real Kafka."""
from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter

import pytest

from producers.synthetic import generate_postings
from skillpulse.domain.keys import posting_key


def test_writes_jsonl_to_a_file_and_prints_the_summary(cli, data_dir, tmp_path):
    out = tmp_path / "postings.jsonl"
    result = cli("produce", "synthetic", "--count", "120", "--seed", "9", "--end-date", "2026-11-22",
                 "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == generate_postings(120, seed=9, end_date=dt.date(2026, 11, 22))
    assert "synthetic: fetched=120 sent=120 skipped=0 failed=0" in result.stdout
    assert "12 re-posts" in result.stderr


def test_stdout_carries_only_postings(cli, data_dir):
    result = cli("produce", "synthetic", "-n", "30", "--seed", "1", "-o", "-")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 30 and all(json.loads(line)["title"] for line in lines)
    assert "sent=30" in result.stderr  # the summary goes to stderr when stdout is the data


def test_options_reach_the_generator(cli, data_dir):
    result = cli("produce", "synthetic", "-n", "200", "--duplicate-rate", "0.25", "--weeks", "12",
                 "--end-date", "2026-11-22", "-o", "-")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    keys = Counter(posting_key(r["title"], r["company"], r["location"]) for r in rows)
    assert sum(n - 1 for n in keys.values()) == 50
    assert min(r["posted_date"] for r in rows) >= "2026-08-31"  # 12 weeks back from the week of 2026-11-22


def test_bad_options_are_refused_with_help(cli, data_dir):
    result = cli("produce", "synthetic", "--duplicate-rate", "1.5", "-o", "-")
    assert result.exit_code == 2
    assert "duplicate-rate" in result.output


def test_unreachable_kafka_says_what_to_do(cli, data_dir, monkeypatch):
    import producers.sinks

    def no_broker(output, settings=None):
        raise RuntimeError("cannot reach Kafka at 127.0.0.1:1")

    monkeypatch.setattr(producers.sinks, "open_sink", no_broker)
    result = cli("produce", "synthetic", "-n", "5")
    assert result.exit_code == 1
    assert "cannot reach Kafka" in result.stderr and "--output" in result.stderr


@pytest.mark.kafka
def test_without_output_postings_go_to_kafka_keyed_by_posting_key(cli, data_dir, kafka_bootstrap, unique_name):
    from confluent_kafka import Consumer

    topic = f"raw.{unique_name}"
    env = {"KAFKA_BOOTSTRAP": kafka_bootstrap, "RAW_TOPIC": topic, "DLQ_TOPIC": f"dlq.{unique_name}"}
    result = cli("produce", "synthetic", "-n", "150", "--seed", "2", env=env)
    assert result.exit_code == 0, result.output
    assert "synthetic: fetched=150 sent=150 skipped=0 failed=0" in result.stdout

    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": f"g.{unique_name}",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    seen = []
    deadline = time.monotonic() + 90
    try:
        while len(seen) < 150 and time.monotonic() < deadline:
            seen.extend(m for m in consumer.consume(num_messages=500, timeout=1.0) if not m.error())
    finally:
        consumer.close()
    assert len(seen) == 150
    partitions: dict[bytes, set[int]] = {}
    for msg in seen:
        raw = json.loads(msg.value())
        assert msg.key().decode() == posting_key(raw["title"], raw["company"], raw["location"])
        partitions.setdefault(msg.key(), set()).add(msg.partition())
    assert sum(1 for _ in partitions) == 150 - 15  # 15 re-posts share their original's key …
    assert all(len(p) == 1 for p in partitions.values())  # … and its partition
