"""The extractor model registry: model folders under ``$SKILLPULSE_DATA_DIR/models/<version>`` and
one ``extractor_models`` row per version. The promoted model is the latest row with ``promoted = 1``."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from schemas.tables import EXTRACTOR_MODELS, ModelRow
from skillpulse.settings import Settings

COLUMNS = EXTRACTOR_MODELS.written


@dataclass(frozen=True)
class ModelRecord:
    version: str
    base_model: str
    window_start: dt.date
    window_end: dt.date
    label_source: str
    path: str
    metrics: dict
    strict_f1: float
    loose_f1: float
    train_size: int
    test_size: int
    promoted: bool
    run_id: str = ""

    def row(self) -> ModelRow:
        """The ``extractor_models`` row of this record."""
        return ModelRow(self.version, self.base_model, self.window_start, self.window_end, self.label_source,
                        self.path, json.dumps(self.metrics, default=str), float(self.strict_f1), float(self.loose_f1),
                        int(self.train_size), int(self.test_size), int(self.promoted), self.run_id)


def models_dir(settings: Settings) -> Path:
    return settings.data_dir / "models"


def register(client, database: str, record: ModelRecord) -> None:
    """Write (or replace) the registry row of ``record.version``."""
    EXTRACTOR_MODELS.insert(client, database, [record.row()])


def _record(row: tuple) -> ModelRecord:
    values = dict(zip(COLUMNS, row))
    values["metrics"] = json.loads(values["metrics"] or "{}")
    values["promoted"] = bool(values["promoted"])
    return ModelRecord(**values)


def promoted_model(client, database: str) -> ModelRecord | None:
    """The model hybrid extraction uses, or None before any was promoted."""
    rows = client.query(
        f"SELECT {', '.join(COLUMNS)} FROM {database}.extractor_models FINAL WHERE promoted = 1 "
        "ORDER BY created_at DESC LIMIT 1").result_rows
    return _record(rows[0]) if rows else None


def list_models(client, database: str) -> list[ModelRecord]:
    rows = client.query(f"SELECT {', '.join(COLUMNS)} FROM {database}.extractor_models FINAL "
                        "ORDER BY created_at DESC").result_rows
    return [_record(r) for r in rows]


def model_path(record: ModelRecord, settings: Settings) -> Path:
    """The record's folder; falls back to this machine's models dir (a registry shared by hosts)."""
    path = Path(record.path)
    if (path / "config.json").exists():
        return path
    local = models_dir(settings) / record.version
    if (local / "config.json").exists():
        return local
    raise FileNotFoundError(f"model {record.version}: no folder at {path} or {local}; "
                            "run `skillpulse batch weekly` here or copy the folder")
