"""The dedupe changelog written through librdkafka: the records Faust's own table would write, and
failures reported (not fatal), without a broker."""
from __future__ import annotations

import asyncio

from stream_processors.app import WorkerConfig, create_app
from stream_processors.changelog import ChangelogWriter
from stream_processors.tables import dedupe_table


def test_records_are_encoded_as_the_table_encodes_them(tmp_path):
    loop = asyncio.new_event_loop()
    try:
        app = create_app(WorkerConfig(app_id="cl-test", datadir=tmp_path), "127.0.0.1:1", 3, loop=loop)
        table = dedupe_table(app, 3)
        writer = ChangelogWriter.for_table(table, "127.0.0.1:1")
        try:
            assert writer.topic == "cl-test-dedupe-changelog" == table.changelog_topic.get_topic_name()
            key, value = writer.encode_key("k1"), writer.encode_value([2, 17, 1_700_000_000_000])
            serializers = app.serializers
            assert serializers.loads_key(table.key_type, key, serializer=table.key_serializer) == "k1"
            assert serializers.loads_value(table.value_type, value, serializer=table.value_serializer) == [2, 17, 1_700_000_000_000]
        finally:
            writer.close(timeout_s=0)
    finally:
        loop.close()


def test_a_record_the_broker_never_takes_is_reported_as_failed():
    writer = ChangelogWriter("127.0.0.1:1", "nowhere-changelog", lambda k: k.encode(), lambda v: b"[]",
                             config={"message.timeout.ms": 300, "enable.idempotence": False})
    try:
        writer.send(0, "k", [0, 1, 2])
        writer.send(0, "k", None)  # a tombstone
        asyncio.run(writer.confirm())
        assert (writer.sent, writer.failed) == (2, 2)
    finally:
        writer.close(timeout_s=0)
