"""``skillpulse db``: apply the ClickHouse schema, run SQL."""
from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command("migrate")
def migrate_command() -> None:
    """Create the database, tables, rollups and views (idempotent; safe to run at every start)."""
    from skillpulse.settings import get_settings
    from skillpulse.storage import StorageError, connect, migrate

    settings = get_settings()
    try:
        applied = migrate(connect(settings), settings.clickhouse_database)
    except StorageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"applied: {', '.join(applied)}" if applied else "schema up to date")


@app.command("query")
def query_command(
    sql: Annotated[str, typer.Argument(help="SQL to run; '-' reads it from stdin. Tables live in database 'skillpulse'.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, csv or json (one object per line).")] = OutputFormat.table,
) -> None:
    """Run SQL against ClickHouse and print the result.

    Unqualified names resolve in the SkillPulse database, e.g.
    skillpulse db query "SELECT * FROM weekly_job_volume"
    """
    import csv
    import json

    from skillpulse.settings import get_settings
    from skillpulse.storage import StorageError, connect

    settings = get_settings()
    text = sys.stdin.read() if sql == "-" else sql
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
    names, rows = list(result.column_names), result.result_rows
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
        typer.echo(f"{len(rows)} row(s)", err=True)
