"""The skill taxonomy as data: loading, validation and the skill matcher built from it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from skillpulse.domain.matching import PhraseMatcher
from skillpulse.domain.text import normalise

# The seed's five AI categories: what ``extracted_skills``, ``skill_categories`` and the AI score count.
CATEGORIES = ("ml_engineering", "data_science", "ai_infrastructure", "ai_product", "ai_strategy")
# General tech (languages, frameworks, databases, tools): extracted and counted, never counted as AI.
GENERAL = "general"
ALL_CATEGORIES = (*CATEGORIES, GENERAL)
TIERS = ("builder", "literacy")


def skill_id(name: str) -> str:
    """A stable id for a canonical skill name (``scikit-learn`` -> ``scikit_learn``)."""
    slug = re.sub(r"[^0-9a-z]+", "_", name.lower().replace("+", "p").replace("#", "sharp")).strip("_")
    return slug or "skill"


@dataclass(frozen=True)
class Skill:
    """One canonical skill: preferred label, category, optional AI tier and alternative labels."""

    name: str
    category: str
    tier: str | None = None
    aliases: tuple[str, ...] = ()
    seed: bool = False
    exact: tuple[str, ...] = ()  # labels matched in exactly this case only ("React": "react" is a verb)

    @property
    def id(self) -> str:
        return skill_id(self.name)

    @property
    def is_ai(self) -> bool:
        """Whether the skill counts as an AI skill (one of the seed's five categories)."""
        return self.category != GENERAL


@dataclass(frozen=True)
class Taxonomy:
    """All skills by canonical name, with a matcher over every label."""

    skills: dict[str, Skill]
    version: str = "1"
    matcher: PhraseMatcher[str] = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    def category_of(self, skill: str) -> str:
        return self.skills[skill].category

    @cached_property
    def ai_names(self) -> frozenset[str]:
        """Names of the skills that count as AI (``Skill.is_ai``), for set operations per posting."""
        return frozenset(name for name, skill in self.skills.items() if skill.is_ai)

    @cached_property
    def general_names(self) -> frozenset[str]:
        """Names of the general-tech skills (not ``Skill.is_ai``)."""
        return frozenset(name for name, skill in self.skills.items() if not skill.is_ai)

    def extract(self, text: str) -> set[str]:
        """Canonical names of the skills mentioned in ``text`` (whole words, any case, HTML ok)."""
        return self.matcher.find(text)


def taxonomy_from_data(data: dict[str, Any]) -> Taxonomy:
    """Build and validate a taxonomy from its YAML structure; raises ``ValueError`` on bad data."""
    skills: dict[str, Skill] = {}
    categories = data.get("categories") or {}
    unknown = set(categories) - set(ALL_CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}; allowed: {list(ALL_CATEGORIES)}")
    for category, entries in categories.items():
        for entry in entries or []:
            name = str(entry["name"]).strip()
            if name in skills:
                raise ValueError(f"skill {name!r} appears in {skills[name].category} and {category}")
            tier = entry.get("tier")
            if tier is not None and tier not in TIERS:
                raise ValueError(f"skill {name!r}: tier must be one of {TIERS}, got {tier!r}")
            aliases = tuple(str(a) for a in entry.get("aliases") or ())
            exact = tuple(str(a) for a in entry.get("exact") or ())
            skills[name] = Skill(name, category, tier, aliases, bool(entry.get("seed", False)), exact)
    labels = [(s.name, (s.name, *s.aliases)) for s in skills.values()]
    claimed = {normalise(form).strip() for _, forms in labels for form in forms}
    # Tag-style spellings ("ruby-on-rails", "amazon-web-services"), unless another label has that form.
    variants = [(name, [v for v in (f.replace(" ", "-") for f in forms if " " in f) if v not in claimed])
                for name, forms in labels]
    matcher = PhraseMatcher.from_groups(labels + variants, [(s.name, s.exact) for s in skills.values() if s.exact])
    return Taxonomy(skills=skills, version=str(data.get("version", "1")), matcher=matcher)


def read_yaml(text: str | bytes) -> Any:
    """Parse YAML data files (taxonomy, rules): libyaml's safe parser when PyYAML has it (~10x
    faster at start-up), else the pure-Python one.

    PyYAML is imported here, not at module level: a process that finds its taxonomy already
    compiled (``skillpulse enrich``'s cache) never pays for importing it.
    """
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def taxonomy_source(path: str | Path | None = None) -> bytes:
    """The taxonomy file's bytes: ``path``, or the packaged ``schemas/taxonomy.yaml``."""
    if path is None:
        return resources.files("schemas").joinpath("taxonomy.yaml").read_bytes()
    return Path(path).read_bytes()


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The taxonomy from ``path``, or the packaged ``schemas/taxonomy.yaml``."""
    return taxonomy_from_data(read_yaml(taxonomy_source(path).decode("utf-8")))


@lru_cache(maxsize=4)
def default_taxonomy(path: str | None = None) -> Taxonomy:
    """The taxonomy loaded once per process (per path)."""
    return load_taxonomy(path)
