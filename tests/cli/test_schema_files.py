"""The JSON Schema files checked in under schemas/json equal what the pydantic models generate."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillpulse.cli.schemas import DEFAULT_DIR, generated_schemas

GENERATED = generated_schemas()


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_checked_in_schema_is_current(name):
    # A model change without `skillpulse schemas export` would leave consumers reading a stale contract.
    path = DEFAULT_DIR / name
    assert path.exists(), f"{path} missing: run `skillpulse schemas export` and commit schemas/json"
    assert path.read_text(encoding="utf-8") == GENERATED[name], \
        f"{path} is stale: run `skillpulse schemas export` and commit schemas/json"


def test_no_stray_schema_files():
    assert sorted(p.name for p in DEFAULT_DIR.glob("*.schema.json")) == sorted(GENERATED)


def test_raw_schema_requires_the_contract_fields():
    schema = json.loads(GENERATED["raw_posting.schema.json"])
    assert sorted(schema["required"]) == ["description", "posted_date", "source", "title"]
    assert schema.get("additionalProperties", True) is True  # unknown fields are kept, not rejected


def test_export_writes_the_same_files(tmp_path: Path):
    from typer.testing import CliRunner

    from skillpulse.cli import app

    result = CliRunner().invoke(app, ["schemas", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == GENERATED
