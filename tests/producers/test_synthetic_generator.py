"""Synthetic postings (seed 004's generator): properties the pipeline, the dashboard and the benches rely on."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict

import pytest

from producers import synthetic as syn
from schemas.postings import RawPosting, SeniorityLevel
from skillpulse.domain.keys import posting_key
from skillpulse.domain.rules import default_rules
from skillpulse.domain.taxonomy import default_taxonomy

END = dt.date(2026, 11, 22)  # a Sunday; fixed so that every run sees the same rows


@pytest.fixture(scope="module")
def rows():
    return syn.generate(2000, seed=11, end_date=END)


@pytest.fixture(scope="module")
def taxonomy():
    return default_taxonomy()


def _key(raw):
    return posting_key(raw["title"], raw["company"], raw["location"])


# --- size, determinism, contract ---------------------------------------------------------------------
@pytest.mark.parametrize("count", [0, 1, 7, 250])
def test_count_is_exact(count):
    assert len(syn.generate_postings(count, seed=1, end_date=END)) == count


def test_default_is_the_seeds_2000():
    assert syn.DEFAULT_COUNT == 2000


def test_same_seed_same_rows_other_seed_other_rows():
    a = syn.generate_postings(300, seed=5, end_date=END)
    assert a == syn.generate_postings(300, seed=5, end_date=END)
    assert a != syn.generate_postings(300, seed=6, end_date=END)


def test_another_end_date_shifts_the_same_ads_in_time():
    # Content depends on the seed only: a week later, the same ads a week later.
    a = syn.generate_postings(200, seed=5, end_date=END)
    b = syn.generate_postings(200, seed=5, end_date=END + dt.timedelta(days=7))
    assert [r["description"] for r in a] == [r["description"] for r in b]
    assert all(dt.date.fromisoformat(y["posted_date"]) - dt.date.fromisoformat(x["posted_date"]) == dt.timedelta(days=7)
               for x, y in zip(a, b, strict=True))


def test_every_row_validates_as_a_raw_posting(rows):
    for row in rows:
        raw = row.raw
        posting = RawPosting.model_validate(raw)
        assert raw["posted_date"] == posting.posted_date.isoformat()  # ISO date string
        assert raw["url"].startswith("https://") and raw["source_id"]
        assert raw["language"] in ("en", "sv")
        json.dumps(raw)  # plain JSON types only


def test_source_ids_are_unique_per_source(rows):
    ids = Counter((r.raw["source"], r.raw["source_id"]) for r in rows)
    assert ids.most_common(1)[0][1] == 1
    assert len({r.raw["url"] for r in rows}) == len(rows)


def test_several_sources_companies_and_stockholm_area_locations(rows):
    assert {r.raw["source"] for r in rows} == {"linkedin", "indeed", "jobtech", "glassdoor", "careers"}
    assert len({r.raw["company"].strip().casefold() for r in rows}) >= 100
    places = {r.raw["location"].strip().casefold() for r in rows}
    assert {"stockholm", "solna", "kista", "sundbyberg", "nacka", "södertälje", "uppsala"} <= places
    assert Counter(r.raw["language"] for r in rows)["sv"] >= 200  # Swedish ads are common in Stockholm


def test_rows_come_in_date_order(rows):
    dates = [r.raw["posted_date"] for r in rows]
    assert dates == sorted(dates)


# --- weeks ----------------------------------------------------------------------------------------------
def test_at_least_12_monday_weeks_with_weekly_variation_and_growth(rows):
    days = [dt.date.fromisoformat(r.raw["posted_date"]) for r in rows]
    assert max(days) <= END
    weeks = Counter(d - dt.timedelta(days=d.weekday()) for d in days)
    assert len(weeks) >= 12 and len(weeks) == syn.DEFAULT_WEEKS
    counts = [weeks[w] for w in sorted(weeks)]
    assert max(counts) > 1.2 * min(counts)                 # weeks differ
    half = len(counts) // 2
    assert sum(counts[half:]) > sum(counts[:half])         # and the market grows over the period
    assert min(counts) >= 40                               # no empty week at the default size


def test_weeks_option():
    days = {dt.date.fromisoformat(r["posted_date"]) for r in syn.generate_postings(500, seed=2, end_date=END, weeks=3)}
    assert min(days) >= END - dt.timedelta(days=END.weekday()) - dt.timedelta(weeks=2)


def test_generative_ai_demand_rises_over_the_weeks(rows, taxonomy):
    # The dashboard's trend charts need a trend to show.
    genai = {"generative ai", "llm", "large language models", "retrieval-augmented generation", "ai agents"}
    first, last = rows[: len(rows) // 3], rows[-len(rows) // 3:]

    def share(part):
        return sum(bool(taxonomy.extract(r.raw["description"]) & genai) for r in part) / len(part)

    assert share(last) > share(first) + 0.05


# --- duplicates -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [0.0, 0.1, 0.25])
def test_duplicate_rate_is_exact_and_reposts_are_on_other_sources(rate):
    rows = syn.generate(1000, seed=3, end_date=END, duplicate_rate=rate)
    first_seen: dict[str, dict] = {}
    repeats = 0
    sources_per_key = defaultdict(list)
    for row in rows:
        key = _key(row.raw)
        sources_per_key[key].append(row.raw["source"])
        if key in first_seen:
            repeats += 1
            original = first_seen[key]
            assert row.duplicate_of is not None
            assert row.raw["posted_date"] >= original["posted_date"]  # re-posted the same day or later
            assert row.raw["description"] == original["description"]
        else:
            assert row.duplicate_of is None  # originals never collide by accident
            first_seen[key] = row.raw
    assert repeats == round(1000 * rate)
    for sources in sources_per_key.values():
        if len(sources) > 1:
            assert sources[1] != sources[0]  # the first re-post is on another board


def test_reposts_vary_case_and_spacing_but_keep_the_key(rows):
    by_key = defaultdict(set)
    for row in rows:
        by_key[_key(row.raw)].add((row.raw["title"], row.raw["company"], row.raw["location"]))
    assert any(len(variants) > 1 for variants in by_key.values())


# --- titles and seniority -------------------------------------------------------------------------------
def test_every_seniority_level_occurs(rows):
    levels = Counter(default_rules().classify_seniority(r.raw["title"]) for r in rows)
    assert set(levels) == set(SeniorityLevel)
    assert min(levels.values()) >= 20


def test_the_seeds_titles_occur(rows):
    titles = {r.raw["title"] for r in rows}
    for title in ("Lead ML Engineer", "Associate Director of AI", "VP of Data", "Chief AI Officer", "Data Scientist",
                  "AI Product Manager"):
        assert title in titles


@pytest.mark.parametrize("level", syn.LEVELS)
def test_title_patterns_classify_as_their_level(level):
    # Patterns are the generator's intent; the rules must read them the same way.
    for pattern in syn.TITLE_PATTERNS[level]:
        title = pattern.format(base="Data Engineer", sv="Dataingenjör", area="Data")
        assert default_rules().classify_seniority(title) == SeniorityLevel(level), title


def test_role_base_titles_hold_no_seniority_indicator():
    for role in syn.ROLES:
        for base in (*role.bases, *role.bases_sv, *role.areas):
            assert default_rules().classify_seniority(base) == SeniorityLevel.MID, base


def test_seed_titles_have_the_level_they_claim():
    for _, level, title in syn.SEED_TITLES:
        assert default_rules().classify_seniority(title) == SeniorityLevel(level), title


# --- skills and decoys ----------------------------------------------------------------------------------
def test_role_skills_exist_in_the_taxonomy(taxonomy):
    for role in syn.ROLES:
        for _, _, alternatives in role.skills:
            assert set(alternatives) <= set(taxonomy.skills), role.key


@pytest.mark.parametrize("table", ["SURFACES", "SURFACES_SV"])
def test_every_surface_form_is_read_as_its_skill(taxonomy, table):
    for skill, forms in getattr(syn, table).items():
        for form in forms:
            assert skill in taxonomy.extract(f"Experience with {form}."), (skill, form)


def _sentences():
    neutral = {"company": "Acme", "title": "Coordinator", "city": "Solna", "a": "a", "team": "Payments",
               "mission": "things", "x": "things", "contact": "Anna Svensson"}
    yield from syn.DECOYS
    yield from syn.DECOYS_SV
    yield from (s.format(**neutral) for s in (*syn.OPENINGS, *syn.OPENINGS_SV, *syn.CLOSINGS, *syn.CLOSINGS_SV,
                                              *syn.REQUIREMENTS, *syn.REQUIREMENTS_SV))
    yield from (*syn.TEAMS, *syn.MISSIONS, *syn.MISSIONS_SV, *syn.REQUIREMENTS_HEADING, *syn.REQUIREMENTS_HEADING_SV)
    for role in syn.ROLES:
        yield from (*role.responsibilities, *role.responsibilities_sv)


@pytest.mark.parametrize("sentence", list(_sentences()))
def test_boilerplate_and_decoys_hold_no_skill(taxonomy, sentence):
    assert taxonomy.extract(sentence) == set()


def test_decoy_words_really_occur(rows):
    text = " ".join(r.raw["description"] + " " + r.raw["title"] for r in rows).lower()
    for word in ("laws", "android", "fragile", "internal", "doctoral", "maintenance", "email", " for ", "format",
                 "research", "r&amp;d", "r&d"):
        assert word in text, word


def test_extraction_finds_exactly_what_was_written(rows, taxonomy):
    # The strongest check on both sides: the enricher reads the skills the generator wrote (in any
    # form: aliases, Swedish, HTML, wrapped lines) plus those in the title, and nothing from decoys.
    for row in rows:
        expected = taxonomy.extract(" ; ".join(row.skill_surfaces)) | taxonomy.extract(row.raw["title"])
        assert taxonomy.extract(row.raw["description"]) == expected, row.raw


def test_descriptions_come_as_plain_text_html_and_hard_wrapped(rows):
    html = sum(r.raw["description"].startswith("<p>") for r in rows)
    wrapped = sum(any(len(line) <= 72 for line in r.raw["description"].split("\n")[:1])
                  and r.raw["description"].count("\n") > 8 for r in rows)
    assert html >= 100 and wrapped >= 50


def test_ai_roles_name_several_skills(rows, taxonomy):
    ai_rows = [r for r in rows if r.role != "other"]
    sizes = [len(taxonomy.extract(r.raw["description"])) for r in ai_rows]
    assert min(sizes) >= 2
    assert 4 <= sum(sizes) / len(sizes) <= 10


def test_tiny_runs_keep_an_original():
    rows = syn.generate(2, seed=1, end_date=END, duplicate_rate=0.9)
    assert [r.duplicate_of for r in rows] == [None, 0]


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="duplicate_rate"):
        syn.generate(10, duplicate_rate=1.0, end_date=END)
    with pytest.raises(ValueError, match="weeks"):
        syn.generate(10, weeks=0, end_date=END)
    with pytest.raises(ValueError, match="count"):
        syn.generate(-1, end_date=END)
