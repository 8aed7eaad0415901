"""``skillpulse worker`` and ``skillpulse replay``."""
from __future__ import annotations

import typer


def worker() -> None:
    """Run the stream processor (arrives with the streaming pipeline)."""
    typer.echo("arrives with the streaming pipeline")
    raise typer.Exit(1)


def replay() -> None:
    """Reprocess postings.raw from a time under a new pipeline version (arrives with the streaming pipeline)."""
    typer.echo("arrives with the streaming pipeline")
    raise typer.Exit(1)
