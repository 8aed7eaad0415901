"""The local broker and topic set-up, on the real Apache Kafka."""
from __future__ import annotations

import orjson
import pytest

from skillpulse.kafka.admin import ensure_topics
from skillpulse.settings import Settings

pytestmark = pytest.mark.kafka


def test_topics_are_created_explicitly_with_configured_partitions(kafka_bootstrap, unique_name):
    from confluent_kafka.admin import AdminClient

    settings = Settings(raw_topic=f"raw.{unique_name}", dlq_topic=f"dlq.{unique_name}", topic_partitions=4)
    created = ensure_topics(kafka_bootstrap, settings)
    assert sorted(created) == sorted([settings.raw_topic, settings.dlq_topic])
    # A second call is a no-op: start-up may run it every time.
    assert ensure_topics(kafka_bootstrap, settings) == []
    topics = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10).topics
    assert len(topics[settings.raw_topic].partitions) == 4
    assert len(topics[settings.dlq_topic].partitions) == 1


def test_broker_does_not_auto_create_topics(kafka_bootstrap, unique_name):
    # A typo in a topic name must fail loudly, not silently create an empty topic.
    from confluent_kafka import Producer

    errors = []
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "message.timeout.ms": 3000})
    producer.produce(f"missing.{unique_name}", b"x", on_delivery=lambda err, msg: errors.append(err))
    producer.flush(10)
    assert errors and errors[0] is not None


def test_kafka_sink_keys_postings_so_duplicates_share_a_partition(kafka_bootstrap, unique_name):
    from confluent_kafka import Consumer

    from producers.kafka_sink import KafkaSink
    from skillpulse.domain.keys import posting_key

    settings = Settings(raw_topic=f"raw.{unique_name}", dlq_topic=f"dlq.{unique_name}", topic_partitions=6)
    ensure_topics(kafka_bootstrap, settings)
    sink = KafkaSink(kafka_bootstrap, settings.raw_topic)
    base = {"description": "python", "posted_date": "2024-01-02", "company": "Acme", "location": "Solna"}
    postings = [{**base, "title": f"ML Engineer {i % 3}", "source": s} for i in range(9) for s in ("linkedin",)]
    big = {**base, "title": "Big", "source": "x", "description": "x" * (5 * 1024 * 1024)}
    for posting in [*postings, big]:
        sink.send(posting)
    assert sink.close() == 10  # a 5 MB posting is accepted by the broker (the worker dead-letters it)

    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": f"g.{unique_name}",
                         "auto.offset.reset": "earliest", "fetch.message.max.bytes": 11 * 1024 * 1024})
    consumer.subscribe([settings.raw_topic])
    seen = []
    for _ in range(100):
        msg = consumer.poll(1.0)
        if msg is not None and not msg.error():
            seen.append(msg)
        if len(seen) == 10:
            break
    consumer.close()
    assert len(seen) == 10
    partitions_by_key: dict[bytes, set[int]] = {}
    for msg in seen:
        partitions_by_key.setdefault(msg.key(), set()).add(msg.partition())
        value = orjson.loads(msg.value())
        assert msg.key().decode() == posting_key(value["title"], value["company"], value["location"])
    assert all(len(parts) == 1 for parts in partitions_by_key.values())
