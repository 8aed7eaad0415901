"""Seniority classification and the AI relevance score (seed 004's rules, made exact)."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from schemas.postings import SeniorityLevel
from skillpulse.domain.matching import PhraseMatcher
from skillpulse.domain.taxonomy import read_yaml


@dataclass(frozen=True)
class Rules:
    """Seniority indicators with precedence, and the relevance formula's parameters."""

    seniority_matcher: PhraseMatcher[SeniorityLevel]
    precedence: tuple[SeniorityLevel, ...]
    default_level: SeniorityLevel
    title_keywords: PhraseMatcher[bool]
    skills_for_full: int
    skills_weight: float
    title_weight: float

    def classify_seniority(self, title: str) -> SeniorityLevel:
        """The most senior level whose indicator occurs in ``title`` as a whole word, else the default."""
        found = self.seniority_matcher.find(title)
        for level in self.precedence:
            if level in found:
                return level
        return self.default_level

    def has_ai_title(self, title: str) -> bool:
        """Whether the title holds an AI keyword as a whole word ("email" holds no "ai")."""
        return bool(self.title_keywords.find(title))

    def relevance_score(self, skills: Collection[str], title: str) -> float:
        """``min(len(skills)/5, 1) * 0.6 + (0.4 if AI keyword in title)``, rounded to 2 places."""
        score = min(len(skills) / self.skills_for_full, 1.0) * self.skills_weight
        if self.has_ai_title(title):
            score += self.title_weight
        return round(min(score, 1.0), 2)


def rules_from_data(data: dict[str, Any]) -> Rules:
    """Build rules from the structure of ``schemas/rules.yaml``."""
    seniority = data["seniority"]
    groups = [(SeniorityLevel(level), forms) for level, forms in seniority["indicators"].items()]
    relevance = data["relevance"]
    return Rules(
        seniority_matcher=PhraseMatcher.from_groups(groups),
        precedence=tuple(SeniorityLevel(level) for level in seniority["precedence"]),
        default_level=SeniorityLevel(seniority["default"]),
        title_keywords=PhraseMatcher({k: True for k in relevance["title_keywords"]}),
        skills_for_full=int(relevance["skills_for_full"]),
        skills_weight=float(relevance["skills_weight"]),
        title_weight=float(relevance["title_weight"]),
    )


def rules_source() -> bytes:
    """The packaged ``schemas/rules.yaml``'s bytes."""
    return resources.files("schemas").joinpath("rules.yaml").read_bytes()


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The packaged rules, loaded once per process."""
    return rules_from_data(read_yaml(rules_source().decode("utf-8")))
