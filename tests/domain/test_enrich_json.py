"""``Enricher.enrich_json_many`` (what ``skillpulse enrich`` writes) is ``enrich_many`` dumped as JSON."""
from __future__ import annotations

import datetime as dt

import orjson

from producers.synthetic import generate_postings
from schemas.postings import parse_raw_posting
from skillpulse.domain.enrich import Enricher, default_enricher
from skillpulse.domain.rules import default_rules
from skillpulse.domain.taxonomy import default_taxonomy


def _raws():
    rows = generate_postings(300, seed=3, end_date=dt.date(2026, 11, 22))
    rows[0] = {**rows[0], "board_rank": 7, "tags": ["a", {"b": None}]}  # unknown fields are kept, last
    rows[1] = {**rows[1], "scraped_at": "2026-01-02T03:04:05+00:00"}   # re-serialised as the model does
    rows[2] = {**rows[2], "scraped_at": "2026-01-02T03:04:05.5+02:00"}
    rows[3] = {**rows[3], "scraped_at": "2026-01-02T03:04:05"}  # no time zone
    rows[4] = dict(reversed(list(rows[4].items())))  # fields in any order: written in declared order
    return [parse_raw_posting(r) for r in rows]


def _same_json(enricher: Enricher, raws) -> None:
    fast = [orjson.dumps(d, option=orjson.OPT_UTC_Z) for d in enricher.enrich_json_many(raws)]
    slow = [orjson.dumps(p.model_dump(mode="json")) for p in enricher.enrich_many(raws)]
    assert fast == slow  # same bytes: same keys, same order, same values


def test_json_rows_equal_the_models_dumped():
    _same_json(default_enricher(), _raws())


def test_json_rows_equal_the_models_dumped_with_a_skill_model():
    hybrid = Enricher(default_taxonomy(), default_rules(), "v2", model=lambda ds: [{"sql"} for _ in ds])
    _same_json(hybrid, _raws())


def test_empty_batch():
    assert default_enricher().enrich_json_many([]) == []
