"""The ``skillpulse`` command: one entry point to every part of the system.

Every command lives in a module of this package (``skillpulse/cli/<name>.py``) and is loaded only
when it runs: :data:`COMMANDS` names each command's ``module:attribute`` and its one-line help, so
``skillpulse --help`` lists them all without importing any, and ``skillpulse enrich`` imports the
enrich module alone (never Kafka, httpx, torch or Dash). The attribute is a command function or a
``typer.Typer`` group. This package is the only one that imports the parts (producers,
stream_processors, batch, dashboard) besides ``skillpulse.live``, the runtime of ``up`` and ``demo``;
``tests/test_layers.py`` keeps it so.
"""
from __future__ import annotations

import importlib
from difflib import get_close_matches
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# name -> ("module:attribute", one-line help shown by `skillpulse --help`), in the order listed.
# The help is the first paragraph of the command's docstring (or its group's help): a test keeps them equal.
COMMANDS: dict[str, tuple[str, str]] = {
    "enrich": ("skillpulse.cli.enrich:enrich",
               "Enrich job postings: read JSONL on stdin, write enriched JSONL on stdout, same order."),
    "spans": ("skillpulse.cli.spans:spans",
              "Skill spans of each JSONL line on stdin, as one JSONL line on stdout, same order."),
    "produce": ("skillpulse.cli.produce:app", "Send job postings to Kafka (or a JSONL file)."),
    "worker": ("skillpulse.cli.worker:worker",
               "Run the stream processor: validate, dead-letter, dedupe, enrich, store in ClickHouse."),
    "replay": ("skillpulse.cli.worker:replay",
               "Reprocess postings.raw from --since under a new consumer group and a new pipeline version."),
    "kafka": ("skillpulse.cli.kafka:app", "Run a local single-node Apache Kafka (KRaft)."),
    "db": ("skillpulse.cli.db:app", "ClickHouse: migrate the schema, run SQL."),
    "batch": ("skillpulse.cli.batch:app", "The weekly batch: relabel, retrain, cluster."),
    "dashboard": ("skillpulse.cli.dashboard:dashboard",
                  "Serve the dashboard: weekly volume, top skills and movers, seniority, categories, AI tiers, "
                  "skill map, postings; filters in the URL. Reads ClickHouse from CLICKHOUSE_URL (default: "
                  "embedded chDB)."),
    "report": ("skillpulse.cli.dashboard:report",
               "Write the seed's charts as files: weekly volume, top 10 skills, seniority distribution (PNG), "
               "plus the skill map (2D PNG, 3D HTML) once `skillpulse batch weekly` has run."),
    "demo": ("skillpulse.cli.demo:demo",
             "Run the whole pipeline locally and live: `skillpulse up` seeded with synthetic postings, then a trickle."),
    "up": ("skillpulse.cli.up:up",
           "Run SkillPulse live in one process: the worker, the dashboard + HTTP API, and the weekly schedule."),
    "schemas": ("skillpulse.cli.schemas:app", "Message contracts: export JSON Schema."),
}


class LazyGroup(TyperGroup):
    """A Typer group whose sub-commands are imported when invoked; help lists them from :data:`COMMANDS`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False  # True while the help is formatted: stubs, no imports

    def list_commands(self, ctx) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        if self._listing:
            return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name][1])
        return self.load(cmd_name)

    def load(self, name: str):
        """Import ``name``'s module and build its click command (once)."""
        target = COMMANDS[name][0]
        module, _, attr = target.partition(":")
        obj = getattr(importlib.import_module(module), attr)
        if isinstance(obj, typer.Typer):
            from typer.main import get_group_from_info
            from typer.models import TyperInfo

            command = get_group_from_info(TyperInfo(obj, name=name), pretty_exceptions_short=True,
                                          rich_markup_mode=self.rich_markup_mode, suggest_commands=True)
        else:
            from typer.main import get_command_from_info
            from typer.models import CommandInfo

            command = get_command_from_info(CommandInfo(name, callback=obj), pretty_exceptions_short=True,
                                            rich_markup_mode=self.rich_markup_mode)
        self.commands[name] = command
        return command

    def format_help(self, ctx, formatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx, args: list[str]):
        from typer._click.exceptions import UsageError

        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as exc:  # "Did you mean …" over every command, loaded or not
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise


app = typer.Typer(
    name="skillpulse",
    cls=LazyGroup,
    help="SkillPulse: what the job market asks of AI and data people, week by week.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)


@app.callback()
def _main() -> None:
    """SkillPulse: what the job market asks of AI and data people, week by week."""
    from skillpulse.settings import install_log_redaction

    install_log_redaction()  # no password of a configured URL reaches a log line


def load_settings(**overrides: Any):
    """The settings every command builds once and passes down: read from the environment (and
    ``.env``) once per process, with the command's options that are not None laid over them."""
    from skillpulse.settings import get_settings

    changes = {name: value for name, value in overrides.items() if value is not None}
    settings = get_settings()
    return settings.model_copy(update=changes) if changes else settings


_SKIP_TEARDOWN = False  # set by a command whose process has nothing left to clean up (skip_teardown)


def skip_teardown() -> None:
    """Let this process end without the interpreter's teardown once the command returns.

    For a short command that holds no resource needing clean-up (no threads, servers, files left
    open for writing): tearing down every module and freeing each object one by one costs it
    ~30-60 ms that nobody waits for (``skillpulse enrich`` starts ~0.25 s in all). Only the console
    entry point (:func:`main`) honours it, after flushing stdout and stderr; commands run in-process
    (tests, ``CliRunner``) end as usual.
    """
    global _SKIP_TEARDOWN
    _SKIP_TEARDOWN = True


def main() -> None:
    """Console-script entry point (``skillpulse``) and ``python -m skillpulse``."""
    try:
        app(prog_name="skillpulse")
    except SystemExit as exc:
        if not _SKIP_TEARDOWN:
            raise
        import os
        import sys

        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        if not isinstance(exc.code, (int, type(None))):
            print(exc.code, file=sys.stderr)
        try:
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):  # the reader left (head) or stdout is closed: as Python would
            code = code or 120
        sys.stderr.flush()
        os._exit(code)
