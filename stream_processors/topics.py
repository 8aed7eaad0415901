"""The Kafka topics the worker reads and writes (bytes in, bytes out: decoding is the agent's job)."""
from __future__ import annotations


def raw_topic(app, name: str):
    """``postings.raw`` as raw bytes, so invalid JSON or UTF-8 reaches the agent and the DLQ."""
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


def dlq_topic(app, name: str):
    """``postings.dlq``: JSON dead letters (see ``schemas.postings.DeadLetter``)."""
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
