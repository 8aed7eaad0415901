"""``skillpulse batch`` as a user runs it: help, and clear errors instead of tracebacks."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).parent / "skillpulse")


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SKILLPULSE_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    env.pop("CLICKHOUSE_URL", None)
    env.pop("LLM_BASE_URL", None)
    return subprocess.run([EXE, "batch", *args], capture_output=True, text=True, env=env, timeout=120)


def test_help_lists_the_options(tmp_path):
    out = run(["weekly", "--help"], tmp_path)
    assert out.returncode == 0
    for option in ("--week", "--weeks", "--labeller", "--sample", "--epochs", "--k", "--k-range", "--seed"):
        assert option in out.stdout


def test_an_empty_database_says_what_to_do(tmp_path):
    out = run(["weekly"], tmp_path)
    assert out.returncode == 2
    assert "no postings in ClickHouse yet" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("args, message", [
    (["weekly", "--week", "2024-13-01"], "YYYY-MM-DD"),
    (["weekly", "--k-range", "9-3"], "LOW <= HIGH"),
    (["weekly", "--labeller", "magic"], "unknown labeller"),
])
def test_bad_options_are_rejected_clearly(tmp_path, args, message):
    out = run(args, tmp_path)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr
