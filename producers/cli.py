"""``skillpulse produce <source>``: send postings to Kafka or to a JSONL file."""
from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)

# Real job sources (issue 6): LinkedIn via RapidAPI, JobTech JobSearch, seed-format folders and CSV/JSONL.
from producers.commands import files as _files, jobtech as _jobtech, linkedin as _linkedin  # noqa: E402

app.command("linkedin")(_linkedin)
app.command("jobtech")(_jobtech)
app.command("files")(_files)

# Synthetic postings (issue 2): seed 004's generator, deterministic for a seed.
from producers.synthetic_cli import synthetic as _synthetic  # noqa: E402

app.command("synthetic")(_synthetic)
