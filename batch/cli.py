"""``skillpulse batch``: the weekly relabel, retrain and cluster job (heavy imports stay inside)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


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
    from skillpulse.settings import get_settings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        day = dt.date.fromisoformat(week) if week else None
    except ValueError:
        raise typer.BadParameter(f"--week {week!r}: use YYYY-MM-DD") from None
    if labeller is not None and labeller.lower() not in ("llm", "taxonomy"):
        raise typer.BadParameter(f"unknown labeller {labeller!r}: use llm or taxonomy")
    k_bounds = _k_range(k_range)
    settings = get_settings()
    console = Console(stderr=as_json)
    try:
        client = storage.connect(settings)
        storage.migrate(client, settings.clickhouse_database)
        summary = run_weekly(client, settings, day, weeks, labeller=labeller, sample=sample or None, epochs=epochs,
                             k=k, k_range=k_bounds, seed=seed, plots_root=plots_dir, console=console,
                             min_postings=min_postings)
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
    from skillpulse.settings import get_settings

    settings = get_settings()
    client = storage.connect(settings)
    storage.migrate(client, settings.clickhouse_database)
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
