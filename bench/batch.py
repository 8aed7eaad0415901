"""The weekly batch: wall time per step against window size, and the extractor's quality.

    .venv/bin/python bench/batch.py [--sizes 100,300] [--epochs 2] [--train 300] [--test 150] [--runs 3]

Part 1, **steps**: ``run_weekly`` (taxonomy labels) over windows of ``--sizes`` postings from
``producers.synthetic`` in a fresh embedded ClickHouse; prints seconds per step (relabel, retrain,
candidates, cluster) with the postings, labelled postings, training windows and distinct skills.

Part 2, **quality**: a held-out labelled set (``batch.goldset``: LLM-style gold spans, 25% of
mentions in spellings the taxonomy lacks, 10% skills outside it). Span P/R/F1 (strict, loose) and
per-posting skill-set F1 of: the taxonomy alone; a model trained on taxonomy weak labels (the
offline default); a model trained on gold labels (what the LLM labeller gives); and hybrid =
taxonomy + the gold-trained model (what ``SKILLPULSE_EXTRACTOR=hybrid`` does). Also the hybrid
``SkillModel``'s inference throughput against the taxonomy alone, median of ``--runs`` runs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from skillpulse.extraction.bio import Span  # noqa: E402
from skillpulse.extraction.metrics import skill_set_metrics, span_metrics  # noqa: E402
from batch.goldset import synthetic_goldset  # noqa: E402
from skillpulse.domain.taxonomy import default_taxonomy  # noqa: E402

console = Console(width=160)


def bench_steps(sizes: list[int], epochs: int, seed: int) -> None:
    from producers.synthetic import generate_postings
    from schemas.postings import parse_raw_posting

    from batch.weekly import run_weekly
    from skillpulse import storage
    from skillpulse.domain.enrich import default_enricher
    from skillpulse.settings import Settings

    table = Table(title=f"weekly batch steps (taxonomy labels, {epochs} epochs, 4-week windows, seconds)")
    for col in ("postings", "labelled", "train windows", "skills", "relabel", "retrain", "candidates",
                "cluster", "total", "strict F1", "k"):
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        client = storage.connect(settings)
        storage.migrate(client, settings.clickhouse_database)
        enricher = default_enricher("v1")
        # one window per size, far apart in time, all in one database (chDB: one path per process)
        ends = [dt.date(2024, 1, 7) + dt.timedelta(weeks=10 * i) for i in range(len(sizes))]
        for i, (size, end) in enumerate(zip(sizes, ends)):  # another seed per window: distinct posting keys
            raws = [parse_raw_posting(r) for r in generate_postings(size, seed + 1000 * i, end_date=end, weeks=4,
                                                                    duplicate_rate=0.0)]
            rows = [storage.posting_row(e, 0, i) for i, e in enumerate(enricher.enrich_many(raws))]
            storage.insert_postings(client, rows, settings.clickhouse_database)
        storage.set_version_status(client, "v1", "active", database=settings.clickhouse_database)
        for size, end in zip(sizes, ends):
            s = run_weekly(client, settings, week=end, weeks=4, labeller="taxonomy", sample=None, epochs=epochs,
                           seed=seed, progress=False)
            t, m = s["timings_s"], s["model"]
            table.add_row(str(s["postings"]), str(s["labels"]["labelled"]),
                          str(m.get("metrics", {}).get("train_windows", "-")), str(s["clusters"]["skills"]),
                          *(f"{t[k]:.1f}" for k in ("relabel", "retrain", "candidates", "cluster", "total")),
                          f"{m['metrics']['strict']['f1']:.3f}" if m.get("status") == "ok" else "-",
                          str(s["clusters"]["k"]))
            console.print(f"  window of {size} postings done in {t['total']:.1f}s")
        client.close()
    console.print(table)


def _examples(gold):
    from batch.train import Example
    from skillpulse.domain.keys import posting_key

    return [Example(posting_key(g.raw.title, g.raw.company, g.raw.location) + f"#{i}", g.raw.description, g.spans)
            for i, g in enumerate(gold)]


def bench_quality(n_train: int, n_test: int, epochs: int, seed: int, runs: int) -> None:
    from skillpulse.extraction.extractor import SpanExtractor
    from batch.train import train
    from skillpulse.extraction.tagger import TokenTagger

    taxonomy = default_taxonomy()
    train_gold = synthetic_goldset(n_train, seed + 100, taxonomy=taxonomy)
    test_gold = synthetic_goldset(n_test, seed + 200, taxonomy=taxonomy)
    texts = [g.raw.description for g in test_gold]
    gold_spans = [list(g.spans) for g in test_gold]
    gold_skills = [{s.skill for s in g.spans if s.skill in taxonomy.skills} for g in test_gold]

    weak = [Span(s, e, t[s:e], v) for t in [g.raw.description for g in train_gold]
            for s, e, v in taxonomy.matcher.find_spans(t)]  # flattened only to count
    console.print(f"quality: train {n_train} postings ({sum(len(g.spans) for g in train_gold)} gold spans, "
                  f"{len(weak)} taxonomy spans), held-out {n_test} postings ({sum(map(len, gold_spans))} gold spans)")

    rows = []
    tax_spans = [[Span(s, e, t[s:e], v) for s, e, v in taxonomy.matcher.find_spans(t)] for t in texts]
    tax_skills = [taxonomy.extract(t) for t in texts]
    rows.append(("taxonomy alone", span_metrics(gold_spans, tax_spans), skill_set_metrics(gold_skills, tax_skills), None))

    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, ex in (
            ("model (taxonomy weak labels)", [type(e)(e.posting_key, e.text, [Span(s, t, e.text[s:t], v) for s, t, v in
                                                                              taxonomy.matcher.find_spans(e.text)])
                                              for e in _examples(train_gold)]),
            ("model (LLM-style gold labels)", _examples(train_gold)),
        ):
            t0 = time.perf_counter()
            res = train(ex, Path(tmp) / name.split()[1], epochs=epochs, seed=seed, test_share=0.1)
            console.print(f"  trained {name} in {time.perf_counter() - t0:.1f}s (own held-out strict F1 "
                          f"{res.metrics['strict']['f1']:.3f})")
            extractor = SpanExtractor(TokenTagger(res.path), taxonomy)
            spans = extractor.spans(texts)
            skills = extractor(texts)
            rows.append((name, span_metrics(gold_spans, spans), skill_set_metrics(gold_skills, skills), None))
            results[name] = (extractor, spans, skills)

        extractor, model_spans, model_skills = results["model (LLM-style gold labels)"]
        hybrid_spans = [t + [m for m in ms if all(m.end <= x.start or m.start >= x.end for x in t)]
                        for t, ms in zip(tax_spans, model_spans)]
        hybrid_skills = [a | b for a, b in zip(tax_skills, model_skills)]
        rows.append(("hybrid (taxonomy + gold-trained model)", span_metrics(gold_spans, hybrid_spans),
                     skill_set_metrics(gold_skills, hybrid_skills), None))

        table = Table(title=f"extractor quality on {n_test} held-out postings ({epochs} epochs)")
        for col in ("extractor", "strict P", "strict R", "strict F1", "loose F1", "skill-set F1"):
            table.add_column(col, justify="right" if col != "extractor" else "left")
        for name, m, sk, _ in rows:
            table.add_row(name, f"{m['strict']['precision']:.3f}", f"{m['strict']['recall']:.3f}",
                          f"{m['strict']['f1']:.3f}", f"{m['loose']['f1']:.3f}", f"{sk['f1']:.3f}")
        console.print(table)

        # throughput: what the worker pays per batch in hybrid mode
        batch = texts[:64]
        extractor(batch)  # warm-up (lazy encoder for unmatched spans)

        def timed(fn) -> float:
            samples = []
            for _ in range(runs):
                t0 = time.perf_counter()
                fn()
                samples.append(time.perf_counter() - t0)
            return statistics.median(samples)

        t_tax = timed(lambda: [taxonomy.extract(t) for t in batch])
        t_hyb = timed(lambda: ([taxonomy.extract(t) for t in batch], extractor(batch)))
        tp = Table(title=f"skill extraction throughput, batches of {len(batch)} postings (median of {runs})")
        for col in ("extractor", "seconds / batch", "postings / s", "ratio"):
            tp.add_column(col, justify="right")
        tp.add_row("taxonomy", f"{t_tax:.4f}", f"{len(batch) / t_tax:,.0f}", "1.0")
        tp.add_row("hybrid", f"{t_hyb:.3f}", f"{len(batch) / t_hyb:,.0f}", f"{t_hyb / t_tax:,.0f}x slower")
        console.print(tp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,300", help="window sizes (postings) for the step timings")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train", type=int, default=300, help="labelled postings for the quality models")
    parser.add_argument("--test", type=int, default=150, help="held-out labelled postings")
    parser.add_argument("--runs", type=int, default=3, help="repeats for the throughput medians")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--part", choices=("all", "steps", "quality"), default="all")
    args = parser.parse_args()
    from skillpulse.extraction.tagger import set_threads

    console.print(f"torch threads: {set_threads()}")
    if args.part in ("all", "steps"):
        bench_steps([int(s) for s in args.sizes.split(",")], args.epochs, args.seed)
    if args.part in ("all", "quality"):
        bench_quality(args.train, args.test, args.epochs, args.seed, args.runs)


if __name__ == "__main__":
    main()
