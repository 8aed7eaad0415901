"""``skillpulse spans``: JSONL texts in, one JSONL line of skill spans out per input line."""
from __future__ import annotations

import json
import sys

import typer

from skillpulse.cli.span_options import (
    Backend, Extractor, HybridMinScore, Model, Quantize, Threads,
)
from skillpulse.extraction.spans import HYBRID_MIN_SCORE

BATCH = 64  # lines per model call: batched for speed, small enough to stream


def _text_of(line: str) -> str:
    """The text of one input line: ``{"text": ...}`` or a raw posting's ``description``."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object with \"text\" (or a raw posting with \"description\")")
    for key in ("text", "description"):
        if key in obj:
            if not isinstance(obj[key], str):
                raise ValueError(f"\"{key}\" must be a string")
            return obj[key]
    raise ValueError("no \"text\" (or raw posting \"description\") field")


def spans(
    extractor: Extractor = None,
    model: Model = None,
    quantize: Quantize = False,
    backend: Backend = None,
    min_score: HybridMinScore = HYBRID_MIN_SCORE,
    threads: Threads = None,
) -> None:
    """Skill spans of each JSONL line on stdin, as one JSONL line on stdout, same order.

    Each input line is `{"text": ...}` or a raw posting (its `description`). Each output line is
    `{"spans": [{"start", "end", "text", "skill", "category", "source"}]}`: character offsets into the
    given text (end exclusive; into its readable form, also printed as `text`, when it holds HTML),
    `skill` the canonical taxonomy skill or null (open vocabulary), `source` taxonomy or model.
    A bad line gets an error on stderr and an empty `spans` line; the exit status is then 1.
    """
    import logging

    from skillpulse.cli import load_settings
    from skillpulse.extraction.spans import open_finder

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        finder = open_finder(extractor, model, load_settings(), quantize=quantize, threads=threads, backend=backend,
                             min_score=min_score)
    except ValueError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None

    failed = 0
    out = sys.stdout

    def flush(batch: list[tuple[int, str | None]]) -> None:
        texts = [t for _, t in batch if t is not None]
        results = iter(finder.find(texts))
        for _, text in batch:
            if text is None:
                out.write('{"spans": []}\n')
                continue
            shown, found = next(results)
            line = {"spans": [s.as_json() for s in found]}
            if shown != text:
                line["text"] = shown
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()

    batch: list[tuple[int, str | None]] = []
    for number, line in enumerate(sys.stdin, 1):
        try:
            batch.append((number, _text_of(line)))
        except ValueError as exc:
            failed += 1
            typer.echo(f"error: line {number}: {exc}", err=True)
            batch.append((number, None))
        if len(batch) >= BATCH:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    if failed:
        typer.echo(f"{failed} bad line(s): their output lines have no spans", err=True)
        raise typer.Exit(1)
