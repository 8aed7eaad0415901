"""Enrichment throughput: SkillPulse's enricher against seed 004's naive loop, in one process and as
whole processes on the same files.

    .venv/bin/python bench/enrich.py [--count 20000] [--runs 5] [--seed 1] [--part all|in-process|whole|startup]

Postings come from ``producers.synthetic`` (realistic English/Swedish ads, ~600 characters). For
each taxonomy (the seed's 71 skills; the packaged one; the packaged one padded with synthetic extra
terms to 1,000 and 5,000 labels) it times, median of ``--runs`` runs:

* **seed loop (baseline)**: ``bench/seed_reference.py``'s ``process_job_postings``, a faithful copy
  of the seed's ``extract_ai_skills`` / ``classify_seniority`` / ``calculate_ai_relevance_score``
  (one substring test per label per posting), over the same labels (names and aliases);
* **enrich**: ``Enricher.enrich_many`` on validated ``RawPosting``s (what the stream worker calls);
* **validate + enrich**: the same from raw dicts, contract validation included (dicts in, like the seed).

The seed loop's cost grows with the number of labels, so on the padded taxonomies it runs on a
sample sized to take about two seconds per run; postings/s is per posting either way.

Then, **whole processes** on the same files (start-up, JSON in and out, everything a user waits
for), wall and CPU seconds (CPU: what the machine spent, all worker processes included; on a
machine shared with other jobs the fairer figure), median of ``--runs`` runs taking turns:
``python bench/seed_reference.py`` (the seed's loop as shipped, its 71 terms,
``json.loads``/``json.dumps`` per line) against ``skillpulse enrich``
with the packaged taxonomy (default workers, one, two) and, in one process, with the padded 1k and
5k taxonomies. Two inputs: the synthetic postings as generated, and the same postings made ~1.4 KB
each (~13 skill mentions) by appending other postings' descriptions (deterministic).

Start-up alone (``--part startup``, also printed before the whole-process table): each process on
one posting (``skillpulse enrich``, the seed's loop, ``skillpulse --help``, a bare interpreter).
SkillPulse's modules are byte-compiled first, as an installed package has them (``compile_project``).

Goals: ``skillpulse enrich`` >= 2x the seed's loop as a whole process on the 1.4 KB postings with the
packaged taxonomy (1x is the floor), and near-flat cost from 1k to 5k labels.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import seed_reference  # noqa: E402  (bench/seed_reference.py: the baseline)

from producers.synthetic import generate_postings  # noqa: E402
from schemas.postings import parse_raw_posting  # noqa: E402
from skillpulse.domain.enrich import Enricher  # noqa: E402
from skillpulse.domain.rules import default_rules  # noqa: E402
from skillpulse.domain.taxonomy import Taxonomy, taxonomy_from_data  # noqa: E402


def packaged_data() -> dict[str, Any]:
    from importlib import resources

    import yaml

    return yaml.safe_load(resources.files("schemas").joinpath("taxonomy.yaml").read_text(encoding="utf-8"))


SEED_SKILLS = {cat: list(skills) for cat, skills in seed_reference.AI_SKILLS.items()}  # before any swap


def seed_data() -> dict[str, Any]:
    return {"categories": {cat: [{"name": s} for s in skills] for cat, skills in SEED_SKILLS.items()}}


def padded(data: dict[str, Any], labels: int) -> dict[str, Any]:
    """``data`` plus synthetic skills (half one-word, half phrases) until it has ``labels`` labels."""
    have = sum(1 + len(e.get("aliases") or ()) for entries in data["categories"].values() for e in entries)
    extra = []
    for i in range(labels - have):
        name = f"padtool{i:05d}" if i % 2 else f"pad method {i:05d}"
        extra.append({"name": name})
    categories = {k: list(v) for k, v in data["categories"].items()}
    categories["ai_infrastructure"] = categories.get("ai_infrastructure", []) + extra
    return {"categories": categories}


def label_table(taxonomy: Taxonomy) -> dict[str, list[str]]:
    """The seed loop's input for ``taxonomy``: category -> every label (names and aliases)."""
    table: dict[str, list[str]] = {}
    for skill in taxonomy.skills.values():
        table.setdefault(skill.category, []).extend((skill.name, *skill.aliases))
    return table


def median_rates(jobs: list[tuple[Callable[[], Any], int]], runs: int) -> list[float]:
    """Postings/s of each ``(fn, n_postings)``, median of ``runs``; the jobs take turns within each
    run so that load from other processes on a shared machine hits them alike."""
    times: list[list[float]] = [[] for _ in jobs]
    for _ in range(runs):
        for (fn, _n), spent in zip(jobs, times):
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return [n / statistics.median(spent) for (_fn, n), spent in zip(jobs, times)]


def long_postings(rows: list[dict[str, Any]], chars: int = 1_400) -> list[dict[str, Any]]:
    """Each posting with other postings' descriptions appended (a fixed stride through the list)
    until it has ``chars`` characters, cut at the next space: ~1.4 KB ads with ~15 skill mentions."""
    out = []
    for i, row in enumerate(rows):
        text, k = row["description"], 1
        while len(text) < chars and k < len(rows):
            text += "\n\n" + rows[(i + 7_919 * k) % len(rows)]["description"]
            k += 1
        cut = text.find(" ", chars)
        out.append({**row, "description": text if cut < 0 else text[:cut]})
    return out


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    import orjson

    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def median_seconds(commands: list[tuple[list[str], Path]], runs: int,
                   env: dict[str, str]) -> list[tuple[float, float]]:
    """``(wall, cpu)`` seconds of each ``(argv, stdin file)`` as a whole process (cpu: user + system
    of it and its workers), medians of ``runs``, the commands taking turns within each run."""
    spent: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for (argv, stdin), times in zip(commands, spent):
            with stdin.open("rb") as source:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(argv, stdin=source, stdout=subprocess.DEVNULL, check=True, env=env)
                wall = time.perf_counter() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                times.append((wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
    return [(statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for t in spent]


def whole_process(rows: list[dict[str, Any]], full: dict[str, Any], runs: int) -> float:
    """Whole processes on the same files; returns enrich's ratio to the seed on the 1.4 KB postings."""
    import yaml

    from skillpulse.domain.taxonomy import default_taxonomy

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    matcher = default_taxonomy().matcher
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = {"synthetic": rows, "1.4 KB": long_postings(rows)}
        for name, data in inputs.items():
            sample = data[:2_000]
            size = sum(len(r["description"].encode()) for r in data) / len(data)
            mentions = sum(len(matcher.find_spans(r["description"])) for r in sample) / len(sample)
            print(f"  {name}: {len(data):,} postings, description {size:,.0f} bytes and {mentions:.1f} skill "
                  f"mentions on average (packaged taxonomy)")
            write_jsonl(folder / f"{name[:3]}.jsonl", data)
        for labels in (1_000, 5_000):
            (folder / f"pad{labels}.yaml").write_text(yaml.safe_dump(padded(full, labels)), encoding="utf-8")
        seed = [sys.executable, str(root / "bench" / "seed_reference.py")]
        ours = [sys.executable, "-m", "skillpulse.cli", "enrich"]
        one = [*ours, "--workers", "1"]
        variants = [("seed loop as shipped (71 terms)", seed),
                    ("skillpulse enrich", ours),
                    ("skillpulse enrich --workers 1", one),
                    ("skillpulse enrich --workers 2", [*ours, "--workers", "2"]),
                    ("  --workers 1, 1k labels", [*one, "--taxonomy", str(folder / "pad1000.yaml")]),
                    ("  --workers 1, 5k labels", [*one, "--taxonomy", str(folder / "pad5000.yaml")])]
        header = (f"  {'input':<11}{'process':<34}{'wall s':>8}{'postings/s':>12}{'vs seed':>9}"
                  f"{'cpu s':>8}{'vs seed':>9}")
        print(header + "\n  " + "-" * (len(header) - 2))
        goal = 0.0
        for name, data in inputs.items():
            stdin = folder / f"{name[:3]}.jsonl"
            measured = median_seconds([(argv, stdin) for _label, argv in variants], runs, env)
            (seed_wall, seed_cpu) = measured[0]
            for (label, _argv), (wall, cpu) in zip(variants, measured):
                print(f"  {name:<11}{label:<34}{wall:>8.2f}{len(data) / wall:>12,.0f}{seed_wall / wall:>8.1f}x"
                      f"{cpu:>8.2f}{seed_cpu / cpu:>8.1f}x", flush=True)
            if name == "1.4 KB":
                goal = seed_wall / measured[1][0]
                print(f"  1k -> 5k labels, whole process: enrich keeps {measured[4][0] / measured[5][0]:.0%} "
                      f"of its throughput")
    return goal


def compile_project() -> None:
    """Byte-compile SkillPulse's own modules, as a regular install (and ``make setup``) has them.

    An editable install leaves the ``.pyc`` files to Python's first import, which a machine with
    PYTHONDONTWRITEBYTECODE=1 never writes: every start would compile the sources again (~50 ms).
    """
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("skillpulse", "schemas", "producers", "stream_processors", "batch", "dashboard"):
        compileall.compile_dir(root / package, quiet=1)


def startup(runs: int) -> None:
    """Start-up of ``skillpulse enrich`` as a whole process on one posting (imports, settings, taxonomy),
    against the seed's loop on the same posting and a bare ``python -c pass``, medians of ``runs``."""
    import orjson

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    posting = {"title": "Data Engineer", "description": "Python, SQL and Kafka.", "posted_date": "2026-11-02",
               "source": "synthetic"}
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.jsonl"
        one.write_bytes(orjson.dumps(posting) + b"\n")
        variants = [("python -c pass", [sys.executable, "-c", "pass"]),
                    ("seed loop as shipped", [sys.executable, str(root / "bench" / "seed_reference.py")]),
                    ("skillpulse enrich --workers 1", [sys.executable, "-m", "skillpulse.cli", "enrich", "--workers", "1"]),
                    ("skillpulse enrich --help", [sys.executable, "-m", "skillpulse.cli", "enrich", "--help"]),
                    ("skillpulse --help", [sys.executable, "-m", "skillpulse.cli", "--help"])]
        measured = median_seconds([(argv, one) for _label, argv in variants], runs, env)
    print(f"  {'process (one posting)':<34}{'wall s':>8}{'cpu s':>8}")
    for (label, _argv), (wall, cpu) in zip(variants, measured):
        print(f"  {label:<34}{wall:>8.3f}{cpu:>8.3f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="synthetic postings (default 20000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement; the median is shown (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--part", choices=("all", "in-process", "whole", "startup"), default="all",
                        help="in-process table, whole-process table (with start-up), both (default), or start-up only")
    args = parser.parse_args(argv)

    if args.part in ("startup", "all", "whole"):
        compile_project()
    if args.part == "startup":
        print(f"Start-up, seconds, median of {args.runs} runs:")
        startup(args.runs)
        return 0
    t0 = time.perf_counter()
    rows = generate_postings(args.count, seed=args.seed, end_date=dt.date(2026, 11, 22))
    chars = sum(len(r["description"]) for r in rows) / len(rows)
    print(f"{len(rows):,} synthetic postings (seed {args.seed}, {chars:.0f} characters on average), generated in "
          f"{time.perf_counter() - t0:.1f} s; median of {args.runs} runs; postings per second", flush=True)
    raws = [parse_raw_posting(r) for r in rows]
    full = packaged_data()
    load = "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    if args.part in ("all", "in-process"):
        in_process(rows, raws, full, args.runs)
    if args.part in ("all", "whole"):
        print(f"\nWhole processes, wall seconds, median of {args.runs} runs ({load} before):")
        startup(args.runs)
        goal = whole_process(rows, full, args.runs)
        print(f"goal >= 2x the seed's loop as a whole process on 1.4 KB postings: {goal:.2f}x "
              f"({'met' if goal >= 2 else 'floor met' if goal >= 1 else 'MISSED'})")
    return 0


def in_process(rows: list[dict[str, Any]], raws: list[Any], full: dict[str, Any], runs: int) -> None:
    """The equal-taxonomy table: the seed's loop and the enricher over the same labels, in this process."""
    cases = [("seed 004", seed_data()), ("packaged", full), ("padded 1k", padded(full, 1_000)),
             ("padded 5k", padded(full, 5_000))]
    header = (f"{'taxonomy':<11}{'skills':>7}{'labels':>7}  {'seed loop (baseline)':>21}  {'enrich':>9}{'ratio':>7}"
              f"  {'validate+enrich':>16}{'ratio':>7}")
    print(header)
    print("-" * len(header))
    results = {}
    for name, data in cases:
        taxonomy = taxonomy_from_data(data)
        labels = sum(1 + len(s.aliases) for s in taxonomy.skills.values())
        enricher = Enricher(taxonomy, default_rules())
        seed_reference.with_skills(label_table(taxonomy))

        # Size the baseline's sample so that one run takes about two seconds.
        probe = rows[:500]
        start = time.perf_counter()
        seed_reference.process_job_postings(probe)
        per_posting = (time.perf_counter() - start) / len(probe)
        sample = rows[: max(1_000, min(len(rows), int(2.0 / per_posting)))]

        base, ours, full_path = median_rates([
            (lambda s=sample: seed_reference.process_job_postings(s), len(sample)),
            (lambda e=enricher: e.enrich_many(raws), len(raws)),
            (lambda e=enricher: e.enrich_many([parse_raw_posting(r) for r in rows]), len(rows)),
        ], runs)
        results[name] = (base, ours, full_path)
        note = "" if len(sample) == len(rows) else f" (on {len(sample):,})"
        print(f"{name:<11}{len(taxonomy.skills):>7,}{labels:>7,}  {base:>21,.0f}  {ours:>9,.0f}{ours / base:>6.1f}x"
              f"  {full_path:>16,.0f}{full_path / base:>6.1f}x{note}", flush=True)

    b1, o1, _ = results["padded 1k"]
    b5, o5, _ = results["padded 5k"]
    print(f"\n1k -> 5k labels: enrich keeps {o5 / o1:.0%} of its throughput; the seed loop keeps {b5 / b1:.0%}.")
    ratio = results["packaged"][1] / results["packaged"][0]
    print(f"in this process, packaged taxonomy: enrich {ratio:.1f}x the seed loop over the same labels")


if __name__ == "__main__":
    raise SystemExit(main())
