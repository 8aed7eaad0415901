"""The Kafka topics the worker reads and writes (bytes in, bytes out: decoding is the agent's job)."""
from __future__ import annotations


def raw_bytes_schema():
    """A ``faust.Schema`` for bytes keys and values, decoded as they arrive.

    Faust's own decode for ``bytes`` with the ``raw`` serializer returns the wire bytes unchanged too,
    but through the serializer registry (type and codec look-ups, two calls) for every message.
    """
    import faust

    class RawBytesSchema(faust.Schema):
        def compile(self, app, *, on_key_decode_error=None, on_value_decode_error=None, default_propagate=False):
            create_event = app.create_event

            async def decode(message, *, propagate: bool = default_propagate):
                return create_event(message.key, message.value, message.headers, message)

            return decode

    return RawBytesSchema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


def raw_topic(app, name: str):
    """``postings.raw`` as raw bytes, so invalid JSON or UTF-8 reaches the agent and the DLQ."""
    return app.topic(name, schema=raw_bytes_schema())


def dlq_topic(app, name: str):
    """``postings.dlq``: JSON dead letters (see ``schemas.postings.DeadLetter``)."""
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
