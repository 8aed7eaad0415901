"""The compiled-taxonomy cache of ``skillpulse enrich``: same results as building, and a damaged
file is rebuilt rather than trusted or fatal."""
from __future__ import annotations

from schemas.postings import parse_raw_posting
from skillpulse.cli.enricher_cache import cached_enricher
from skillpulse.domain.enrich import default_enricher

POSTINGS = [parse_raw_posting({"title": "Senior ML Engineer", "description": "PyTorch, Kubernetes, Go and BI. React.",
                               "posted_date": "2026-11-02", "source": "synthetic"}),
            parse_raw_posting({"title": "Junior Data Analyst", "description": "SQL, Excel and Tableau; git.",
                               "posted_date": "2026-11-03", "source": "synthetic"})]


def test_a_cached_enricher_enriches_as_a_built_one(tmp_path):
    built = default_enricher("v1").enrich_json_many(POSTINGS)
    first = cached_enricher("v1", None, tmp_path)  # builds and stores
    [stored] = list((tmp_path / "taxonomy").glob("compiled-*.pickle"))
    second = cached_enricher("v1", None, tmp_path)  # reads the file
    assert first.enrich_json_many(POSTINGS) == second.enrich_json_many(POSTINGS) == built
    assert list((tmp_path / "taxonomy").glob("compiled-*.pickle")) == [stored]


def test_a_damaged_cache_file_is_rebuilt(tmp_path):
    cached_enricher("v1", None, tmp_path)
    [stored] = list((tmp_path / "taxonomy").glob("compiled-*.pickle"))
    stored.write_bytes(b"not a pickle")
    enricher = cached_enricher("v1", None, tmp_path)
    assert enricher.enrich_json_many(POSTINGS) == default_enricher("v1").enrich_json_many(POSTINGS)
    assert stored.read_bytes() != b"not a pickle"


def test_another_taxonomy_file_gets_its_own_entry(tmp_path):
    from skillpulse.domain.taxonomy import taxonomy_source

    custom = tmp_path / "taxonomy.yaml"
    custom.write_bytes(taxonomy_source(None))
    cached_enricher("v1", None, tmp_path / "cache")
    custom.write_bytes(taxonomy_source(None) + b"\n# edited\n")
    cached_enricher("v1", custom, tmp_path / "cache")
    assert len(list((tmp_path / "cache" / "taxonomy").glob("compiled-*.pickle"))) == 2
