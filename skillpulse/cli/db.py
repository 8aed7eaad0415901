"""``skillpulse db``: apply the ClickHouse schema, run SQL."""
from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated, Optional

import typer

app = typer.Typer(name="db", help="ClickHouse: migrate the schema, run SQL.", no_args_is_help=True)


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command("migrate")
def migrate_command() -> None:
    """Create the database, tables, rollups and views (idempotent; safe to run at every start)."""
    from skillpulse.cli import load_settings
    from skillpulse.storage import StorageError, connect, migrate

    settings = load_settings()
    try:
        applied = migrate(connect(settings), settings.clickhouse_database, settings.taxonomy_path)
    except StorageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"applied: {', '.join(applied)}" if applied else "schema up to date")


@app.command("query")
def query_command(
    sql: Annotated[str, typer.Argument(help="SQL to run; '-' reads it from stdin. Tables live in database 'skillpulse'.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, csv or json (one object per line).")] = OutputFormat.table,
    url: Annotated[Optional[str], typer.Option("--url", help="Ask a running `skillpulse up` at this URL (e.g. http://127.0.0.1:8050) instead of opening ClickHouse; default SKILLPULSE_URL, else the one the data directory's lock file names.")] = None,
    token: Annotated[Optional[str], typer.Option("--token", help="The instance's API token; default SKILLPULSE_API_TOKEN, else read from DATA_DIR/api-token.")] = None,
) -> None:
    """Run SQL against ClickHouse and print the result.

    Unqualified names resolve in the SkillPulse database, e.g.
    skillpulse db query "SELECT * FROM weekly_job_volume"

    While `skillpulse up` (or `make demo`) owns the data directory, the query goes to its HTTP API
    (read-only, row cap API_MAX_ROWS, timeout API_TIMEOUT_S).
    """
    from skillpulse.cli import load_settings
    from skillpulse.live.client import RemoteError, find_remote

    settings = load_settings()
    text = sys.stdin.read() if sql == "-" else sql
    try:
        remote = find_remote(settings.data_dir, url or settings.instance_url, token or settings.api_token)
    except RemoteError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    if remote is not None:
        try:
            answer = remote.query(text)
        except RemoteError as exc:
            typer.echo(f"error: {exc}\nhint: list tables with: skillpulse db query 'SHOW TABLES'", err=True)
            raise typer.Exit(1)
        names, rows = answer["columns"], answer["rows"]
        note = f" (via {remote.url}; truncated at {answer['row_count']} rows)" if answer.get("truncated") else ""
        _print(names, rows, fmt, note)
        return
    rows_out = _local_query(settings, text)
    _print(*rows_out, fmt, "")


def _local_query(settings, text: str):
    from skillpulse.storage import StorageError, connect

    try:
        client = connect(settings)
        client.database = settings.clickhouse_database
        result = client.query(text)
    except StorageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    except Exception as exc:  # ClickHouse's own message names the problem
        typer.echo(f"error: {exc}\nhint: list tables with: skillpulse db query 'SHOW TABLES'", err=True)
        raise typer.Exit(1)
    return list(result.column_names), result.result_rows


def _print(names, rows, fmt: OutputFormat, note: str) -> None:
    import csv
    import json

    if fmt is OutputFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(names)
        writer.writerows(rows)
    elif fmt is OutputFormat.json:
        for row in rows:
            sys.stdout.write(json.dumps(dict(zip(names, row)), default=str, ensure_ascii=False) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(*names)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        Console().print(table)
    if fmt is OutputFormat.table or note:
        typer.echo(f"{len(rows)} row(s){note}", err=True)
