"""Producer throughput: ``produce files`` on a seed-format tree (and a JobSpy CSV) into JSONL.

Prints the median of several runs and the ratio to a baseline measured in the same process (read
every file and write it as JSON, no mapping, contract validation or ledger). Run:
``.venv/bin/python bench/produce_files.py [n_files]``.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

from producers.base import SourceState, run_source
from producers.files import FilesSource
from producers.sinks import JsonlSink

WORDS = ("python pytorch kubernetes sql spark mlops transformers llm aws docker airflow statistics "
         "experimentation deep learning computer vision we are looking for an engineer who").split()


def make_tree(root: Path, n: int) -> None:
    rng = random.Random(7)
    for i in range(n):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=i % 28)
        folder = root / "job-postings" / day.strftime("%d-%m-%Y")
        folder.mkdir(parents=True, exist_ok=True)
        body = " ".join(rng.choice(WORDS) for _ in range(350))
        (folder / f"job_{i}.txt").write_text(f"Machine Learning Engineer {i}\n\n{body}\n", encoding="utf-8")


def make_csv(path: Path, n: int) -> None:
    rng = random.Random(8)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "site", "job_url", "title", "company", "location", "date_posted", "description"])
        for i in range(n):
            writer.writerow([f"li-{i}", "linkedin", f"https://www.linkedin.com/jobs/view/{i}", f"Data Scientist {i}",
                             "Acme", "Stockholm, SE", "2024-01-15", " ".join(rng.choice(WORDS) for _ in range(350))])


def baseline(root: Path, out: Path) -> int:
    count = 0
    with open(out, "wb") as fh:
        for path in sorted(root.rglob("*.txt")):
            fh.write(orjson.dumps({"text": path.read_text(encoding="utf-8")}) + b"\n")
            count += 1
    return count


def produce(root: Path, out: Path) -> int:
    report = run_source(FilesSource(root), JsonlSink(out), SourceState.ephemeral(), use_cursor=False,
                        track_cursor=False)
    return report.summary.sent


def median_rate(fn, *args, n: int, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        assert fn(*args) == n
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        root, out = Path(tmp) / "tree", Path(tmp) / "out.jsonl"
        make_tree(root, n)
        base = median_rate(baseline, root, out, n=n)
        files = median_rate(produce, root, out, n=n)
        csv_path = Path(tmp) / "jobspy.csv"
        make_csv(csv_path, n)
        rows = median_rate(produce, csv_path, out, n=n)
    print(f"producers bench: {n} postings, median of 5 runs, cpu_count={os.cpu_count()}")
    print(f"{'step':42} {'postings/s':>12} {'vs baseline':>12}")
    print(f"{'baseline: read .txt + json line':42} {base:12,.0f} {1.0:12.2f}")
    print(f"{'produce files: seed .txt tree -> JSONL':42} {files:12,.0f} {files / base:12.2f}")
    print(f"{'produce files: JobSpy CSV -> JSONL':42} {rows:12,.0f} {rows / base:12.2f}")


if __name__ == "__main__":
    main()
