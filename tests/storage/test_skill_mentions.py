"""weekly_skill_mentions: every skill counted (AI, general, model open-vocabulary), exact under
redelivery and replay (real embedded ClickHouse)."""
from __future__ import annotations

import datetime as dt

import pytest

from schemas.postings import parse_raw_posting
from schemas.tables import MODEL_SKILLS
from skillpulse import storage
from skillpulse.domain.enrich import default_enricher
from skillpulse.settings import Settings

DB = "skillpulse"
MONDAY = dt.date(2026, 11, 16)


def _raw(title, description, day=MONDAY, company="Acme"):
    return parse_raw_posting({"title": title, "description": description, "posted_date": day.isoformat(),
                              "source": "test", "company": company})


POSTINGS = [
    _raw("Backend Engineer", "Java, Git, CI/CD, Jira, Linux, Terraform, PostgreSQL and Excel."),
    _raw("ML Engineer", "PyTorch and Python; Java is a plus.", company="Beta"),
    _raw("Data Engineer", "Kafka, Java and dbt.", day=MONDAY + dt.timedelta(days=8), company="Gamma"),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    c = storage.connect(Settings(), url=f"chdb://{tmp_path_factory.mktemp('mentions') / 'ch'}")
    storage.migrate(c, DB)
    storage.set_version_status(c, "v1", "active", database=DB)
    yield c
    c.close()


def _mentions(client) -> dict[tuple, tuple[int, str, int]]:
    rows = client.query(f"SELECT week_start, skill, in_taxonomy, category, count FROM {DB}.weekly_skill_mentions"
                        ).result_rows
    return {(w, s): (t, c, n) for w, s, t, c, n in rows}


def _insert_all(client, version="v1", offset=0):
    enriched = default_enricher(version).enrich_many(POSTINGS)
    storage.insert_postings(client, [storage.posting_row(e, 0, offset + i) for i, e in enumerate(enriched)], DB)
    return enriched


def test_counts_every_skill_once_per_posting_under_redelivery_and_replay(client):
    enriched = _insert_all(client)
    _insert_all(client, offset=100)  # redelivered: same keys, replaced
    # the batch's model: an open-vocabulary skill, a mapped one, written twice (re-run of a window)
    model_rows = [["v1", enriched[0].posting_key, "spring boot", "Spring Boot", "m1", "r1"],
                  ["v1", enriched[0].posting_key, "java", "java", "m1", "r1"],
                  ["v1", enriched[1].posting_key, "metaflow", "Metaflow", "m1", "r1"]]
    for _ in range(2):
        MODEL_SKILLS.insert(client, DB, model_rows)
    # a replay under v2 (not active) must not count
    _insert_all(client, version="v2")
    MODEL_SKILLS.insert(client, DB, [MODEL_SKILLS.row("v2", enriched[0].posting_key, "cobol", "COBOL", "m1", "r1")])

    got = _mentions(client)
    week2 = MONDAY + dt.timedelta(days=7)
    assert got[(MONDAY, "java")] == (1, "general", 2)        # taxonomy and model on one posting: 2 postings
    assert got[(week2, "java")] == (1, "general", 1)
    assert got[(MONDAY, "pytorch")] == (1, "ml_engineering", 1)
    assert got[(MONDAY, "postgresql")] == (1, "general", 1)
    assert got[(MONDAY, "metaflow")] == (0, "", 1)           # open vocabulary: not in the taxonomy
    assert (MONDAY, "cobol") not in got                       # other pipeline version
    assert got[(week2, "kafka")] == (1, "ai_infrastructure", 1)


def test_backend_posting_is_stored_with_general_skills_and_no_ai_skills(client):
    rows = client.query(f"SELECT extracted_skills, general_skills, ai_relevance_score FROM {DB}.postings_all FINAL "
                        "WHERE title = 'Backend Engineer' AND pipeline_version = 'v1'").result_rows
    assert rows == [([], ["ci/cd", "git", "java", "jira", "linux", "postgresql", "terraform"], 0.0)]
