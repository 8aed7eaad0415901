"""The root command's registry: every command loads, its listed help is its own, and nothing loads early."""
from __future__ import annotations

import ast
import inspect
import subprocess
import sys

from typer.testing import CliRunner

from skillpulse.cli import COMMANDS, app

# Run `skillpulse <args>` in a fresh interpreter and print which heavy or foreign modules it loaded.
PROBE = """
import sys
from skillpulse.cli import app
try:
    app(sys.argv[1:], prog_name="skillpulse")
except SystemExit:
    pass
heavy = ("producers", "stream_processors", "batch", "dashboard", "httpx", "confluent_kafka", "torch", "dash",
         "skillpulse.live", "skillpulse.storage")
print("LOADED", sorted({m for m in sys.modules for h in heavy if m == h or m.startswith(h + ".")}), file=sys.stderr)
"""


def _loaded(*args: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED"))
    return ast.literal_eval(line.removeprefix("LOADED "))


def test_help_lists_every_command_without_importing_them():
    assert _loaded("--help") == []


def test_enrich_loads_only_what_enrich_needs():
    assert _loaded("enrich", "--help") == []


def test_listed_help_is_the_commands_own_first_paragraph():
    group = app_group()
    for name, (_target, listed) in COMMANDS.items():
        command = group.load(name)
        first = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert " ".join(first.split()) == listed, name


def test_root_help_names_every_command():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name, (_target, listed) in COMMANDS.items():
        assert name in result.stdout and listed.split(":")[0].replace("`", "")[:30] in result.stdout


def app_group():
    from typer.main import get_command

    return get_command(app)
