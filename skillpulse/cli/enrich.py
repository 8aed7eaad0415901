"""``skillpulse enrich``: JSONL postings in, enriched JSONL out, no infrastructure.

Lines are handled in chunks: each chunk is validated and enriched as one batch
(``Enricher.enrich_json_many``) and written with orjson. Large inputs are spread over worker
processes forked after the taxonomy is loaded (nothing is loaded per chunk); chunks are written
in input order, so the output is the same whatever the number of workers.
"""
from __future__ import annotations

import gc
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from skillpulse.domain.enrich import Enricher

CHUNK_LINES = 1000  # a batch: big enough to amortise the hand-over to a worker, small enough to stream
Numbered = list[tuple[int, bytes]]
# A chunk's result: enriched JSONL, then (line number, reason) of each bad line, in order.
ChunkResult = tuple[bytes, list[tuple[int, str]]]


def enrich(
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad line (exit 1).")] = False,
    taxonomy: Annotated[Path | None, typer.Option(help="Taxonomy YAML instead of the packaged one.")] = None,
    pipeline_version: Annotated[str | None, typer.Option(help="Version written on every output line.")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Processes for large inputs (default: the idle CPUs this process may use, by the load "
                    "average; 1: no extra process). Output is the same for any number.")] = None,
) -> None:
    """Enrich job postings: read JSONL on stdin, write enriched JSONL on stdout, same order.

    Each input line is a raw posting (title, description, posted_date, source; company, location…).
    Output keeps every input field and adds posting_key, extracted_skills (AI skills),
    skill_categories, ai_tiers, seniority_level, ai_relevance_score, pipeline_version and
    general_skills (general tech: java, git, postgresql…; never counted as AI). A bad line is reported on
    stderr with its line number and skipped; the exit status is 1 if any line was bad.
    """
    from skillpulse.cli import load_settings
    from skillpulse.cli.enricher_cache import cached_enricher

    settings = load_settings()
    enricher = cached_enricher(pipeline_version or settings.pipeline_version, taxonomy or settings.taxonomy_path,
                               settings.cache_dir)
    # What start-up loaded (modules, taxonomy, automaton) is never garbage: keep the cycle collector
    # from rescanning it for every batch (and from touching pages the forked workers share).
    gc.freeze()
    out = sys.stdout.buffer
    bad = 0
    for data, errors in _results(enricher, _chunks(sys.stdin.buffer), strict, workers or _idle_cpus()):
        out.write(data)
        for number, reason in errors:
            bad += 1
            typer.echo(f"line {number}: {reason}", err=True)
        if errors and strict:
            out.flush()
            typer.echo("stopping (--strict); fix the line or drop --strict to skip bad lines", err=True)
            raise typer.Exit(1)
    out.flush()
    if bad:
        typer.echo(f"{bad} bad line(s) skipped", err=True)
        raise typer.Exit(1)


def _idle_cpus() -> int:
    """CPUs this process may use that other work is not already using (1-minute load), at least 1.

    Workers cost CPU of their own (forking, handing chunks over): on a busy machine one process
    finishes sooner.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    return max(1, min(cpus, round(cpus - load)))


def _chunks(stream: Iterable[bytes]) -> Iterator[Numbered]:
    """Non-blank lines with their 1-based line numbers, ``CHUNK_LINES`` at a time."""
    numbered = ((n, line) for n, line in enumerate(stream, start=1) if not line.isspace())
    while chunk := list(islice(numbered, CHUNK_LINES)):
        yield chunk


def enrich_chunk(enricher: Enricher, chunk: Numbered, strict: bool) -> ChunkResult:
    """Validate and enrich one chunk; with ``strict`` stop at its first bad line."""
    import orjson

    from schemas.postings import parse_raw_posting

    raws = []
    errors: list[tuple[int, str]] = []
    for number, line in chunk:
        try:
            raws.append(parse_raw_posting(orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            errors.append((number, f"invalid JSON: {exc}"))
        except ValueError as exc:
            errors.append((number, str(exc)))
        else:
            continue
        if strict:
            break
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    data = b"".join([dumps(row, option=newline) for row in enricher.enrich_json_many(raws)])
    return data, errors


def _results(enricher: Enricher, chunks: Iterator[Numbered], strict: bool, workers: int) -> Iterator[ChunkResult]:
    """Each chunk's result, in input order; in worker processes once there is more than one chunk."""
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if second is None or workers < 2 or not _can_fork():
        for chunk in _prepend(first, second, chunks):
            yield enrich_chunk(enricher, chunk, strict)
        return
    import multiprocessing

    global _WORKER_STATE
    _WORKER_STATE = (enricher, strict)  # inherited by the forked workers: nothing to load or pickle
    sys.stdout.flush()  # nothing buffered may be inherited (a worker flushes its copy when it ends)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque = deque()
        for chunk in _prepend(first, second, chunks):
            pending.append(pool.apply_async(_worker_chunk, (chunk,)))
            if len(pending) > 2 * workers:  # bounded read-ahead: memory stays flat on any input size
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


_WORKER_STATE: tuple[Enricher, bool] | None = None


def _worker_chunk(chunk: Numbered) -> ChunkResult:
    assert _WORKER_STATE is not None
    enricher, strict = _WORKER_STATE
    return enrich_chunk(enricher, chunk, strict)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _prepend(first: Numbered, second: Numbered | None, rest: Iterator[Numbered]) -> Iterator[Numbered]:
    yield first
    if second is not None:
        yield second
        yield from rest
