"""``skillpulse demo``: the whole pipeline on the embedded defaults, in one command.

Live (the default, ``make demo``): ``skillpulse up`` seeded with synthetic postings, then a trickle;
``--headless``: each step once, one JSON summary line (see ``skillpulse.live.demo``).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

def demo(
    postings: Annotated[int, typer.Option("--postings", help="Synthetic postings to produce (duplicates included).")] = 2000,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Local state: chDB data, Kafka logs (default SKILLPULSE_DATA_DIR, data).")] = None,
    headless: Annotated[bool, typer.Option("--headless", help="Run each step once (worker until caught up, batch), print one JSON summary line and exit.")] = False,
    batch: Annotated[bool, typer.Option("--batch/--no-batch", help="Run the weekly batch once the seed is stored.")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic generator.")] = 42,
    host: Annotated[str, typer.Option("--host", help="Interface of the dashboard and API.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Dashboard port.")] = 8050,
    trickle: Annotated[str, typer.Option("--trickle", help="Live mode: new synthetic postings per minute after the seed, e.g. 6/min (0 = none).")] = "6/min",
    files: Annotated[Path | None, typer.Option("--files", help="Feed the demo from a seed-format folder (job-postings/DATE/*.txt), JSONL or CSV instead of synthetic postings.")] = None,
) -> None:
    """Run the whole pipeline locally and live: `skillpulse up` seeded with synthetic postings, then a trickle.

    Starts the local Kafka unless KAFKA_BOOTSTRAP is set and uses chDB under --data-dir unless
    CLICKHOUSE_URL is set. Seeds --postings synthetic postings (plus 3 bad messages), runs the worker,
    the dashboard and the API in this one process (`skillpulse up`), runs the weekly batch once the seed
    is stored, and keeps sending --trickle new postings so the dashboard updates while you watch. No
    producer schedule. Meanwhile `skillpulse db query` talks to it. --headless runs each step once instead.
    """
    from skillpulse.cli import load_settings

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings(data_dir=data_dir)
    if not headless:
        from skillpulse.instance import InstanceRunning
        from skillpulse.live.demo import BAD_MESSAGES
        from skillpulse.live.jobs import parse_rate
        from skillpulse.live.up import run_up
        from skillpulse.storage import StorageError

        try:
            run_up(settings, host, port, schedule=False, trickle_per_min=parse_rate(trickle), files=files,
                   seed_postings=0 if files is not None else postings, seed=seed, bad_messages=len(BAD_MESSAGES),
                   batch_after_seed=batch)
        except (InstanceRunning, StorageError, ValueError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1)
        return
    from skillpulse.live.demo import run_demo

    try:
        summary = run_demo(settings, postings, seed, batch, files=files)
    except Exception as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(summary))
