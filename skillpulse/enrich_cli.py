"""``skillpulse enrich``: JSONL postings in, enriched JSONL out, no infrastructure."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def enrich(
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad line (exit 1).")] = False,
    taxonomy: Annotated[Path | None, typer.Option(help="Taxonomy YAML instead of the packaged one.")] = None,
    pipeline_version: Annotated[str | None, typer.Option(help="Version written on every output line.")] = None,
) -> None:
    """Enrich job postings: read JSONL on stdin, write enriched JSONL on stdout, same order.

    Each input line is a raw posting (title, description, posted_date, source; company, location…).
    Output keeps every input field and adds posting_key, extracted_skills (AI skills),
    skill_categories, ai_tiers, seniority_level, ai_relevance_score, pipeline_version and
    general_skills (general tech: java, git, postgresql…; never counted as AI). A bad line is reported on
    stderr with its line number and skipped; the exit status is 1 if any line was bad.
    """
    import orjson

    from schemas.postings import parse_raw_posting
    from skillpulse.domain.enrich import default_enricher
    from skillpulse.settings import get_settings

    settings = get_settings()
    enricher = default_enricher(
        pipeline_version or settings.pipeline_version,
        str(taxonomy or settings.taxonomy_path) if (taxonomy or settings.taxonomy_path) else None,
    )
    stdin = sys.stdin.buffer
    out = sys.stdout.buffer
    bad = 0
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            raw = parse_raw_posting(orjson.loads(line))
        except (orjson.JSONDecodeError, ValueError) as exc:
            bad += 1
            reason = f"invalid JSON: {exc}" if isinstance(exc, orjson.JSONDecodeError) else str(exc)
            typer.echo(f"line {number}: {reason}", err=True)
            if strict:
                typer.echo("stopping (--strict); fix the line or drop --strict to skip bad lines", err=True)
                raise typer.Exit(1)
            continue
        out.write(orjson.dumps(enricher.enrich(raw).model_dump(mode="json")) + b"\n")
    out.flush()
    if bad:
        typer.echo(f"{bad} bad line(s) skipped", err=True)
        raise typer.Exit(1)
