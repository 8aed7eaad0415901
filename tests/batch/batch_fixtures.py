"""Test helpers: load synthetic postings (with known gold spans) into a real embedded ClickHouse."""
from __future__ import annotations

from batch.goldset import GoldPosting, synthetic_goldset
from skillpulse import storage
from skillpulse.domain.enrich import default_enricher

DB = "skillpulse"


def load_postings(client, gold: list[GoldPosting], version: str = "v1") -> list:
    """Enrich and insert the postings as the worker would, and make ``version`` active."""
    enriched = default_enricher(version).enrich_many([g.raw for g in gold])
    # One row per key, the key's last gold posting (offsets descending: postings_all keeps the earliest
    # sighting, so the last gold posting must be the earliest one), as these tests were calibrated on.
    rows = [storage.posting_row(e, 0, len(enriched) - i) for i, e in enumerate(enriched)]
    storage.insert_postings(client, rows, DB)
    storage.set_version_status(client, version, "active", database=DB)
    return enriched


def seeded_client(settings, n: int = 60, seed: int = 0, **kw):
    """A migrated chDB client under ``settings.data_dir`` holding ``n`` synthetic postings."""
    client = storage.connect(settings)
    storage.migrate(client, DB)
    gold = synthetic_goldset(n, seed, **kw)
    load_postings(client, gold)
    return client, gold
