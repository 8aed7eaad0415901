"""Repeat fault scenarios (a) kill -9 and (d) poison many times in a row; print what survived.

    python bench/faults.py            # 20 runs of each on a local broker started for the run
    python bench/faults.py --runs 3   # quicker

Each run uses fresh topics, group and chDB directory (the kit of tests/faults). (a): a 5,000-message
stream (4,000 postings + 1,000 repeats with another week and skill set), the worker killed with
SIGKILL at 5 random points, restarted each time, then run until caught up. (d): every poison kind
mixed into 480 good messages. Printed per scenario: runs, kills, postings, lost, double-counted,
wrong winner (a stored row that is not the earliest sighting), wedged (no catch-up within the limit),
DLQ misses, rollup mismatches. Every figure but runs, kills and postings must be 0.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "faults"))

import faultkit as fk  # noqa: E402

COLUMNS = ("scenario", "runs", "kills", "postings", "lost", "double-counted", "wrong winner", "wedged",
           "dlq missing", "rollup mismatch", "seconds/run")


def run_kill9(bootstrap: str, tmp: Path, seed: int) -> tuple[fk.Report | None, int]:
    stream = fk.make_stream(bootstrap, uuid.uuid4().hex[:8], tmp, SINK_BATCH_SIZE="100", SINK_MAX_WAIT_S="0.1")
    items = fk.stream_postings(4000, 0.25, seed=seed)
    fk.produce(stream, items)
    rng = random.Random(seed)
    kills = 0
    for i, target in enumerate(sorted(rng.sample(range(200, len(items) - 400), 5))):
        worker = fk.start_worker(stream, tmp / f"worker{i}.log")
        fk.wait_committed(stream, worker, target)
        time.sleep(rng.random() * 0.3)
        if worker.poll() is None:
            fk.kill9(worker)
            kills += 1
    code, _ = fk.run_until_caught_up(stream, tmp / "final.log")
    return (fk.verify(stream) if code == 0 else None), kills


def run_poison(bootstrap: str, tmp: Path, seed: int) -> tuple[fk.Report | None, int]:
    stream = fk.make_stream(bootstrap, uuid.uuid4().hex[:8], tmp, SINK_BATCH_SIZE="50")
    good = fk.stream_postings(400, 0.2, seed=seed) + fk.hostile_but_valid(seed)
    bad = fk.poison_messages(seed)
    rng = random.Random(seed)
    mixed = list(good)
    for raw in bad:
        mixed.insert(rng.randrange(len(mixed) + 1), raw)
    fk.add_reject_constraint(stream)
    fk.produce(stream, mixed)
    code, _ = fk.run_until_caught_up(stream, tmp / "worker.log", timeout=180)
    return (fk.verify(stream, bad) if code == 0 else None), 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="Runs of each scenario (default 20).")
    parser.add_argument("--bootstrap", help="A running broker (default: start a local one for this run).")
    args = parser.parse_args()

    broker = None
    bootstrap = args.bootstrap
    if bootstrap is None:
        from skillpulse.kafka.local import LocalKafka, free_port
        from skillpulse.settings import Settings

        broker = LocalKafka(Path(tempfile.mkdtemp(prefix="faults-kafka-")), port=free_port(), controller_port=free_port(),
                            cache_dir=Settings().cache_dir)
        bootstrap = broker.start(timeout=120)
    rows = []
    try:
        for name, scenario in (("(a) kill -9 x5", run_kill9), ("(d) poison mix", run_poison)):
            totals = dict.fromkeys(COLUMNS[1:-1], 0)
            started = time.monotonic()
            for run in range(args.runs):
                with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
                    try:
                        report, kills = scenario(bootstrap, Path(tmp), seed=1000 + run)
                    finally:
                        fk.stop_all()
                totals["runs"] += 1
                totals["kills"] += kills
                if report is None:
                    totals["wedged"] += 1
                    print(f"{name} run {run + 1}: WEDGED", flush=True)
                    continue
                totals["postings"] += report.postings
                totals["lost"] += report.lost
                totals["double-counted"] += report.double_counted
                totals["wrong winner"] += report.wrong_winner
                totals["dlq missing"] += len(report.dlq_missing) + report.dlq_unexpected
                totals["rollup mismatch"] += len(report.rollup_mismatch)
                print(f"{name} run {run + 1}/{args.runs}: {'ok' if report.ok else report}", flush=True)
            rows.append([name, *totals.values(), f"{(time.monotonic() - started) / max(1, args.runs):.1f}"])
    finally:
        if broker is not None:
            broker.stop()
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(COLUMNS)]
    print()
    print("  ".join(str(c).ljust(w) for c, w in zip(COLUMNS, widths)))
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)))


if __name__ == "__main__":
    main()
