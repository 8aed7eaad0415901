"""ClickHouse access shared by the worker, the batch, the dashboard and the CLI.

One setting, ``CLICKHOUSE_URL``, picks the engine: ``chdb:///path`` (embedded, the default, one
process per path) or ``http(s)://user:pass@host:8123`` (a server). The same DDL and SQL serve both.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from schemas.postings import EnrichedPosting
from schemas.tables import (
    PIPELINE_VERSIONS, POSTING_SIGHTINGS, POSTINGS_ALL, SCHEMA_MIGRATIONS, SKILL_TAXONOMY, PostingRow, SightingRow,
)
from skillpulse.settings import Settings, redact_text, redact_url

MIGRATIONS_PACKAGE = "schemas"
_SPLIT = re.compile(r";\s*(?:\n|$)")
_KNOWN_FIELDS = set(EnrichedPosting.model_fields)

_TS_MAX, _PARTITION_MAX, _OFFSET_MAX = (1 << 48) - 1, (1 << 16) - 1, (1 << 64) - 1
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


class StorageError(RuntimeError):
    """ClickHouse could not be reached or refused a statement; the message says what to do."""


def connect(settings: Settings, url: str | None = None):
    """A clickhouse-connect client for ``url`` (default: the settings' ClickHouse URL).

    Raises ``StorageError`` with a hint when the embedded data path is locked by another process.
    """
    import clickhouse_connect

    url = url or settings.resolved_clickhouse_url
    if url.startswith("chdb://"):
        _refuse_if_served(settings, url)
    try:
        if url.startswith("chdb://"):
            return clickhouse_connect.get_client(dsn=url)
        parts = urlparse(url)
        return clickhouse_connect.get_client(
            host=parts.hostname or "localhost",
            port=parts.port or (8443 if parts.scheme == "https" else 8123),
            username=parts.username or "default",
            password=parts.password or "",
            secure=parts.scheme == "https",
        )
    except Exception as exc:  # the driver raises several types; all mean "cannot connect"
        hint = ""
        if "lock" in str(exc).lower():
            hint = (" — another process holds this chDB data directory; stop it (worker, dashboard, demo)"
                    " or point CLICKHOUSE_URL at a ClickHouse server")
        raise StorageError(f"cannot open ClickHouse at {redact_url(url)}: {redact_text(str(exc))}{hint}") from exc


def _refuse_if_served(settings: Settings, url: str) -> None:
    """A running ``skillpulse up`` owns this chDB directory: say how to talk to it (before chDB's own lock error)."""
    from pathlib import Path

    from skillpulse.instance import InstanceRunning, refuse_if_running

    dirs = {Path(url[len("chdb://"):]).parent}
    if url == settings.resolved_clickhouse_url:
        dirs.add(settings.data_dir)
    try:
        for data_dir in dirs:
            refuse_if_running(data_dir)
    except InstanceRunning as exc:
        raise StorageError(str(exc)) from None


def migration_files() -> list[tuple[str, str]]:
    """``(name, sql)`` of each versioned DDL file in ``schemas/clickhouse``, in order."""
    folder = resources.files(MIGRATIONS_PACKAGE).joinpath("clickhouse")
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(p.name, p.read_text(encoding="utf-8")) for p in files]


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in _SPLIT.split("\n".join(lines)) if s.strip()]


def migrate(client, database: str, taxonomy=None) -> list[str]:
    """Create the database and apply every DDL file not yet applied; returns the names applied.

    Idempotent: applied files are recorded in ``schema_migrations`` and every statement is
    ``IF NOT EXISTS``. Also refreshes ``skill_taxonomy`` from ``taxonomy`` (a ``Taxonomy``, the path
    of a taxonomy YAML such as ``settings.taxonomy_path``, or None for the packaged one).
    """
    db = database
    client.command(f"CREATE DATABASE IF NOT EXISTS {db} ENGINE = Atomic")
    client.command(
        f"CREATE TABLE IF NOT EXISTS {db}.schema_migrations (name String, applied_at DateTime DEFAULT now())"
        " ENGINE = ReplacingMergeTree ORDER BY name"
    )
    done = {row[0] for row in client.query(f"SELECT name FROM {db}.schema_migrations").result_rows}
    applied = []
    for name, sql in migration_files():
        if name in done:
            continue
        for statement in _statements(sql.replace("{db}", db)):
            client.command(statement)
        SCHEMA_MIGRATIONS.insert(client, db, [SCHEMA_MIGRATIONS.row(name)])
        applied.append(name)
    sync_taxonomy(client, db, taxonomy)
    return applied


def sync_taxonomy(client, database: str, taxonomy=None) -> None:
    """Replace ``skill_taxonomy`` with the taxonomy's skills (category, tier, seed flag).

    ``taxonomy``: a ``Taxonomy``, a taxonomy YAML path, or None (the packaged taxonomy).
    """
    from skillpulse.domain.taxonomy import default_taxonomy

    if taxonomy is None or isinstance(taxonomy, (str, Path)):
        taxonomy = default_taxonomy(str(taxonomy) if taxonomy else None)
    rows = [SKILL_TAXONOMY.row(s.name, s.id, s.category, s.tier or "", int(s.seed)) for s in taxonomy.skills.values()]
    client.command(f"TRUNCATE TABLE IF EXISTS {database}.skill_taxonomy")
    SKILL_TAXONOMY.insert(client, database, rows)


def sighting_version(timestamp_ms: int, partition: int, offset: int) -> int:
    """The ``postings_all`` version of a sighting: the earliest by (timestamp, partition, offset) is greatest.

    ReplacingMergeTree keeps the row of greatest version, so the earliest sighting wins whatever the
    order of inserts (see ``schemas/clickhouse/005_earliest_sighting.sql``).
    """
    ts = min(max(timestamp_ms, 0), _TS_MAX)
    p = min(max(partition + 1, 0), _PARTITION_MAX)
    o = min(max(offset + 1, 0), _OFFSET_MAX)
    return ((_TS_MAX - ts) << 80) | ((_PARTITION_MAX - p) << 64) | (_OFFSET_MAX - o)


def kafka_time(timestamp_ms: int) -> dt.datetime:
    """A Kafka timestamp (ms) as the UTC datetime the tables store."""
    return _EPOCH + dt.timedelta(milliseconds=max(timestamp_ms, 0))


def posting_row(posting: EnrichedPosting, partition: int = -1, offset: int = -1, timestamp_ms: int = 0) -> PostingRow:
    """One ``postings_all`` row (``schemas.tables.PostingRow``); unknown fields go to ``extra`` as JSON.

    Rows with no Kafka position (``partition`` -1) get version 0: any real sighting replaces them.
    """
    extra = {k: v for k, v in (posting.model_extra or {}).items() if k not in _KNOWN_FIELDS}
    return PostingRow(
        posting.pipeline_version, posting.posting_key, posting.title, posting.description,
        posting.company or "", posting.location or "", posting.source, posting.url or "",
        posting.source_id or "", posting.language or "", posting.posted_date, posting.scraped_at,
        posting.extracted_skills, posting.skill_categories, posting.ai_tiers,
        getattr(posting.seniority_level, "value", posting.seniority_level), float(posting.ai_relevance_score),
        json.dumps(extra, default=str, ensure_ascii=False), partition, offset, kafka_time(timestamp_ms),
        sighting_version(timestamp_ms, partition, offset) if partition >= 0 else 0,
        getattr(posting, "general_skills", None) or [],
    )


def sighting_row(version: str, key: str, source: str, posted_date: dt.date, partition: int, offset: int,
                 timestamp_ms: int) -> SightingRow:
    """One ``posting_sightings`` row: a valid message consumed, first sighting or repeat."""
    return SightingRow(version, key, source, posted_date, partition, offset, kafka_time(timestamp_ms))


def insert_postings(client, rows: Sequence[Sequence[Any]], database: str) -> None:
    """Insert ``posting_row`` rows in one batch (idempotent: same key and version replaces)."""
    if rows:
        POSTINGS_ALL.insert(client, database, rows)


def insert_sightings(client, rows: Sequence[Sequence[Any]], database: str) -> None:
    """Insert ``schemas.tables.SightingRow`` rows: every valid message consumed, duplicates included."""
    if rows:
        POSTING_SIGHTINGS.insert(client, database, rows)


def set_version_status(client, version: str, status: str, note: str = "", database: str | None = None) -> None:
    """Record a pipeline version's status: 'active' makes it the one every view reads.

    ``database`` is required (``settings.clickhouse_database``); it follows ``note`` only so that
    callers may name it and leave the note out.
    """
    if not database:
        raise TypeError("set_version_status: pass database (settings.clickhouse_database)")
    PIPELINE_VERSIONS.insert(client, database, [PIPELINE_VERSIONS.row(version, status, note)])


def active_version(client, database: str) -> str | None:
    """The pipeline version the views and the dashboard read, or None before any is active."""
    rows = client.query(f"SELECT version FROM {database}.active_version").result_rows
    return rows[0][0] if rows and rows[0][0] else None


def ensure_active_version(client, version: str, database: str) -> str:
    """Activate ``version`` if no version is active yet; returns the active version."""
    current = active_version(client, database)
    if current is None:
        set_version_status(client, version, "active", "first version", database)
        return version
    return current
