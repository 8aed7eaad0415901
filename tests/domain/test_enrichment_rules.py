"""Enrichment rules (docs/enrichment.md: the seed sample made exact): skills, seniority, score, key."""
from __future__ import annotations

import pytest

from schemas.postings import EnrichedPosting, SeniorityLevel, parse_raw_posting
from skillpulse.domain.enrich import Enricher, default_enricher
from skillpulse.domain.keys import posting_key
from skillpulse.domain.matching import PhraseMatcher
from skillpulse.domain.rules import default_rules
from skillpulse.domain.taxonomy import default_taxonomy, taxonomy_from_data

SEED_TITLE = "Senior Machine Learning Engineer"
SEED_DESCRIPTION = ("We are looking for a deep learning engineer with experience in PyTorch, Transformers, and MLOps. "
                    "Strong Python skills and familiar with AWS infrastructure.")
LEAD_DESCRIPTION = ("Seeking an experienced Lead ML Engineer to design, develop, and deploy machine learning models. "
                    "Must have expertise in Python, TensorFlow, Kubernetes, and MLOps practices. Lead a team of data "
                    "scientists and engineers.")

# A toy taxonomy: matcher behaviour tested independently of the packaged data.
TOY = taxonomy_from_data({"categories": {
    "ml_engineering": [
        {"name": "deep learning", "tier": "builder", "aliases": ["deep-learning", "djupinlärning"]},
        {"name": "machine learning", "tier": "builder", "aliases": ["ml"]},
        {"name": "machine learning algorithms", "tier": "builder"},
        {"name": "chatgpt", "tier": "literacy"},
    ],
    "data_science": [{"name": "python"}, {"name": "r"}, {"name": "ab testing", "aliases": ["a/b testing"]}],
    "ai_infrastructure": [{"name": "aws"}, {"name": "c++"}, {"name": "c#"}, {"name": "node.js", "aliases": ["nodejs"]}],
    "ai_product": [{"name": "ux/ui"}, {"name": "go-to-market"}, {"name": "agile"}],
    "ai_strategy": [{"name": "roi"}],
}})


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return default_enricher()


def _raw(title: str, description: str = "", **extra):
    return parse_raw_posting({"title": title, "description": description, "posted_date": "2023-01-15",
                              "source": "LinkedIn", **extra})


# --- the seed's samples --------------------------------------------------------------------------
def test_seed_004_sample_gives_the_seeds_expected_output(enricher):
    # Seed 004 "Test Logic on Sample Data": six skills, SENIOR, 1.00 (6 skills cap at 0.6, "machine
    # learning" in the title adds 0.4). "engineer", "infrastructure", "skills" match nothing.
    out = enricher.enrich(_raw(SEED_TITLE, SEED_DESCRIPTION))
    assert set(out.extracted_skills) == {"python", "deep learning", "pytorch", "mlops", "transformers", "aws"}
    assert out.seniority_level == SeniorityLevel.SENIOR
    assert f"{out.ai_relevance_score:.2f}" == "1.00"


def test_seed_004_lead_ml_engineer_sample(enricher):
    # Seed 004's processed sample: "ML"/"machine learning" -> machine learning; "Lead" wins over
    # nothing else; five skills and "ML" in the title give 1.0. "data scientists" is not a skill.
    out = enricher.enrich(_raw("Lead ML Engineer", LEAD_DESCRIPTION, url="https://www.linkedin.com/jobs/123456789"))
    assert out.extracted_skills == ["kubernetes", "machine learning", "mlops", "python", "tensorflow"]
    assert out.seniority_level == SeniorityLevel.LEAD
    assert out.ai_relevance_score == 1.0


def test_enriched_posting_keeps_input_fields_and_sorts_lists(enricher):
    out = enricher.enrich(_raw(SEED_TITLE, SEED_DESCRIPTION, company="Acme", board_rank=3))
    dumped = out.model_dump(mode="json")
    assert dumped["board_rank"] == 3  # unknown input fields are kept
    assert dumped["company"] == "Acme" and dumped["source"] == "LinkedIn"
    assert dumped["extracted_skills"] == sorted(dumped["extracted_skills"])
    assert dumped["skill_categories"] == ["ai_infrastructure", "data_science", "ml_engineering"]
    assert dumped["ai_tiers"] == ["builder"]
    assert dumped["posting_key"] == posting_key(SEED_TITLE, "Acme", None)
    assert dumped["pipeline_version"] == "v1"
    EnrichedPosting.model_validate(dumped)  # what we emit is a valid enriched posting


def test_enrich_many_equals_enrich_one_by_one(enricher):
    raws = [_raw(SEED_TITLE, SEED_DESCRIPTION), _raw("Lead ML Engineer", LEAD_DESCRIPTION), _raw("Chef", "")]
    assert enricher.enrich_many(raws) == [enricher.enrich(r) for r in raws]


def test_skill_model_hook_runs_once_per_batch_and_only_adds_known_skills():
    calls = []

    def model(descriptions):
        calls.append(list(descriptions))
        return [{"sql", "not a skill"} for _ in descriptions]

    hybrid = Enricher(default_taxonomy(), default_rules(), "v2", model=model)
    out = hybrid.enrich_many([_raw("Analyst", "Python"), _raw("Analyst", "R")])
    assert len(calls) == 1 and len(calls[0]) == 2  # batched: one model call, never per message
    assert [o.extracted_skills for o in out] == [["python", "sql"], ["r", "sql"]]
    assert {o.pipeline_version for o in out} == {"v2"}


# --- word boundaries, punctuation, HTML, languages (packaged taxonomy) ----------------------------
@pytest.mark.parametrize(("text", "expected", "why"), [
    ("Looking for research engineers", set(), "r is not inside 'for' or 'research'"),
    ("We follow the laws of Sweden", set(), "aws is not inside 'laws'"),
    ("Our Android app", set(), "roi is not inside 'android'"),
    ("Handle fragile parcels", set(), "agile is not inside 'fragile'"),
    ("Internal tools, doctoral degree, maintenance, email, format", set(), "seniority/AI traps are no skills"),
    ("R&D department", set(), "r is not the r of r&d"),
    ("Experience in R and SQL", {"r", "sql"}, "a lone R is the language"),
    ("C++ and C# developers", {"c++", "c#"}, "+ and # belong to the name"),
    ("Plan C, vitamin C", set(), "a lone c is no skill"),
    ("C programming", {"c language"}, "c named as a language is"),
    ("UX/UI design", {"ux/ui"}, "slash inside a skill"),
    ("Own our go-to-market plan", {"go-to-market"}, "hyphenated phrase"),
    ("go-to-marketing", set(), "the phrase must end at a word boundary"),
    ("Node.js, TypeScript", {"node.js", "typescript"}, "dot inside a skill, comma after it"),
    ("Azure, AWS-based platforms", {"azure", "aws"}, "hyphen ends a word"),
    ("(PyTorch) TensorFlow; Keras.", {"pytorch", "tensorflow", "keras"}, "brackets and punctuation"),
    ("PYTORCH", {"pytorch"}, "case-insensitive"),
    ("machine\nlearning", {"machine learning"}, "line break inside a phrase"),
    ("deep \r\n\t learning", {"deep learning"}, "any white space inside a phrase"),
    ("<p>Deep<br/>Learning &amp; <b>PyTorch</b></p>", {"deep learning", "pytorch"}, "HTML read as text"),
    ("<li>Scikit-Learn</li><li>K8s</li>", {"scikit-learn", "kubernetes"}, "tags end words"),
    ("scikit-learn's API", {"scikit-learn"}, "apostrophe ends a word"),
    ("Vi söker dig med erfarenhet av maskininlärning och statistik", {"machine learning", "statistics"}, "Swedish"),
    ("Kunskaper i djupinlärning, dataanalys och molntjänster", {"deep learning", "data analysis", "cloud computing"},
     "Swedish"),
    ("arbete för forskning", set(), "Swedish 'för'/'forskning' hold no r or for"),
    ("A/B testing and LLMs", {"ab testing", "llm"}, "aliases with slash and plural"),
])
def test_extraction(text, expected, why):
    assert default_taxonomy().extract(text) == expected, why


# --- the same rules on the toy taxonomy ------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("deep-learning, ML and R", {"deep learning", "machine learning", "r"}),   # aliases and a one-letter skill
    ("machine learning algorithms", {"machine learning", "machine learning algorithms"}),  # nested phrases both count
    ("html5 xml mlx", set()),                                                  # ml inside other words
    ("c++/c#", {"c++", "c#"}),
    ("nodejs or node.js", {"node.js"}),                                        # two forms, one skill
    ("the laws of android", set()),
    ("agile, not fragile", {"agile"}),
    ("go-to-market", {"go-to-market"}),
    ("a/b testing", {"ab testing"}),
    ("ChatGPT", {"chatgpt"}),
    ("DJUPINLÄRNING", {"deep learning"}),                                      # case folding beyond ASCII
])
def test_toy_taxonomy_matching(text, expected):
    assert TOY.extract(text) == expected


def test_phrase_matcher_rejects_a_form_claimed_by_two_values():
    with pytest.raises(ValueError, match="claimed by both"):
        PhraseMatcher.from_groups([("a", ["x y"]), ("b", ["X  Y"])])  # same form after normalisation


# --- seniority --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("title", "level", "why"), [
    ("Lead ML Engineer", "lead", "lead is a lead indicator (the seed lists it under senior too; lead is more senior)"),
    ("Associate Director of AI", "director", "director outranks associate (entry)"),
    ("Senior Staff Engineer", "senior", "senior outranks staff (mid)"),
    ("Data Scientist", "mid", "no indicator"),
    ("Chief AI Officer", "executive", "chief"),
    ("CTO", "executive", "cto as a word"),
    ("VP of Data", "vp", "vp"),
    ("Vice President, Machine Learning", "vp", "phrase indicator"),
    ("SVP Data & AI", "vp", "svp"),
    ("Head of Data", "director", "head of"),
    ("Senior Engineering Manager", "lead", "manager (lead) outranks senior"),
    ("Sr. Data Engineer", "senior", "abbreviation with a dot"),
    ("Principal AI Architect", "senior", "principal"),
    ("Staff Data Scientist", "mid", "staff is the seed's mid indicator"),
    ("Mid-Level Data Engineer", "mid", "hyphenated mid-level"),
    ("Junior Data Analyst", "entry", "junior"),
    ("Machine Learning Intern", "entry", "intern"),
    ("Entry-Level Analyst", "entry", "hyphenated entry-level"),
    ("Associate Data Scientist", "entry", "associate"),
    ("Internal Auditor", "mid", "internal is not intern"),
    ("Doctoral Researcher", "mid", "doctoral holds no cto"),
    ("Directorate Liaison", "mid", "directorate is not director"),
    ("Praktikant, Dataanalytiker", "entry", "Swedish intern"),
    ("Chef för dataanalys", "lead", "Swedish manager"),
])
def test_seniority_precedence(title, level, why):
    assert default_rules().classify_seniority(title) == SeniorityLevel(level), why


# --- AI relevance score -------------------------------------------------------------------------------
@pytest.mark.parametrize(("n_skills", "title", "score"), [
    (6, "Senior Machine Learning Engineer", 1.0),   # 0.6 (capped at 5 skills) + 0.4
    (5, "Data Engineer", 0.6),                      # no AI keyword in the title
    (2, "Data Scientist", 0.64),                    # 2/5*0.6 = 0.24, + 0.4
    (0, "AI Product Manager", 0.4),                 # title only
    (3, "Head of ML", 0.76),                        # 0.36 + 0.4
    (4, "Artificial Intelligence Lead", 0.88),      # 0.48 + 0.4
    (10, "MLOps Engineer", 1.0),                    # never above 1
    (0, "AI-utvecklare", 0.4),                      # hyphen ends the word "ai"
    (1, "Maintenance Planner", 0.12),               # "maintenance" holds no "ai"
    (0, "Email Marketing Coordinator", 0.0),        # nor does "email"
    (3, "Detail-oriented HTML developer", 0.36),    # nor "detail"; "html" holds no "ml"
])
def test_relevance_score_formula(n_skills, title, score):
    skills = [f"s{i}" for i in range(n_skills)]
    assert default_rules().relevance_score(skills, title) == score


# --- posting key -------------------------------------------------------------------------------------------
def test_posting_key_ignores_case_and_white_space():
    assert posting_key("Lead ML Engineer", "Acme AB", "Stockholm") == \
        posting_key("  lead  ML\tengineer ", "ACME AB", "stockholm ")


def test_posting_key_ignores_unicode_form():
    assert posting_key("ＡＩ Engineer", "Åkerö AB", "Solna") == posting_key("AI Engineer", "Åkerö AB", "Solna")
    assert posting_key("AI Engineer", "Åkerö AB", "Solna") == posting_key("AI Engineer", "A\u030akerö AB", "Solna")


@pytest.mark.parametrize("other", [
    ("Lead ML Engineer", "Other AB", "Stockholm"),   # company matters
    ("Lead ML Engineer", "Acme AB", "Uppsala"),      # location matters
    ("Senior ML Engineer", "Acme AB", "Stockholm"),  # title matters
    ("Lead ML Engineer Acme AB", None, "Stockholm"),  # fields do not run into each other
])
def test_posting_key_distinguishes_fields(other):
    assert posting_key("Lead ML Engineer", "Acme AB", "Stockholm") != posting_key(*other)


def test_posting_key_is_stable_across_releases():
    # It is the Kafka message key and the dedupe key of stored data: changing it splits history.
    assert posting_key(SEED_TITLE, None, None) == "0826a3a3aefdeb6895aa3daabc80e989"
    assert posting_key(SEED_TITLE, None, None) == posting_key(SEED_TITLE, "", "")
    assert len(posting_key("x", "y", "z")) == 32


# --- AI skills apart from general tech --------------------------------------------------------------
BACKEND = "Java, Git, CI/CD, Jira, Linux, Terraform, PostgreSQL, Excel. Agile team."


def test_backend_posting_is_not_ai(enricher):
    # Generic software tools are general tech: found and kept, but no AI skill and no AI score.
    # (The seed counts "agile" as an AI-product skill; the seed decides where its skills sit.)
    out = enricher.enrich(_raw("Backend Developer", BACKEND.replace(" Agile team.", "")))
    assert out.extracted_skills == [] and out.skill_categories == []
    assert out.ai_relevance_score == 0.0
    assert out.general_skills == ["ci/cd", "git", "java", "jira", "linux", "postgresql", "terraform"]


def test_seed_sample_keeps_its_ai_skills_and_no_general_ones(enricher):
    out = enricher.enrich(_raw(SEED_TITLE, SEED_DESCRIPTION))
    assert set(out.extracted_skills) == {"python", "deep learning", "pytorch", "mlops", "transformers", "aws"}
    assert out.general_skills == [] and out.ai_relevance_score == 1.0


@pytest.mark.parametrize(("text", "expected", "why"), [
    ("Spring Boot, Hibernate and Kotlin", {"spring boot", "hibernate", "kotlin"}, "JVM stack"),
    ("React.js, Vue.js, Angular, HTML5 and CSS3", {"react.js", "vue.js", "angular", "html", "css"}, "front end"),
    ("MongoDB, Redis, MySQL 8", {"mongodb", "redis", "mysql"}, "databases and versions"),
    ("ruby-on-rails, amazon-web-services", {"ruby on rails", "aws"}, "tag spellings of phrases (longest span)"),
    ("Java 11 and Core Java", {"java"}, "versions are aliases of the language"),
    ("TDD, BDD and pair programming", {"test-driven development", "behavior-driven development",
                                       "pair programming"}, "methods"),
    (". NET and C#", {".net", "c#"}, "a tokenised .NET"),
    ("Frontend in React and Node, services in Go.", {"react.js", "node.js", "golang"}, "exact-case labels"),
    ("React Native apps; Spring Boot", {"react native", "spring boot"}, "a longer label wins over an exact one"),
    ("JS-utvecklare till vårt team. E2E-tester", {"javascript", "end-to-end testing"},
     "an acronym counts at a sentence's start too"),
])
def test_general_skills_found(text, expected, why):
    found = {v for _, _, v in default_taxonomy().matcher.find_spans(text)}  # longest match per span
    assert found == expected, why
    assert all(not default_taxonomy().skills[s].is_ai for s in found if s != "aws"), why


@pytest.mark.parametrize("text", [
    "We react quickly and keep a swift process.", "Go the extra mile this spring.", "You excel at it.",
    "A safe, lean team at the helm.", "Shell, soap, rest and containers.", "The rest of the team.",
    "A typical workday with the postman.", "Chef and vagrant puppets", "Our database of contacts.",
    "We do software development and software engineering.",
    "We meet bi-weekly. React fast. Go home.", "Swift work? No: we react, we go.",
])
def test_risky_everyday_words_are_no_skills(text):
    assert default_taxonomy().extract(text) == set(), text
