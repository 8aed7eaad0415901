"""Span precision, recall and F1, strict (same start and end) and loose (any overlap). Pure."""
from __future__ import annotations

from collections.abc import Sequence


def _prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict[str, float]:
    p = tp_pred / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    r = tp_gold / n_gold if n_gold else (1.0 if not n_pred else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def span_metrics(gold: Sequence[Sequence[tuple]], pred: Sequence[Sequence[tuple]]) -> dict:
    """Micro-averaged span metrics over documents; spans are ``(start, end, …)`` tuples.

    strict: a predicted span counts only if a gold span has exactly its offsets.
    loose: a predicted span counts if it overlaps a gold span, and a gold span is found if any
    prediction overlaps it (so "PyTorch" vs "PyTorch Lightning" is a loose hit, a strict miss).
    """
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} documents, predictions {len(pred)}")
    n_gold = n_pred = strict_tp = loose_pred = loose_gold = 0
    for g_doc, p_doc in zip(gold, pred):
        g = {(s[0], s[1]) for s in g_doc}
        p = {(s[0], s[1]) for s in p_doc}
        n_gold += len(g)
        n_pred += len(p)
        strict_tp += len(g & p)
        loose_pred += sum(any(ps < ge and gs < pe for gs, ge in g) for ps, pe in p)
        loose_gold += sum(any(ps < ge and gs < pe for ps, pe in p) for gs, ge in g)
    return {
        "strict": _prf(strict_tp, n_pred, strict_tp, n_gold),
        "loose": _prf(loose_pred, n_pred, loose_gold, n_gold),
        "gold_spans": n_gold,
        "predicted_spans": n_pred,
    }


def skill_set_metrics(gold: Sequence[set[str]], pred: Sequence[set[str]]) -> dict[str, float]:
    """Micro P/R/F1 of the canonical skills per document (what the dashboard counts)."""
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    return _prf(tp, sum(map(len, pred)), tp, sum(map(len, gold)))
