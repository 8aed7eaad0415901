"""Dead-letter reasons and the redelivery-safe dedupe, without Kafka or ClickHouse."""
from __future__ import annotations

import base64
import json

import pytest

from schemas.postings import DeadLetter
from stream_processors.tables import DedupeIndex
from stream_processors.validate import Rejected, dead_letter, decode_posting

GOOD = {"title": "ML Engineer", "description": "PyTorch", "posted_date": "2024-01-15", "source": "synthetic"}


@pytest.mark.parametrize(("value", "names"), [
    (b"{not json", "invalid JSON"),
    (b'\xff\xfe{"title": "x"}', "invalid UTF-8"),
    (b"", "empty message"),
    (b"[1, 2]", "expected a JSON object"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "title"}).encode(), "title"),
    (json.dumps({**GOOD, "title": 123}).encode(), "title"),
    (json.dumps({**GOOD, "posted_date": "soon"}).encode(), "posted_date"),
    (json.dumps({**GOOD, "description": "x" * 5_000_000}).encode(), "description"),
])
def test_bad_messages_are_rejected_with_a_reason_naming_the_problem(value, names):
    with pytest.raises(Rejected) as info:
        decode_posting(value)
    assert names in str(info.value)


def test_good_message_keeps_unknown_fields():
    posting = decode_posting(json.dumps({**GOOD, "salary": "50k"}).encode())
    assert posting.title == "ML Engineer" and posting.model_extra == {"salary": "50k"}


def test_dead_letter_carries_original_bytes_and_position():
    body = dead_letter(b"\xff{bad", "(message): invalid UTF-8", "postings.raw", 4, 17, b"k1")
    letter = DeadLetter.model_validate_json(body)
    assert base64.b64decode(letter.original) == b"\xff{bad"
    assert (letter.topic, letter.partition, letter.offset, letter.key) == ("postings.raw", 4, 17, "k1")


class FakeTable(dict):
    """A dict with the table's changelog hook, recording what would be written."""

    def __init__(self):
        super().__init__()
        self.changelog = []

    def send_changelog(self, partition, key, value, value_serializer=None):
        self.changelog.append((partition, key, value))


def test_first_sighting_wins_and_its_redelivery_is_not_a_duplicate():
    index = DedupeIndex(FakeTable(), ttl_ms=10_000)
    assert index.see("k", 2, 10, 1_000).first
    assert not index.see("k", 2, 11, 1_001).first  # a later repeat
    # crash before commit: both offsets come again; the first is still the first, the repeat still a repeat
    assert index.see("k", 2, 10, 1_000).first
    assert not index.see("k", 2, 11, 1_001).first
    assert index.table.changelog == [(2, "k", [2, 10, 1_000])]


def test_expiry_forgets_old_keys_in_stream_time():
    table = FakeTable()
    index = DedupeIndex(table, ttl_ms=1_000)
    index.see("old", 0, 1, 0)
    index.see("new", 0, 2, 5_000)
    assert index.expire({0}) == 1
    assert "old" not in table and "new" in table
    assert table.changelog[-1] == (0, "old", None)
    assert index.see("old", 0, 3, 5_100).first  # seen again after the window: counted anew


def test_gap_guard_asks_once_for_a_skipped_offset():
    from stream_processors.agents import GapGuard

    guard = GapGuard()
    assert [guard.check(3, o) for o in (0, 1, 2)] == [None, None, None]
    assert guard.check(3, 4) == 3  # offset 3 never arrived: read again from it
    assert guard.check(3, 2) is None  # a rewind (redelivery) is no gap
    guard.last.pop(3)
    assert guard.check(3, 3) is None and guard.check(3, 4) is None
    guard.check(5, 10)
    assert guard.check(5, 12) == 11 and guard.check(5, 10) is None and guard.check(5, 12) is None  # asked once only


def test_a_rebuilt_table_does_not_make_this_worker_forget_a_first_sighting():
    table = FakeTable()
    index = DedupeIndex(table, ttl_ms=10_000)
    assert index.see("k", 1, 5, 0).first
    table.clear()  # a rebalance rebuilt the store from a changelog that missed the write
    assert not index.see("k", 1, 9, 1).first
    assert index.see("k", 1, 5, 0).first and table["k"] == [1, 5, 0]  # and the redelivery writes it back


def test_gap_guard_checks_the_first_offset_against_the_committed_one():
    from stream_processors.agents import GapGuard

    guard = GapGuard()
    assert guard.check(2, 95, committed=94) == 94  # offset 94 was due first and never came
    assert GapGuard().check(2, 94, committed=94) is None
    assert GapGuard().check(2, 7, committed=None) is None  # a new group: nothing to compare with


def test_stall_watch_reports_a_hole_that_blocks_commits():
    from collections import namedtuple

    from stream_processors.agents import StallWatch

    TP = namedtuple("TP", "topic partition")
    tp, other = TP("raw", 1), TP("raw", 2)
    watch = StallWatch()
    acked = {tp: [273, 274, 275], other: [50, 51]}
    committed = {tp: 117, other: 50}
    assert watch.check(acked, committed, "raw") == []  # first sight: maybe in flight
    assert watch.check(acked, committed, "raw") == [(tp, 117, 273)]  # still there: stuck
    acked[tp] = [117, 118]
    assert watch.check(acked, committed, "raw") == [] and watch.check(acked, committed, "raw") == []


def test_a_repeat_judged_while_its_first_sighting_was_refused_is_taken_again():
    """Batch N+1 is classified while batch N is stored; a row ClickHouse refuses in N frees its key."""
    from skillpulse.domain.enrich import default_enricher
    from stream_processors.agents import BatchProcessor, Message, Stats
    from stream_processors.sink import RejectedRow

    processor = BatchProcessor(default_enricher("t"), DedupeIndex(FakeTable(), ttl_ms=10_000), Stats())
    body = json.dumps(GOOD).encode()
    first, repeat = Message("raw", 0, 5, None, body, 1_000), Message("raw", 0, 9, None, body, 2_000)
    _, firsts, _ = processor.classify([first])
    repeats: list = []
    _, later, _ = processor.classify([repeat], repeats)
    assert len(firsts) == 1 and later == [] and len(repeats) == 1
    assert processor.retake(repeats, set()) == []  # nothing refused: still a repeat
    forgotten: set = set()
    letters = processor.reject_stored([RejectedRow("postings_all", 0, 5, "CHECK failed")], [first], forgotten)
    assert len(letters) == 1 and forgotten
    assert [msg.offset for msg, _ in processor.retake(repeats, forgotten)] == [9]
    assert processor.stats.duplicates == 0
