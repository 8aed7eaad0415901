"""Message contracts: the raw posting on ``postings.raw``, the enriched posting, the dead letter.

Version ``SCHEMA_VERSION`` of these models is exported as JSON Schema to ``schemas/json/`` by
``skillpulse schemas export``; a test keeps the checked-in files equal to the models.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SCHEMA_VERSION = 1
MAX_TITLE_CHARS = 500
MAX_DESCRIPTION_CHARS = 200_000  # ~50 pages; a larger body is a scraper fault, not an ad
MAX_EXTRA_FIELDS = 50  # unknown fields are kept (as JSON in ``extra``), within these caps
MAX_EXTRA_BYTES = 64 * 1024
EARLIEST_DATE = dt.date(1990, 1, 1)  # default POSTED_DATE_MIN: older is a parsing fault, not an ad
MAX_DAYS_AHEAD = 365  # default POSTED_DATE_MAX_DAYS_AHEAD

# C0 control characters other than tab, line feed and carriage return, and DEL: never text. NUL in
# particular truncates strings in C tools and terminals.
_CONTROL = frozenset(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_CONTROL_BYTES = bytes(sorted(ord(c) for c in _CONTROL))


def find_control(text: str) -> int:
    """Index of the first control character of ``text`` (see ``_CONTROL``), or -1. Linear.

    The clean case is a bytes operation in C: control characters are ASCII, and UTF-8 never uses
    an ASCII byte inside another character, so deleting them from the UTF-8 bytes shows whether
    any is there (``str.translate`` is ~30x slower on non-ASCII text). Before that, one call settles
    most short fields (titles, names, places): a printable text holds no control character.
    """
    if text.isprintable():
        return -1
    data = text.encode("utf-8", "surrogatepass")
    if len(data.translate(None, _CONTROL_BYTES)) == len(data):
        return -1
    return next(i for i, ch in enumerate(text) if ch in _CONTROL)


@dataclass(frozen=True)
class ContractBounds:
    """What a posting's dates may be: within what ClickHouse stores and what makes sense.

    ``posted_date`` and ``scraped_at`` from ``earliest`` to ``days_ahead`` days after today (UTC);
    configured by POSTED_DATE_MIN and POSTED_DATE_MAX_DAYS_AHEAD (see ``skillpulse.settings``).
    """

    earliest: dt.date = EARLIEST_DATE
    days_ahead: int = MAX_DAYS_AHEAD

    def latest(self, today: dt.date | None = None) -> dt.date:
        return (today or dt.datetime.now(dt.timezone.utc).date()) + dt.timedelta(days=self.days_ahead)

    def check(self, posting: RawPosting, today: dt.date | None = None) -> None:
        """Raise ``ValueError`` naming the field if a date lies outside the bounds."""
        latest = self.latest(today)
        dates = [("posted_date", posting.posted_date)]
        if posting.scraped_at is not None:
            dates.append(("scraped_at", posting.scraped_at.date()))
        for name, value in dates:
            if value < self.earliest:
                raise ValueError(f"{name}: {value.isoformat()} is before {self.earliest.isoformat()}"
                                 " (the earliest date accepted, POSTED_DATE_MIN)")
            if value > latest:
                raise ValueError(f"{name}: {value.isoformat()} is more than {self.days_ahead} day(s) ahead"
                                 f" (latest accepted {latest.isoformat()}, POSTED_DATE_MAX_DAYS_AHEAD)")


DEFAULT_BOUNDS = ContractBounds()


class SeniorityLevel(str, Enum):
    """The seed's seniority levels, from least to most senior."""

    ENTRY = "entry"
    MID = "mid"
    SENIOR = "senior"
    LEAD = "lead"
    DIRECTOR = "director"
    VP = "vp"
    EXECUTIVE = "executive"


SENIORITY_LEVELS: tuple[str, ...] = tuple(level.value for level in SeniorityLevel)  # least to most senior


class RawPosting(BaseModel):
    """A job posting as a producer sends it. Unknown fields are kept, not dropped."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"x-schema-version": SCHEMA_VERSION})

    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS, description="The ad's headline.")
    description: str = Field(max_length=MAX_DESCRIPTION_CHARS, description="Full ad text; HTML allowed.")
    posted_date: dt.date = Field(description="Publication date, ISO 8601 (YYYY-MM-DD).")
    source: str = Field(min_length=1, max_length=100, description="Where it came from: linkedin, jobtech, synthetic…")
    company: str | None = Field(None, max_length=300)
    location: str | None = Field(None, max_length=300)
    url: str | None = Field(None, max_length=2000)
    source_id: str | None = Field(None, max_length=300, description="The source's own id for the ad.")
    scraped_at: dt.datetime | None = None
    language: str | None = Field(None, max_length=16)

    @field_validator("title", "source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("title", "description", "source", "company", "location", "url", "source_id", "language")
    @classmethod
    def _no_control_characters(cls, value: str | None) -> str | None:
        if value is not None and (at := find_control(value)) >= 0:
            raise ValueError(f"control character U+{ord(value[at]):04X} at position {at}"
                             " (only tab, line feed and carriage return are allowed)")
        return value

    @model_validator(mode="after")
    def _extra_fields_capped(self):
        extra = self.model_extra or {}
        if len(extra) > MAX_EXTRA_FIELDS:
            raise ValueError(f"extra: {len(extra)} unknown fields, at most {MAX_EXTRA_FIELDS} are kept")
        if extra:
            size = len(orjson.dumps(extra, default=str))
            if size > MAX_EXTRA_BYTES:
                raise ValueError(f"extra: unknown fields take {size} bytes as JSON, at most {MAX_EXTRA_BYTES}")
            for name in extra:
                if (at := find_control(name)) >= 0:
                    raise ValueError(f"extra: field name {name[:40]!r} holds control character U+{ord(name[at]):04X}")
        return self


class EnrichedPosting(RawPosting):
    """A raw posting plus what the enrichment found (the seed's field names)."""

    posting_key: str = Field(description="Stable hash of normalised title + company + location.")
    extracted_skills: list[str] = Field(description="Canonical AI skill names (the seed's five categories), sorted.")
    skill_categories: list[str] = Field(description="Categories of the extracted skills, sorted.")
    ai_tiers: list[str] = Field(default_factory=list, description="'builder' and/or 'literacy' if such skills occur.")
    seniority_level: SeniorityLevel
    ai_relevance_score: float = Field(ge=0.0, le=1.0)
    pipeline_version: str = "v1"
    general_skills: list[str] = Field(default_factory=list,
                                      description="Canonical general-tech skills (category general), sorted; not AI.")


class DeadLetter(BaseModel):
    """What ``postings.dlq`` holds for a message that could not be processed."""

    error: str = Field(description="Why it was rejected, naming the field and the problem.")
    original: str = Field(description="The original message bytes, base64.")
    topic: str
    partition: int
    offset: int
    key: str | None = None
    failed_at: dt.datetime


def describe_validation_error(error: ValidationError) -> str:
    """One line naming each bad field and its problem, e.g. ``posted_date: invalid date``."""
    parts = []
    for item in error.errors():
        msg = item["msg"].removeprefix("Value error, ")
        field = ".".join(str(p) for p in item["loc"])
        parts.append(f"{field}: {msg}" if field else msg if ": " in msg else f"(message): {msg}")
    return "; ".join(parts)


def parse_raw_posting(data: Any, bounds: ContractBounds | None = None) -> RawPosting:
    """Validate a decoded JSON value as a raw posting; raises ``ValueError`` with a clear reason.

    The reason starts with the field's name (``posted_date: …``, ``extra: …``), which the dead
    letter and the worker's per-field counters use.
    """
    if not isinstance(data, dict):
        raise ValueError(f"(message): expected a JSON object, got {type(data).__name__}")
    try:
        posting = RawPosting.model_validate(data)
    except ValidationError as exc:
        raise ValueError(describe_validation_error(exc)) from None
    (bounds or DEFAULT_BOUNDS).check(posting)
    return posting
