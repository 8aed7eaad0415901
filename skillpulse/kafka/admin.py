"""Topic administration: every topic is created explicitly, never by broker auto-create."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from skillpulse.kafka import MAX_MESSAGE_BYTES
from skillpulse.settings import Settings


@dataclass(frozen=True)
class TopicSpec:
    """A topic to create: name, partitions and topic-level config."""

    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def pipeline_topics(settings: Settings) -> list[TopicSpec]:
    """``postings.raw`` (uncompacted, kept forever: it is the replayable history) and ``postings.dlq``."""
    keep = {"cleanup.policy": "delete", "retention.ms": "-1", "max.message.bytes": str(MAX_MESSAGE_BYTES)}
    return [
        TopicSpec(settings.raw_topic, settings.topic_partitions, keep),
        TopicSpec(settings.dlq_topic, 1, keep),
    ]


def ensure_topics(bootstrap: str, settings: Settings, extra: Iterable[TopicSpec] = (),
                  timeout: float = 30.0) -> list[str]:
    """Create the pipeline's topics (and ``extra``) where missing; returns the names created."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        existing = set(admin.list_topics(timeout=timeout).topics)
    except KafkaException as exc:
        raise RuntimeError(f"cannot reach Kafka at {bootstrap}: {exc}; start one with `skillpulse kafka start`"
                           " or set KAFKA_BOOTSTRAP") from exc
    wanted = [spec for spec in [*pipeline_topics(settings), *extra] if spec.name not in existing]
    if not wanted:
        return []
    futures = admin.create_topics(
        [NewTopic(s.name, num_partitions=s.partitions, replication_factor=1, config=s.config) for s in wanted],
        operation_timeout=timeout,
    )
    created = []
    for name, future in futures.items():
        try:
            future.result()
            created.append(name)
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    return created


def resolve_bootstrap(settings: Settings) -> str:
    """``KAFKA_BOOTSTRAP`` when set, else the local broker's address."""
    return settings.kafka_bootstrap or f"127.0.0.1:{settings.kafka_port}"
