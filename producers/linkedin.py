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
from collections.abc import Callable, Iterator
from typing import Any

from producers.base import Fetched, Skipped, fallback_key, parse_timestamp
from producers.http import HttpClient, SourceError

HOST = "linkedin-job-search-api.p.rapidapi.com"
BASE_URL = f"https://{HOST}"
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


class LinkedInSource:
    """Pages through one endpoint by ``offset``; ``date_filter`` asks only for ads after the cursor."""

    name = "linkedin"

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
        self.client = client
        self.keyword = keyword
        self.location = location
        self.endpoint = endpoint
        self.limit = max(1, min(limit, MAX_LIMIT))
        self.max_pages = max_pages
        self.page_delay = page_delay
        self._sleep = sleep
        self.complete = False
        self.stop_reason = ""
        self.total: int | None = None

    def fetch(self, since: dt.datetime | None) -> Iterator[Fetched | Skipped]:
        offset, pages = 0, 0
        self.complete = False
        while True:
            params = {
                "title_filter": self.keyword,
                "location_filter": self.location,
                "description_type": "text",
                "limit": self.limit,
                "offset": offset,
                "date_filter": since.strftime("%Y-%m-%dT%H:%M:%S") if since else None,
            }
            jobs = self.client.get_json(self.endpoint, params)
            if isinstance(jobs, dict) and "message" in jobs:  # RapidAPI's error envelope
                raise SourceError(f"linkedin: the API said: {self.client.redact(str(jobs['message']))}")
            if not isinstance(jobs, list):
                raise SourceError(
                    f"linkedin: unexpected answer from {self.endpoint} (expected a JSON array, got "
                    f"{type(jobs).__name__}); is --base-url the LinkedIn Job Search API?")
            for job in jobs:
                yield map_job(job) if isinstance(job, dict) else Skipped("linkedin:?", "not a JSON object")
            pages += 1
            offset += len(jobs)
            if len(jobs) < self.limit:
                self.complete = True
                return
            if self.max_pages is not None and pages >= self.max_pages:
                self.stop_reason = f"--max-pages {self.max_pages} reached"
                return
            if self.page_delay:
                self._sleep(self.page_delay)
