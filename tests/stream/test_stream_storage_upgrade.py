"""Migration 005 on a database that already holds postings, and the earliest-sighting rule in ClickHouse."""
from __future__ import annotations

import datetime as dt

from skillpulse import storage
from skillpulse.settings import Settings

DB = "skillpulse"


def row(key: str, posted: str, skills: list[str], ts: int, partition: int, offset: int) -> list:
    from schemas.postings import RawPosting
    from skillpulse.domain.enrich import default_enricher

    raw = RawPosting(title=f"ML Engineer {key}", description=" ".join(skills), posted_date=posted, source="s")
    posting = default_enricher("v1").enrich_many([raw])[0].model_copy(update={"posting_key": key})
    return storage.posting_row(posting, partition, offset, ts)


def test_upgrade_keeps_old_rows_and_then_the_earliest_sighting_wins(tmp_path):
    client = storage.connect(Settings(), url=f"chdb://{tmp_path / 'ch'}")
    try:
        client.command(f"CREATE DATABASE IF NOT EXISTS {DB} ENGINE = Atomic")
        for _name, sql in storage.migration_files()[:4]:  # a database from before 005
            for statement in storage._statements(sql.replace("{db}", DB)):
                client.command(statement)
        client.command(f"CREATE TABLE {DB}.schema_migrations (name String, applied_at DateTime DEFAULT now())"
                       " ENGINE = ReplacingMergeTree ORDER BY name")
        client.insert(f"{DB}.schema_migrations", [[n] for n, _ in storage.migration_files()[:4]], column_names=["name"])
        client.command(f"INSERT INTO {DB}.postings_all (pipeline_version, posting_key, title, description, source,"
                       f" posted_date, extracted_skills) VALUES ('v1', 'old', 't', 'd', 's', '2024-01-03', ['python'])")
        storage.set_version_status(client, "v1", "active", database=DB)

        assert storage.migrate(client, DB) == [name for name, _ in storage.migration_files()[4:]]
        assert client.query(f"SELECT posting_key FROM {DB}.postings").result_rows == [("old",)]

        # a repeat (later week, other skills) inserted BEFORE and AFTER the original: the original stays
        storage.insert_postings(client, [row("k", "2024-03-04", ["spark"], 2_000, 1, 9)], DB)
        storage.insert_postings(client, [row("k", "2024-01-08", ["pytorch"], 1_000, 1, 4)], DB)
        storage.insert_postings(client, [row("k", "2024-03-11", ["sql"], 3_000, 1, 12)], DB)
        got = client.query(f"SELECT posted_date, extracted_skills, kafka_offset FROM {DB}.postings WHERE posting_key = 'k'")
        assert got.result_rows == [(dt.date(2024, 1, 8), ["pytorch"], 4)]
        weeks = client.query(f"SELECT toString(week_start), job_count FROM {DB}.weekly_job_volume").result_rows
        assert weeks == [("2024-01-01", 1), ("2024-01-08", 1)]
        skills = client.query(f"SELECT skill, count FROM {DB}.weekly_skill_counts WHERE week_start = '2024-01-08'")
        assert skills.result_rows == [("pytorch", 1)]
        assert storage.migrate(client, DB) == []  # applied once
    finally:
        client.close()
