"""The offset-paging loop shared by the HTTP job sources (LinkedIn, JobTech)."""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

from producers.base import Fetched, Skipped
from producers.http import HttpClient


class OffsetPagedSource:
    """Asks one page after another by ``offset`` until the source runs dry or a cap is reached.

    A subclass says how to ask for a page (``page``), how to map one item (``map_item``) and, if its
    API has one, where paging must stop early (``offset_cap_reason``). ``complete`` tells the run loop
    whether the cursor may move: only when every page was read.
    """

    name = "paged"
    max_limit = 100

    def __init__(self, client: HttpClient, *, limit: int = 100, max_pages: int | None = None,
                 page_delay: float = 0.0, sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.limit = max(1, min(limit, self.max_limit))
        self.max_pages = max_pages
        self.page_delay = page_delay
        self._sleep = sleep
        self.complete = False
        self.stop_reason = ""
        self.total: int | None = None

    def page(self, offset: int, since: dt.datetime | None) -> list[Any]:
        """The items at ``offset`` (may set ``self.total``); raises ``SourceError`` on a bad answer."""
        raise NotImplementedError

    def map_item(self, item: dict[str, Any]) -> Fetched | Skipped:
        raise NotImplementedError

    def offset_cap_reason(self, offset: int) -> str | None:
        """Why paging must stop before ``offset`` although more ads exist; None when it may go on."""
        return None

    def fetch(self, since: dt.datetime | None) -> Iterator[Fetched | Skipped]:
        offset, pages = 0, 0
        self.complete = False
        while True:
            items = self.page(offset, since)
            for item in items:
                yield self.map_item(item) if isinstance(item, dict) else Skipped(f"{self.name}:?", "not a JSON object")
            pages += 1
            offset += len(items)
            if len(items) < self.limit or (self.total is not None and offset >= self.total):
                self.complete = True
                return
            if self.max_pages is not None and pages >= self.max_pages:
                self.stop_reason = f"--max-pages {self.max_pages} reached"
                return
            cap = self.offset_cap_reason(offset)
            if cap:
                self.stop_reason = cap
                return
            if self.page_delay:
                self._sleep(self.page_delay)


def since_param(since: dt.datetime | None) -> str | None:
    """The APIs' date-time filter format (naive ISO seconds), or None for no filter."""
    return since.strftime("%Y-%m-%dT%H:%M:%S") if since else None
