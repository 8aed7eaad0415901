"""Fixtures of the producer tests (the loopback server itself lives in producerkit.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A fresh SKILLPULSE_DATA_DIR (cursors live under it); the cached settings are reset around the test."""
    from skillpulse.settings import get_settings

    path = tmp_path / "data"
    monkeypatch.setenv("SKILLPULSE_DATA_DIR", str(path))
    monkeypatch.delenv("RAPID_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the work tree
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def cli():
    """Invoke ``skillpulse …`` in-process; returns click's Result (stdout, stderr, exit_code)."""
    from skillpulse.cli import app

    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None):
        from skillpulse.settings import get_settings

        get_settings.cache_clear()
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    return invoke
