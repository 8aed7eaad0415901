"""``skillpulse produce files`` on a seed-format folder, into a topic on the real broker."""
from __future__ import annotations

import json

import pytest

from producerkit import FIXTURES

pytestmark = pytest.mark.kafka


def test_seed_folder_lands_on_the_raw_topic_once(cli, data_dir, kafka_bootstrap, unique_name):
    from confluent_kafka import Consumer

    from skillpulse.domain.keys import posting_key

    env = {"KAFKA_BOOTSTRAP": kafka_bootstrap, "RAW_TOPIC": f"raw.{unique_name}", "DLQ_TOPIC": f"dlq.{unique_name}",
           "TOPIC_PARTITIONS": "3"}
    first = cli("produce", "files", "--path", str(FIXTURES / "seed"), env=env)
    assert first.exit_code == 0, first.output
    assert "fetched=5 sent=3 skipped=2 failed=0" in first.stdout
    again = cli("produce", "files", "--path", str(FIXTURES / "seed"), env=env)  # a restart: nothing twice
    assert "sent=0" in again.stdout

    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": f"g.{unique_name}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([env["RAW_TOPIC"]])
    messages = []
    try:
        for _ in range(60):  # until three messages arrived, then a few more polls to catch any extra
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                messages.append(msg)
            if len(messages) >= 3 and msg is None:
                break
    finally:
        consumer.close()
    postings = [json.loads(m.value()) for m in messages]
    assert sorted(p["title"] for p in postings) == ["MLOps Engineer", "Senior Machine Learning Engineer",
                                                     "data scientist spotify"]
    for msg, posting in zip(messages, postings):  # keyed by posting_key, so duplicates meet on one partition
        assert msg.key().decode() == posting_key(posting["title"], posting.get("company"), posting.get("location"))
        assert posting["source"] == "files" and posting["posted_date"] in ("2024-01-03", "2024-01-10")
