"""``skillpulse produce synthetic``: seed 004's synthetic postings, to Kafka or to a JSONL file."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from producers.synthetic import DEFAULT_COUNT, DEFAULT_DUPLICATE_RATE, DEFAULT_WEEKS


def synthetic(
    count: Annotated[int, typer.Option("--count", "-n", min=0, help="How many postings (re-posts included).")] = DEFAULT_COUNT,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same postings.")] = 0,
    output: Annotated[Optional[str], typer.Option(
        "--output", "-o", help="Write JSONL to FILE (or - for stdout) instead of sending to Kafka postings.raw.")] = None,
    weeks: Annotated[int, typer.Option(min=1, help="How many Monday-based weeks the posted dates span.")] = DEFAULT_WEEKS,
    duplicate_rate: Annotated[float, typer.Option(
        min=0.0, max=0.99, help="Share of rows that re-post an earlier ad on another source.")] = DEFAULT_DUPLICATE_RATE,
    end_date: Annotated[Optional[dt.datetime], typer.Option(
        formats=["%Y-%m-%d"], help="Last possible posted_date (default today). Fix it for byte-identical runs.")] = None,
) -> None:
    """Generate realistic synthetic job postings for Stockholm-area AI and data roles.

    Titles at every seniority level, skill mixes per role from the taxonomy (English and Swedish
    ads, decoy words that must not match), several sources, weekly variation over --weeks weeks,
    and exactly round(count * duplicate_rate) re-posts of earlier ads on other sources. Without
    --output the postings go to Kafka (KAFKA_BOOTSTRAP, or the local broker), keyed by posting_key.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from producers.sinks import ProduceSummary, open_sink
    from producers.synthetic import generate

    console = Console(stderr=True)
    with console.status("synthetic: generating postings"):
        rows = generate(count, seed, end_date=end_date.date() if end_date else None, weeks=weeks,
                        duplicate_rate=duplicate_rate)
    try:
        sink = open_sink(output)
    except Exception as exc:  # noqa: BLE001 - e.g. no broker: say what to do next
        console.print(f"[red]error:[/] cannot open the sink: {exc}. Start Kafka (`skillpulse kafka start`), "
                      "set KAFKA_BOOTSTRAP, or pass --output FILE.", highlight=False)
        raise typer.Exit(1) from None
    summary = ProduceSummary(fetched=len(rows))
    with Progress(TextColumn("synthetic: sending"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("send", total=len(rows))
        for i, row in enumerate(rows, start=1):
            sink.send(row.raw)
            if i % 500 == 0:
                progress.update(task, completed=i)
        progress.update(task, completed=len(rows))
        summary.sent = sink.close()
    summary.failed = summary.fetched - summary.sent
    summary.errors.extend(getattr(sink, "errors", []) or [])
    reposts = sum(1 for r in rows if r.duplicate_of is not None)
    if rows:
        console.print(f"synthetic: {len(rows)} postings ({reposts} re-posts of earlier ads), posted "
                      f"{rows[0].raw['posted_date']} … {rows[-1].raw['posted_date']}, seed {seed}", highlight=False, soft_wrap=True)
    for error in summary.errors[:5]:
        console.print(f"[yellow]synthetic:[/] {error}", highlight=False)
    line = f"synthetic: {summary.line()}"
    if output == "-":
        console.print(line, highlight=False, soft_wrap=True)
    else:
        typer.echo(line)
    if summary.failed:
        raise typer.Exit(1)
