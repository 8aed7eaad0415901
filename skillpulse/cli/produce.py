"""``skillpulse produce synthetic | linkedin | jobtech | files``: fetch (or generate), map to the raw
contract, send, summarise.

Each command builds a source and hands it to :func:`producers.base.run_source` with a sink
(``--output FILE|-`` for JSONL, else Kafka ``postings.raw``). Progress goes to stderr; the summary
line too when the postings themselves go to stdout.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer

from producers.http import RetryPolicy, SourceError
from producers.synthetic import DEFAULT_COUNT, DEFAULT_DUPLICATE_RATE, DEFAULT_WEEKS

app = typer.Typer(name="produce", help="Send job postings to Kafka (or a JSONL file).", no_args_is_help=True)

Output = Annotated[Optional[str], typer.Option(
    "--output", "-o", help="Write JSONL to FILE (or - for stdout) instead of sending to Kafka postings.raw.")]
Since = Annotated[Optional[dt.datetime], typer.Option(
    help="Fetch ads published after this date/time instead of the stored cursor.",
    formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"])]
Full = Annotated[bool, typer.Option(
    "--full", help="Ignore the cursor and fetch everything the search returns (already-sent ads are still skipped).")]
MaxPages = Annotated[Optional[int], typer.Option(min=1, help="Stop after this many pages.")]
Limit = Annotated[int, typer.Option(min=1, max=100, help="Ads per page (the APIs allow at most 100).")]
Retries = Annotated[int, typer.Option(min=1, help="Tries per request before giving up (429, 5xx, timeouts, bad JSON).")]
Timeout = Annotated[float, typer.Option(min=0.001, help="Seconds to wait for one answer.")]
Backoff = Annotated[float, typer.Option(min=0.0, help="First retry wait in seconds; doubles each retry.")]
MaxWait = Annotated[float, typer.Option(min=0.0, help="Longest single wait in seconds, a server's Retry-After included.")]
Resend = Annotated[bool, typer.Option(
    "--resend", help="Send ads the ledger says were already sent to this destination (e.g. after resetting a topic).")]
PageDelay = Annotated[float, typer.Option(min=0.0, help="Pause between pages in seconds (be gentle with the board).")]


def _console():
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def _run(source, output: str | None, *, since, use_cursor: bool, track_cursor: bool = True,
         resend: bool = False, keep_state: bool = True, note=None) -> None:
    """Open the sink, run the source with a progress line, print the summary; exit 1 on errors.

    ``keep_state=False``: no cursor or ledger (generated postings); ``note()``: a line printed to
    stderr before the summary.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from producers.base import SourceState, run_source, state_name
    from producers.sinks import open_sink
    from skillpulse.cli import load_settings

    console = _console()
    settings = load_settings()
    try:
        if output == "-" or not keep_state:  # a preview into a pipe: reads and moves no cursor, keeps no ledger
            state = SourceState.ephemeral()
        else:
            state = SourceState.load(settings.data_dir, state_name(source.name, output, settings.raw_topic))
    except SourceError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    try:
        with state.locked():
            try:
                sink = open_sink(output, settings)
            except Exception as exc:  # noqa: BLE001 - e.g. no broker: say what to do next
                console.print(f"[red]error:[/] cannot open the sink: {exc}. Start Kafka (`skillpulse kafka start`), "
                              "set KAFKA_BOOTSTRAP, or pass --output FILE.")
                raise typer.Exit(1) from None
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          console=console, transient=True) as progress:
                task = progress.add_task(f"{source.name}: starting", total=None)

                def on_progress(report, queued: int) -> None:
                    s = report.summary
                    total = getattr(source, "total", None)
                    of = f"/{total}" if total else ""
                    progress.update(task, description=(
                        f"{source.name}: fetched {s.fetched}{of}, queued {queued}, skipped {s.skipped}"))

                report = run_source(source, sink, state, since=since, use_cursor=use_cursor,
                                    track_cursor=track_cursor, resend=resend, on_progress=on_progress)
    except SourceError as exc:  # the lock is held by another run
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    summary = report.summary
    if note is not None:
        console.print(note(), highlight=False)
    for reason, count in report.skip_reasons.most_common():
        examples = ", ".join(report.skip_examples.get(reason, []))
        console.print(f"  skipped {count}: {reason} (e.g. {examples})", highlight=False)
    if report.skip_reasons.get("already sent") and not summary.sent:
        console.print("  (already sent to this destination; --resend sends them again, e.g. to a fresh topic)")
    for error in summary.errors:
        console.print(f"[yellow]{source.name}:[/] {error}", highlight=False)
    line = f"{source.name}: {summary.line()}"
    if report.cursor is not None and track_cursor and output != "-":
        line += f" cursor={report.cursor.isoformat()}"
    if output == "-":
        console.print(line, highlight=False)
    else:
        typer.echo(line)
    if summary.failed or any(not e.startswith(f"{source.name}: stopped before") for e in summary.errors):
        raise typer.Exit(1)


def _policy(retries: int, timeout: float, backoff: float, max_wait: float) -> RetryPolicy:
    return RetryPolicy(max_tries=retries, timeout=timeout, backoff=backoff, max_wait=max_wait)


def _on_retry(message: str) -> None:
    _console().print(f"[yellow]retry:[/] {message}", highlight=False)


@app.command("linkedin")
def linkedin(
    keyword: Annotated[str, typer.Option(help="Title keywords (the API's title_filter).")] = "machine learning",
    location: Annotated[str, typer.Option(help="Location (the API's location_filter).")] = "Stockholm",
    endpoint: Annotated[str, typer.Option(help="API path: /active-jb-7d (last week), /active-jb-24h, /active-jb-1h.")] = "/active-jb-7d",
    max_pages: MaxPages = 10,
    limit: Limit = 100,
    output: Output = None,
    since: Since = None,
    full: Full = False,
    base_url: Annotated[Optional[str], typer.Option(help="API base URL; default LINKEDIN_API_BASE_URL (tests point it at a local server).")] = None,
    retries: Retries = 5,
    timeout: Timeout = 30.0,
    backoff: Backoff = 2.0,
    max_wait: MaxWait = 120.0,
    page_delay: PageDelay = 2.0,
    resend: Resend = False,
) -> None:
    """LinkedIn jobs via RapidAPI's LinkedIn Job Search API (key: RAPID_API_KEY), newest since the cursor."""
    from producers.http import HttpClient
    from producers.linkedin import KEY_HELP, LinkedInSource, rapidapi_headers
    from skillpulse.cli import load_settings

    settings = load_settings()
    key = (settings.rapid_api_key or "").strip()
    if not key:
        _console().print(f"[red]error:[/] {KEY_HELP}", highlight=False)
        raise typer.Exit(2)
    client = HttpClient(base_url or settings.linkedin_api_base_url, name="linkedin", headers=rapidapi_headers(key), secrets=[key],
                        policy=_policy(retries, timeout, backoff, max_wait), on_retry=_on_retry)
    with client:
        source = LinkedInSource(client, keyword=keyword, location=location or None, endpoint=endpoint,
                                limit=limit, max_pages=max_pages, page_delay=page_delay)
        _run(source, output, since=since, use_cursor=not full, resend=resend)


@app.command("jobtech")
def jobtech(
    query: Annotated[str, typer.Option("--query", "-q", help="Free-text query (empty: every ad in the area).")] = "machine learning",
    region: Annotated[Optional[list[str]], typer.Option(help="Region code or concept id; repeatable. Default 01 (Stockholms län).")] = None,
    municipality: Annotated[Optional[list[str]], typer.Option(help="Municipality code or concept id (0180 = Stockholm); repeatable.")] = None,
    max_pages: MaxPages = None,
    limit: Limit = 100,
    output: Output = None,
    since: Since = None,
    full: Full = False,
    base_url: Annotated[Optional[str], typer.Option(help="API base URL; default JOBTECH_API_BASE_URL (tests point it at a local server).")] = None,
    retries: Retries = 5,
    timeout: Timeout = 30.0,
    backoff: Backoff = 2.0,
    max_wait: MaxWait = 120.0,
    page_delay: PageDelay = 0.5,
    resend: Resend = False,
) -> None:
    """Swedish job ads from JobTech JobSearch (Arbetsförmedlingen; no key), newest since the cursor."""
    from producers.http import HttpClient
    from producers.jobtech import JobTechSource
    from skillpulse.cli import load_settings

    regions = list(region or [])
    municipalities = list(municipality or [])
    if not regions and not municipalities:
        regions = ["01"]
    client = HttpClient(base_url or load_settings().jobtech_api_base_url, name="jobtech",
                        policy=_policy(retries, timeout, backoff, max_wait),
                        on_retry=_on_retry)
    with client:
        source = JobTechSource(client, query=query or None, regions=regions, municipalities=municipalities,
                               limit=limit, max_pages=max_pages, page_delay=page_delay)
        _run(source, output, since=since, use_cursor=not full, resend=resend)


@app.command("files")
def files(
    path: Annotated[Path, typer.Option("--path", "-p", exists=True, help="A folder (e.g. job-postings/) or one file.")],
    date_format: Annotated[Optional[str], typer.Option(help="strptime format of the dated folder names, e.g. %d.%m.%Y (default: YYYY-MM-DD or DD-MM-YYYY).")] = None,
    source: Annotated[str, typer.Option(help="The postings' source for .txt files and rows without a site column, e.g. linkedin for the seed's scrapes.")] = "files",
    output: Output = None,
    resend: Resend = False,
) -> None:
    """Ads from files: `job-postings/<date>/*.txt` (the seed's layout), JSONL, CSV (e.g. JobSpy exports)."""
    from producers.files import FilesSource

    _run(FilesSource(path, date_format=date_format, source=source.strip().lower() or "files"), output, since=None, use_cursor=False, track_cursor=False,
         resend=resend)


@app.command("synthetic")
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
    from producers.synthetic import SyntheticSource

    source = SyntheticSource(count, seed, end_date=end_date.date() if end_date else None, weeks=weeks,
                             duplicate_rate=duplicate_rate)
    _run(source, output, since=None, use_cursor=False, track_cursor=False, keep_state=False, note=source.describe)
