"""The dashboard's filter state: parsed from the URL or the widgets, validated, turned into SQL.

Every value a user can type (URL query string, widgets) lands in a ``Filters`` object whose
``where()`` returns SQL made only of constant text and ``{name:Type}`` placeholders, plus the
parameter dict; no filter value is ever formatted into SQL. Bad values are dropped with a message
the page shows (``Filters.notes``), never an exception.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from schemas.postings import SENIORITY_LEVELS
from skillpulse.domain.taxonomy import CATEGORIES
from skillpulse.domain.weeks import monday

LEVELS = SENIORITY_LEVELS
MEASURES = ("count", "share")
MAP_MODES = ("2d", "3d")
# ClickHouse's Date type covers 1970-01-01 .. 2149-06-06; wider ranges are clamped.
MIN_DATE = dt.date(1970, 1, 1)
MAX_DATE = dt.date(2149, 6, 6)
MAX_VALUES = 50          # per multi-value filter
MAX_VALUE_CHARS = 200    # per value
AI_RELEVANT = 0.5        # the KPI's rule: ai_relevance_score >= 0.5


@dataclass(frozen=True)
class Filters:
    """What the user picked. ``None``/empty means "no restriction"."""

    start: dt.date | None = None
    end: dt.date | None = None
    sources: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    min_ai: float = 0.0
    measure: str = "count"
    map_mode: str = "2d"
    notes: tuple[str, ...] = field(default=(), compare=False)

    # --- identity -------------------------------------------------------------------------
    def key(self) -> tuple:
        """A hashable key of everything that changes query results (the cache key)."""
        return (self.start, self.end, self.sources, self.levels, self.categories, self.min_ai)

    # --- SQL --------------------------------------------------------------------------------
    def where(self, version: str) -> tuple[str, dict[str, Any]]:
        """``(sql, params)`` restricting ``postings_all`` to the active version and these filters."""
        clauses = ["pipeline_version = {version:String}"]
        params: dict[str, Any] = {"version": version}
        if self.start:
            clauses.append("week_start >= {week_from:Date}")
            params["week_from"] = monday(self.start)
        if self.end:
            clauses.append("week_start <= {week_to:Date}")
            params["week_to"] = monday(self.end)
        if self.sources:
            clauses.append("has({sources:Array(String)}, source)")
            params["sources"] = list(self.sources)
        if self.levels:
            clauses.append("has({levels:Array(String)}, seniority_level)")
            params["levels"] = list(self.levels)
        if self.categories:
            clauses.append("hasAny(skill_categories, {categories:Array(String)})")
            params["categories"] = list(self.categories)
        if self.min_ai > 0:
            clauses.append("ai_relevance_score >= {min_ai:Float32}")
            params["min_ai"] = self.min_ai
        return " AND ".join(clauses), params

    # --- URL --------------------------------------------------------------------------------
    def to_query(self) -> str:
        """The URL query string (``?…``) that reproduces this view; empty at defaults."""
        pairs: list[tuple[str, str]] = []
        if self.start:
            pairs.append(("from", self.start.isoformat()))
        if self.end:
            pairs.append(("to", self.end.isoformat()))
        pairs += [("source", s) for s in self.sources]
        pairs += [("seniority", s) for s in self.levels]
        pairs += [("category", c) for c in self.categories]
        if self.min_ai > 0:
            pairs.append(("min_ai", f"{self.min_ai:g}"))
        if self.measure != "count":
            pairs.append(("measure", self.measure))
        if self.map_mode != "2d":
            pairs.append(("map", self.map_mode))
        return "?" + urlencode(pairs) if pairs else ""

    def with_notes(self, *notes: str) -> Filters:
        return replace(self, notes=self.notes + tuple(n for n in notes if n))


def _date(value: Any, name: str, notes: list[str]) -> dt.date | None:
    if value in (None, ""):
        return None
    text = str(value)[:40]
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        notes.append(f"Ignored the {name} date {text!r}: use YYYY-MM-DD.")
        return None
    if day < MIN_DATE or day > MAX_DATE:
        clamped = min(max(day, MIN_DATE), MAX_DATE)
        notes.append(f"The {name} date {day.isoformat()} is outside {MIN_DATE}..{MAX_DATE}; using {clamped}.")
        return clamped
    return day


def _values(raw: Any, name: str, notes: list[str], allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if raw in (None, ""):
        return ()
    items = [raw] if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        text = str(item)
        if not text.strip():
            continue
        if len(text) > MAX_VALUE_CHARS:
            notes.append(f"Ignored a {name} value longer than {MAX_VALUE_CHARS} characters.")
            continue
        if allowed is not None and text not in allowed:
            notes.append(f"Ignored unknown {name} {text[:60]!r}; choose from: {', '.join(allowed)}.")
            continue
        if text not in out:
            out.append(text)
    if len(out) > MAX_VALUES:
        notes.append(f"Kept the first {MAX_VALUES} {name} values.")
        out = out[:MAX_VALUES]
    return tuple(sorted(out, key=allowed.index) if allowed else sorted(out))


def _min_ai(raw: Any, notes: list[str]) -> float:
    if raw in (None, ""):
        return 0.0
    try:
        value = float(str(raw)[:20])
    except ValueError:
        notes.append(f"Ignored minimum AI relevance {str(raw)[:40]!r}: use a number from 0 to 1.")
        return 0.0
    if value != value or value < 0 or value > 1:  # NaN or out of range
        notes.append(f"Minimum AI relevance must be between 0 and 1; ignored {str(raw)[:40]!r}.")
        return 0.0
    return round(value, 2)


def build(start: Any = None, end: Any = None, sources: Any = None, levels: Any = None, categories: Any = None,
          min_ai: Any = None, measure: Any = None, map_mode: Any = None) -> Filters:
    """Validated ``Filters`` from loose values (widgets or URL); problems become ``notes``."""
    notes: list[str] = []
    first, last = _date(start, "start", notes), _date(end, "end", notes)
    if first and last and first > last:
        notes.append("The start date was after the end date; swapped them.")
        first, last = last, first
    return Filters(
        start=first, end=last,
        sources=_values(sources, "source", notes),
        levels=_values(levels, "seniority", notes, LEVELS),
        categories=_values(categories, "category", notes, CATEGORIES),
        min_ai=_min_ai(min_ai, notes),
        measure=measure if measure in MEASURES else "count",
        map_mode=map_mode if map_mode in MAP_MODES else "2d",
        notes=tuple(notes),
    )


def from_query(search: str | None) -> Filters:
    """Parse a URL query string (``?from=…&source=a&source=b…``); never raises."""
    text = (search or "").lstrip("?")[:10_000]
    try:
        qs = parse_qs(text, keep_blank_values=False, max_num_fields=500)
    except ValueError:
        return Filters(notes=("The link's filters could not be read; showing everything.",))

    def one(name: str) -> str | None:
        values = qs.get(name)
        return values[-1] if values else None

    def many(name: str, split: bool = True) -> list[str]:
        values = qs.get(name, [])
        return [v for value in values for v in value.split(",")] if split else list(values)

    filters = build(one("from"), one("to"), many("source", split=False), many("seniority"), many("category"),
                    one("min_ai"), one("measure"), one("map"))
    if one("measure") not in (None, *MEASURES):
        filters = filters.with_notes(f"Ignored measure {one('measure')[:40]!r}; use count or share.")
    return filters
