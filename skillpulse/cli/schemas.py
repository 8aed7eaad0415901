"""``skillpulse schemas``: keep the JSON Schema files in ``schemas/json`` equal to the models."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

import schemas

app = typer.Typer(name="schemas", help="Message contracts: export JSON Schema.", no_args_is_help=True)

DEFAULT_DIR = Path(schemas.__file__).resolve().parent / "json"


def generated_schemas() -> dict[str, str]:
    """File name -> JSON Schema text for each message contract."""
    from schemas.postings import DeadLetter, EnrichedPosting, RawPosting

    models = {"raw_posting": RawPosting, "enriched_posting": EnrichedPosting, "dead_letter": DeadLetter}
    return {
        f"{name}.schema.json": json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
        for name, model in models.items()
    }


@app.command("export")
def export(out: Annotated[Path, typer.Option(help="Folder to write into.")] = DEFAULT_DIR) -> None:
    """Write the JSON Schema of the raw, enriched and dead-letter messages."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in generated_schemas().items():
        (out / name).write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out / name}")
