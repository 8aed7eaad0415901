"""The run loop's promise: the ledger records exactly what the sink confirmed, so nothing goes twice or is lost."""
from __future__ import annotations

import datetime as dt

import pytest

from producers.base import Fetched, Skipped, SourceState, run_source
from producers.http import SourceError
from producers.sinks import JsonlSink
from producerkit import read_jsonl


def ad(n: int, day: int = 10) -> Fetched:
    published = dt.datetime(2024, 1, day, 12, 0)
    posting = {"title": f"ML Engineer {n}", "description": "python", "posted_date": published.date().isoformat(),
               "source": "test", "source_id": str(n)}
    return Fetched(f"test:{n}", posting, published)


class ListSource:
    name = "test"

    def __init__(self, items, fail_after: BaseException | None = None):
        self.items, self.fail_after, self.complete = items, fail_after, False

    def fetch(self, since):
        yield from self.items
        if self.fail_after is not None:
            raise self.fail_after
        self.complete = True


class UnconfirmedSink(JsonlSink):
    """Writes, then reports that the broker did not acknowledge (what KafkaSink.close raises)."""

    def close(self) -> int:
        super().close()
        raise RuntimeError("2 posting(s) not delivered to postings.raw: Broker: Not enough in-sync replicas")


def test_source_failure_midway_records_what_was_delivered_and_keeps_the_cursor(tmp_path):
    state = SourceState.load(tmp_path, "test")
    source = ListSource([ad(1), ad(2)], fail_after=SourceError("test: gave up after 5 tries: server error (HTTP 502)"))
    report = run_source(source, JsonlSink(tmp_path / "out.jsonl"), state)
    assert (report.summary.sent, report.summary.failed) == (2, 0)
    assert "HTTP 502" in report.summary.errors[0]
    reloaded = SourceState.load(tmp_path, "test")
    assert set(reloaded.sent) == {"test:1", "test:2"} and reloaded.since is None


@pytest.mark.parametrize("error", [KeyboardInterrupt(), ValueError("a bug in a mapper")])
def test_interrupt_or_bug_still_delivers_and_records_then_propagates(tmp_path, error):
    state = SourceState.load(tmp_path, "test")
    with pytest.raises(type(error)):
        run_source(ListSource([ad(1)], fail_after=error), JsonlSink(tmp_path / "out.jsonl"), state)
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 1
    assert set(SourceState.load(tmp_path, "test").sent) == {"test:1"}


def test_unconfirmed_delivery_records_nothing(tmp_path):
    state = SourceState.load(tmp_path, "test")
    report = run_source(ListSource([ad(1), ad(2)]), UnconfirmedSink(tmp_path / "out.jsonl"), state)
    assert (report.summary.sent, report.summary.failed) == (0, 2)
    assert "nothing recorded" in report.summary.errors[0]
    assert not (tmp_path / "cursors" / "test.json").exists()  # next run re-sends: nothing lost


def test_invalid_postings_and_duplicates_within_a_run_are_skipped_with_reasons(tmp_path):
    bad = ad(3)
    bad.posting["title"] = "   "
    items = [ad(1), ad(1), bad, Skipped("test:4", "removed by the employer")]
    state = SourceState.load(tmp_path, "test")
    report = run_source(ListSource(items), JsonlSink(tmp_path / "out.jsonl"), state)
    assert (report.summary.fetched, report.summary.sent, report.summary.skipped) == (4, 1, 3)
    assert report.skip_reasons == {"already sent": 1, "invalid posting: title": 1, "removed by the employer": 1}
    assert state.since == dt.datetime(2024, 1, 10, 12, 0)


def test_the_ledger_forgets_ids_the_cursor_keeps_out(tmp_path):
    state = SourceState.load(tmp_path, "test")
    state.sent = {"old": "2023-01-01", "recent": "2024-01-09"}
    state.since = dt.datetime(2024, 1, 10)
    state.save()
    assert set(SourceState.load(tmp_path, "test").sent) == {"recent"}


def test_a_corrupt_cursor_file_says_what_to_do(tmp_path):
    (tmp_path / "cursors").mkdir()
    (tmp_path / "cursors" / "test.json").write_text("{not json")
    with pytest.raises(SourceError, match="fix or delete it"):
        SourceState.load(tmp_path, "test")


def test_two_runs_of_one_source_cannot_overlap(tmp_path):
    state = SourceState.load(tmp_path, "test")
    with state.locked():
        with pytest.raises(SourceError, match="another producer run"):
            with SourceState.load(tmp_path, "test").locked():
                pass
