"""ClickHouse table contracts: each table's columns, in order, with their types, and a row type for writers.

The DDL in ``schemas/clickhouse/NNN_*.sql`` creates and changes the tables; this module says what
every table holds once all of them are applied, so writers never repeat a column list:

    from schemas.tables import SKILL_CLUSTERS
    SKILL_CLUSTERS.insert(client, database, rows)            # rows of SKILL_CLUSTERS.row, or plain lists
    SKILL_CLUSTERS.row(run_id=..., week_start=..., ...)     # a NamedTuple of the written columns

``Column.written`` is False for columns writers leave to their ``DEFAULT`` (ingest times,
``week_start``): they are not in the row type. ``tests/storage/test_table_contracts.py`` migrates a
fresh chDB and compares every contract with ``DESCRIBE TABLE`` (names, order, types).

To change a table, add a new ``schemas/clickhouse/NNN_*.sql`` (never edit an applied one: a database
that already ran it will not run it again) and change its contract here; the test says when they differ.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = [
    "Column", "Table", "TABLES", "POSTINGS_ALL", "POSTING_SIGHTINGS", "PIPELINE_VERSIONS", "SKILL_TAXONOMY",
    "SKILL_LABELS", "EXTRACTOR_MODELS", "SKILL_CANDIDATES", "SKILL_CLUSTERS", "BATCH_RUNS", "MODEL_SKILLS",
    "SCHEMA_MIGRATIONS", "PostingRow", "SightingRow", "LabelRow", "ModelRow", "CandidateRow", "ClusterRow",
    "BatchRunRow", "ModelSkillRow",
]


@dataclass(frozen=True)
class Column:
    """One column: its name, its ClickHouse type as ``DESCRIBE TABLE`` prints it, and who fills it."""

    name: str
    type: str
    written: bool = True  # False: writers leave it to the column's DEFAULT


_SCALARS: dict[str, type] = {
    "String": str, "Date": dt.date, "DateTime": dt.datetime, "Float32": float, "Float64": float,
    "UInt8": int, "UInt32": int, "UInt64": int, "UInt128": int, "Int32": int, "Int64": int,
}


def python_type(ch_type: str) -> Any:
    """The Python type a writer passes for a ClickHouse type (``Array(String)`` -> ``list[str]``)."""
    inner = re.fullmatch(r"(\w+)\((.*)\)", ch_type)
    if inner is None:
        return _SCALARS[ch_type]
    wrapper, arg = inner.groups()
    if wrapper == "LowCardinality":
        return python_type(arg)
    if wrapper == "Nullable":
        return python_type(arg) | None
    if wrapper == "Array":
        return list[python_type(arg)]
    if wrapper == "DateTime64":
        return dt.datetime
    if wrapper == "Tuple":
        return tuple
    raise ValueError(f"no Python type for ClickHouse type {ch_type!r}")


@dataclass(frozen=True)
class Table:
    """A table's contract: all its columns in table order, and the row type of the written ones."""

    name: str
    columns: tuple[Column, ...]
    row: type  # NamedTuple of the written columns, in table order

    @property
    def names(self) -> tuple[str, ...]:
        """Every column name, in table order (what ``DESCRIBE TABLE`` lists)."""
        return tuple(c.name for c in self.columns)

    @property
    def written(self) -> tuple[str, ...]:
        """The columns writers supply, in row order (the ``column_names`` of an insert)."""
        return self.row._fields

    def index(self, column: str) -> int:
        """The position of ``column`` in a row of this table (e.g. ``kafka_partition`` for the DLQ)."""
        return self.written.index(column)

    def insert(self, client, database: str, rows: Sequence[Sequence[Any]], chunk: int | None = None) -> int:
        """Insert rows (in ``written`` order) into ``database``; ``chunk`` splits large batches. Returns rows."""
        step = chunk or max(len(rows), 1)
        for lo in range(0, len(rows), step):
            client.insert(f"{database}.{self.name}", rows[lo:lo + step], column_names=self.written)
        return len(rows)


def _table(name: str, row_name: str, columns: Iterable[Column]) -> Table:
    columns = tuple(columns)
    fields = [(c.name, python_type(c.type)) for c in columns if c.written]
    row = NamedTuple(row_name, fields)
    row.__doc__ = f"One ``{name}`` row: {', '.join(f for f, _ in fields)}."
    row.__module__ = __name__
    return Table(name, columns, row)


def _c(spec: str, written: bool = True) -> Column:
    name, ch_type = spec.split(" ", 1)
    return Column(name, ch_type, written)


_DEFAULTED = False  # readability: _c("ingested_at ...", _DEFAULTED)
_TS = "DateTime64(3, 'UTC')"

# 001, 005 (kafka_timestamp, sighting_version), 010 (general_skills).
POSTINGS_ALL = _table("postings_all", "PostingRow", [
    _c("pipeline_version LowCardinality(String)"), _c("posting_key String"), _c("title String"),
    _c("description String"), _c("company String"), _c("location String"), _c("source LowCardinality(String)"),
    _c("url String"), _c("source_id String"), _c("language LowCardinality(String)"), _c("posted_date Date"),
    _c("week_start Date", _DEFAULTED), _c(f"scraped_at Nullable({_TS})"),
    _c("extracted_skills Array(LowCardinality(String))"), _c("skill_categories Array(LowCardinality(String))"),
    _c("ai_tiers Array(LowCardinality(String))"), _c("seniority_level LowCardinality(String)"),
    _c("ai_relevance_score Float32"), _c("extra String"), _c("kafka_partition Int32"), _c("kafka_offset Int64"),
    _c(f"kafka_timestamp {_TS}"), _c("sighting_version UInt128"), _c(f"ingested_at {_TS}", _DEFAULTED),
    _c("general_skills Array(LowCardinality(String))"),
])

# 001, 005 (kafka_timestamp).
POSTING_SIGHTINGS = _table("posting_sightings", "SightingRow", [
    _c("pipeline_version LowCardinality(String)"), _c("posting_key String"), _c("source LowCardinality(String)"),
    _c("posted_date Date"), _c("kafka_partition Int32"), _c("kafka_offset Int64"), _c(f"seen_at {_TS}", _DEFAULTED),
    _c(f"kafka_timestamp {_TS}"),
])

PIPELINE_VERSIONS = _table("pipeline_versions", "VersionRow", [
    _c("version String"), _c("status LowCardinality(String)"), _c(f"activated_at {_TS}", _DEFAULTED),
    _c("note String"),
])

SKILL_TAXONOMY = _table("skill_taxonomy", "TaxonomyRow", [
    _c("skill String"), _c("skill_id String"), _c("category LowCardinality(String)"),
    _c("tier LowCardinality(String)"), _c("is_seed UInt8"),
])

# 004.
SKILL_LABELS = _table("skill_labels", "LabelRow", [
    _c("posting_key String"), _c("label_source LowCardinality(String)"), _c("prompt_version String"),
    _c("text_sha String"), _c("spans Array(Tuple(start UInt32, end UInt32, text String, skill String))"),
    _c("dropped UInt32"), _c("run_id String"), _c(f"labelled_at {_TS}", _DEFAULTED),
])

EXTRACTOR_MODELS = _table("extractor_models", "ModelRow", [
    _c("version String"), _c("base_model String"), _c("window_start Date"), _c("window_end Date"),
    _c("label_source LowCardinality(String)"), _c("path String"), _c("metrics String"), _c("strict_f1 Float64"),
    _c("loose_f1 Float64"), _c("train_size UInt32"), _c("test_size UInt32"), _c("promoted UInt8"),
    _c("run_id String"), _c(f"created_at {_TS}", _DEFAULTED),
])

# 004, 011 (growth).
SKILL_CANDIDATES = _table("skill_candidates", "CandidateRow", [
    _c("skill String"), _c("count UInt64"), _c("examples Array(String)"), _c("model_version String"),
    _c("run_id String"), _c("week_start Date"), _c(f"updated_at {_TS}", _DEFAULTED), _c("growth Int64"),
])

SKILL_CLUSTERS = _table("skill_clusters", "ClusterRow", [
    _c("run_id String"), _c("week_start Date"), _c("skill String"), _c("cluster UInt32"), _c("x Float32"),
    _c("y Float32"), _c("z Float32"), _c("count UInt64"), _c("x2d Float32"), _c("y2d Float32"),
    _c("cluster_label String"), _c(f"created_at {_TS}", _DEFAULTED),
])

BATCH_RUNS = _table("batch_runs", "BatchRunRow", [
    _c("run_id String"), _c("window_start Date"), _c("window_end Date"), _c("status LowCardinality(String)"),
    _c("summary String"), _c(f"started_at {_TS}"), _c(f"finished_at {_TS}"),
])

# 011.
MODEL_SKILLS = _table("model_skills", "ModelSkillRow", [
    _c("pipeline_version LowCardinality(String)"), _c("posting_key String"), _c("skill String"),
    _c("surface String"), _c("model_version String"), _c("run_id String"), _c(f"written_at {_TS}", _DEFAULTED),
])

# Created by ``skillpulse.storage.migrate`` itself: the DDL files applied.
SCHEMA_MIGRATIONS = _table("schema_migrations", "MigrationRow", [
    _c("name String"), _c("applied_at DateTime", _DEFAULTED),
])

TABLES: dict[str, Table] = {t.name: t for t in (
    POSTINGS_ALL, POSTING_SIGHTINGS, PIPELINE_VERSIONS, SKILL_TAXONOMY, SKILL_LABELS, EXTRACTOR_MODELS,
    SKILL_CANDIDATES, SKILL_CLUSTERS, BATCH_RUNS, MODEL_SKILLS, SCHEMA_MIGRATIONS,
)}

PostingRow = POSTINGS_ALL.row
SightingRow = POSTING_SIGHTINGS.row
LabelRow = SKILL_LABELS.row
ModelRow = EXTRACTOR_MODELS.row
CandidateRow = SKILL_CANDIDATES.row
ClusterRow = SKILL_CLUSTERS.row
BatchRunRow = BATCH_RUNS.row
ModelSkillRow = MODEL_SKILLS.row
