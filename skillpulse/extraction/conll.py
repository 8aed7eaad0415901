"""Labelled sentences from CoNLL files (``token<TAB>tag[<TAB>tag ...]``, blank line between sentences).

SkillSpan (Zhang et al., 2022) and Green et al. (2022) ship their labels this way: one column per
layer (SkillSpan: SKILL then KNOWLEDGE), BIO tags with an optional type suffix (``B-Skill``). A
sentence becomes its tokens joined by single spaces, and each span a character range of that text,
so every extractor (taxonomy, model, hybrid) is scored on the same strings; an exact character match
is then exactly conlleval's "same first and last token". Pure: no torch.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# Column index of each layer in SkillSpan's files (after the token column).
LAYERS = {"skill": 0, "knowledge": 1}


@dataclass(frozen=True)
class LabelledText:
    """One sentence: its text and the gold ``(start, end)`` character spans of the chosen layer(s).

    ``kinds`` gives each span's layer (``skill`` or ``knowledge``), in the order of ``spans``.
    """

    text: str
    spans: tuple[tuple[int, int], ...]
    kinds: tuple[str, ...] = ()


def tag_spans(tags: Sequence[str]) -> list[tuple[int, int]]:
    """Token spans ``[first, last + 1)`` from BIO tags (conlleval: an ``I`` after ``O`` opens a span)."""
    spans: list[tuple[int, int]] = []
    start = -1
    for i, tag in enumerate(tags):
        kind = tag[:1].upper()
        if kind == "B" or (kind == "I" and start < 0):
            if start >= 0:
                spans.append((start, i))
            start = i
        elif kind != "I":
            if start >= 0:
                spans.append((start, i))
            start = -1
    if start >= 0:
        spans.append((start, len(tags)))
    return spans


def _sentences(path: Path) -> Iterator[list[list[str]]]:
    rows: list[list[str]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\n")
            if not line.strip():
                if rows:
                    yield rows
                rows = []
                continue
            cells = line.split("\t")
            if len(cells) < 2:
                raise ValueError(f"{path}:{number}: expected token<TAB>tag, got {line[:60]!r}")
            rows.append(cells)
    if rows:
        yield rows


def read_conll(path: str | Path, layers: Sequence[str] = ("knowledge",)) -> list[LabelledText]:
    """Sentences of ``path`` with the spans of ``layers`` (``skill``, ``knowledge`` or both).

    A file with a single tag column serves any one layer. With two layers, spans of both are
    returned (they may overlap, as in SkillSpan).
    """
    path = Path(path)
    out: list[LabelledText] = []
    for rows in _sentences(path):
        tokens = [r[0] for r in rows]
        starts, pos = [], 0
        for token in tokens:
            starts.append(pos)
            pos += len(token) + 1
        text = " ".join(tokens)
        spans: dict[tuple[int, int], str] = {}
        for layer in layers:
            if layer not in LAYERS:
                raise ValueError(f"unknown layer {layer!r}: use one of {', '.join(LAYERS)}")
            column = 1 + (LAYERS[layer] if len(rows[0]) > 2 else 0)
            tags = [r[column] if column < len(r) else "O" for r in rows]
            for first, stop in tag_spans(tags):
                spans.setdefault((starts[first], starts[stop - 1] + len(tokens[stop - 1])), layer)
        ordered = sorted(spans)
        out.append(LabelledText(text, tuple(ordered), tuple(spans[s] for s in ordered)))
    return out
