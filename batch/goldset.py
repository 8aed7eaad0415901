"""A synthetic labelled set: postings whose skill mentions are known exactly.

Used by tests and ``bench/batch.py``. Mentions use the taxonomy's labels and, at ``unknown_rate``,
spellings the taxonomy lacks ("Torch", "Sci-kit Learn", "Kube") or skills outside it ("Terraform",
"dbt"): what an LLM labeller would mark and the taxonomy alone misses. Gold spans index
``readable(description)``; deterministic for a seed.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

from skillpulse.extraction.bio import Span
from schemas.postings import RawPosting
from skillpulse.domain.taxonomy import Taxonomy, default_taxonomy
from skillpulse.domain.weeks import monday

# Canonical taxonomy skill -> spellings the taxonomy does not know (none contains a taxonomy term).
UNKNOWN_ALIASES: dict[str, tuple[str, ...]] = {
    "pytorch": ("Torch", "torch", "PyTorch2"),
    "scikit-learn": ("Sci-kit Learn", "SciKit", "scikit-lern"),
    "kubernetes": ("Kube",),
    "large language models": ("large-language models",),
    "huggingface": ("Hugging-Face",),
    "natural language processing": ("natural-language processing",),
    "machine learning": ("ML", "machine-learnt models"),
    "deep learning": ("DL",),
    "computer vision": ("computer-vision",),
    "statistics": ("stats",),
    "ab testing": ("split testing", "split-tests"),
    "feature engineering": ("feature-engineering",),
    "time series analysis": ("time-series modelling", "timeseries work"),
    "product management": ("product-management",),
}
# Skills outside the taxonomy (become skill candidates when a model finds them).
# Both lists are filtered against the taxonomy in use, which grows: a form it learns stops counting.
OUTSIDE_SKILLS = ("Terraform", "dbt", "Tableau", "Metabase", "Looker", "MLflow", "LangChain", "Redis",
                  "Java", "Scala", "FastAPI", "PostgreSQL", "Weights & Biases", "ONNX", "Triton",
                  "Dagster", "Prefect", "Polars", "DuckDB", "Qdrant", "Weaviate", "BentoML", "Streamlit",
                  "Gradio", "Elixir", "Haskell", "OCaml", "Svelte", "Pulumi", "Grafana", "Neo4j",
                  "Cassandra", "Flink", "Superset", "Metaflow", "Feast", "Evidently", "Label Studio")

TITLES = ("Machine Learning Engineer", "Data Scientist", "Senior Data Engineer", "AI Product Manager",
          "Lead ML Engineer", "Junior Data Analyst", "MLOps Engineer", "Applied Scientist",
          "Director of AI Strategy", "NLP Engineer", "Computer Vision Engineer", "Analytics Engineer")
COMPANIES = ("Spotify", "Klarna", "King", "Ericsson", "Volvo Cars", "H&M Group", "Zalando", "Northvolt",
             "Epidemic Sound", "Tink", "Voi", "Einride", "Sinch", "Truecaller", "iZettle")
LOCATIONS = ("Stockholm, Sweden", "Gothenburg, Sweden", "Malmö, Sweden", "Uppsala, Sweden", "Remote")

# {0}, {1}, {2}: skill slots. Filler words are chosen to hold no taxonomy term.
TEMPLATES = (
    "You have solid experience with {0} and {1}.",
    "Familiarity with {0}, {1} or {2} is a plus.",
    "Our stack includes {0}, {1} and {2}.",
    "You will design and ship systems using {0}.",
    "Hands-on knowledge of {0} is required.",
    "Bonus points for {0} or {1}.",
    "We value practical skills in {0} together with {1}.",
    "Day to day you work with {0}, {1} and {2} in a small team.",
    "Experience in {0} would be great.",
)
FILLERS = (
    "We are a fast-growing company in the Nordics.",
    "Join a friendly team that cares about quality.",
    "You will collaborate with engineers and designers across the company.",
    "We offer flexible hours, a yearly learning budget and a modern office.",
    "Our mission is to make everyday life simpler for millions of people.",
    "You enjoy owning problems end to end.",
    "Apply today and tell us about something you built.",
)


@dataclass(frozen=True)
class GoldPosting:
    """A raw posting and its gold spans (over ``readable(raw.description)``, here the text itself)."""

    raw: RawPosting
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class _Vocabulary:
    unknown: dict[str, tuple[str, ...]]
    outside: tuple[str, ...]
    templates: tuple[str, ...]
    fillers: tuple[str, ...]


def _vocabulary(taxonomy: Taxonomy) -> _Vocabulary:
    """The lists above minus anything the taxonomy in use would match."""
    unknown = {k: tuple(a for a in v if not taxonomy.extract(a))
               for k, v in UNKNOWN_ALIASES.items() if k in taxonomy.skills}
    return _Vocabulary(
        unknown={k: v for k, v in unknown.items() if v},
        outside=tuple(s for s in OUTSIDE_SKILLS if not taxonomy.extract(s)),
        templates=tuple(t for t in TEMPLATES if not taxonomy.extract(t.format("", "", ""))),
        fillers=tuple(f for f in FILLERS if not taxonomy.extract(f)),
    )


def _surface(rng: random.Random, taxonomy: Taxonomy, vocab: _Vocabulary, unknown_rate: float,
             outside_rate: float) -> tuple[str, str]:
    """A (surface form, gold skill) pair for one slot."""
    if vocab.outside and rng.random() < outside_rate:
        name = rng.choice(vocab.outside)
        return name, name.lower()
    if vocab.unknown and rng.random() < unknown_rate:
        skill = rng.choice(sorted(vocab.unknown))
        return rng.choice(vocab.unknown[skill]), skill
    skill = rng.choice(sorted(s for s, info in taxonomy.skills.items() if info.is_ai))  # AI ads: AI skills
    forms = (skill, *taxonomy.skills[skill].aliases)
    form = rng.choice(forms)
    style = rng.random()
    if style < 0.3 and len(form) > 3:
        form = form.title() if " " in form else form.capitalize()
    elif style < 0.4 and len(form) <= 4:
        form = form.upper()
    return form, skill


def synthetic_goldset(n: int, seed: int = 0, *, end_week: dt.date = dt.date(2024, 3, 4), weeks: int = 4,
                      unknown_rate: float = 0.25, outside_rate: float = 0.1,
                      taxonomy: Taxonomy | None = None) -> list[GoldPosting]:
    """``n`` postings spread over ``weeks`` weeks ending with the week of ``end_week``."""
    taxonomy = taxonomy or default_taxonomy()
    rng = random.Random(seed)
    vocab = _vocabulary(taxonomy)
    first = monday(end_week) - dt.timedelta(weeks=weeks - 1)
    out: list[GoldPosting] = []
    for i in range(n):
        parts: list[str] = []
        spans: list[Span] = []
        pos = 0

        def add(piece: str) -> None:
            nonlocal pos
            if parts:
                parts.append(" ")
                pos += 1
            parts.append(piece)
            pos += len(piece)

        add(rng.choice(vocab.fillers))
        for template in rng.sample(vocab.templates, rng.randint(2, 4)):
            slots = template.count("{")
            chosen: list[tuple[str, str]] = []
            while len(chosen) < slots:
                form, skill = _surface(rng, taxonomy, vocab, unknown_rate, outside_rate)
                if all(skill != s for _, s in chosen):
                    chosen.append((form, skill))
            base = pos + (1 if parts else 0)
            sentence = ""
            for piece in re.split(r"(\{\d\})", template):
                if re.fullmatch(r"\{\d\}", piece):
                    form, skill = chosen[int(piece[1])]
                    start = base + len(sentence)
                    spans.append(Span(start, start + len(form), form, skill))
                    piece = form
                sentence += piece
            add(sentence)
        add(rng.choice(vocab.fillers))
        title = rng.choice(TITLES)
        raw = RawPosting(
            title=title, description="".join(parts), source="synthetic",
            company=rng.choice(COMPANIES), location=rng.choice(LOCATIONS),
            posted_date=first + dt.timedelta(days=rng.randrange(7 * weeks)),
            source_id=f"gold-{seed}-{i}",
        )
        out.append(GoldPosting(raw, tuple(spans)))
    return out
