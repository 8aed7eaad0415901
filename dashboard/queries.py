"""Every ClickHouse query the dashboard and the report run, with a cache keyed by data freshness.

Rules kept here:
- SQL text is constant (plus the configured database name, validated as an identifier, and column
  names picked from a whitelist); every filter value is a bound ``{name:Type}`` parameter.
- Postings are read from ``postings_all FINAL`` of the active pipeline version (the ``postings``
  view's semantics with the version resolved once, so it is a bound parameter too). Measured in
  ``bench/dashboard.py``: one scan per view answers faster than merging the ``uniqExact`` states of
  the rollup views (see docs/dashboard.md), so the rollups serve SQL users, not this page.
- Results are cached per (query, filters, freshness token); the token changes whenever a part of a
  table the dashboard reads changes (insert, merge, version switch, batch run).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.filters import AI_RELEVANT, LEVELS, Filters
from skillpulse.domain.taxonomy import CATEGORIES, TIERS
from skillpulse.settings import Settings, redact_text

log = logging.getLogger(__name__)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FRESHNESS_TABLES = ("postings_all", "pipeline_versions", "skill_clusters", "skill_candidates", "skill_taxonomy")
TABLE_COLUMNS = ("posted_date", "title", "company", "location", "source", "seniority_level",
                 "ai_relevance_score", "skills")
SORTABLE = {"posted_date", "title", "company", "location", "source", "seniority_level", "ai_relevance_score"}
CSV_MAX_ROWS = 100_000  # default of CSV_MAX_ROWS (settings.csv_max_rows)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such cells go
# out with a leading apostrophe, which spreadsheets show as text and do not evaluate.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SQL = "(" + ", ".join("'" + {"\t": "\\t", "\r": "\\r"}.get(c, c) + "'" for c in FORMULA_STARTS) + ")"


def _csv_cell(expr: str, name: str) -> str:
    """SQL of a text column escaped against formula injection (constant SQL: no value is spliced)."""
    return f"if(substring({expr}, 1, 1) IN {_FORMULA_SQL}, concat('\\'', {expr}), {expr}) AS {name}"


class DataError(RuntimeError):
    """A state the page explains to the user (no schema, no data, database unreachable)."""


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int


class ClientPool:
    """A few clickhouse-connect clients shared by the server's threads (each client serialises its
    own calls, so parallel callbacks need several). Borrow with ``with pool.client() as c``.

    Given a chDB client (the demo's), more clients are opened on the same path when threads need
    them (one process may hold many handles to its engine); a given HTTP client is used alone.
    """

    def __init__(self, client, settings: Settings, url: str | None = None, size: int = 4):
        self.settings = settings
        self._url = url or self._url_of(client) or self.settings.resolved_clickhouse_url
        self._extendable = client is None or self._url_of(client) is not None
        self.size = size if self._extendable else 1
        self._idle: list[Any] = [client] if client is not None else []
        self._opened: list[Any] = []  # clients this pool created (and closes)
        self._count = len(self._idle)
        self._cond = threading.Condition()

    @staticmethod
    def _url_of(client) -> str | None:
        path = getattr(client, "path", None) if client is not None and "Chdb" in type(client).__name__ else None
        return f"chdb://{path}" if path else None

    @contextlib.contextmanager
    def client(self):
        """Borrow a client for one query (opens one if none is idle and the pool is not full)."""
        with self._cond:
            while not self._idle and self._count >= self.size:
                self._cond.wait(30)
            if self._idle:
                borrowed = self._idle.pop()
            else:
                self._count += 1
                borrowed = None
        if borrowed is None:
            from skillpulse.storage import StorageError, connect

            try:
                borrowed = connect(self.settings, url=self._url)
            except Exception as exc:
                with self._cond:
                    self._count -= 1
                    self._cond.notify()
                raise DataError(str(exc) if isinstance(exc, StorageError) else f"cannot open ClickHouse: {redact_text(str(exc))}") from exc
            with self._cond:
                self._opened.append(borrowed)
        try:
            yield borrowed
        finally:
            with self._cond:
                self._idle.append(borrowed)
                self._cond.notify()

    def close(self) -> None:
        """Close the clients this pool opened (a given client stays its owner's to close)."""
        with self._cond:
            opened, self._opened = self._opened, []
            self._idle = [c for c in self._idle if c not in opened]
            self._count -= len(opened)
        for c in opened:
            with contextlib.suppress(Exception):
                c.close()


class Cache:
    """A small LRU with single flight: concurrent callers of one key wait for the first one."""

    def __init__(self, size: int = 512):
        self.size = size
        self._data: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._data:
                    return self._data[key]
            value = compute()
            with self._lock:
                self._data[key] = value
                self._data.move_to_end(key)
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
                self._inflight.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def _missing_schema(exc: Exception) -> bool:
    text = str(exc)
    return "UNKNOWN_TABLE" in text or "UNKNOWN_DATABASE" in text or "doesn't exist" in text or "does not exist" in text


class DashboardData:
    """The dashboard's read model over ClickHouse."""

    def __init__(self, pool: ClientPool, database: str | None = None, cache: Cache | None = None,
                 token_ttl_s: float = 2.0):
        db = database or pool.settings.clickhouse_database
        if not _IDENT.match(db):
            raise ValueError(f"invalid database name {db!r}: use letters, digits and _")
        self.db = db
        self.pool = pool
        self.cache = cache or Cache()
        self.token_ttl_s = token_ttl_s
        self._token: tuple[float, str] = (0.0, "")
        self._token_lock = threading.Lock()
        self.query_log: list[tuple[str, dict[str, Any]]] | None = None  # tests record SQL here

    # --- lifecycle ----------------------------------------------------------------------------
    def start_warmer(self, every_s: float = 5.0) -> None:
        """Keep the unfiltered view (what most visits open) computed: whenever the data changes,
        recompute its queries in a background thread, so the landing page is served from cache."""
        if getattr(self, "_warmer", None) is not None:
            return
        self._stop = threading.Event()

        def loop() -> None:
            seen = None
            while not self._stop.is_set():
                try:
                    token = self.token()
                    if token != seen:
                        self.warm()
                        seen = token
                except Exception:  # noqa: BLE001 - no data yet, or the database is away: try later
                    log.debug("warm-up skipped", exc_info=True)
                self._stop.wait(every_s)

        self._warmer = threading.Thread(target=loop, name="skillpulse-dashboard-warmer", daemon=True)
        self._warmer.start()

    def warm(self, f: Filters | None = None) -> None:
        """Compute (and cache) every query of one filter state."""
        f = f or Filters()
        self.overview()
        self.taxonomy()
        self.weekly(f)
        self.skills(f)
        self.top_skill_of_week(f)
        self.categories(f)
        self.tiers(f)
        self.postings_page(f, 0, 20)
        self.clusters()
        self.candidates()

    def close(self) -> None:
        """Stop the warmer and close the clients this object opened."""
        warmer = getattr(self, "_warmer", None)
        if warmer is not None:
            self._stop.set()
            warmer.join(30)
            self._warmer = None
        self.pool.close()

    # --- plumbing ---------------------------------------------------------------------------
    def _sql(self, template: str) -> str:
        return template.replace("{db}", self.db)

    def query(self, template: str, params: dict[str, Any] | None = None,
              columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Run constant SQL with bound parameters; returns a DataFrame (an empty result still has
        ``columns``: an engine may send no header for zero rows)."""
        sql = self._sql(template)
        if self.query_log is not None:
            self.query_log.append((sql, dict(params or {})))
        try:
            with self.pool.client() as client:
                result = client.query(sql, parameters=params or None)
        except DataError:
            raise
        except Exception as exc:
            if _missing_schema(exc):
                raise DataError("The database has no SkillPulse tables yet: run `skillpulse db migrate`, then "
                                "feed it with `skillpulse worker` (or run `make demo`).") from exc
            log.exception("query failed: %s", sql)
            raise DataError(f"ClickHouse refused a query ({type(exc).__name__}); check that CLICKHOUSE_URL "
                            "points at a migrated SkillPulse database.") from exc
        names = list(result.column_names) or list(columns or ())
        frame = pd.DataFrame(result.result_rows, columns=names or None)
        if frame.empty and columns:
            frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return frame

    def token(self) -> str:
        """Freshness token: changes when any part of the tables the page reads changes."""
        now = time.monotonic()
        with self._token_lock:
            if now - self._token[0] < self.token_ttl_s:
                return self._token[1]
        try:
            frame = self.query(
                "SELECT toString(groupBitXor(cityHash64(table, name))) AS t, count() AS n FROM system.parts"
                " WHERE database = {database:String} AND active AND has({tables:Array(String)}, table)",
                {"database": self.db, "tables": list(FRESHNESS_TABLES)})
            value = f"{frame.iloc[0, 0]}:{frame.iloc[0, 1]}"
        except DataError:
            value = f"t{int(time.time() // 30)}"  # no access to system.parts: expire every 30 s
        with self._token_lock:
            self._token = (now, value)
        return value

    def cached(self, name: str, key: tuple, compute: Callable[[], Any]) -> Any:
        return self.cache.get((name, key, self.token()), compute)

    def version(self) -> str:
        """The active pipeline version; ``DataError`` when nothing is active yet."""
        def compute() -> str | None:
            frame = self.query("SELECT version FROM {db}.active_version")
            return str(frame.iloc[0, 0]) if len(frame) and frame.iloc[0, 0] else None
        version = self.cached("version", (), compute)
        if not version:
            raise DataError("No postings yet: no pipeline version is active. Start the worker "
                            "(`skillpulse worker`) or run `make demo`.")
        return version

    def _where(self, f: Filters) -> tuple[str, dict[str, Any]]:
        return f.where(self.version())

    # --- reference data ---------------------------------------------------------------------
    def overview(self) -> dict[str, Any]:
        """Date bounds and sources of the active version (for the widgets); empty dict if none."""
        def compute() -> dict[str, Any]:
            frame = self.query(
                "SELECT min(posted_date) AS first, max(posted_date) AS last, count() AS n,"
                " groupUniqArray(100)(toString(source)) AS sources"
                " FROM {db}.postings_all WHERE pipeline_version = {version:String}",
                {"version": self.version()})
            row = frame.iloc[0]
            if not int(row["n"]):
                return {}
            return {"first": row["first"], "last": row["last"], "sources": sorted(row["sources"])}
        return self.cached("overview", (), compute)

    def taxonomy(self) -> pd.DataFrame:
        """skill, category, tier of the taxonomy in use."""
        return self.cached("taxonomy", (), lambda: self.query(
            "SELECT skill, any(category) AS category, any(tier) AS tier FROM {db}.skill_taxonomy GROUP BY skill",
            None, ("skill", "category", "tier")))

    # --- aggregates -------------------------------------------------------------------------
    def weekly(self, f: Filters) -> pd.DataFrame:
        """Per week and seniority level: postings, ai_relevant, last_date, and per skill category
        (``cat_<name>``) and AI tier (``tier_<name>``) the postings mentioning one. One scan with
        ``countIf(has(...))`` serves five views; it measured ~1.6x faster than a scan plus two
        array-join scans for categories and tiers."""
        cat_cols = [f"cat_{c}" for c in CATEGORIES]
        tier_cols = [f"tier_{t}" for t in TIERS]

        def compute() -> pd.DataFrame:
            where, params = self._where(f)
            params.update(relevant=AI_RELEVANT, all_categories=list(CATEGORIES), all_tiers=list(TIERS))
            cats = ", ".join(f"countIf(has(skill_categories, {{all_categories:Array(String)}}[{i + 1}])) AS {col}"
                             for i, col in enumerate(cat_cols))
            tiers = ", ".join(f"countIf(has(ai_tiers, {{all_tiers:Array(String)}}[{i + 1}])) AS {col}"
                              for i, col in enumerate(tier_cols))
            return self.query(
                "SELECT week_start, toString(seniority_level) AS seniority_level, count() AS postings,"
                " countIf(ai_relevance_score >= {relevant:Float32}) AS ai_relevant, max(posted_date) AS last_date, "
                + cats + ", " + tiers +
                " FROM {db}.postings_all FINAL WHERE " + where +
                " GROUP BY week_start, seniority_level ORDER BY week_start, seniority_level", params,
                ("week_start", "seniority_level", "postings", "ai_relevant", "last_date", *cat_cols, *tier_cols))
        return self.cached("weekly", f.key(), compute)

    def _long(self, f: Filters, prefix: str, names: tuple[str, ...], key: str) -> pd.DataFrame:
        weekly = self.weekly(f)
        if weekly.empty:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in ("week_start", key, "postings")})
        cols = [f"{prefix}{n}" for n in names]
        sums = weekly.groupby("week_start", as_index=False)[cols].sum()
        frame = sums.melt(id_vars="week_start", value_vars=cols, var_name=key, value_name="postings")
        frame[key] = frame[key].str.slice(len(prefix))
        frame = frame[frame["postings"] > 0]
        return frame.sort_values(["week_start", key]).reset_index(drop=True)

    def weeks(self, f: Filters) -> pd.DataFrame:
        """Per week: postings, ai_relevant, last_date (from ``weekly``)."""
        frame = self.weekly(f)
        if frame.empty:
            return pd.DataFrame(columns=["week_start", "postings", "ai_relevant", "last_date"])
        return frame.groupby("week_start", as_index=False).agg(
            postings=("postings", "sum"), ai_relevant=("ai_relevant", "sum"), last_date=("last_date", "max"))

    def top_skill_of_week(self, f: Filters) -> tuple[str, int] | None:
        """The most requested skill of the latest week in range: ``(skill, postings)``.

        Read from ``skills`` (its ``last_week`` column): a query of its own restricted to one week
        measured as slow as the whole-range skill scan (the array join runs before the filter)."""
        skills = self.skills(f)
        if skills.empty or int(skills["last_week"].max()) <= 0:
            return None
        top = skills.sort_values(["last_week", "skill"], ascending=[False, True]).iloc[0]
        return str(top["skill"]), int(top["last_week"])

    def categories(self, f: Filters) -> pd.DataFrame:
        """week_start, category, postings (postings mentioning a skill of the category)."""
        return self._long(f, "cat_", CATEGORIES, "category")

    def tiers(self, f: Filters) -> pd.DataFrame:
        """week_start, tier ('builder' | 'literacy'), postings."""
        return self._long(f, "tier_", TIERS, "tier")

    def _last_two_weeks(self, f: Filters) -> tuple[dt.date, dt.date]:
        """The Mondays of the range's last and previous week with postings (a Monday with none before any)."""
        weeks = self.weeks(f)
        none = dt.date(1970, 1, 5)
        last = weeks["week_start"].iloc[-1] if len(weeks) else none
        prev = weeks["week_start"].iloc[-2] if len(weeks) > 1 else none
        return last, prev

    def skills(self, f: Filters) -> pd.DataFrame:
        """Per skill: total postings over the range, per seniority level, last and previous week.

        One array-join scan grouped by skill only (grouping by skill x level is ~4x slower).
        Skills outside the selected categories are dropped (the category filter is also a skill filter).
        """
        last, prev = self._last_two_weeks(f)

        def compute() -> pd.DataFrame:
            where, params = self._where(f)
            params.update(all_levels=list(LEVELS), last=last, prev=prev)
            per_level = ", ".join(
                f"countIf(seniority_level = {{all_levels:Array(String)}}[{i + 1}]) AS `{level}`"
                for i, level in enumerate(LEVELS))
            return self.query(
                "SELECT toString(skill) AS skill, count() AS total, " + per_level + ","
                " countIf(week_start = {last:Date}) AS last_week, countIf(week_start = {prev:Date}) AS prev_week"
                " FROM {db}.postings_all FINAL ARRAY JOIN extracted_skills AS skill WHERE " + where +
                " GROUP BY skill ORDER BY total DESC, skill", params,
                ("skill", "total", *LEVELS, "last_week", "prev_week"))
        frame = self.cached("skills", (*f.key(), last, prev), compute)
        if f.categories and not frame.empty:
            tax = self.taxonomy()
            keep = set(tax.loc[tax["category"].isin(f.categories), "skill"])
            frame = frame[frame["skill"].isin(keep)].reset_index(drop=True)
        return frame

    def general_skills(self, f: Filters) -> pd.DataFrame:
        """Per general-tech skill (java, git, postgresql…, never counted as AI): total postings over the
        range under the same filters, and in the last and previous week."""
        last, prev = self._last_two_weeks(f)

        def compute() -> pd.DataFrame:
            where, params = self._where(f)
            params.update(last=last, prev=prev)
            return self.query(
                "SELECT toString(skill) AS skill, count() AS total,"
                " countIf(week_start = {last:Date}) AS last_week, countIf(week_start = {prev:Date}) AS prev_week"
                " FROM {db}.postings_all FINAL ARRAY JOIN general_skills AS skill WHERE " + where +
                " GROUP BY skill ORDER BY total DESC, skill", params, ("skill", "total", "last_week", "prev_week"))
        return self.cached("general_skills", (*f.key(), last, prev), compute)

    # --- postings table -----------------------------------------------------------------------
    def _order(self, sort: list[dict[str, Any]] | None) -> str:
        """ORDER BY of an AG Grid sort model (``[{"colId": ..., "sort": "asc" | "desc"}]``); other columns ignored."""
        parts = []
        for item in sort or []:
            column = item.get("colId") if isinstance(item, dict) else None
            if column in SORTABLE:
                parts.append(f"{column} {'DESC' if item.get('sort') == 'desc' else 'ASC'}")
        return ", ".join(parts + ["posted_date DESC", "posting_key"])

    def postings_page(self, f: Filters, page: int = 0, size: int = 25,
                      sort: list[dict[str, Any]] | None = None) -> Page:
        """One page of the filtered postings (server-side paging and sorting; ``sort`` is an AG Grid sort model)."""
        page = max(0, min(int(page or 0), 10_000_000))
        size = max(1, min(int(size or 25), 500))
        order = self._order(sort)

        def compute() -> Page:
            where, params = self._where(f)
            total = int(self.query("SELECT count() AS n FROM {db}.postings_all FINAL WHERE " + where, params).iloc[0, 0])
            params.update(limit=size, offset=page * size)
            frame = self.query(
                "SELECT posted_date, title, company, location, toString(source) AS source,"
                " toString(seniority_level) AS seniority_level, round(toFloat64(ai_relevance_score), 2) AS ai_relevance_score,"
                " arrayStringConcat(extracted_skills, ', ') AS skills"
                " FROM {db}.postings_all FINAL WHERE " + where +
                " ORDER BY " + order + " LIMIT {limit:UInt32} OFFSET {offset:UInt64}", params, TABLE_COLUMNS)
            frame["posted_date"] = frame["posted_date"].astype(str)
            return Page(frame.to_dict("records"), total)
        return self.cached("page", (*f.key(), page, size, order), compute)

    def postings_csv(self, f: Filters, sort: list[dict[str, Any]] | None = None, max_rows: int = CSV_MAX_ROWS,
                     timeout_s: float = 60.0) -> Iterator[bytes]:
        """The filtered postings as CSV (header first), streamed from ClickHouse in blocks.

        At most ``max_rows`` rows; ClickHouse stops the query after ``timeout_s``. Text cells a
        spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``…) start with ``'``.
        """
        where, params = self._where(f)
        params["max_rows"] = int(max_rows)
        cells = ", ".join([
            _csv_cell("title", "title"), _csv_cell("company", "company"), _csv_cell("location", "location"),
            _csv_cell("toString(source)", "source"), _csv_cell("toString(seniority_level)", "seniority_level"),
        ])
        sql = self._sql(
            "SELECT posted_date, " + cells + ", round(toFloat64(ai_relevance_score), 2) AS ai_relevance_score, "
            + _csv_cell("arrayStringConcat(extracted_skills, '; ')", "skills") + ", " + _csv_cell("url", "url") +
            " FROM {db}.postings_all FINAL WHERE " + where +
            " ORDER BY " + self._order(sort) + " LIMIT {max_rows:UInt64}")
        if self.query_log is not None:
            self.query_log.append((sql, dict(params)))
        # prefer_column_name_to_alias: filters compare the stored values, not the escaped cells
        settings = {"max_execution_time": max(1, int(timeout_s)), "prefer_column_name_to_alias": 1}
        with self.pool.client() as client:
            try:
                stream = client.raw_stream(sql, parameters=params, settings=settings, fmt="CSVWithNames")
            except Exception as exc:
                if _missing_schema(exc):
                    raise DataError("The database has no SkillPulse tables yet: run `skillpulse db migrate`.") from exc
                raise
            try:
                while chunk := stream.read(1 << 16):
                    yield chunk
            finally:
                stream.close()

    # --- weekly batch output ------------------------------------------------------------------
    def clusters(self) -> tuple[dict[str, Any], pd.DataFrame]:
        """The latest batch run's skill map: ``(run info, points)``; empty frame before any run."""
        def compute():
            runs = self.query(
                "SELECT run_id, max(week_start) AS week_start, max(created_at) AS created"
                " FROM {db}.skill_clusters GROUP BY run_id ORDER BY created DESC LIMIT 1", None,
                ("run_id", "week_start", "created"))
            if runs.empty:
                return {}, pd.DataFrame()
            run = runs.iloc[0].to_dict()
            points = self.query(
                "SELECT skill, cluster, x, y, z, x2d, y2d, count, cluster_label"
                " FROM {db}.skill_clusters FINAL WHERE run_id = {run:String} ORDER BY cluster, skill",
                {"run": run["run_id"]})
            return run, points
        return self.cached("clusters", (), compute)

    def candidates(self, limit: int = 50) -> tuple[dict[str, Any], pd.DataFrame]:
        """Skills the promoted model found that the taxonomy lacks (latest run)."""
        def compute():
            runs = self.query(
                "SELECT run_id, max(updated_at) AS updated FROM {db}.skill_candidates"
                " GROUP BY run_id ORDER BY updated DESC LIMIT 1", None, ("run_id", "updated"))
            if runs.empty:
                return {}, pd.DataFrame()
            run = runs.iloc[0].to_dict()
            frame = self.query(
                "SELECT skill, count, growth, examples, model_version FROM {db}.skill_candidates FINAL"
                " WHERE run_id = {run:String} ORDER BY count DESC, growth DESC, skill LIMIT {limit:UInt32}",
                {"run": run["run_id"], "limit": limit})
            return run, frame
        return self.cached("candidates", (limit,), compute)

    # --- rollup views (the baseline measured by bench/dashboard.py) ---------------------------
    def rollup_volume(self) -> pd.DataFrame:
        return self.query("SELECT week_start, job_count FROM {db}.weekly_job_volume")

    def rollup_skills(self) -> pd.DataFrame:
        return self.query("SELECT week_start, skill, count FROM {db}.weekly_skill_counts")

    def rollup_seniority(self) -> pd.DataFrame:
        return self.query("SELECT week_start, seniority_level, count FROM {db}.weekly_seniority")
