"""``skillpulse worker`` and ``skillpulse replay`` (light module: Faust loads inside the commands)."""
from __future__ import annotations

import json
import logging
from typing import Annotated

import typer

GROUP_HELP = "Consumer group (= Faust app id). Workers with the same group share the partitions."


def _settings(pipeline_version: str | None):
    from skillpulse.cli import load_settings

    return load_settings(pipeline_version=pipeline_version or None)


def worker(
    pipeline_version: Annotated[str | None, typer.Option("--pipeline-version", help="Version written on every stored posting; default PIPELINE_VERSION (v1). Activated if no version is active yet.")] = None,
    group: Annotated[str | None, typer.Option("--group", help=GROUP_HELP + " Default SKILLPULSE_WORKER_GROUP (skillpulse-worker).")] = None,
    until_caught_up: Annotated[bool, typer.Option("--until-caught-up", help="Exit once every message on postings.raw is stored and committed (lag 0).")] = False,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Insert batch size; default SINK_BATCH_SIZE.")] = None,
    max_wait: Annotated[float | None, typer.Option("--max-wait", help="Longest wait for a batch, seconds; default SINK_MAX_WAIT_S.")] = None,
    dedupe_ttl_days: Annotated[float | None, typer.Option("--dedupe-ttl-days", help="How long a posting_key is remembered for dedupe (stream time); default DEDUPE_TTL_DAYS (30).")] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning, error.")] = "info",
) -> None:
    """Run the stream processor: validate, dead-letter, dedupe, enrich, store in ClickHouse.

    Consumes postings.raw as group --group; bad messages go to postings.dlq with the reason.
    Offsets are committed only after a batch is stored; while ClickHouse is unreachable the worker
    retries and commits nothing. With embedded chDB only one process may open the data directory:
    stop `skillpulse dashboard` and `db query` on the same directory first, or use a ClickHouse server
    (CLICKHOUSE_URL=http://…), which also lets several workers share the partitions.
    An unexpected error in the pipeline (a bug) stops the worker with exit status 2 and commits
    nothing past the failed batch: restart it (systemd, docker) once fixed.
    """
    from stream_processors.app import WorkerConfig
    from stream_processors.runner import WorkerError, run_worker

    settings = _settings(pipeline_version)
    overrides = {"app_id": group, "batch_size": batch_size, "max_wait_s": max_wait, "dedupe_ttl_days": dedupe_ttl_days}
    config = WorkerConfig.from_settings(settings, until_caught_up=until_caught_up, log_level=log_level,
                                        **{k: v for k, v in overrides.items() if v is not None})
    try:
        result = run_worker(settings, config)
    except WorkerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps({**result.stats.as_dict(), "caught_up": result.caught_up,
                           "seconds": round(result.seconds, 1)}))


def replay(
    since: Annotated[str, typer.Option("--since", help="Reprocess messages from this time on (ISO date or datetime, UTC).")],
    until: Annotated[str | None, typer.Option("--until", help="Stop before this time (default: the end of the topic now).")] = None,
    pipeline_version: Annotated[str | None, typer.Option("--pipeline-version", help="Version to write; default replay-YYYYMMDDTHHMMSS (UTC now).")] = None,
    activate: Annotated[bool, typer.Option("--activate/--no-activate", help="Make the new version the one views read once done.")] = True,
    activate_partial: Annotated[bool, typer.Option("--activate-partial", help="Also activate a partial replay (--since after the first message, or --until): the dashboard then shows only postings first seen in that window.")] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning, error.")] = "info",
) -> None:
    """Reprocess postings.raw from --since under a new consumer group and a new pipeline version.

    Seeks by time (offsets_for_times), processes up to the end of the topic as it is now (or --until),
    then activates the new version, so the rollups reflect it only. A partial replay (a window that
    leaves messages out) activates only with --activate-partial, since the dashboard would then show
    that window alone; without it the command refuses and says so. The live worker keeps its own
    group. With embedded chDB stop the live worker first (one process per data directory).
    """
    from stream_processors.replay import ReplayError, parse_when, run_replay

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(None)
    try:
        result = run_replay(settings, parse_when(since), parse_when(until) if until else None,
                            pipeline_version, activate=activate, log_level=log_level,
                            activate_partial=activate_partial)
    except ReplayError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(result))
