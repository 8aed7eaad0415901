"""Kafka plumbing: a local KRaft broker from the official jars, topic administration."""
