"""``skillpulse demo``: the whole pipeline on the embedded defaults."""
from __future__ import annotations

import typer


def demo() -> None:
    """Run the whole pipeline locally (arrives with the streaming pipeline)."""
    typer.echo("skillpulse demo arrives with the streaming pipeline; try: skillpulse produce synthetic --count 5 --output - | skillpulse enrich")
