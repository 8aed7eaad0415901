"""What every producer shares: the source interface, the since-cursor and sent-ids ledger, the run loop.

A *source* turns one job board's payloads into raw-posting dicts (the contract in
``schemas.postings.RawPosting``) and yields them as :class:`Fetched` items, or :class:`Skipped`
with a reason. :func:`run_source` validates each posting against the contract, drops ads the
ledger says were already delivered, sends the rest to a sink, and only after ``sink.close()``
confirms delivery records their ids (and advances the cursor), so a restart never sends an ad twice.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from producers.http import SourceError
from producers.sinks import PostingSink, ProduceSummary
from schemas.postings import parse_raw_posting

CURSOR_OVERLAP = dt.timedelta(days=1)  # re-ask for a day before the cursor: late-indexed ads are not missed
LEDGER_RETENTION = dt.timedelta(days=60)  # ids older than cursor - retention can never come back


@dataclass
class Fetched:
    """One ad mapped to the raw contract. ``key`` is stable across runs (the ledger id)."""

    key: str
    posting: dict[str, Any]
    published: dt.datetime | None = None


@dataclass
class Skipped:
    """An ad (or file row) that could not be mapped; ``ref`` says which, ``reason`` why."""

    ref: str
    reason: str


class Source(Protocol):
    """A job source: a name (for cursor and ledger files) and a generator of items.

    ``complete`` is False after ``fetch`` when it stopped early (page cap, offset cap) so the
    cursor must not move past ads it has not seen.
    """

    name: str
    complete: bool

    def fetch(self, since: dt.datetime | None) -> Iterator[Fetched | Skipped]: ...


def fallback_key(source: str, posting: dict[str, Any]) -> str:
    """A ledger id for an ad without a stable source id: its URL, else a hash of its content."""
    if posting.get("url"):
        return f"url:{posting['url']}"
    parts = [str(posting.get(k) or "") for k in ("title", "company", "location", "posted_date", "description")]
    return f"{source}:sha1:" + hashlib.sha1("\x1f".join(parts).encode()).hexdigest()


def naive_utc(value: dt.datetime) -> dt.datetime:
    """Datetimes are compared naive; aware ones are converted to UTC first."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An ISO date or datetime (``Z`` allowed) as a naive datetime; None when unparseable."""
    if isinstance(value, dt.datetime):
        return naive_utc(value)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        return naive_utc(dt.datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text[:10]), dt.time())
    except ValueError:
        return None


def state_name(source: str, output: str | None, topic: str) -> str:
    """Cursor/ledger file name: one per destination, so a dry run to a file never hides ads from Kafka.

    ``<source>`` for the default topic ``postings.raw``, ``<source>@<topic>`` for another topic,
    ``<source>@jsonl`` for every ``--output FILE`` run (``--output -`` keeps no state at all).
    """
    if output is not None:
        return f"{source}@jsonl"
    return source if topic == "postings.raw" else f"{source}@{topic}"


class SourceState:
    """The since-cursor and sent-ids ledger of one source: ``<data_dir>/cursors/<source>.json``.

    ``since`` is the newest publication time among delivered ads of the last *complete* run;
    ``sent`` maps ledger ids to their publication (or delivery) date. Written atomically.
    """

    def __init__(self, path: Path | None, since: dt.datetime | None = None, sent: dict[str, str] | None = None):
        self.path = path  # None: an in-memory state that is never saved (stdout previews)
        self.since = since
        self.sent: dict[str, str] = sent or {}

    @classmethod
    def load(cls, data_dir: Path, source: str) -> "SourceState":
        path = Path(data_dir) / "cursors" / f"{source}.json"
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SourceError(
                f"the cursor file {path} is unreadable ({exc}); fix or delete it "
                "(deleting it makes the next run re-send ads already sent)") from None
        since = parse_timestamp(data.get("since"))
        return cls(path, since, dict(data.get("sent") or {}))

    @classmethod
    def ephemeral(cls) -> "SourceState":
        """A state that starts empty and is never written: runs that should leave no trace."""
        return cls(None)

    def save(self) -> None:
        if self.path is None:
            return
        if self.since is not None:  # forget ids that the cursor keeps out anyway
            horizon = (self.since - CURSOR_OVERLAP - LEDGER_RETENTION).date().isoformat()
            self.sent = {k: d for k, d in self.sent.items() if not d or d >= horizon}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "since": self.since.isoformat() if self.since else None,
            "updated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "sent": self.sent,
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    @contextlib.contextmanager
    def locked(self) -> Iterator["SourceState"]:
        """Hold an exclusive lock for the run, so two runs of one source cannot clobber the ledger."""
        if self.path is None:
            yield self
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_suffix(".lock")
        with open(lock_path, "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SourceError(
                    f"another producer run holds {lock_path}; wait for it to finish") from None
            try:
                yield self
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass
class RunReport:
    """A :class:`ProduceSummary` plus why things were skipped (reason -> count, a few examples)."""

    summary: ProduceSummary
    skip_reasons: Counter = field(default_factory=Counter)
    skip_examples: dict[str, list[str]] = field(default_factory=dict)
    cursor: dt.datetime | None = None
    complete: bool = False

    def skip(self, ref: str, reason: str) -> None:
        self.summary.skipped += 1
        self.skip_reasons[reason] += 1
        examples = self.skip_examples.setdefault(reason, [])
        if len(examples) < 3:
            examples.append(ref)


def _reason_class(reason: str) -> str:
    """Group skip reasons by their kind (the text before the first colon)."""
    return reason.split(":", 1)[0]


def run_source(
    source: Source,
    sink: PostingSink,
    state: SourceState,
    *,
    since: dt.datetime | None = None,
    use_cursor: bool = True,
    track_cursor: bool = True,
    resend: bool = False,
    on_progress: Any = None,
) -> RunReport:
    """Fetch, validate, dedupe against the ledger, send, confirm, record. Never raises SourceError.

    ``since`` overrides the stored cursor; ``use_cursor=False`` fetches everything (the ledger
    still prevents re-sending); ``track_cursor=False`` leaves the cursor alone (files have no
    publication order); ``resend=True`` sends ads the ledger already holds (e.g. to a fresh topic). ``on_progress(report)`` is called after each item.
    """
    report = RunReport(ProduceSummary())
    summary = report.summary
    if since is None and use_cursor and state.since is not None:
        since = state.since - CURSOR_OVERLAP
    pending: dict[str, str] = {}  # ledger id -> date, sent in this run, not yet confirmed
    newest: dt.datetime | None = None
    scraped_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    interrupted: BaseException | None = None  # re-raised once what was sent is delivered and recorded
    try:
        for item in source.fetch(since):
            summary.fetched += 1
            if isinstance(item, Skipped):
                report.skip(item.ref, item.reason)
            elif item.key in pending or (not resend and item.key in state.sent):
                report.skip(item.key, "already sent")
            elif since is not None and item.published is not None and item.published < since:
                report.skip(item.key, "older than the cursor")
            else:
                item.posting.setdefault("scraped_at", scraped_at)
                try:
                    model = parse_raw_posting(item.posting)
                except ValueError as exc:
                    report.skip(item.key, f"invalid posting: {_reason_class(str(exc))}")
                else:
                    sink.send(model.model_dump(mode="json", exclude_none=True))
                    day = (item.published or dt.datetime.combine(model.posted_date, dt.time())).date()
                    pending[item.key] = day.isoformat()
                    if item.published is not None and (newest is None or item.published > newest):
                        newest = item.published
            if on_progress is not None:
                on_progress(report, len(pending))
        report.complete = bool(getattr(source, "complete", True))
        if not report.complete:
            summary.errors.append(
                f"{source.name}: stopped before the end of the results "
                f"({getattr(source, 'stop_reason', 'page limit')}); the cursor stays where it was")
    except SourceError as exc:
        summary.errors.append(str(exc))
    except (KeyboardInterrupt, Exception) as exc:  # deliver and record what was sent, then re-raise
        summary.errors.append("interrupted" if isinstance(exc, KeyboardInterrupt) else f"unexpected error: {exc!r}")
        interrupted = exc
    try:
        delivered = sink.close()
    except Exception as exc:  # noqa: BLE001 - any sink failure: nothing is recorded, all is re-sent next time
        summary.failed += len(pending)
        summary.errors.append(f"delivery failed, nothing recorded (the next run re-sends): {exc}")
        if interrupted:
            raise interrupted
        return report
    summary.sent = min(delivered, len(pending))
    if delivered < len(pending):
        summary.failed += len(pending) - delivered
        summary.errors.append(f"only {delivered} of {len(pending)} postings confirmed; nothing recorded")
    else:
        state.sent.update(pending)
        if track_cursor and report.complete and newest is not None and (state.since is None or newest > state.since):
            state.since = newest
        state.save()
    report.cursor = state.since
    if interrupted:
        raise interrupted
    return report
