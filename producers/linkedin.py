"""LinkedIn jobs through the "LinkedIn Job Search API" on RapidAPI (the seed's source).

``GET https://linkedin-job-search-api.p.rapidapi.com/active-jb-7d?title_filter=…&location_filter=…
&description_type=text&limit=…&offset=…&date_filter=…`` with the ``X-RapidAPI-Key`` and
``X-RapidAPI-Host`` headers answers a JSON *array* of jobs (``id``, ``title``, ``organization``,
``date_posted``, ``locations_derived``, ``url``, ``description_text``, …). Boards block fast
pagers and cap searches near 1,000 results: page slowly, honour Retry-After, keep a cursor.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from producers.base import Fetched, Skipped, fallback_key, parse_timestamp
from producers.http import HttpClient, SourceError
from producers.paging import OffsetPagedSource, since_param

HOST = "linkedin-job-search-api.p.rapidapi.com"
ENDPOINT = "/active-jb-7d"  # jobs posted in the last 7 days: the seed's weekly scrape
MAX_LIMIT = 100
KEY_HELP = (
    "RAPID_API_KEY is not set. Subscribe to the LinkedIn Job Search API on RapidAPI "
    "(https://rapidapi.com/fantastic-jobs-fantastic-jobs-default/api/linkedin-job-search-api), then "
    "`export RAPID_API_KEY=<your key>` or put RAPID_API_KEY=<your key> in .env."
)


def rapidapi_headers(key: str) -> dict[str, str]:
    return {"X-RapidAPI-Key": key, "X-RapidAPI-Host": HOST}


def _location(job: dict[str, Any]) -> str | None:
    derived = job.get("locations_derived")
    if isinstance(derived, list) and derived and isinstance(derived[0], str):
        return derived[0]
    raw = job.get("locations_raw")
    if isinstance(raw, list) and raw and isinstance(raw[0], dict):
        address = raw[0].get("address") or {}
        parts = [address.get("addressLocality"), address.get("addressRegion"), address.get("addressCountry")]
        return ", ".join(p for p in parts if isinstance(p, str) and p) or None
    return None


def map_job(job: dict[str, Any]) -> Fetched | Skipped:
    """One API job as a raw posting (source ``linkedin``), keeping its id and URL."""
    job_id = str(job.get("id") or "").strip()
    ref = f"linkedin:{job_id or '?'}"
    published = parse_timestamp(job.get("date_posted") or job.get("date_created"))
    if published is None:
        return Skipped(ref, f"bad date_posted: {job.get('date_posted')!r}")
    employment = job.get("employment_type")
    posting: dict[str, Any] = {
        "title": (job.get("title") or "").strip(),
        "description": job.get("description_text") or job.get("description_html") or "",
        "posted_date": published.date().isoformat(),
        "source": "linkedin",
        "company": job.get("organization"),
        "location": _location(job),
        "url": job.get("url"),
        "source_id": job_id or None,
        "employment_type": ", ".join(employment) if isinstance(employment, list) and employment else None,
        "seniority": job.get("seniority"),
        "remote": job.get("remote_derived"),
        "organization_url": job.get("organization_url"),
    }
    posting = {k: v for k, v in posting.items() if v is not None}
    key = f"linkedin:{job_id}" if job_id else fallback_key("linkedin", posting)
    return Fetched(key, posting, published)


class LinkedInSource(OffsetPagedSource):
    """Pages through one endpoint by ``offset``; ``date_filter`` asks only for ads after the cursor."""

    name = "linkedin"
    max_limit = MAX_LIMIT

    def __init__(
        self,
        client: HttpClient,
        *,
        keyword: str = "machine learning",
        location: str | None = "Stockholm",
        endpoint: str = ENDPOINT,
        limit: int = MAX_LIMIT,
        max_pages: int | None = 10,
        page_delay: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        super().__init__(client, limit=limit, max_pages=max_pages, page_delay=page_delay, sleep=sleep)
        self.keyword = keyword
        self.location = location
        self.endpoint = endpoint

    def page(self, offset: int, since: dt.datetime | None) -> list[Any]:
        params = {
            "title_filter": self.keyword,
            "location_filter": self.location,
            "description_type": "text",
            "limit": self.limit,
            "offset": offset,
            "date_filter": since_param(since),
        }
        jobs = self.client.get_json(self.endpoint, params)
        if isinstance(jobs, dict) and "message" in jobs:  # RapidAPI's error envelope
            raise SourceError(f"linkedin: the API said: {self.client.redact(str(jobs['message']))}")
        if not isinstance(jobs, list):
            raise SourceError(
                f"linkedin: unexpected answer from {self.endpoint} (expected a JSON array, got "
                f"{type(jobs).__name__}); is --base-url the LinkedIn Job Search API?")
        return jobs

    def map_item(self, item: dict[str, Any]) -> Fetched | Skipped:
        return map_job(item)
