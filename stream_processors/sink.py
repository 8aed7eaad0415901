"""The ClickHouse sink: batched inserts that retry until they succeed.

Offsets are acknowledged only after ``store()`` returns, so a batch is never committed unless it is
in ClickHouse. While ClickHouse is unreachable (a server down, an embedded chDB path locked by
another process) ``store()`` keeps retrying with capped exponential backoff instead of raising, so
the batch is neither lost nor acknowledged. Inserts are idempotent (ReplacingMergeTree keyed by
version and posting_key, sightings by partition and offset), so retries and redeliveries never count
twice. All ClickHouse calls run on one dedicated thread: chDB allows one client per thread, and the
event loop (Kafka heartbeats) keeps running while an insert blocks.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from skillpulse.settings import Settings
from skillpulse.storage import connect, ensure_active_version, insert_postings, insert_sightings, migrate

log = logging.getLogger(__name__)


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
        self.last_error: str | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")

    # --- runs on the ClickHouse thread -------------------------------------------------------------
    def _ready(self):
        if self.client is None:
            client = connect(self.settings)
            migrate(client, self.database)
            if self.activate:
                active = ensure_active_version(client, self.pipeline_version, self.database)
                if active != self.pipeline_version:
                    log.warning("pipeline version %s is active; this worker writes %s (activate it with a replay"
                                " or set PIPELINE_VERSION=%s)", active, self.pipeline_version, active)
            self.client = client
        return self.client

    def _store_sync(self, postings: Sequence[Sequence[Any]], sightings: Sequence[Sequence[Any]]) -> None:
        try:
            client = self._ready()
            insert_postings(client, postings, self.database)
            insert_sightings(client, sightings, self.database)
        except Exception:
            self.client = None  # reconnect on the next attempt
            raise

    # --- the event loop side -----------------------------------------------------------------------
    async def open(self) -> None:
        """Connect and migrate now (retrying), so the first batch does not pay for it."""
        await self._retrying(lambda: self._ready())

    async def store(self, postings: Sequence[Sequence[Any]], sightings: Sequence[Sequence[Any]]) -> None:
        """Insert one batch; returns only once it is stored (retries forever while ClickHouse is away)."""
        await self._retrying(lambda: self._store_sync(postings, sightings))
        self.stored_postings += len(postings)
        self.stored_sightings += len(sightings)

    async def _retrying(self, call) -> None:
        loop = asyncio.get_running_loop()
        started = time.monotonic()

        def before_sleep(state) -> None:
            self.failures += 1
            self.last_error = str(state.outcome.exception())
            log.warning("ClickHouse unavailable (attempt %d, %.0fs so far): %s; retrying in %.1fs — the batch is"
                        " kept and its offsets stay uncommitted", state.attempt_number, time.monotonic() - started,
                        self.last_error.splitlines()[0][:300], state.next_action.sleep)

        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=wait_exponential(multiplier=0.2, max=self.max_backoff_s),
            before_sleep=before_sleep,
            reraise=True,
        ):
            with attempt:
                await loop.run_in_executor(self._executor, call)
        if self.failures and time.monotonic() - started > 0.5:
            log.info("ClickHouse is back after %.1fs", time.monotonic() - started)

    def close(self) -> None:
        """Release the ClickHouse thread."""
        self._executor.shutdown(wait=True)
