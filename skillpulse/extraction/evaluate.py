"""Score any extractor (taxonomy, model, hybrid) on labelled texts: strict and loose span P/R/F1 per layer.

Strict is conlleval's "same first and last token": on CoNLL sentences (tokens joined by single spaces)
predicted spans are first widened to whole tokens, as a token tagger's output would be read, so an
exact character match is exactly a token match. Loose is any overlap.
"""
from __future__ import annotations

import time
from collections.abc import Sequence

from skillpulse.extraction.conll import LabelledText
from skillpulse.extraction.metrics import span_metrics


def to_tokens(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` to the space-separated tokens it touches."""
    while start > 0 and text[start - 1] != " ":
        start -= 1
    while end < len(text) and text[end] != " ":
        end += 1
    return start, end


def gold_of(item: LabelledText, layer: str | None) -> list[tuple[int, int]]:
    if layer is None or not item.kinds:
        return list(item.spans)
    return [s for s, k in zip(item.spans, item.kinds) if k == layer]


def predict(finder, items: Sequence[LabelledText], batch_size: int = 256) -> tuple[list[list], float]:
    """Spans per item (``SpanFinder.find_readable``) and the seconds it took."""
    texts = [i.text for i in items]
    started = time.perf_counter()
    found: list[list] = []
    for lo in range(0, len(texts), batch_size):
        found.extend(finder.find_readable(texts[lo:lo + batch_size]))
    return found, time.perf_counter() - started


def score(items: Sequence[LabelledText], found: Sequence[Sequence], layer: str | None = None,
          tokens: bool = True) -> dict:
    """Span metrics of ``found`` against ``items``' gold spans of ``layer``.

    Predicted spans of a typed model count for their own layer only; untyped spans (and the
    taxonomy's) count for whichever layer is scored.
    """
    gold, pred = [], []
    for item, spans in zip(items, found, strict=True):
        gold.append(gold_of(item, layer))
        kept = {(to_tokens(item.text, s.start, s.end) if tokens else (s.start, s.end))
                for s in spans if layer is None or not s.layer or s.layer == layer}
        pred.append(sorted(kept))
    return span_metrics(gold, pred)
