"""``skillpulse dashboard`` and ``skillpulse report`` (light module: Dash, plotly and matplotlib load
inside the commands)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def dashboard(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8050,
    production: Annotated[bool, typer.Option("--production", help="Serve with gunicorn (waitress where gunicorn "
                                                                   "is unavailable) instead of Flask's dev server.")] = False,
    workers: Annotated[int, typer.Option(help="gunicorn worker processes with --production. Keep 1 with embedded "
                                              "chDB (one process per data directory); more for a ClickHouse server.")] = 1,
    threads: Annotated[int, typer.Option(help="Threads per worker with --production.")] = 8,
    debug: Annotated[bool, typer.Option("--debug", help="Dash debug mode (reloads, error overlay).")] = False,
) -> None:
    """Serve the dashboard: weekly volume, top skills and movers, seniority, categories, AI tiers,
    skill map, postings; filters in the URL. Reads ClickHouse from CLICKHOUSE_URL (default: embedded chDB)."""
    from skillpulse.cli import load_settings
    from skillpulse.storage import StorageError, connect

    settings = load_settings()
    url = settings.resolved_clickhouse_url
    if url.startswith("chdb://") and workers != 1:
        typer.echo("embedded chDB allows one process: use --workers 1, or point CLICKHOUSE_URL at a server", err=True)
        raise typer.Exit(2)
    if not production:
        try:
            client = connect(settings)
        except StorageError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        from dashboard.app import create_app

        typer.echo(f"SkillPulse dashboard on http://{host}:{port}/  (ClickHouse: {settings.display_clickhouse_url}; Ctrl-C stops)", err=True)
        create_app(client, settings).run(host=host, port=port, debug=debug)
        return
    from dashboard.serve import serve

    typer.echo(f"SkillPulse dashboard (production) on http://{host}:{port}/  (ClickHouse: {settings.display_clickhouse_url})", err=True)
    serve(host, port, settings, workers=workers, threads=threads)


def report(
    out: Annotated[Path, typer.Option("--out", help="Folder for the PNG/HTML files (created if missing).")] = Path("reports"),
) -> None:
    """Write the seed's charts as files: weekly volume, top 10 skills, seniority distribution (PNG),
    plus the skill map (2D PNG, 3D HTML) once `skillpulse batch weekly` has run."""
    from dashboard.report import write_report
    from skillpulse.cli import load_settings
    from skillpulse.storage import StorageError

    try:
        written, skipped = write_report(out, settings=load_settings())
    except StorageError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    for path in written:
        typer.echo(str(path))
    for reason in skipped:
        typer.echo(f"skipped: {reason}", err=True)
    if not written:
        raise typer.Exit(1)
