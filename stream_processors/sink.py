"""The ClickHouse sink: batched inserts, outages retried, rejected rows handed back for the DLQ.

Offsets are acknowledged only after ``store()`` returns, so a batch is never committed unless it is
in ClickHouse or dead-lettered. Errors are split by kind (``stream_processors.errors``):

* an **outage** (connection, lock, timeout, 5xx, overload) is retried with capped exponential
  backoff, for as long as it lasts; nothing is acknowledged meanwhile and the log says why;
* a **data error** (a value the server or the driver rejects) is never retried as is: the batch is
  bisected, the halves that insert are stored, and each single row that still fails is returned
  with the server's message, so the agent dead-letters exactly those messages. Before a row is
  given up, ``SELECT 1`` checks that the server is healthy, so an outage that looks like a data
  error is retried rather than dead-lettered. Every path makes progress or says why it cannot.

Inserts are idempotent (``postings_all`` keeps the earliest sighting per key, sightings are keyed by
partition and offset), so retries, bisection and redeliveries never count twice. All ClickHouse calls
run on one dedicated thread: chDB allows one client per thread, and the event loop (Kafka heartbeats)
keeps running while an insert blocks.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception, wait_exponential

from skillpulse.settings import Settings, redact_text
from schemas.tables import POSTING_SIGHTINGS, POSTINGS_ALL
from skillpulse.storage import connect, ensure_active_version, insert_postings, insert_sightings, migrate
from stream_processors.errors import is_transient

log = logging.getLogger(__name__)

_P_PART, _P_OFF = POSTINGS_ALL.index("kafka_partition"), POSTINGS_ALL.index("kafka_offset")
_S_PART, _S_OFF = POSTING_SIGHTINGS.index("kafka_partition"), POSTING_SIGHTINGS.index("kafka_offset")
MAX_REASON_CHARS = 1000


class Outage(Exception):
    """ClickHouse cannot take the batch now (retried); wraps the driver's error."""


@dataclass
class RejectedRow:
    """A row ClickHouse refused, with where its message came from and the server's reason."""

    table: str
    partition: int
    offset: int
    reason: str


def _reason(exc: BaseException) -> str:
    text = redact_text(f"{type(exc).__name__}: {exc}").strip()
    return text[:MAX_REASON_CHARS]


class ClickHouseSink:
    """Stores posting rows and sighting rows of one pipeline version."""

    def __init__(self, settings: Settings, pipeline_version: str, activate: bool = True,
                 max_backoff_s: float = 5.0):
        self.settings = settings
        self.database = settings.clickhouse_database
        self.pipeline_version = pipeline_version
        self.activate = activate
        self.max_backoff_s = max_backoff_s
        self.client = None
        self.stored_postings = 0
        self.stored_sightings = 0
        self.failures = 0
        self.rejected = 0
        self.last_error: str | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")

    # --- runs on the ClickHouse thread -------------------------------------------------------------
    def _ready(self):
        if self.client is None:
            try:
                client = connect(self.settings)
                migrate(client, self.database, self.settings.taxonomy_path)
                if self.activate:
                    active = ensure_active_version(client, self.pipeline_version, self.database)
                    if active != self.pipeline_version:
                        log.warning("pipeline version %s is active; this worker writes %s (activate it with a replay"
                                    " or set PIPELINE_VERSION=%s)", active, self.pipeline_version, active)
            except Exception as exc:  # cannot connect or migrate: an outage whatever the type
                raise Outage(_reason(exc)) from exc
            self.client = client
        return self.client

    def _insert_bisecting(self, table: str, insert: Callable[[Any, Sequence], None], rows: Sequence,
                          part: int, off: int) -> list[RejectedRow]:
        """Insert ``rows``; on a data error split them until the failing rows are found and returned."""
        client = self._ready()
        try:
            insert(client, rows)
            return []
        except Outage:
            raise
        except Exception as exc:
            if is_transient(exc):
                raise Outage(_reason(exc)) from exc
            if len(rows) == 1:
                self._probe(client, exc)
                row = rows[0]
                return [RejectedRow(table, int(row[part]), int(row[off]), _reason(exc))]
            log.warning("ClickHouse rejected a batch of %d %s row(s) (%s); bisecting to find the bad row(s)",
                        len(rows), table, _reason(exc).splitlines()[0][:200])
        mid = len(rows) // 2
        return (self._insert_bisecting(table, insert, rows[:mid], part, off)
                + self._insert_bisecting(table, insert, rows[mid:], part, off))

    def _probe(self, client, cause: BaseException) -> None:
        """Raise ``Outage`` unless the server answers ``SELECT 1``: a row is given up only when the store is up."""
        try:
            client.query("SELECT 1")
        except Exception as exc:
            raise Outage(f"{_reason(cause)} (and SELECT 1 failed: {_reason(exc)})") from exc

    def _store_sync(self, postings: Sequence[Sequence[Any]], sightings: Sequence[Sequence[Any]]) -> list[RejectedRow]:
        try:
            rejected = []
            if postings:
                rejected = self._insert_bisecting(
                    "postings_all", lambda c, rows: insert_postings(c, rows, self.database), postings, _P_PART, _P_OFF)
            dropped = {(r.partition, r.offset) for r in rejected}
            kept = [s for s in sightings if (s[_S_PART], s[_S_OFF]) not in dropped]
            if kept:
                rejected += self._insert_bisecting(
                    "posting_sightings", lambda c, rows: insert_sightings(c, rows, self.database), kept, _S_PART, _S_OFF)
            return rejected
        except Outage:
            self.client = None  # reconnect on the next attempt
            raise

    # --- the event loop side -----------------------------------------------------------------------
    async def open(self) -> None:
        """Connect and migrate now (retrying), so the first batch does not pay for it."""
        await self._retrying(lambda: self._ready())

    async def store(self, postings: Sequence[Sequence[Any]], sightings: Sequence[Sequence[Any]]) -> list[RejectedRow]:
        """Insert one batch; returns the rows ClickHouse rejected (the rest is stored).

        Returns only once every row is stored or rejected: retries for as long as ClickHouse is away.
        """
        rejected = await self._retrying(lambda: self._store_sync(postings, sightings))
        self.rejected += len(rejected)
        for row in rejected:
            log.error("ClickHouse rejected the %s row of partition %d offset %d: %s; it goes to the DLQ",
                      row.table, row.partition, row.offset, row.reason.splitlines()[0][:300])
        self.stored_postings += len(postings) - sum(r.table == "postings_all" for r in rejected)
        self.stored_sightings += len(sightings) - sum(r.table == "posting_sightings" for r in rejected)
        return rejected

    async def _retrying(self, call):
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        failed_before = self.failures

        def before_sleep(state) -> None:
            self.failures += 1
            self.last_error = str(state.outcome.exception())
            log.warning("ClickHouse unavailable (attempt %d, %.0fs so far): %s; retrying in %.1fs — the batch is"
                        " kept and its offsets stay uncommitted", state.attempt_number, time.monotonic() - started,
                        self.last_error.splitlines()[0][:300] if self.last_error else "?", state.next_action.sleep)

        result = None
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, Outage)),
            wait=wait_exponential(multiplier=0.2, max=self.max_backoff_s),
            before_sleep=before_sleep,
            reraise=True,
        ):
            with attempt:
                result = await loop.run_in_executor(self._executor, call)
        if self.failures > failed_before:
            log.info("ClickHouse is back after %.1fs", time.monotonic() - started)
        return result

    def close(self) -> None:
        """Release the ClickHouse thread."""
        self._executor.shutdown(wait=True)
