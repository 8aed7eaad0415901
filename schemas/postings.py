"""Message contracts: the raw posting on ``postings.raw``, the enriched posting, the dead letter.

Version ``SCHEMA_VERSION`` of these models is exported as JSON Schema to ``schemas/json/`` by
``skillpulse schemas export``; a test keeps the checked-in files equal to the models.
"""
from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SCHEMA_VERSION = 1
MAX_TITLE_CHARS = 500
MAX_DESCRIPTION_CHARS = 200_000  # ~50 pages; a larger body is a scraper fault, not an ad


class SeniorityLevel(str, Enum):
    """The seed's seniority levels, from least to most senior."""

    ENTRY = "entry"
    MID = "mid"
    SENIOR = "senior"
    LEAD = "lead"
    DIRECTOR = "director"
    VP = "vp"
    EXECUTIVE = "executive"


class SkillCategory(str, Enum):
    """The seed's five skill categories."""

    ML_ENGINEERING = "ml_engineering"
    DATA_SCIENCE = "data_science"
    AI_INFRASTRUCTURE = "ai_infrastructure"
    AI_PRODUCT = "ai_product"
    AI_STRATEGY = "ai_strategy"


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
        field = ".".join(str(p) for p in item["loc"]) or "(message)"
        parts.append(f"{field}: {item['msg']}")
    return "; ".join(parts)


def parse_raw_posting(data: Any) -> RawPosting:
    """Validate a decoded JSON value as a raw posting; raises ``ValueError`` with a clear reason."""
    if not isinstance(data, dict):
        raise ValueError(f"(message): expected a JSON object, got {type(data).__name__}")
    try:
        return RawPosting.model_validate(data)
    except ValidationError as exc:
        raise ValueError(describe_validation_error(exc)) from None
