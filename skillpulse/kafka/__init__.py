"""Kafka plumbing: a local KRaft broker from the official jars, topic administration, message size limits."""

# The largest message: the broker's and every topic's ``message.max.bytes``, and the producers'
# limit. A 5 MB posting reaches the worker, and so does its dead letter (the posting plus a reason).
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
# What a client fetches or sends in one request (the worker's fetch and request sizes): above
# MAX_MESSAGE_BYTES, so the largest message and its record-batch overhead always pass.
CLIENT_MAX_BYTES = MAX_MESSAGE_BYTES + 2 * 1024 * 1024
