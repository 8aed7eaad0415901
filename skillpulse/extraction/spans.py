"""Skill spans of a text from the taxonomy, a model, or both (hybrid), as ``skillpulse spans`` prints them.

Hybrid rule: every taxonomy span and every model span, except that where a model span overlaps a
taxonomy span the model span wins (its boundaries were learned from human labels: "Python 3",
"AWS Lambda"); taxonomy spans no model span touches are kept (a known skill the model missed). A
model span's ``skill`` is its exact taxonomy label, else the closest label by MiniLM cosine (above the
extractor's threshold), else the one taxonomy skill found inside it, else null (open vocabulary).
With a typed model (SkillSpan's knowledge and skill layers), taxonomy spans count as ``knowledge``
and only compete with knowledge spans; skill spans (competence phrases) may overlap them.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from skillpulse.domain.taxonomy import Taxonomy
from skillpulse.domain.text import readable

MODES = ("taxonomy", "model", "hybrid")
HYBRID_MIN_SCORE = 0.1  # a lone taxonomy span needs this skill probability from the model (0: always kept)
_SPACE = re.compile(r"\s+")


class FoundSpan(NamedTuple):
    """One span: ``text[start:end]``, its canonical skill (or None), category, source and layer."""

    start: int
    end: int
    text: str
    skill: str | None
    category: str | None
    source: str  # "taxonomy" | "model"
    layer: str = ""  # the model's span type where it has several (knowledge, skill)

    def as_json(self) -> dict:
        out = {"start": self.start, "end": self.end, "text": self.text, "skill": self.skill,
               "category": self.category, "source": self.source}
        if self.layer:
            out["layer"] = self.layer
        return out


def readable_offsets(text: str) -> tuple[str, list[int] | None]:
    """``(readable(text), back)``: ``back[i]`` is the index in ``text`` of readable character ``i``
    (plus one end entry), or None when markup was removed (offsets then refer to the readable text)."""
    shown = readable(text)
    if shown == text:
        return shown, list(range(len(text) + 1))
    if "<" in text or "&" in text:
        return shown, None
    back: list[int] = []
    pos = 0
    for m in _SPACE.finditer(text):  # readable only collapsed white space: each run became one space
        back.extend(range(pos, m.start()))
        back.append(m.start())
        pos = m.end()
    back.extend(range(pos, len(text)))
    back.append(len(text))
    return shown, back


def overlaps(a, b) -> bool:
    return a.start < b.end and b.start < a.end


def word_score(t, word_scores: Sequence[tuple[int, int, float]]) -> float:
    """The highest skill probability the model gave a word inside span ``t`` (0 when none)."""
    return max((p for s, e, p in word_scores if s < t.end and t.start < e), default=0.0)


def hybrid_merge(taxonomy: Sequence[FoundSpan], model: Sequence[FoundSpan],
                 word_scores: Sequence[tuple[int, int, float]] | None = None, min_score: float = 0.0) -> list[FoundSpan]:
    """Model spans, plus the taxonomy spans that overlap no model span of the same layer; by position.

    With ``word_scores`` (``TokenTagger.predict_scored``) a lone taxonomy span is kept only where the
    model gave one of its words a skill probability of at least ``min_score``: the taxonomy lowers
    the model's threshold on known skills instead of overruling it.
    """
    kept = [t for t in taxonomy if not any(m.layer == t.layer and overlaps(m, t) for m in model)]
    if word_scores is not None and min_score > 0:
        kept = [t for t in kept if word_score(t, word_scores) >= min_score]
    return sorted([*kept, *model])


class SpanFinder:
    """Spans per text by ``mode``: taxonomy, model or hybrid. ``extractor`` is a loaded
    ``SpanExtractor`` (tagger + label mapping); needed for model and hybrid."""

    def __init__(self, taxonomy: Taxonomy, extractor=None, mode: str = "taxonomy",
                 min_score: float = HYBRID_MIN_SCORE):
        if mode not in MODES:
            raise ValueError(f"unknown extractor {mode!r}: use {', '.join(MODES)}")
        if mode != "taxonomy" and extractor is None:
            raise ValueError(f"--extractor {mode} needs a model (--model or SKILLPULSE_SPAN_MODEL)")
        self.taxonomy = taxonomy
        self.extractor = extractor
        self.mode = mode
        self.min_score = min_score
        layers = getattr(extractor.tagger, "layers", ()) if extractor is not None else ()
        self.taxonomy_layer = "knowledge" if layers else ""

    def _category(self, skill: str | None) -> str | None:
        return self.taxonomy.category_of(skill) if skill else None

    def taxonomy_spans(self, text: str) -> list[FoundSpan]:
        """Taxonomy spans of readable ``text`` (the matcher's whole-word, longest-first rules)."""
        return [FoundSpan(s, e, text[s:e], skill, self._category(skill), "taxonomy", self.taxonomy_layer)
                for s, e, skill in self.taxonomy.matcher.find_spans_readable(text)]

    def find_readable(self, texts: Sequence[str]) -> list[list[FoundSpan]]:
        """Spans per readable text (offsets into it), sorted by position."""
        taxonomy = [self.taxonomy_spans(t) if self.mode != "model" else [] for t in texts]
        if self.mode == "taxonomy":
            return taxonomy
        scored = self.mode == "hybrid" and self.min_score > 0 and hasattr(self.extractor.tagger, "predict_scored")
        if scored:
            predicted, word_scores = self.extractor.tagger.predict_scored(list(texts))
        else:
            predicted, word_scores = self.extractor.tagger.predict(list(texts)), [None] * len(texts)
        mapping = self.extractor.resolve_many([s.text for spans in predicted for s in spans])
        out = []
        for tax, spans, scores in zip(taxonomy, predicted, word_scores):
            model: list[FoundSpan] = []
            for s in spans:
                skill = mapping[s.text]
                if skill is None and s.label == self.taxonomy_layer:
                    inside = {t.skill for t in tax if t.start >= s.start and t.end <= s.end}
                    skill = inside.pop() if len(inside) == 1 else None
                model.append(FoundSpan(s.start, s.end, s.text, skill, self._category(skill), "model", s.label))
            out.append(hybrid_merge(tax, model, scores, self.min_score))
        return out

    def find(self, texts: Sequence[str]) -> list[tuple[str, list[FoundSpan]]]:
        """``(text the offsets refer to, spans)`` per given text: offsets into the text itself, or
        into its readable form when it holds markup (tags, entities)."""
        prepared = [readable_offsets(t) for t in texts]
        found = self.find_readable([shown for shown, _ in prepared])
        out = []
        for text, (shown, back), spans in zip(texts, prepared, found):
            if back is None:
                out.append((shown, spans))
                continue
            out.append((text, [s._replace(start=back[s.start], end=back[s.end - 1] + 1,
                                          text=text[back[s.start]:back[s.end - 1] + 1]) for s in spans]))
        return out


def open_finder(extractor: str | None, model: str | None, settings, *, quantize: bool = False,
                threads: int | None = None, backend: str | None = None,
                min_score: float = HYBRID_MIN_SCORE) -> SpanFinder:
    """The ``SpanFinder`` a command asked for: ``extractor`` taxonomy|model|hybrid (None: hybrid when a
    model is available, else taxonomy), ``model`` a folder or HF id (None: ``SKILLPULSE_SPAN_MODEL``,
    else the promoted model), ``settings`` the taxonomy, model and store to use, ``backend`` how it runs
    (``TokenTagger``: torch, torch-int8, onnx, onnx-int8). ``min_score`` is the hybrid rule's
    (``hybrid_merge``). Raises ``ValueError`` with what to do next; loads the model once.
    """
    from skillpulse.domain.taxonomy import default_taxonomy
    from skillpulse.extraction.extractor import load_span_model

    mode = extractor.lower() if extractor else None
    if mode is not None and mode not in MODES:
        raise ValueError(f"unknown extractor {extractor!r}: use {', '.join(MODES)}")
    taxonomy = default_taxonomy(str(settings.taxonomy_path) if settings.taxonomy_path else None)
    loaded = None
    if mode != "taxonomy":
        try:
            loaded = load_span_model(model, settings, taxonomy, quantize=quantize, threads=threads, backend=backend)
        except (RuntimeError, OSError) as exc:
            raise ValueError(str(exc)) from exc
        if loaded is None and mode is not None:
            raise ValueError(f"--extractor {mode} needs a model: pass --model PATH-or-HF-id, set "
                             "SKILLPULSE_SPAN_MODEL, or promote one (skillpulse batch promote DIR)")
    return SpanFinder(taxonomy, loaded, mode or ("hybrid" if loaded is not None else "taxonomy"), min_score=min_score)
