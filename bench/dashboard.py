"""The dashboard on 1M postings: p50/p95 per query and per callback, cold and cached.

    .venv/bin/python bench/dashboard.py [--rows 1000000] [--weeks 52] [--runs 7] [--insert-batch 200000]

Loads ``--rows`` synthetic *enriched* postings (numpy + Arrow, consistent with the taxonomy and the
rules: categories and tiers from the skills, seniority and score from ``skillpulse.domain.rules``)
into a fresh embedded ClickHouse (chDB) in a temp dir, through the real schema (the rollups are plain
views over the deduplicated ``postings``, computed when read). Then, for three filter states (none;
source + minimum AI relevance; seniority + category), it times every query of ``dashboard.queries``
and every Dash callback through Dash's HTTP endpoint (JSON serialisation included), each ``--runs``
times with the cache cleared ("cold": the cost of a new filter state) and once more cached. The
rollup views the queries avoid are timed as the baseline, with the ratio against the scan that
replaced them.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from schemas.tables import SKILL_CLUSTERS  # noqa: E402

LEVEL_PREFIX = {"entry": "Junior ", "mid": "", "senior": "Senior ", "lead": "Lead ", "director": "Director of ",
                "vp": "VP of ", "executive": "Chief "}
ROLES = ["Machine Learning Engineer", "Data Scientist", "Data Engineer", "AI Engineer", "Data Analyst",
         "MLOps Engineer", "AI Product Manager", "Software Engineer", "Analytics Engineer", "Research Scientist"]
LEVEL_P = [0.14, 0.34, 0.25, 0.13, 0.07, 0.04, 0.03]
LEVEL_CAT_BOOST = {"entry": {"data_science": 1.6}, "mid": {}, "senior": {"ml_engineering": 1.4, "ai_infrastructure": 1.3},
                   "lead": {"ai_infrastructure": 1.5, "ai_product": 1.4}, "director": {"ai_strategy": 3.0, "ai_product": 2.0},
                   "vp": {"ai_strategy": 4.0, "ai_product": 2.0}, "executive": {"ai_strategy": 5.0}}
POPULAR = ["python", "sql", "machine learning", "aws", "docker", "deep learning", "pytorch", "kubernetes",
           "statistics", "tensorflow", "spark", "azure", "mlops", "nlp", "generative ai", "llm"]
RISING = ["llm", "generative ai", "retrieval-augmented generation", "langchain", "prompt engineering", "github copilot",
          "ai agents", "vector databases"]


def load(client, n: int, weeks: int = 52, seed: int = 7, batch: int = 200_000, database: str = "skillpulse",
         end: dt.date = dt.date(2026, 11, 22)) -> float:
    """Insert ``n`` enriched postings over ``weeks`` weeks ending ``end``; returns seconds."""
    from skillpulse.domain.rules import default_rules
    from skillpulse.domain.taxonomy import default_taxonomy

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    tax, rules = default_taxonomy(), default_rules()
    names = sorted(tax.skills)  # sorted, so each row's skills come out sorted like the enricher's
    S = len(names)
    rank = rng.permutation(S).astype(float) + 1
    for i, skill in enumerate(POPULAR):
        rank[names.index(skill)] = 1 + i * 0.5
    base = 0.6 / rank ** 0.9
    trend = rng.normal(0, 0.5, S)
    for skill in RISING:
        if skill in tax.skills:
            trend[names.index(skill)] = 2.0
    levels = list(LEVEL_PREFIX)
    boost = np.array([[LEVEL_CAT_BOOST[lv].get(tax.skills[s].category, 1.0) for s in names] for lv in levels])
    titles = [LEVEL_PREFIX[lv] + role for lv in levels for role in ROLES]
    title_level = np.array([rules.classify_seniority(t).value for t in titles], dtype=object)
    title_ai = np.array([rules.has_ai_title(t) for t in titles])
    names_arr = np.array(names, dtype=object)
    cat_labels, cat_code = np.unique(np.array([tax.skills[s].category for s in names], dtype=object), return_inverse=True)
    tier_labels, tier_code = np.unique(np.array([tax.skills[s].tier or "" for s in names], dtype=object), return_inverse=True)
    sources = np.array(["linkedin", "jobtech", "indeed", "glassdoor"], dtype=object)
    cities = np.array(["Stockholm", "Solna", "Kista", "Uppsala", "Göteborg", "Malmö", "Remote, Sweden"], dtype=object)
    days = weeks * 7
    start = end - dt.timedelta(days=days - 1)
    day_weight = np.linspace(1.0, 1.3, days)
    day_weight /= day_weight.sum()
    n_groups = weeks * len(levels)

    def lists(rows: np.ndarray, codes: np.ndarray, labels: np.ndarray, m: int) -> pa.ListArray:
        key = np.unique(rows.astype(np.int64) * 1024 + codes)
        offsets = np.concatenate([[0], np.cumsum(np.bincount(key // 1024, minlength=m))])
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(labels[key % 1024], pa.string()))

    for off in range(0, n, batch):
        m = min(batch, n - off)
        day = rng.choice(days, m, p=day_weight)
        lvl = rng.choice(len(levels), m, p=LEVEL_P)
        title_idx = lvl * len(ROLES) + rng.integers(0, len(ROLES), m)
        group = (day // 7) * len(levels) + lvl
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(n_groups + 1))
        k = 1 + rng.poisson(5, m)
        rows_l, cols_l = [], []
        for g in range(n_groups):
            members = order[bounds[g]:bounds[g + 1]]
            if len(members):
                w, lv = divmod(g, len(levels))
                p = base * np.exp(trend * ((w + 0.5) / weeks - 0.5)) * boost[lv]
                rows_l.append(np.repeat(members, k[members]))
                cols_l.append(rng.choice(S, int(k[members].sum()), p=p / p.sum()))
        pairs = np.unique(np.concatenate(rows_l).astype(np.int64) * 1024 + np.concatenate(cols_l))
        rows, cols = pairs // 1024, pairs % 1024
        counts = np.bincount(rows, minlength=m)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        has_tier = tier_labels[tier_code[cols]] != ""
        score = np.round(np.minimum(counts / 5, 1) * 0.6 + 0.4 * title_ai[title_idx], 2).astype(np.float32)
        table = pa.table({
            "pipeline_version": pa.array(["v1"] * m),
            "posting_key": pa.array([f"{seed:04x}{off + i:012x}" for i in range(m)]),
            "title": pa.array(np.array(titles, dtype=object)[title_idx]),
            "company": pa.array([f"Company {x}" for x in rng.integers(0, 8000, m)]),
            "location": pa.array(cities[rng.integers(0, len(cities), m)]),
            "source": pa.array(sources[rng.choice(len(sources), m, p=[0.45, 0.3, 0.15, 0.1])]),
            "posted_date": pa.array(np.datetime64(start) + day.astype("timedelta64[D]"), pa.date32()),
            "extracted_skills": pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(names_arr[cols], pa.string())),
            "skill_categories": lists(rows, cat_code[cols], cat_labels, m),
            "ai_tiers": lists(rows[has_tier], tier_code[cols][has_tier], tier_labels, m),
            "seniority_level": pa.array(title_level[title_idx]),
            "ai_relevance_score": pa.array(score),
        })
        client.insert_arrow(f"{database}.postings_all", table)
        print(f"  loaded {off + m:,} rows ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    return time.perf_counter() - started


def _clusters(client) -> None:
    """A batch-shaped skill map (every taxonomy skill, 12 clusters) so the map callback draws points."""
    from skillpulse.domain.taxonomy import default_taxonomy

    rng = np.random.default_rng(1)
    rows = [["bench-run", dt.date(2026, 11, 16), s, i % 12, *rng.normal(size=3).tolist(), int(rng.integers(10, 5000)),
             *rng.normal(size=2).tolist(), ""] for i, s in enumerate(sorted(default_taxonomy().skills))]
    SKILL_CLUSTERS.insert(client, "skillpulse", rows)


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _time(fn, runs: int, clear=None) -> tuple[list[float], float]:
    samples = []
    for _ in range(runs):
        if clear:
            clear()
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    fn()
    return samples, (time.perf_counter() - t) * 1000


def _callback(flask_client, outputs, inputs, state=()):
    spec = [{"id": i, "property": p} for i, p in outputs]
    body = {"output": (".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..") if len(outputs) > 1 else f"{outputs[0][0]}.{outputs[0][1]}",
            "outputs": spec if len(outputs) > 1 else spec[0],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state]}

    def call():
        response = flask_client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert b"could not be drawn" not in response.get_data()
    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--insert-batch", type=int, default=200_000)
    parser.add_argument("--markdown", action="store_true", help="Also print the figures as a Markdown table.")
    parser.add_argument("--data-dir", type=Path, default=None, help="Keep the database here (default: a temp dir).")
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    from dashboard.app import create_app
    from dashboard.callbacks import to_store
    from dashboard.filters import Filters, build
    from dashboard.queries import ClientPool, DashboardData
    from skillpulse import storage
    from skillpulse.settings import Settings

    console = Console()
    tmp = tempfile.TemporaryDirectory(prefix="skillpulse-bench-")
    path = (args.data_dir or Path(tmp.name)) / "clickhouse"
    client = storage.connect(Settings(), url=f"chdb://{path.resolve()}")
    storage.migrate(client, "skillpulse")
    storage.set_version_status(client, "v1", "active", database="skillpulse")
    seconds = load(client, args.rows, args.weeks, batch=args.insert_batch)
    _clusters(client)
    parts = client.query("SELECT count() FROM system.parts WHERE database = 'skillpulse' AND table = 'postings_all'"
                         " AND active").result_rows[0][0]
    console.print(f"load average before timing (1, 5, 15 min): {os.getloadavg()} on {os.cpu_count()} CPUs")
    console.print(f"loaded {args.rows:,} postings over {args.weeks} weeks in {seconds:.1f} s "
                  f"({args.rows / seconds:,.0f} rows/s, {parts} active parts)")

    data = DashboardData(ClientPool(client, Settings()), "skillpulse")
    app = create_app(client, Settings(), data=data, warm=False)
    web = app.server.test_client()
    states = {"no filters": Filters(), "source+min AI 0.5": build(sources=["linkedin", "jobtech"], min_ai=0.5),
              "senior,lead+ai_strategy": build(levels=["senior", "lead"], categories=["ai_strategy"])}

    table = Table(title=f"dashboard on {args.rows:,} postings, chDB, {args.runs} cold runs each (ms)")
    for column in ("filters", "what", "p50 cold", "p95 cold", "cached"):
        table.add_column(column, justify="right" if column not in ("filters", "what") else "left")
    worst = 0.0
    notes: list[str] = []
    markdown = ["| filters | what | p50 cold | p95 cold | cached |", "| --- | --- | ---: | ---: | ---: |"]
    for label, f in states.items():
        store = to_store(f)
        queries = {
            "query weekly (volume, seniority, AI share, categories, tiers)": lambda f=f: data.weekly(f),
            "query skills (top 10, movers, TF-IDF)": lambda f=f: data.skills(f),
            "query postings page 1 (+count)": lambda f=f: data.postings_page(f, 0, 20),
            "query postings page 2000, sorted by company": lambda f=f: data.postings_page(
                f, 2000, 20, [{"colId": "company", "sort": "asc"}]),
        }
        cbs = {
            "callback KPIs": _callback(web, [("kpis", "children"), ("freshness", "children")], [("filters", "data", store)]),
            "callback volume": _callback(web, [("g-volume", "figure")], [("filters", "data", store)]),
            "callback top skills + movers": _callback(web, [("g-top-skills", "figure"), ("g-movers", "figure")],
                                                      [("filters", "data", store)]),
            "callback seniority + mix": _callback(web, [("g-seniority", "figure"), ("g-seniority-mix", "figure")],
                                                  [("filters", "data", store)]),
            "callback categories": _callback(web, [("g-categories", "figure")], [("filters", "data", store)]),
            "callback AI tiers": _callback(web, [("g-tiers", "figure")], [("filters", "data", store)]),
            "callback characteristic skills": _callback(web, [("characteristic", "children")], [("filters", "data", store)]),
            "callback postings table": _callback(
                web, [("postings-table", "getRowsResponse"), ("table-summary", "children")],
                [("postings-table", "getRowsRequest", {"startRow": 0, "endRow": 20, "sortModel": []})],
                [("filters", "data", store)]),
            "callback skill map": _callback(web, [("g-clusters", "figure"), ("cluster-note", "children")],
                                            [("filters", "data", store)]),
        }
        for name, fn in {**queries, **cbs}.items():
            samples, cached = _time(fn, args.runs, clear=data.cache.clear)
            worst = max(worst, _pct(samples, 0.5)) if name.startswith("callback") else worst
            table.add_row(label, name, f"{statistics.median(samples):.1f}", f"{_pct(samples, 0.95):.1f}", f"{cached:.1f}")
            markdown.append(f"| {label} | {name} | {statistics.median(samples):.0f} | {_pct(samples, 0.95):.0f} | {cached:.1f} |")
        # What a user waits for after changing a filter: the browser fires every callback at once;
        # shared queries run once (single flight), each callback answers when its own data is ready.
        page, slowest = [], []
        for _ in range(args.runs):
            data.cache.clear()
            done: dict[str, float] = {}
            t0 = time.perf_counter()

            def fire(name, fn, t0=t0, done=done):
                fn()
                done[name] = (time.perf_counter() - t0) * 1000
            threads = [threading.Thread(target=fire, args=(n, f)) for n, f in cbs.items()]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            page.append(max(done.values()))
            slowest.append(max(done, key=done.get))
        table.add_row(label, "[b]whole page after a filter change[/b] (all callbacks at once)",
                      f"{statistics.median(page):.1f}", f"{_pct(page, 0.95):.1f}", "",
                      end_section=True)
        markdown.append(f"| {label} | **whole page after a filter change** | {statistics.median(page):.0f} | "
                        f"{_pct(page, 0.95):.0f} | |")
        notes.append(f"{label}: last callback to answer was mostly '{max(set(slowest), key=slowest.count)}'")
    console.print(table)

    base = Table(title="baseline: the rollup views (plain views over the deduplicated postings) vs the scan used (ms, p50)")
    for column in ("question", "rollup view", "scan of postings_all FINAL", "rollup / scan"):
        base.add_column(column)
    pairs = {
        "weekly volume": (data.rollup_volume, lambda: data.weekly(Filters())),
        "weekly seniority": (data.rollup_seniority, lambda: data.weekly(Filters())),
        "weekly skill counts": (data.rollup_skills, lambda: data.skills(Filters())),
    }
    for name, (rollup, scan) in pairs.items():
        r, _ = _time(rollup, args.runs)
        s, _ = _time(scan, args.runs, clear=data.cache.clear)
        base.add_row(name, f"{statistics.median(r):.1f}", f"{statistics.median(s):.1f}",
                     f"{statistics.median(r) / statistics.median(s):.1f}x")
        markdown.append(f"| baseline | rollup view for {name}: {statistics.median(r):.0f} ms vs scan "
                        f"{statistics.median(s):.0f} ms | | | |")
    console.print(base)
    console.print(f"slowest callback p50 (cold, alone): {worst:.1f} ms")
    for note in notes:
        console.print(note)
    if args.markdown:
        print("\n".join(markdown))
    console.print(f"load average at the end (1, 5, 15 min): {os.getloadavg()} on {os.cpu_count()} CPUs")
    data.close()
    client.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
