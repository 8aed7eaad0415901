"""Dashboard queries against a real chDB holding enriched synthetic postings: the numbers must be
the ones a person would count by hand from the same postings."""
from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from dashboard.filters import AI_RELEVANT, Filters, build
from skillpulse.domain.weeks import monday
from dashboard.queries import ClientPool, DashboardData
from skillpulse.settings import Settings


@pytest.fixture(scope="module")
def data(filled_db):
    client, _ = filled_db
    data = DashboardData(ClientPool(client, Settings()), "skillpulse")
    yield data
    data.close()


def _weekly(postings):
    return Counter(monday(p.posted_date) for p in postings)


def test_weekly_volume_and_ai_share_match_the_postings(data, filled_db):
    _, postings = filled_db
    weeks = data.weeks(Filters())
    assert dict(zip(weeks["week_start"], weeks["postings"], strict=True)) == _weekly(postings)
    relevant = Counter(monday(p.posted_date) for p in postings if p.ai_relevance_score >= AI_RELEVANT)
    assert {w: int(n) for w, n in zip(weeks["week_start"], weeks["ai_relevant"], strict=True) if n} == relevant


def test_skill_totals_and_last_two_weeks(data, filled_db):
    _, postings = filled_db
    skills = data.skills(Filters()).set_index("skill")
    expected = Counter(s for p in postings for s in p.extracted_skills)
    assert skills["total"].to_dict() == expected
    weeks = sorted(_weekly(postings))
    last = Counter(s for p in postings if monday(p.posted_date) == weeks[-1] for s in p.extracted_skills)
    assert {k: int(v) for k, v in skills["last_week"].items() if v} == last
    per_level = Counter(s for p in postings if p.seniority_level.value == "senior" for s in p.extracted_skills)
    assert {k: int(v) for k, v in skills["senior"].items() if v} == per_level


@pytest.mark.parametrize("filters", [
    build(sources=["linkedin", "jobtech"]),
    build(levels=["senior", "lead"]),
    build(categories=["ai_strategy"]),
    build(min_ai=0.6),
    build(start="2026-10-14", end="2026-11-02"),   # mid-week dates select whole weeks
    build(sources=["linkedin"], levels=["mid"], categories=["data_science"], min_ai=0.3),
])
def test_every_filter_restricts_every_aggregate(data, filled_db, filters):
    _, postings = filled_db

    def keep(p):
        w = monday(p.posted_date)
        return ((not filters.sources or p.source in filters.sources)
                and (not filters.levels or p.seniority_level.value in filters.levels)
                and (not filters.categories or set(p.skill_categories) & set(filters.categories))
                and p.ai_relevance_score >= filters.min_ai - 1e-6
                and (not filters.start or w >= monday(filters.start)) and (not filters.end or w <= monday(filters.end)))
    chosen = [p for p in postings if keep(p)]
    assert chosen, "the fixture must have postings for this filter"
    weeks = data.weeks(filters)
    assert int(weeks["postings"].sum()) == len(chosen)
    tiers = data.tiers(filters)
    assert int(tiers[tiers["tier"] == "builder"]["postings"].sum()) == sum("builder" in p.ai_tiers for p in chosen)
    cats = data.categories(filters)
    assert int(cats[cats["category"] == "data_science"]["postings"].sum()) == sum(
        "data_science" in p.skill_categories for p in chosen)
    skills = data.skills(filters)
    if filters.categories:  # the category filter also limits the skills shown
        tax = data.taxonomy().set_index("skill")["category"]
        assert set(tax[list(skills["skill"])]) <= set(filters.categories)
    page = data.postings_page(filters, 0, 10)
    assert page.total == len(chosen) and len(page.rows) == min(10, len(chosen))


def test_table_pages_and_sorts_on_the_server(data, filled_db):
    _, postings = filled_db
    by_title = data.postings_page(Filters(), 0, 5, [{"colId": "title", "sort": "asc"}])
    assert by_title.rows[0]["title"] == min(p.title for p in postings)
    by_score = data.postings_page(Filters(), 0, 5, [{"colId": "ai_relevance_score", "sort": "desc"}])
    assert by_score.rows[0]["ai_relevance_score"] == max(p.ai_relevance_score for p in postings)
    last_page = data.postings_page(Filters(), (len(postings) - 1) // 25, 25)
    assert len(last_page.rows) == len(postings) - 25 * ((len(postings) - 1) // 25)
    # A sort column that is not whitelisted is ignored, never sent to SQL.
    hostile = data.postings_page(Filters(), 0, 5, [{"colId": "title; DROP TABLE x", "sort": "asc"}])
    assert hostile.total == len(postings)


def test_csv_export_streams_every_filtered_posting(data, filled_db):
    _, postings = filled_db
    f = build(levels=["entry"])
    body = b"".join(data.postings_csv(f)).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == sum(p.seniority_level.value == "entry" for p in postings)
    assert {r["seniority_level"] for r in rows} == {"entry"}


def test_cluster_map_and_candidates_come_from_the_latest_run(data):
    run, points = data.clusters()
    assert run["run_id"] == "weekly-2026-11-16-8w" and len(points) > 10
    assert set(points["cluster"]) == {0, 1, 2, 3}
    _, candidates = data.candidates()
    assert list(candidates["skill"]) == ["vector search", "dbt cloud"]


HOSTILE = ["x' OR 1=1 --", "'; DROP TABLE skillpulse.postings_all; --", "{evil:String}", "\\' OR ''='",
           "Robert'); DROP TABLE postings;--", "ö\u202e\x00", "') UNION SELECT * FROM system.users --"]


def test_hostile_values_reach_clickhouse_only_as_bound_parameters(data, filled_db):
    client, postings = filled_db
    data.query_log = []
    try:
        f = build(start="2026-01-01", end="2149-06-06", sources=HOSTILE, min_ai=0.0)
        assert data.weeks(f).empty and data.skills(f).empty and data.categories(f).empty and data.tiers(f).empty
        assert data.postings_page(f, 0, 20, [{"colId": HOSTILE[1], "sort": HOSTILE[0]}]).total == 0
        assert b"".join(data.postings_csv(f)).count(b"\n") == 1  # the header only
        logged = list(data.query_log)
    finally:
        data.query_log = None
    filtered = [(sql, params) for sql, params in logged if "sources" in params]
    assert len(filtered) >= 5  # weekly, skills, page count, page rows, CSV
    for sql, params in logged:
        for value in HOSTILE:
            assert value not in sql, f"a filter value was formatted into SQL: {sql}"
    for _, params in filtered:
        assert params["sources"] == sorted(HOSTILE)
    # The database is intact.
    assert client.query("SELECT count() FROM skillpulse.postings_all").result_rows[0][0] == len(postings)
