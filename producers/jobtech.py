"""JobTech JobSearch (Arbetsförmedlingen, Sweden): public, no key, ads under CC0.

``GET /search?q=…&region=…&municipality=…&limit≤100&offset≤2000&sort=pubdate-desc&published-after=…``
answers ``{"total": {"value": N}, "hits": [ad, …]}``. Regions and municipalities take a taxonomy
concept id or their code (``01`` = Stockholms län, ``0180`` = Stockholm municipality).
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from producers.base import Fetched, Skipped, fallback_key, parse_timestamp
from producers.http import HttpClient, SourceError
from producers.paging import OffsetPagedSource, since_param

MAX_LIMIT = 100
MAX_OFFSET = 2000  # the search API refuses offsets above this: narrow the query or run more often


def _label(value: Any) -> str | None:
    return value.get("label") if isinstance(value, dict) and value.get("label") else None


def _labels(block: Any, kind: str) -> list[str]:
    items = block.get(kind) if isinstance(block, dict) else None
    return [i["label"] for i in items or [] if isinstance(i, dict) and i.get("label")]


def map_ad(ad: dict[str, Any]) -> Fetched | Skipped:
    """One JobSearch ad as a raw posting (source ``jobtech``), keeping its id and web page."""
    ad_id = str(ad.get("id") or "").strip()
    ref = f"jobtech:{ad_id or '?'}"
    if ad.get("removed"):
        return Skipped(ref, "removed by the employer")
    published = parse_timestamp(ad.get("publication_date"))
    if published is None:
        return Skipped(ref, f"bad publication_date: {ad.get('publication_date')!r}")
    description = ad.get("description") if isinstance(ad.get("description"), dict) else {}
    address = ad.get("workplace_address") if isinstance(ad.get("workplace_address"), dict) else {}
    employer = ad.get("employer") if isinstance(ad.get("employer"), dict) else {}
    place = address.get("municipality") or address.get("city")
    location = ", ".join(p for p in dict.fromkeys([place, address.get("region")]) if p) or None
    posting: dict[str, Any] = {
        "title": (ad.get("headline") or "").strip(),
        "description": description.get("text") or description.get("text_formatted") or "",
        "posted_date": published.date().isoformat(),
        "source": "jobtech",
        "company": employer.get("name") or employer.get("workplace"),
        "location": location,
        "url": ad.get("webpage_url"),
        "source_id": ad_id or None,
        "occupation": _label(ad.get("occupation")),
        "employment_type": _label(ad.get("employment_type")),
        "experience_required": ad.get("experience_required"),
        "application_deadline": ad.get("application_deadline"),
        "country_code": address.get("country_code"),
        "must_have_skills": _labels(ad.get("must_have"), "skills") or None,
        "nice_to_have_skills": _labels(ad.get("nice_to_have"), "skills") or None,
    }
    posting = {k: v for k, v in posting.items() if v is not None}
    key = f"jobtech:{ad_id}" if ad_id else fallback_key("jobtech", posting)
    return Fetched(key, posting, published)


class JobTechSource(OffsetPagedSource):
    """Pages through ``/search`` newest first; stops at the end, at ``max_pages`` or offset 2000."""

    name = "jobtech"
    max_limit = MAX_LIMIT

    def __init__(
        self,
        client: HttpClient,
        *,
        query: str | None = "machine learning",
        regions: list[str] | None = None,
        municipalities: list[str] | None = None,
        limit: int = MAX_LIMIT,
        max_pages: int | None = None,
        page_delay: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        super().__init__(client, limit=limit, max_pages=max_pages, page_delay=page_delay, sleep=sleep)
        self.query = query
        self.regions = regions or []
        self.municipalities = municipalities or []

    def page(self, offset: int, since: dt.datetime | None) -> list[Any]:
        params = {
            "q": self.query,
            "region": self.regions,
            "municipality": self.municipalities,
            "sort": "pubdate-desc",
            "limit": self.limit,
            "offset": offset,
            "published-after": since_param(since),
        }
        data = self.client.get_json("/search", params)
        hits = data.get("hits") if isinstance(data, dict) else None
        if not isinstance(hits, list):
            raise SourceError(
                f"jobtech: unexpected answer from /search (no 'hits' list; got {type(data).__name__}); "
                "is --base-url a JobSearch API?")
        total = data.get("total")
        self.total = total.get("value") if isinstance(total, dict) else self.total
        return hits

    def map_item(self, item: dict[str, Any]) -> Fetched | Skipped:
        return map_ad(item)

    def offset_cap_reason(self, offset: int) -> str | None:
        if offset > MAX_OFFSET:
            return (f"JobSearch serves at most {MAX_OFFSET + self.limit} ads per search; "
                    "narrow --query/--region or run more often")
        return None
