"""``skillpulse batch``: the weekly relabel, retrain and cluster job (heavy imports stay inside)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from skillpulse.cli.span_options import (
    Backend, Extractor, HybridMinScore, Model, Quantize, Threads,
)
from skillpulse.extraction.spans import HYBRID_MIN_SCORE

app = typer.Typer(name="batch", help="The weekly batch: relabel, retrain, cluster.", no_args_is_help=True)


def _k_range(value: str) -> tuple[int, int]:
    try:
        lo, _, hi = value.partition("-")
        lo_i, hi_i = int(lo), int(hi or lo)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: use LOW-HIGH, e.g. 2-12") from None
    if lo_i < 2 or hi_i < lo_i:
        raise typer.BadParameter(f"{value!r}: need 2 <= LOW <= HIGH")
    return lo_i, hi_i


def print_summary(summary: dict, console) -> None:
    """The run's summary as a table."""
    from rich.table import Table

    table = Table(title=f"weekly batch {summary['run_id']} ({summary['window_start']} – {summary['window_end']})",
                  show_header=True)
    table.add_column("step")
    table.add_column("result")
    table.add_column("seconds", justify="right")
    t = summary.get("timings_s", {})
    labels = summary.get("labels", {})
    note = f" — {summary['labeller_note']}" if summary.get("labeller_note") else ""
    usage = labels.get("usage") or {}
    llm = (f"; {usage.get('requests', 0)} requests, {usage.get('retries', 0)} retries, "
           f"{usage.get('prompt_tokens', 0)}+{usage.get('completion_tokens', 0)} tokens, ${usage.get('cost_usd', 0)}"
           if usage else "")
    table.add_row("relabel", f"{summary.get('labeller')}: {labels.get('labelled', 0)}/{labels.get('sampled', 0)} "
                  f"postings, {labels.get('spans', 0)} spans, {labels.get('cache_hits', 0)} cached, "
                  f"{labels.get('dropped_spans', 0)} spans dropped, {labels.get('malformed_replies', 0)} malformed"
                  f"{llm}{note}", str(t.get("relabel", "")))
    model = summary.get("model", {})
    if model.get("status") == "ok":
        m = model["metrics"]
        base = m.get("baseline")
        vs = f" vs {base['version']} {base['strict']['f1']:.3f}" if base else " (first model)"
        verdict = ("promoted" if model["promoted"] else "not promoted") + f" ({model.get('reason', '')})"
        table.add_row("retrain", f"{model['version']}: strict F1 {m['strict']['f1']:.3f} (P {m['strict']['precision']:.3f} "
                      f"R {m['strict']['recall']:.3f}), loose F1 {m['loose']['f1']:.3f}; train {m['train_postings']} / "
                      f"test {m['test_postings']} postings{vs} → {verdict}", str(t.get("retrain", "")))
    else:
        table.add_row("retrain", f"skipped: {model.get('reason')}", str(t.get("retrain", "")))
    cands = summary.get("candidates", {})
    top = ", ".join(f"{s} ({n})" for s, n in (cands.get("top") or [])[:5])
    table.add_row("candidates", f"{cands.get('written', 0)} skills outside the taxonomy"
                  + (f" by {cands['model']}: {top}" if cands.get("model") else " (no promoted model)"),
                  str(t.get("candidates", "")))
    cl = summary.get("clusters", {})
    table.add_row("cluster", f"{cl.get('skills', 0)} skills, k={cl.get('k')} (silhouette {cl.get('silhouette')}); "
                  + ", ".join(summary.get("plots", [])), str(t.get("cluster", "")))
    table.add_row("total", f"{summary.get('postings', 0)} postings in the window", str(t.get("total", "")))
    console.print(table)


@app.command("weekly")
def weekly(
    week: str = typer.Option(None, "--week", help="Monday (or any day) of the window's last week, YYYY-MM-DD; "
                                                  "default: the latest week with postings."),
    weeks: int = typer.Option(4, "--weeks", min=1, help="Window length in weeks."),
    labeller: str = typer.Option(None, "--labeller", help="llm or taxonomy; default llm when LLM_BASE_URL is set."),
    sample: int = typer.Option(300, "--sample", min=0, help="Postings to label and train on (0 = all)."),
    epochs: int = typer.Option(2, "--epochs", min=0, help="Training epochs (0 skips retraining)."),
    k: int = typer.Option(None, "--k", min=1, help="Fixed number of clusters (default: best silhouette in --k-range)."),
    k_range: str = typer.Option("4-16", "--k-range", help="Range of k tried by silhouette, LOW-HIGH."),
    seed: int = typer.Option(42, "--seed", help="Seed for training, KMeans and UMAP."),
    min_postings: int = typer.Option(2, "--min-postings", min=1,
                                     help="Skills (AI, general, open-vocabulary) in fewer postings stay off the skill map."),
    plots_dir: Path = typer.Option(None, "--plots-dir", help="Root of plots/DATE/ (default $SKILLPULSE_DATA_DIR/plots)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of a table."),
) -> None:
    """Run the weekly batch over one window: relabel, retrain, candidates, cluster.

    Labels a sample of the window's postings, fine-tunes the skill extractor (promoted only if it beats
    the current one), stores skills the model finds outside the taxonomy, and clusters the window's
    skills (ClickHouse tables + `plots/<week>/`). Re-running a window replaces its rows.
    """
    import logging

    from rich.console import Console

    from batch.weekly import BatchError, run_weekly
    from skillpulse import storage
    from skillpulse.cli import load_settings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        day = dt.date.fromisoformat(week) if week else None
    except ValueError:
        raise typer.BadParameter(f"--week {week!r}: use YYYY-MM-DD") from None
    if labeller is not None and labeller.lower() not in ("llm", "taxonomy"):
        raise typer.BadParameter(f"unknown labeller {labeller!r}: use llm or taxonomy")
    k_bounds = _k_range(k_range)
    from dashboard.report import write_cluster_plots

    settings = load_settings()
    console = Console(stderr=as_json)
    try:
        client = storage.connect(settings)
        storage.migrate(client, settings.clickhouse_database, settings.taxonomy_path)
        summary = run_weekly(client, settings, day, weeks, labeller=labeller, sample=sample or None, epochs=epochs,
                             k=k, k_range=k_bounds, seed=seed, plots_root=plots_dir, console=console,
                             min_postings=min_postings, draw_map=write_cluster_plots)
    except (BatchError, storage.StorageError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(summary, default=str))
    else:
        print_summary(summary, console)


@app.command("models")
def models() -> None:
    """List the registered extractor models (newest first) and which one is promoted."""
    from rich.console import Console
    from rich.table import Table

    from skillpulse.extraction.registry import list_models, promoted_model
    from skillpulse import storage
    from skillpulse.cli import load_settings

    settings = load_settings()
    client = storage.connect(settings)
    storage.migrate(client, settings.clickhouse_database, settings.taxonomy_path)
    db = settings.clickhouse_database
    current = promoted_model(client, db)
    table = Table(title="extractor models")
    for col in ("version", "window", "labels", "strict F1", "loose F1", "train/test", "promoted", "path"):
        table.add_column(col)
    for r in list_models(client, db):
        table.add_row(r.version, f"{r.window_start} – {r.window_end}", r.label_source, f"{r.strict_f1:.3f}",
                      f"{r.loose_f1:.3f}", f"{r.train_size}/{r.test_size}",
                      "current" if current and r.version == current.version else ("yes" if r.promoted else "no"), r.path)
    Console().print(table)


LAYER_HELP = "knowledge (tools, technologies), skill (competences) or both (one typed model)."


@app.command("train")
def train_cmd(
    labels: list[Path] = typer.Option(..., "--labels", help="A CoNLL (token, tab, tag columns) or JSONL "
                                      "({\"text\", \"spans\": [[start, end], ...]}) label file; repeat for more."),
    output: Path = typer.Option(..., "--output", help="Folder to write the model to (created)."),
    layer: str = typer.Option("knowledge", "--layer", help=LAYER_HELP),
    epochs: int = typer.Option(3, "--epochs", min=1, help="Passes over the training part."),
    base: str = typer.Option(None, "--base", help="Encoder or BIO tagger to start from (folder or HF id); "
                                                  "default the offline MiniLM (SKILLPULSE_ENCODER)."),
    lr: float = typer.Option(1e-4, "--lr", help="Peak learning rate (linear warm-up and decay)."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="Windows per step (batched by length)."),
    holdout: float = typer.Option(0.1, "--holdout", min=0.01, max=0.9, help="Share of sentences held out for the scores."),
    class_weight: float = typer.Option(1.0, "--class-weight", min=0.1, help="Loss weight of B/I tokens vs O."),
    seed: int = typer.Option(42, "--seed", help="Seed for the split, shuffling and the new head."),
    threads: int = typer.Option(None, "--threads", min=1, help="Torch threads (default: up to 4 cores)."),
    onnx: bool = typer.Option(False, "--onnx", help="Also write the ONNX graphs (float32, int8) for "
                                                   "--backend onnx / onnx-int8 (as batch export-onnx)."),
    first_subtoken: bool = typer.Option(True, "--first-subtoken/--all-subtokens",
                                        help="Label only each word's first sub-token (the tagger reads words "
                                             "by their first sub-token) or every sub-token."),
    teacher: list[Path] = typer.Option(None, "--teacher", help="A trained BIO tagger folder to distil from (repeat "
                                       "for an ensemble): the student also learns the teachers' mean soft tags, so "
                                       "one model carries an ensemble's knowledge at one model's inference cost. "
                                       "Teachers must share the student's tokenizer and labels."),
    distill_alpha: float = typer.Option(0.5, "--distill-alpha", min=0.0, max=1.0,
                                        help="Weight of the teachers' KL term (the gold tags' cross-entropy "
                                             "gets 1 - alpha); with --teacher only."),
    distill_temperature: float = typer.Option(2.0, "--distill-temperature", min=0.05,
                                              help="Softmax temperature of teachers and student in the KL term "
                                                   "(higher: softer targets); with --teacher only."),
) -> None:
    """Train a BIO skill tagger from human labels (e.g. SkillSpan) and print its held-out span scores.

    Strict F1 counts a span only with the exact first and last token (conlleval); loose counts any
    overlap. Use the folder with `skillpulse spans --model DIR`, `batch evaluate`, or `batch promote DIR`.
    With --teacher (repeatable) the student is distilled from trained taggers: loss = (1 - alpha) *
    cross-entropy on the gold tags + alpha * T^2 * KL(teachers' mean soft tags || student's).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from batch.train import examples_from_labels, train

    console = Console(stderr=True)
    try:
        examples, layers = examples_from_labels(labels, layer)
    except ValueError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    console.print(f"{len(examples)} labelled texts, {sum(len(e.spans) for e in examples)} spans "
                  f"({', '.join(layers)}) from {len(labels)} file(s)")
    teachers = list(teacher or [])
    if teachers:
        console.print(f"distilling from {len(teachers)} teacher(s), alpha {distill_alpha}, "
                      f"temperature {distill_temperature} (the teachers score the training windows first)")
    with Progress(TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("train", total=None, note="")

        def on_step(done: int, total: int, loss: float) -> None:
            bar.update(task, completed=done, total=total, note=f"loss {loss:.3f}")
            if not console.is_terminal and (done % 50 == 0 or done == total):  # a log file: plain lines
                console.print(f"train step {done}/{total} loss {loss:.3f}")

        try:
            result = train(examples, output, base_model=base, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                           test_share=holdout, threads=threads, on_step=on_step, layers=layers,
                           class_weight=class_weight, first_subtoken=first_subtoken, teachers=teachers,
                           distill_alpha=distill_alpha, distill_temperature=distill_temperature,
                           meta={"label_files": [str(p) for p in labels], "layer": layer})
        except ValueError as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from None
    print_scores(result.metrics, f"held-out {result.test_size} of {result.train_size + result.test_size} texts")
    typer.echo(f"model: {result.path} ({result.seconds:.0f} s)")
    if onnx:
        export_onnx_cmd(result.path)


def print_scores(metrics: dict, title: str) -> None:
    """Strict and loose span P/R/F1 (per layer too, for a typed model) as a table on stdout."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("layer", "match", "precision", "recall", "F1", "gold", "predicted"):
        table.add_column(col, justify="left" if col in ("layer", "match") else "right")
    rows = [("all", metrics)] + sorted((metrics.get("layers") or {}).items())
    for name, m in rows:
        for match in ("strict", "loose"):
            s = m[match]
            table.add_row(name, match, f"{100 * s['precision']:.1f}", f"{100 * s['recall']:.1f}",
                          f"{100 * s['f1']:.1f}", str(m["gold_spans"]), str(m["predicted_spans"]))
    Console().print(table)


@app.command("evaluate")
def evaluate_cmd(
    labels: list[Path] = typer.Option(..., "--labels", help="CoNLL or JSONL label file(s) to score against."),
    extractor: Extractor = None,
    model: Model = None,
    layer: str = typer.Option("knowledge", "--layer", help=LAYER_HELP + " Gold spans of this layer are scored."),
    quantize: Quantize = False,
    backend: Backend = None,
    min_score: HybridMinScore = HYBRID_MIN_SCORE,
    threads: Threads = None,
) -> None:
    """Score an extractor on labelled texts: strict (conlleval) and loose span P/R/F1, per layer."""
    from skillpulse.extraction.evaluate import predict, score
    from skillpulse.extraction.labelled import is_jsonl, layers_for, read_labels
    from skillpulse.cli import load_settings
    from skillpulse.extraction.spans import open_finder

    try:
        layers = layers_for(layer)
        items = [(p, read_labels(p, layers)) for p in labels]
        finder = open_finder(extractor, model, load_settings(), quantize=quantize, threads=threads, backend=backend,
                             min_score=min_score)
    except ValueError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    for path, texts in items:
        found, seconds = predict(finder, texts)
        tokens = not is_jsonl(path)
        metrics = {"layers": {name: score(texts, found, name, tokens) for name in layers}}
        first = metrics["layers"][layers[0]] if len(layers) == 1 else score(texts, found, None, tokens)
        metrics.update(first)
        if len(layers) == 1:
            metrics.pop("layers")
        print_scores(metrics, f"{path.name}: {finder.mode}, {len(texts)} texts, {len(texts) / seconds:.0f} texts/s")


@app.command("export-onnx")
def export_onnx_cmd(
    folder: Path = typer.Argument(..., help="A token-classifier folder (e.g. from `skillpulse batch train`)."),
) -> None:
    """Write the model as ONNX graphs beside it: model.onnx (float32) and model.int8.onnx (int8 weights).

    The float graph is first fused by ONNX Runtime's transformer optimizer (attention, embeddings,
    GELU), then quantised. `skillpulse spans --backend onnx-int8 --model DIR` (and `batch evaluate`)
    then run it with ONNX Runtime: the same spans as torch up to rounding, several times faster on
    CPU. Run it again on a folder exported before the fusion to get the faster graphs.
    """
    from skillpulse.extraction.onnx_model import export_onnx, graph_fusions
    from skillpulse.extraction.tagger import load_token_classifier

    if not folder.is_dir():
        typer.secho(f"error: {folder}: not a model folder", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    try:
        _, model = load_token_classifier(folder)
    except RuntimeError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    for path in export_onnx(model, folder):
        fused = graph_fusions(path)
        typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, "
                   f"{'fused: ' + fused if fused else 'plain graph: not fused'})")


@app.command("promote")
def promote_cmd(
    folder: Path = typer.Argument(..., help="A model folder written by `skillpulse batch train` (or any BIO tagger)."),
    version: str = typer.Option(None, "--version", help="Registry version (default: trained-<folder>-<date>)."),
) -> None:
    """Register a trained model and make it the promoted one: hybrid extraction, candidates and the
    weekly batch's fine-tuning then start from it. The folder is copied under $SKILLPULSE_DATA_DIR/models."""
    import shutil

    from skillpulse import storage
    from skillpulse.extraction.registry import ModelRecord, models_dir, register
    from skillpulse.extraction.tagger import META_FILE, load_token_classifier, model_scheme
    from skillpulse.cli import load_settings

    if not (folder / "config.json").is_file():
        typer.secho(f"error: {folder} is not a model folder (no config.json)", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    try:
        model_scheme(load_token_classifier(folder)[1])
    except (RuntimeError, OSError, ValueError) as exc:
        typer.secho(f"error: {folder}: not a BIO token classifier ({exc})", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    meta_path = folder / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    metrics = meta.get("metrics") or {}
    today = dt.date.today()
    version = version or f"trained-{folder.resolve().name}-{today.isoformat()}"
    settings = load_settings()
    target = models_dir(settings) / version
    if target.resolve() != folder.resolve():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(folder, target)
    client = storage.connect(settings)
    storage.migrate(client, settings.clickhouse_database, settings.taxonomy_path)
    strict = (metrics.get("strict") or {}).get("f1", 0.0)
    loose = (metrics.get("loose") or {}).get("f1", 0.0)
    register(client, settings.clickhouse_database, ModelRecord(
        version=version, base_model=str(meta.get("base_model", "")), window_start=today, window_end=today,
        label_source="files:" + ",".join(Path(p).name for p in meta.get("label_files", [])), path=str(target.resolve()),
        metrics=metrics, strict_f1=strict, loose_f1=loose, train_size=int(metrics.get("train_postings", 0)),
        test_size=int(metrics.get("test_postings", 0)), promoted=True, run_id=f"promote-{version}"))
    typer.echo(f"promoted {version} (held-out strict F1 {strict:.3f}) -> {target}")
