"""The weekly batch: relabel -> retrain -> candidates -> cluster over one window of postings.

Idempotent per window: the run id is ``weekly-<week>-<N>w`` (``week`` = the Monday of the window's
last week); a re-run deletes that run's rows and writes them again, and the model version is the run
id. ``run_weekly`` is what ``skillpulse batch weekly`` and ``skillpulse demo`` call (in-process: an
embedded chDB allows one process per data directory).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from batch.labels import Item, LLMLabeller, TaxonomyLabeller
from schemas.tables import (
    BATCH_RUNS, MODEL_SKILLS, SKILL_CANDIDATES, SKILL_LABELS, BatchRunRow, CandidateRow, LabelRow, ModelSkillRow,
)
from skillpulse.extraction.bio import Span
from skillpulse.domain.taxonomy import default_taxonomy
from skillpulse.domain.text import readable
from skillpulse.domain.weeks import monday
from skillpulse.settings import Settings

log = logging.getLogger(__name__)
MIN_LABELLED = 10
MIN_PROMOTE_F1 = 0.5  # a model below this strict F1 is never promoted, even as the first one


class BatchError(RuntimeError):
    """The batch cannot run as asked; the message says what to do."""


def run_id_for(week: dt.date, weeks: int) -> str:
    return f"weekly-{monday(week).isoformat()}-{weeks}w"


def resolve_window(client, database: str, week: dt.date | None, weeks: int) -> tuple[dt.date, dt.date, dt.date]:
    """(week, window_start, window_end): ``weeks`` weeks ending with ``week`` (default: the latest
    week that has postings)."""
    if weeks < 1:
        raise BatchError("--weeks must be at least 1")
    if week is None:
        latest = client.query(f"SELECT max(posted_date), count() FROM {database}.postings").result_rows[0]
        if not latest[1]:
            raise BatchError("no postings in ClickHouse yet: run `skillpulse demo`, or produce postings and "
                             "run `skillpulse worker` first")
        week = latest[0]
    week = monday(week)
    return week, week - dt.timedelta(weeks=weeks - 1), week + dt.timedelta(days=6)


def window_postings(client, database: str, start: dt.date, end: dt.date) -> list[tuple[str, str, str]]:
    """(posting_key, title, description) of the window's postings, ordered by key (a stable shuffle)."""
    return [tuple(r) for r in client.query(
        f"SELECT posting_key, title, description FROM {database}.postings "
        "WHERE posted_date BETWEEN {start:Date} AND {end:Date} ORDER BY posting_key",
        parameters={"start": start, "end": end}).result_rows]


def _span(value) -> Span:
    if isinstance(value, dict):
        return Span(int(value["start"]), int(value["end"]), value["text"], value["skill"])
    return Span(int(value[0]), int(value[1]), value[2], value[3])


def cached_labels(client, database: str, source: str, version: str, keys: list[str]) -> dict[str, tuple[str, list[Span]]]:
    """posting_key -> (text_sha, spans) already stored for this labeller and prompt version."""
    if not keys:
        return {}
    rows = client.query(
        f"SELECT posting_key, text_sha, spans FROM {database}.skill_labels FINAL "
        "WHERE label_source = {src:String} AND prompt_version = {ver:String} AND posting_key IN {keys:Array(String)}",
        parameters={"src": source, "ver": version, "keys": keys}).result_rows
    return {k: (sha, [_span(s) for s in spans]) for k, sha, spans in rows}


@contextmanager
def _progress(enabled: bool, console=None) -> Iterator:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[note]}"), TimeElapsedColumn(), console=console, transient=False) as bar:
        yield bar


class _Step:
    """A progress task that also works without a progress bar."""

    def __init__(self, bar, name: str, total: int):
        self.bar = bar
        self.task = bar.add_task(name, total=total, note="") if bar is not None else None

    def advance(self, n: int = 1, note: str | None = None) -> None:
        if self.bar is not None:
            kwargs = {"note": note} if note is not None else {}
            self.bar.update(self.task, advance=n, **kwargs)

    def set(self, completed: int, total: int | None = None, note: str | None = None) -> None:
        if self.bar is not None:
            kwargs = {"note": note} if note is not None else {}
            self.bar.update(self.task, completed=completed, total=total, **kwargs)


def make_labeller(kind: str | None, settings: Settings, taxonomy, llm_client=None):
    """(labeller, note): ``llm`` needs ``LLM_BASE_URL``; without it the taxonomy labels, and says so."""
    kind = (kind or ("llm" if settings.llm_base_url or llm_client else "taxonomy")).lower()
    if kind not in ("llm", "taxonomy"):
        raise BatchError(f"unknown labeller {kind!r}: use llm or taxonomy")
    if kind == "llm":
        if llm_client is None and not settings.llm_base_url:
            return TaxonomyLabeller(taxonomy), ("LLM_BASE_URL is not set: fell back to taxonomy weak labels "
                                                "(set LLM_BASE_URL, LLM_MODEL and LLM_API_KEY to use an LLM)")
        if llm_client is None:
            from batch.llm import ChatClient

            llm_client = ChatClient(settings.llm_base_url, settings.llm_model, settings.llm_api_key)
        return LLMLabeller(llm_client, taxonomy), ""
    return TaxonomyLabeller(taxonomy), ""


def relabel(client, database: str, postings, labeller, run_id: str, step: _Step | None = None) -> list:
    """Label the postings (reusing stored labels of the same prompt version and text) and store them.

    Returns ``batch.train.Example`` per labelled posting.
    """
    from batch.train import Example

    items = [Item(k, readable(d)) for k, _, d in postings]
    cache = cached_labels(client, database, labeller.source, labeller.version, [i.posting_key for i in items]) \
        if labeller.source == "llm" else {}
    todo = [i for i in items if cache.get(i.posting_key, ("",))[0] != i.sha]
    labeller.stats.cache_hits = len(items) - len(todo)
    if step:
        step.advance(labeller.stats.cache_hits)
    fresh = labeller.label(todo, progress=(step.advance if step else None))
    rows = [LabelRow(lab.posting_key, labeller.source, labeller.version, lab.text_sha,
                     [(s.start, s.end, s.text, s.skill) for s in lab.spans], lab.dropped, run_id) for lab in fresh]
    SKILL_LABELS.insert(client, database, rows, chunk=5000)
    text = {i.posting_key: i.text for i in items}
    examples = [Example(k, text[k], spans) for k, (sha, spans) in cache.items() if text.get(k) is not None
                and sha == Item(k, text[k]).sha]
    examples += [Example(lab.posting_key, text[lab.posting_key], lab.spans) for lab in fresh]
    return sorted(examples, key=lambda e: e.posting_key)


def retrain(client, settings: Settings, examples, *, run_id: str, window: tuple[dt.date, dt.date],
            label_source: str, epochs: int, seed: int, step: _Step | None = None) -> dict:
    """Train, evaluate against the promoted model on the same held-out postings, register, maybe promote."""
    from skillpulse.extraction.metrics import span_metrics
    from skillpulse.extraction.registry import ModelRecord, model_path, models_dir, promoted_model, register
    from batch.train import is_test_key, train
    from skillpulse.extraction.tagger import TokenTagger, default_encoder

    db = settings.clickhouse_database
    if epochs <= 0:
        return {"status": "skipped", "reason": "--epochs 0"}
    if len(examples) < MIN_LABELLED:
        return {"status": "skipped", "reason": f"only {len(examples)} labelled postings (need {MIN_LABELLED}); "
                                               "widen the window (--weeks) or raise --sample"}
    version = run_id
    root = models_dir(settings)
    tmp = root / f".tmp-{version}"
    shutil.rmtree(tmp, ignore_errors=True)

    def on_step(done: int, total: int, loss: float) -> None:
        if step:
            step.set(done, total, note=f"loss {loss:.3f}")

    # Refine the promoted model (e.g. one bootstrapped from public labels) rather than the bare encoder.
    current = promoted_model(client, db)
    base, lr = default_encoder(settings), 2e-4
    if current is not None:
        try:
            base, lr = str(model_path(current, settings)), 5e-5  # gentler: keep what it learned
        except FileNotFoundError as exc:
            log.warning("%s; training from the encoder", exc)
    try:
        result = train(examples, tmp, base_model=base, epochs=epochs, lr=lr, seed=seed, on_step=on_step,
                       meta={"version": version, "run_id": run_id, "label_source": label_source,
                             "window": [window[0].isoformat(), window[1].isoformat()]})
    except ValueError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        return {"status": "skipped", "reason": str(exc)}
    metrics = dict(result.metrics)

    baseline = None
    if current is not None:
        try:
            test = [e for e in examples if is_test_key(e.posting_key)]
            old = TokenTagger(model_path(current, settings))
            baseline = span_metrics([e.spans for e in test], old.predict([e.text for e in test]))
            del old
        except FileNotFoundError as exc:
            log.warning("%s; promoting the new model", exc)
            current = None
    new_f1 = metrics["strict"]["f1"]
    promote = new_f1 >= MIN_PROMOTE_F1 and (baseline is None or new_f1 > baseline["strict"]["f1"])
    if promote:
        reason = "first model" if baseline is None else f"beats {current.version}"
    elif new_f1 < MIN_PROMOTE_F1:
        reason = f"strict F1 below {MIN_PROMOTE_F1}"
    else:
        reason = f"does not beat {current.version}"
    metrics["baseline"] = {"version": current.version, **baseline} if baseline else None
    final = root / version
    kept_previous = (not promote and current is not None and current.version == version)
    if kept_previous:  # a re-run that did not beat this window's promoted model: keep that one
        shutil.rmtree(tmp, ignore_errors=True)
        final_path = model_path(current, settings)
    else:
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        final_path = final
        register(client, db, ModelRecord(
            version=version, base_model=base, window_start=window[0], window_end=window[1],
            label_source=label_source, path=str(final.resolve()), metrics=metrics, strict_f1=new_f1,
            loose_f1=metrics["loose"]["f1"], train_size=result.train_size, test_size=result.test_size,
            promoted=promote, run_id=run_id))
    return {"status": "ok", "version": version, "path": str(final_path), "promoted": promote, "reason": reason,
            "kept_previous": kept_previous, "metrics": metrics, "train_seconds": round(result.seconds, 1),
            "base_model": base,
            "baseline_version": current.version if current else None}


def write_candidates(client, database: str, run_id: str, week: dt.date, model_version: str, candidates,
                     growth: dict[str, int] | None = None) -> int:
    client.command(f"DELETE FROM {database}.skill_candidates WHERE run_id = {{run:String}}", parameters={"run": run_id})
    growth = growth or {}
    rows = [CandidateRow(c.skill, c.count, c.examples, model_version, run_id, week, growth.get(c.skill, 0))
            for c in candidates]
    return SKILL_CANDIDATES.insert(client, database, rows)


def write_model_skills(client, database: str, run_id: str, model_version: str, keys: list[str],
                       per_posting: list[dict[str, str]]) -> int:
    """Store every skill the model found per posting (active version); a re-run replaces its rows."""
    from skillpulse.storage import active_version

    version = active_version(client, database) or ""
    client.command(f"DELETE FROM {database}.model_skills WHERE run_id = {{run:String}}", parameters={"run": run_id})
    rows = [ModelSkillRow(version, key, skill, surface, model_version, run_id)
            for key, found in zip(keys, per_posting, strict=True) for skill, surface in found.items()]
    return MODEL_SKILLS.insert(client, database, rows, chunk=20000)


def candidate_growth(client, database: str, keys: list[str], per_posting: list[dict[str, str]],
                     start: dt.date, end: dt.date) -> dict[str, int]:
    """Postings per skill in the window's last week minus its first week (rising skills first)."""
    weeks = dict(client.query(
        f"SELECT posting_key, toMonday(posted_date) FROM {database}.postings "
        "WHERE posted_date BETWEEN {start:Date} AND {end:Date}", parameters={"start": start, "end": end}).result_rows)
    first, last = monday(start), monday(end)
    growth: dict[str, int] = {}
    for key, found in zip(keys, per_posting, strict=True):
        step = 1 if weeks.get(key) == last else -1 if weeks.get(key) == first else 0
        if step:
            for skill in found:
                growth[skill] = growth.get(skill, 0) + step
    return growth


def _record_run(client, database: str, run_id: str, start: dt.date, end: dt.date, status: str, summary: dict,
                started: dt.datetime) -> None:
    BATCH_RUNS.insert(client, database, [BatchRunRow(run_id, start, end, status, json.dumps(summary, default=str),
                                                     started, dt.datetime.now(dt.UTC))])


def run_weekly(client, settings: Settings, week: dt.date | None = None, weeks: int = 4, *,
               labeller: str | None = None, sample: int | None = 300, epochs: int = 2, k: int | None = None,
               k_range: tuple[int, int] = (4, 16), seed: int = 42, plots_root: Path | None = None,
               candidate_limit: int = 5000, progress: bool = True, console=None, llm_client=None,
               min_postings: int = 2, draw_map=None) -> dict:
    """Run the whole weekly batch for one window and return its summary (also stored in ``batch_runs``).

    ``draw_map(points, png, html, title)`` writes the skill map's files under ``plots_root/<week>/``
    (the entry points pass ``dashboard.report.write_cluster_plots``); None writes no files.

    The skill map clusters every skill (AI, general and open-vocabulary) in ``min_postings`` postings
    or more. ``client`` None opens a new connection from ``settings``; in-process
    callers holding an embedded chDB client should pass it.
    """
    from batch import cluster as clustering
    from skillpulse.extraction.extractor import load_promoted_model

    if client is None:
        from skillpulse import storage

        client = storage.connect(settings)
        storage.migrate(client, settings.clickhouse_database, settings.taxonomy_path)

    db = settings.clickhouse_database
    taxonomy = default_taxonomy(str(settings.taxonomy_path) if settings.taxonomy_path else None)
    week, start, end = resolve_window(client, db, week, weeks)
    run_id = run_id_for(week, weeks)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    summary: dict = {"run_id": run_id, "week": week.isoformat(), "window_start": start.isoformat(),
                     "window_end": end.isoformat(), "timings_s": {}}
    _record_run(client, db, run_id, start, end, "running", summary, started)
    timings = summary["timings_s"]
    try:
        postings = window_postings(client, db, start, end)
        if not postings:
            raise BatchError(f"no postings between {start} and {end}: pick another --week or widen --weeks")
        summary["postings"] = len(postings)
        sampled = postings[:sample] if sample else postings
        chosen, note = make_labeller(labeller, settings, taxonomy, llm_client)
        summary["labeller"] = chosen.source
        if note:
            summary["labeller_note"] = note
            log.warning(note)
        with _progress(progress, console) as bar:
            # 1. relabel: (posting_key, readable text, spans) for the sample
            t = time.perf_counter()
            examples = relabel(client, db, sampled, chosen, run_id, _Step(bar, f"relabel ({chosen.source})", len(sampled)))
            timings["relabel"] = round(time.perf_counter() - t, 2)
            stats = chosen.stats
            summary["labels"] = {"sampled": len(sampled), "labelled": len(examples), "new": stats.labelled,
                                 "cache_hits": stats.cache_hits, "spans": sum(len(e.spans) for e in examples),
                                 "dropped_spans": stats.dropped_spans, "malformed_replies": stats.malformed_replies,
                                 "failed": stats.failed, "usage": stats.usage, "version": chosen.version}
            # 2. retrain: model folder + registry row, promoted if it beats the current one
            t = time.perf_counter()
            summary["model"] = retrain(client, settings, examples, run_id=run_id, window=(start, end),
                                       label_source=chosen.source, epochs=epochs, seed=seed,
                                       step=_Step(bar, "retrain", max(1, epochs)))
            timings["retrain"] = round(time.perf_counter() - t, 2)
            # 3. every skill the promoted model finds over the window -> model_skills (counted in
            #    weekly_skill_mentions); the open-vocabulary ones, junk filtered -> candidates
            t = time.perf_counter()
            extractor = load_promoted_model(client, settings, taxonomy)
            if extractor is not None:
                scanned = postings[:candidate_limit]
                keys, texts = [k for k, _, _ in scanned], [d for _, _, d in scanned]
                per_posting, cands, mapped = extractor.extract_all(
                    texts, progress=_Step(bar, "model skills", len(texts)).advance)
                stored = write_model_skills(client, db, run_id, extractor.version, keys, per_posting)
                growth = candidate_growth(client, db, keys, per_posting, start, end)
                cands.sort(key=lambda c: (-c.count, -growth.get(c.skill, 0), c.skill))
                n = write_candidates(client, db, run_id, week, extractor.version, cands, growth)
                summary["candidates"] = {"model": extractor.version, "scanned": len(texts), "written": n,
                                         "model_skills": stored, "top": [[c.skill, c.count] for c in cands[:10]]}
            else:
                write_candidates(client, db, run_id, week, "", [])
                summary["candidates"] = {"model": None, "written": 0}
            timings["candidates"] = round(time.perf_counter() - t, 2)
            # 4. cluster: the window's distinct skills -> skill_clusters + plots/<week>/
            t = time.perf_counter()
            step = _Step(bar, "cluster", 3)
            counts = clustering.skill_counts(client, db, start, end, min_postings=min_postings)
            encoder = extractor._encoder if extractor is not None and extractor._encoder is not None \
                else clustering.load_encoder(settings)
            step.advance(note=f"{len(counts)} skills")
            result = clustering.cluster_skills([s for s, _ in counts], [n for _, n in counts], encoder,
                                               k=k, k_range=k_range, seed=seed)
            step.advance(note=f"k={result.k}")
            rows = clustering.write_clusters(client, db, run_id, week, result)
            root = plots_root or settings.data_dir / "plots"
            files = clustering.plot(result, Path(root) / week.isoformat(), f"Skills {start} – {end}",
                                    draw_map) if draw_map else []
            step.advance()
            timings["cluster"] = round(time.perf_counter() - t, 2)
            summary["clusters"] = {"skills": rows, "k": result.k,
                                   "silhouette": round(result.silhouette, 4) if result.silhouette is not None else None,
                                   "labels": {str(c): name for c, name in sorted(result.labels.items())}}
            summary["plots"] = [str(f) for f in files]
        timings["total"] = round(time.perf_counter() - t0, 2)
        summary["status"] = "ok"
        _record_run(client, db, run_id, start, end, "ok", summary, started)
        return summary
    except Exception as exc:
        summary["status"] = "failed"
        summary["error"] = f"{type(exc).__name__}: {exc}"
        _record_run(client, db, run_id, start, end, "failed", summary, started)
        raise
