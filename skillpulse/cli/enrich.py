"""``skillpulse enrich``: JSONL postings in, enriched JSONL out, no infrastructure.

Lines are handled in chunks: each chunk is validated and enriched as one batch
(``Enricher.enrich_json_many``) and written with orjson. Large inputs are spread over worker
processes forked after the taxonomy is loaded (nothing is loaded per chunk); chunks are written
in input order, so the output is the same whatever the number of workers.

The hand-over to the workers is plain bytes on pipes, no pickling and no pool: the parent only
reads stdin (a chunk is its lines joined, as read), writes each chunk to the next worker in turn,
and writes each result to stdout when its turn comes. Chunk ``i`` goes to worker ``i % n`` and its
result is read back from that worker, so order needs no bookkeeping; the parent's own CPU time
stays a few percent of the workers' (~0.2 s on 20,000 postings with ``multiprocessing.Pool``:
pickling, copies into growing buffers, helper threads; and the workers took 8x the page faults).
"""
from __future__ import annotations

import gc
import os
import struct
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from skillpulse.domain.enrich import Enricher

CHUNK_LINES = 500  # a batch: big enough to amortise the hand-over to a worker, small enough to stream
# and to share the last chunks out evenly
Chunk = tuple[int, bytes]  # the 1-based number of its first line, its lines as read (newlines kept)
# A chunk's result: enriched JSONL, then (line number, reason) of each bad line, in order.
ChunkResult = tuple[bytes, list[tuple[int, str]]]


def enrich(
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad line (exit 1).")] = False,
    taxonomy: Annotated[Path | None, typer.Option(help="Taxonomy YAML instead of the packaged one.")] = None,
    pipeline_version: Annotated[str | None, typer.Option(help="Version written on every output line.")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Processes for large inputs (default: the CPUs this process may use; "
                    "1: no extra process). Output is the same for any number.")] = None,
) -> None:
    """Enrich job postings: read JSONL on stdin, write enriched JSONL on stdout, same order.

    Each input line is a raw posting (title, description, posted_date, source; company, location…).
    Output keeps every input field and adds posting_key, extracted_skills (AI skills),
    skill_categories, ai_tiers, seniority_level, ai_relevance_score, pipeline_version and
    general_skills (general tech: java, git, postgresql…; never counted as AI). A bad line is reported on
    stderr with its line number and skipped; the exit status is 1 if any line was bad.
    """
    from skillpulse.cli import load_settings, skip_teardown
    from skillpulse.cli.enricher_cache import cached_enricher

    skip_teardown()  # a filter run often on small inputs: no interpreter teardown after the output
    settings = load_settings()
    enricher = cached_enricher(pipeline_version or settings.pipeline_version, taxonomy or settings.taxonomy_path,
                               settings.cache_dir)
    # What start-up loaded (modules, taxonomy, automaton) is never garbage: keep the cycle collector
    # from rescanning it for every batch (and from touching pages the forked workers share).
    gc.freeze()
    out = sys.stdout.buffer
    bad = 0
    for data, errors in _results(enricher, _chunks(sys.stdin.buffer), strict, workers or _usable_cpus()):
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


def _usable_cpus() -> int:
    """The CPUs this process may run on (its affinity), at least 1.

    Not discounted by the load average: that is a minute's history (a command that just ended
    still counts), and handing chunks to workers over pipes costs so little CPU (the same CPU
    seconds as one process, measured) that on a busy machine the scheduler shares them fairly.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _chunks(stream: IO[bytes]) -> Iterator[Chunk]:
    """``CHUNK_LINES`` lines at a time, joined, with the number of the first (1-based)."""
    number = 1
    while lines := list(islice(stream, CHUNK_LINES)):
        yield number, b"".join(lines)
        number += len(lines)


def enrich_chunk(enricher: Enricher, chunk: Chunk, strict: bool) -> ChunkResult:
    """Validate and enrich one chunk's non-blank lines; with ``strict`` stop at its first bad line."""
    import io

    import orjson

    from schemas.postings import parse_raw_posting

    first, data = chunk
    raws = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(io.BytesIO(data), start=first):  # the lines as the stream gave them
        if line.isspace():
            continue
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
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE | orjson.OPT_UTC_Z  # UTC as "Z", as pydantic writes it
    return b"".join([dumps(row, option=newline) for row in enricher.enrich_json_many(raws)]), errors


def _results(enricher: Enricher, chunks: Iterator[Chunk], strict: bool, workers: int) -> Iterator[ChunkResult]:
    """Each chunk's result, in input order; in worker processes once there is more than one chunk."""
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if second is None or workers < 2 or not hasattr(os, "fork"):
        for chunk in _prepend(first, second, chunks):
            yield enrich_chunk(enricher, chunk, strict)
        return
    yield from _Workers(enricher, strict, workers).results(_prepend(first, second, chunks))


_HEADER = struct.Struct("<QQ")  # a task: first line number, size; a result: output size, error report size


class _Workers:
    """Forked processes that enrich chunks sent on pipes, in turn (see the module's docstring)."""

    def __init__(self, enricher: Enricher, strict: bool, count: int):
        sys.stdout.flush()  # nothing buffered may be inherited
        sys.stderr.flush()
        self.pids: list[int] = []
        self.tasks: list[IO[bytes]] = []
        self.outputs: list[IO[bytes]] = []
        for _ in range(count):
            task_r, task_w = os.pipe()
            out_r, out_w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: inherits the enricher as loaded; never returns
                for fd in (task_w, out_r, *(f.fileno() for f in self.tasks + self.outputs)):
                    os.close(fd)
                _serve(enricher, strict, task_r, out_w)
            os.close(task_r)
            os.close(out_w)
            self.pids.append(pid)
            self.tasks.append(open(task_w, "wb"))
            self.outputs.append(open(out_r, "rb"))

    def results(self, chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:
        """Send ``chunks`` round the workers from a thread; read the results back in order here."""
        import threading

        import orjson

        sent: list[int] = []  # chunks written, set once the feeder is done
        failure: list[BaseException] = []

        def feed() -> None:
            count = 0
            try:
                for first, data in chunks:
                    task = self.tasks[count % len(self.tasks)]
                    task.write(_HEADER.pack(first, len(data)))
                    task.write(data)
                    task.flush()
                    count += 1
            except BrokenPipeError:  # a worker ended early: the reader below reports it
                pass
            except BaseException as exc:  # reading stdin failed: reported by the reader
                failure.append(exc)
            finally:
                sent.append(count)
                for task in self.tasks:
                    try:
                        task.close()  # end of input: each worker finishes its chunks and exits
                    except BrokenPipeError:
                        pass

        # A daemon: if the consumer stops early (--strict), a feeder blocked on stdin must not keep
        # the process alive.
        feeder = threading.Thread(target=feed, name="enrich-feeder", daemon=True)
        feeder.start()
        done = False
        try:
            index = 0
            while True:
                output = self.outputs[index % len(self.outputs)]
                header = output.read(_HEADER.size)
                if not header:  # that worker has no chunk left: all are done, or it failed
                    feeder.join()
                    if failure:
                        raise failure[0]
                    if index < sent[0]:
                        self._failed(index)
                    break
                size, report = _HEADER.unpack(header) if len(header) == _HEADER.size else (0, 0)
                data, errors = output.read(size), output.read(report)
                if len(header) < _HEADER.size or len(data) < size or len(errors) < report:
                    self._failed(index)
                yield data, [(number, reason) for number, reason in orjson.loads(errors)]
                index += 1
            done = True
        finally:
            self._close(stop=not done)

    def _failed(self, index: int) -> None:
        pid = self.pids[index % len(self.pids)]
        raise RuntimeError(f"enrich worker {pid} ended without finishing chunk {index + 1} (its error is above)")

    def _close(self, stop: bool) -> None:
        """Reap the workers; with ``stop``, end them first (the consumer wants no more results)."""
        import signal

        for output in self.outputs:
            output.close()
        for pid in self.pids:
            if stop:
                os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


def _serve(enricher: Enricher, strict: bool, tasks_fd: int, results_fd: int) -> None:
    """A worker's life: enrich each chunk read from ``tasks_fd``, write the result to
    ``results_fd``, until the parent closes the tasks; then exit without the parent's clean-up."""
    import orjson

    code = 0
    try:
        with open(tasks_fd, "rb") as tasks, open(results_fd, "wb") as results:
            while header := tasks.read(_HEADER.size):
                first, size = _HEADER.unpack(header)
                data, errors = enrich_chunk(enricher, (first, tasks.read(size)), strict)
                report = orjson.dumps(errors)
                results.write(_HEADER.pack(len(data), len(report)))
                results.write(data)
                results.write(report)
                results.flush()
    except BrokenPipeError:  # the parent stopped reading (--strict): nothing more is wanted
        pass
    except BaseException:  # noqa: BLE001 (reported here; the parent sees the missing result)
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        code = 1
    finally:
        os._exit(code)


def _prepend(first: Chunk, second: Chunk | None, rest: Iterator[Chunk]) -> Iterator[Chunk]:
    yield first
    if second is not None:
        yield second
        yield from rest
