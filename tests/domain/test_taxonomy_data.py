"""The packaged taxonomy (schemas/taxonomy.yaml) keeps the seed's skills and stays consistent."""
from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest
import yaml

from skillpulse.domain.taxonomy import CATEGORIES, GENERAL, TIERS, default_taxonomy, load_taxonomy, taxonomy_from_data
from skillpulse.domain.text import normalise


def _seed_ai_skills() -> dict[str, list[str]]:
    """Seed 004's AI_SKILLS from its one faithful copy, ``bench/seed_reference.py`` (loaded by path)."""
    path = Path(__file__).resolve().parents[2] / "bench" / "seed_reference.py"
    spec = importlib.util.spec_from_file_location("_seed_reference_for_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {category: list(skills) for category, skills in module.AI_SKILLS.items()}


# The seed's canonical names: the taxonomy must keep exactly these.
SEED_AI_SKILLS = _seed_ai_skills()
SEED_PAIRS = [(skill, category) for category, skills in SEED_AI_SKILLS.items() for skill in skills]


@pytest.fixture(scope="module")
def taxonomy():
    return default_taxonomy()


@pytest.fixture(scope="module")
def raw_yaml():
    from importlib import resources

    return yaml.safe_load(resources.files("schemas").joinpath("taxonomy.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("skill", "category"), SEED_PAIRS)
def test_every_seed_skill_is_present_under_its_seed_name_and_category(taxonomy, skill, category):
    # Downstream charts and the seed's expected outputs use these exact names.
    assert skill in taxonomy.skills
    assert taxonomy.skills[skill].category == category
    assert taxonomy.skills[skill].seed is True


def test_only_seed_skills_are_marked_seed(taxonomy):
    # `seed: true` is how the dashboard can show the seed's view; it must not drift.
    marked = {s.name for s in taxonomy.skills.values() if s.seed}
    assert marked == {skill for skill, _ in SEED_PAIRS}


def test_categories_are_the_seed_five_plus_general(taxonomy):
    # AI skills sit in the seed's five categories; general tech in its own, never counted as AI.
    assert set(CATEGORIES) == set(SEED_AI_SKILLS)
    assert {s.category for s in taxonomy.skills.values()} == {*CATEGORIES, GENERAL}
    assert {s.category for s in taxonomy.skills.values() if s.is_ai} == set(CATEGORIES)


@pytest.mark.parametrize("skill", ["java", "git", "linux", "jira", "terraform", "c++", "postgresql", "ci/cd",
                                   "javascript", "microsoft excel", "react.js", "spring boot", "oracle database"])
def test_generic_software_is_general_tech_not_ai(taxonomy, skill):
    assert taxonomy.skills[skill].category == GENERAL and not taxonomy.skills[skill].is_ai


def test_general_tech_is_broad(taxonomy):
    # Languages, frameworks, databases, clouds, tools, methods: well over 1,000 labels of their own.
    general = [s for s in taxonomy.skills.values() if s.category == GENERAL]
    assert len(general) >= 600
    assert sum(1 + len(s.aliases) for s in general) >= 1500


def test_at_least_300_canonical_skills(taxonomy):
    assert len(taxonomy.skills) >= 300


def test_every_skill_sits_in_exactly_one_category(raw_yaml):
    # The loader keys skills by name, so a second entry would silently win; count the raw file.
    names = Counter(str(e["name"]).strip() for entries in raw_yaml["categories"].values() for e in entries)
    assert [n for n, c in names.items() if c > 1] == []


def test_no_label_is_claimed_by_two_skills(raw_yaml):
    # One surface form must mean one skill, or extraction would depend on load order.
    owner: dict[str, str] = {}
    clashes = []
    for entries in raw_yaml["categories"].values():
        for e in entries:
            for form in (e["name"], *(e.get("aliases") or [])):
                key = normalise(str(form)).strip()
                if key in owner and owner[key] != e["name"]:
                    clashes.append((form, owner[key], e["name"]))
                owner.setdefault(key, e["name"])
    assert clashes == []


def test_tiers_are_valid_and_every_ml_engineering_skill_has_one(taxonomy):
    # The builder/literacy split is only meaningful if every AI skill is on one side.
    assert {s.tier for s in taxonomy.skills.values()} <= {*TIERS, None}
    assert [s.name for s in taxonomy.skills.values() if s.category == "ml_engineering" and s.tier is None] == []
    assert [s.name for s in taxonomy.skills.values() if s.category != "ml_engineering" and s.tier] == []


@pytest.mark.parametrize(("skill", "tier"), [
    ("pytorch", "builder"), ("fine-tuning", "builder"), ("mlops", "builder"),
    ("retrieval-augmented generation", "builder"), ("vector databases", "builder"),
    ("prompt engineering", "literacy"), ("chatgpt", "literacy"), ("copilot", "literacy"),
    ("claude", "literacy"), ("gemini", "literacy"), ("ai tools", "literacy"),
])
def test_example_tiers(taxonomy, skill, tier):
    assert taxonomy.skills[skill].tier == tier


@pytest.mark.parametrize(("text", "skill"), [
    ("sklearn", "scikit-learn"), ("scikit learn", "scikit-learn"), ("K8s", "kubernetes"),
    ("A/B testing", "ab testing"), ("LLMs", "llm"), ("Hugging Face", "huggingface"), ("Databricks", "data bricks"),
    ("GenAI", "generative ai"), ("RAG", "retrieval-augmented generation"), ("Golang", "golang"),
    # Swedish terms common in Stockholm ads
    ("maskininlärning", "machine learning"), ("djupinlärning", "deep learning"), ("statistik", "statistics"),
    ("dataanalys", "data analysis"), ("datorseende", "computer vision"), ("molntjänster", "cloud computing"),
    ("projektledning", "project management"), ("stora språkmodeller", "large language models"),
])
def test_aliases_map_to_their_canonical_skill(taxonomy, text, skill):
    assert taxonomy.extract(f"Erfarenhet av {text}.") == {skill}


@pytest.mark.parametrize("word", [
    # Everyday words that look like tech names; none may be a label (they would flood the counts).
    "go", "spring", "swift", "excel", "react", "helm", "beam", "hive", "ray", "julia", "safe", "lean",
    "cv", "ner", "bert", "sas", "design", "engineer", "experience", "infrastructure", "skills", "data",
    "team", "cloud", "security", "testing", "models", "leadership", "communication", "research", "for",
    # and beside the general-tech labels
    "rest", "soap", "shell", "chef", "puppet", "vagrant", "workday", "postman", "containers", "tailwind",
    "database", "development", "engineering", "platform", "product", "monitoring", "automation", "windows",
    "node", "apache", "mobile", "consul", "zookeeper", "celery", "cucumber", "storm", "mercurial", "c",
])
def test_everyday_words_are_not_labels(taxonomy, word):
    assert taxonomy.extract(f"We {word} it. {word.capitalize()} matters.") == set()


def test_loader_rejects_a_label_claimed_twice():
    data = {"categories": {"ml_engineering": [{"name": "pytorch", "tier": "builder", "aliases": ["torch"]}],
                           "data_science": [{"name": "torch"}]}}
    with pytest.raises(ValueError, match="claimed by both"):
        taxonomy_from_data(data)


def test_loader_rejects_a_skill_in_two_categories():
    data = {"categories": {"data_science": [{"name": "sql"}], "ai_infrastructure": [{"name": "sql"}]}}
    with pytest.raises(ValueError, match="appears in"):
        taxonomy_from_data(data)


def test_loader_rejects_unknown_categories_and_tiers():
    with pytest.raises(ValueError, match="unknown categories"):
        taxonomy_from_data({"categories": {"quantum": [{"name": "qubits"}]}})
    with pytest.raises(ValueError, match="tier"):
        taxonomy_from_data({"categories": {"ml_engineering": [{"name": "x", "tier": "wizard"}]}})


def test_a_taxonomy_file_can_replace_the_packaged_one(tmp_path):
    # SKILLPULSE_TAXONOMY / --taxonomy point here.
    path = tmp_path / "tax.yaml"
    path.write_text("version: 9\ncategories:\n  data_science:\n    - {name: sql, aliases: [t-sql]}\n", encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.version == "9"
    assert taxonomy.extract("T-SQL and Python") == {"sql"}
