"""``skillpulse kafka``: a local single-node Apache Kafka (KRaft). Arrives with the streaming issue."""
from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("status")
def status() -> None:
    """Say whether the local broker runs."""
    typer.echo("the local Kafka broker arrives with the streaming pipeline")
