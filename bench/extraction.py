"""Skill extraction on real, human-labelled job ads (SkillSpan dev): taxonomy vs trained tagger vs hybrid.

    .venv/bin/python bench/extraction.py --skillspan DIR [--model DIR] [--skill-model DIR] [--runs 3]

``DIR`` holds SkillSpan's ``skillspan_{tech,house}_{train,dev}.conll`` (the test split is never read).
Without ``--model`` the bench trains a knowledge tagger first, exactly as ``skillpulse batch train
--labels ..._tech_train.conll --labels ..._house_train.conll --layer knowledge --epochs 6 --holdout 0.01``
does (~10 min on 2 quiet cores): all of train but 1 %, which the trainer scores for itself. For TECH and HOUSE dev and the KNOWLEDGE and SKILL layers it prints strict (conlleval) and
loose span F1 of:

* **taxonomy**: every span of the packaged taxonomy (all categories);
* **tagger**: the trained model alone (a layer it was not trained for shows "-");
* **hybrid**: taxonomy + model spans, as ``skillpulse spans --extractor hybrid`` merges them.

Speed: sentences/s on the dev sentences, and **postings/s** on pseudo-postings of ~1.4 KB built by
joining consecutive dev sentences (what a job ad's description weighs), median of ``--runs`` runs, for
the tagger on each backend (torch float32, torch int8 dynamic quantisation, ONNX Runtime float32 and
int8; its TECH strict F1 beside it, and whether the ONNX graph was fused by ``export_onnx``; the ONNX
graphs are written into the model folder when missing),
and for hybrid (taxonomy + tagger + label mapping). Threads: ``--threads`` (default 2, the target machine).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skillpulse.domain.taxonomy import default_taxonomy  # noqa: E402
from skillpulse.extraction.conll import read_conll  # noqa: E402
from skillpulse.extraction.evaluate import predict, score  # noqa: E402
from skillpulse.extraction.spans import SpanFinder  # noqa: E402

DOMAINS = ("tech", "house")
LAYERS = ("knowledge", "skill")
POSTING_CHARS = 1400


def train_model(folder: Path, out: Path, epochs: int) -> Path:
    from batch.train import examples_from_labels, train

    files = [folder / f"skillspan_{d}_train.conll" for d in DOMAINS]
    examples, layers = examples_from_labels(files, "knowledge")
    started = time.perf_counter()

    def on_step(done: int, total: int, loss: float) -> None:
        if done % 50 == 0 or done == total:
            print(f"  train step {done}/{total} loss {loss:.3f} ({time.perf_counter() - started:.0f} s)", flush=True)

    train(examples, out, epochs=epochs, batch_size=16, lr=1e-4, test_share=0.01, layers=layers, class_weight=1.0,
          first_subtoken=True, on_step=on_step, meta={"label_files": [str(f) for f in files], "layer": "knowledge"})
    return out


def model_layers(path: Path, tagger) -> tuple[str, ...]:
    """The layers a model was trained for: typed labels, else its card, else all."""
    if tagger.layers:
        return tagger.layers
    card = path / "skillpulse.json"
    if card.is_file():
        layers = json.loads(card.read_text()).get("layers") or []
        if layers:
            return tuple(layers)
    return LAYERS


def pseudo_postings(sentences: list[str]) -> list[str]:
    """Consecutive sentences joined into ~1.4 KB texts (SkillSpan has no document boundaries)."""
    out, current = [], []
    for s in sentences:
        current.append(s)
        if sum(len(c) + 1 for c in current) >= POSTING_CHARS:
            out.append(" ".join(current))
            current = []
    return out


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def fmt(m: dict | None) -> str:
    return "    -       -" if m is None else f"{100 * m['strict']['f1']:5.1f}   {100 * m['loose']['f1']:5.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skillspan", type=Path, required=True, help="folder with skillspan_*_{train,dev}.conll")
    parser.add_argument("--model", type=Path, help="a tagger from `skillpulse batch train` (default: train one)")
    parser.add_argument("--skill-model", type=Path, help="a second tagger for the SKILL layer (optional)")
    parser.add_argument("--epochs", type=int, default=6, help="epochs when the bench trains the tagger")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per speed figure (median)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--postings", type=int, default=200, help="pseudo-postings timed per run")
    parser.add_argument("--speed-only", action="store_true",
                        help="only the postings/s lines (with each backend's TECH strict F1), not the F1 table")
    parser.add_argument("--backend", default="torch", help="backend of the F1 table: auto, torch, torch-int8, onnx, "
                                                           "onnx-int8 (the speed lines try every one)")
    args = parser.parse_args()

    from skillpulse.extraction.extractor import load_model
    from skillpulse.extraction.onnx_model import BACKENDS, export_onnx, onnx_file
    from skillpulse.extraction.tagger import set_threads

    taxonomy = default_taxonomy()
    model_path = args.model
    if model_path is None:
        model_path = Path(tempfile.mkdtemp(prefix="skillpulse-bench-")) / "model"
        print(f"training a knowledge tagger on TECH+HOUSE train -> {model_path}")
        train_model(args.skillspan, model_path, args.epochs)
    set_threads(args.threads)
    models = {"knowledge": load_model(model_path, taxonomy, threads=args.threads, backend=args.backend)}
    covered = {layer: models["knowledge"] for layer in model_layers(model_path, models["knowledge"].tagger)}
    if args.skill_model:
        covered["skill"] = load_model(args.skill_model, taxonomy, threads=args.threads, backend=args.backend)
    dev = {d: read_conll(args.skillspan / f"skillspan_{d}_dev.conll", LAYERS) for d in DOMAINS}
    if not args.speed_only:
        print(f"\nSkillSpan dev, strict/loose span F1 (x100); taxonomy {len(taxonomy.skills)} skills; "
              f"{args.threads} threads, backend {models['knowledge'].tagger.backend}; sentences/s = dev sentences "
              f"per second, median of {args.runs}")
        print(f"{'extractor':<10} {'domain':<6} {'KNOWLEDGE str/loose':>20} {'SKILL str/loose':>18} {'sent/s':>8}")
    results: dict = {}
    for name in () if args.speed_only else ("taxonomy", "tagger", "hybrid"):
        for d in DOMAINS:
            items = dev[d]
            row, speeds = {}, []
            for layer in LAYERS:
                if name == "taxonomy":
                    finder = SpanFinder(taxonomy)
                elif layer not in covered:
                    row[layer] = None
                    continue
                else:
                    finder = SpanFinder(taxonomy, covered[layer], "model" if name == "tagger" else "hybrid")
                found, _ = predict(finder, items)  # warm (label mapping cache, encoder load)
                seconds = timed(lambda: predict(finder, items), args.runs)
                speeds.append(len(items) / seconds)
                row[layer] = score(items, found, layer)
            results[(name, d)] = row
            print(f"{name:<10} {d.upper():<6} {fmt(row['knowledge']):>20} {fmt(row['skill']):>18} "
                  f"{statistics.median(speeds):8.0f}")

    # postings/s on ~1.4 KB texts: the model path's throughput goal (>= 100 postings/s on 2 cores)
    sentences = [i.text for d in DOMAINS for i in dev[d]]
    postings = pseudo_postings(sentences)[:args.postings]
    avg = sum(map(len, postings)) / len(postings)
    print(f"\npostings/s on {len(postings)} pseudo-postings of {avg:.0f} chars (TECH+HOUSE dev), "
          f"{args.threads} threads, median of {args.runs}")
    ext = models["knowledge"]
    tech = dev["tech"]
    if not onnx_file(model_path, True).is_file():
        print(f"  (writing the ONNX graphs into {model_path}, as `skillpulse batch export-onnx` does)")
        export_onnx(load_model(model_path, taxonomy, backend="torch").tagger.model, model_path)
    for backend in BACKENDS:
        e = load_model(model_path, taxonomy, threads=args.threads, backend=backend)
        e.tagger.predict(postings[:8])
        per_s = len(postings) / timed(lambda: e.tagger.predict(postings), args.runs)
        found, _ = predict(SpanFinder(taxonomy, e, "model"), tech)
        f1 = score(tech, found, "knowledge")["strict"]["f1"]
        runner = e.tagger._runner
        graph = "" if runner is None else ("   (fused graph)" if getattr(runner, "fused", "") else "   (plain graph)")
        print(f"  tagger {backend:<10} {per_s:7.1f} postings/s   TECH KNOWLEDGE strict F1 {100 * f1:.1f}{graph}")
    finder = SpanFinder(taxonomy, ext, "hybrid")
    finder.find_readable(postings)
    per_s = len(postings) / timed(lambda: finder.find_readable(postings), args.runs)
    print(f"  hybrid {ext.tagger.backend:<10} {per_s:7.1f} postings/s   (taxonomy + tagger + label mapping, cached)")
    taxo = SpanFinder(taxonomy)
    per_s = len(postings) / timed(lambda: taxo.find_readable(postings), args.runs)
    print(f"  {'taxonomy':<17} {per_s:7.0f} postings/s")


if __name__ == "__main__":
    main()
