"""Span text -> canonical taxonomy skill: exact label match (any case, whole span). Pure."""
from __future__ import annotations

from skillpulse.domain.taxonomy import Taxonomy
from skillpulse.domain.text import readable


def resolve_skill(taxonomy: Taxonomy, surface: str) -> str | None:
    """The canonical skill whose label is exactly ``surface`` (any case), else None."""
    shown = readable(surface).strip()
    spans = taxonomy.matcher.find_spans_readable(shown)
    if len(spans) == 1 and spans[0][0] == 0 and spans[0][1] == len(shown):
        return spans[0][2]
    return None


def skill_name(taxonomy: Taxonomy, surface: str) -> str:
    """Canonical name if known, else the normalised surface form."""
    return resolve_skill(taxonomy, surface) or " ".join(surface.lower().split())
