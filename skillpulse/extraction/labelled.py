"""Labelled texts from a file: CoNLL (``token<TAB>tag[<TAB>tag ...]``) or JSONL spans. Pure: no torch.

JSONL: one object a line, ``{"text": "...", "spans": [[start, end], ...]}``; a span may name its layer
as a third item (``[0, 6, "knowledge"]``) or be an object ``{"start", "end", "layer"}``. Spans without a
layer belong to every layer asked for. Offsets are characters of ``text``, end exclusive.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from skillpulse.extraction.conll import LAYERS, LabelledText, read_conll


def layers_for(layer: str) -> tuple[str, ...]:
    """``knowledge`` | ``skill`` | ``both`` -> the layer names to read."""
    if layer == "both":
        return ("knowledge", "skill")
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}: use knowledge, skill or both")
    return (layer,)


def is_jsonl(path: Path) -> bool:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                return line.lstrip().startswith("{")
    return False


def _span(value, text: str, where: str) -> tuple[int, int, str]:
    if isinstance(value, dict):
        start, end, layer = value.get("start"), value.get("end"), value.get("layer", "")
    elif isinstance(value, (list, tuple)) and len(value) in (2, 3):
        start, end, layer = value[0], value[1], (value[2] if len(value) == 3 else "")
    else:
        raise ValueError(f"{where}: a span is [start, end], [start, end, layer] or {{start, end, layer}}, got {value!r}")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        raise ValueError(f"{where}: span {value!r} is not inside the text (0 <= start < end <= {len(text)})")
    return start, end, str(layer or "").lower()


def read_jsonl(path: str | Path, layers: Sequence[str] = ("knowledge",)) -> list[LabelledText]:
    """Texts and spans of a JSONL label file, keeping spans of ``layers`` (or without a layer)."""
    path = Path(path)
    out: list[LabelledText] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) \
                    or not isinstance(obj.get("spans", []), list):
                raise ValueError(f"{where}: expected {{\"text\": str, \"spans\": [[start, end], ...]}}")
            text = obj["text"]
            spans: dict[tuple[int, int], str] = {}
            for value in obj.get("spans", []):
                start, end, layer = _span(value, text, where)
                if layer and layer not in LAYERS:
                    raise ValueError(f"{where}: unknown layer {layer!r} (use knowledge or skill)")
                for wanted in ([layer] if layer else layers):
                    if wanted in layers:
                        spans.setdefault((start, end), wanted)
            ordered = sorted(spans)
            out.append(LabelledText(text, tuple(ordered), tuple(spans[s] for s in ordered)))
    return out


def read_labels(path: str | Path, layers: Sequence[str] = ("knowledge",)) -> list[LabelledText]:
    """CoNLL or JSONL, told apart by the first non-blank line (``{`` starts JSONL)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such label file")
    return read_jsonl(path, layers) if is_jsonl(path) else read_conll(path, layers)
