"""Shared fixtures. The real-broker tier starts ONE local Apache Kafka per test session."""
from __future__ import annotations

import os
import uuid

import pytest


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory) -> str:
    """``host:port`` of a real Apache Kafka (KRaft) started for this session on free loopback ports.

    Set ``SKILLPULSE_TEST_KAFKA`` to a running broker's address to reuse it instead.
    """
    external = os.environ.get("SKILLPULSE_TEST_KAFKA")
    if external:
        yield external
        return
    from skillpulse.kafka.local import LocalKafka, free_port
    from skillpulse.settings import Settings

    broker = LocalKafka(tmp_path_factory.mktemp("kafka"), port=free_port(), controller_port=free_port(),
                        cache_dir=Settings().cache_dir)
    broker.start(timeout=120)
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def unique_name() -> str:
    """A short unique suffix for topics, groups and app ids, so tests never share state."""
    return uuid.uuid4().hex[:8]
