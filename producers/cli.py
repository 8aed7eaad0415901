"""``skillpulse produce <source>``: send postings to Kafka or to a JSONL file."""
from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)
