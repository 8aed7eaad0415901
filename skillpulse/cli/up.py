"""``skillpulse up``: one process that owns the data directory and runs everything (``skillpulse.live.up``)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

def up(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Local state: chDB data, Kafka logs, lock and API token (default SKILLPULSE_DATA_DIR, data).")] = None,
    host: Annotated[str, typer.Option("--host", help="Interface of the dashboard and API (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port of the dashboard and API.")] = 8050,
    schedule: Annotated[bool, typer.Option("--schedule/--no-schedule", help="Run the producers and the weekly batch on SCHEDULE_PRODUCERS / SCHEDULE_BATCH.")] = True,
    trickle: Annotated[str, typer.Option("--trickle", help="Also send new synthetic postings at this rate, e.g. 6/min (0 = none).")] = "0",
    files: Annotated[Path | None, typer.Option("--files", help="A folder (job-postings/DATE/*.txt, JSONL, CSV) the scheduled producers also read (PRODUCE_FILES).")] = None,
) -> None:
    """Run SkillPulse live in one process: the worker, the dashboard + HTTP API, and the weekly schedule.

    Owns the embedded chDB data directory (other commands on it then talk to this instance: `skillpulse
    db query` finds it through the lock file). Kafka: the local broker unless KAFKA_BOOTSTRAP is set.
    API (token in DATA_DIR/api-token): POST /api/query, POST /api/batch, GET /api/status.
    """
    from skillpulse.cli import load_settings
    from skillpulse.instance import InstanceRunning
    from skillpulse.live.jobs import parse_rate
    from skillpulse.live.up import run_up
    from skillpulse.storage import StorageError

    try:
        rate = parse_rate(trickle)
        run_up(load_settings(data_dir=data_dir), host, port, schedule=schedule, trickle_per_min=rate, files=files)
    except (InstanceRunning, StorageError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
