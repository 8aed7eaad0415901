"""The trained extractor at inference: spans -> canonical taxonomy skills (the hybrid extractor).

``load_promoted_model(client, settings)`` gives a ``skillpulse.domain.enrich.SkillModel``: a batched
callable, loaded once, that the worker hands to ``Enricher(model=...)``. Spans whose surface form is
a taxonomy label map to that skill; others may map by embedding similarity (Nesta's approach:
cosine over MiniLM against every preferred and alternative label); the rest are candidates.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from skillpulse.extraction.bio import Span
from skillpulse.extraction.resolve import resolve_skill
from skillpulse.extraction.vocab import is_junk, label_fragments, normalise_skill
from skillpulse.domain.taxonomy import Taxonomy, default_taxonomy
from skillpulse.domain.text import readable

log = logging.getLogger(__name__)
DEFAULT_MAP_THRESHOLD = 0.8  # Nesta uses 0.7; higher keeps near-misses ("Metabase") as candidates


@dataclass
class Candidate:
    skill: str
    count: int
    examples: list[str]


class SpanExtractor:
    """A loaded token tagger plus the taxonomy; callable as a ``SkillModel``."""

    def __init__(self, tagger, taxonomy: Taxonomy, *, version: str = "", encoder: str | None = None,
                 map_threshold: float | None = DEFAULT_MAP_THRESHOLD):
        self.tagger = tagger
        self.taxonomy = taxonomy
        self.version = version
        self.encoder_path = encoder
        self.map_threshold = map_threshold
        self._encoder = None
        self._label_vectors = None
        self._label_skills: list[str] = []
        self._resolved: dict[str, str | None] = {}
        self._fragments: frozenset[str] | None = None

    def spans(self, descriptions: Sequence[str]) -> list[list[Span]]:
        """Predicted spans per description, offsets into ``readable(description)``."""
        return self.tagger.predict([readable(d) for d in descriptions])

    def _embed_map(self, surfaces: list[str]) -> dict[str, str | None]:
        if self.map_threshold is None or not surfaces:
            return {s: None for s in surfaces}
        if self._encoder is None:
            from sentence_transformers import SentenceTransformer

            from skillpulse.extraction.tagger import default_encoder, offline

            offline()
            self._encoder = SentenceTransformer(self.encoder_path or default_encoder(), device="cpu")
            labels = [(name, form) for name, s in self.taxonomy.skills.items() for form in (name, *s.aliases)]
            self._label_skills = [name for name, _ in labels]
            self._label_vectors = self._encoder.encode([f for _, f in labels], batch_size=128,
                                                       normalize_embeddings=True, show_progress_bar=False)
        vectors = self._encoder.encode(surfaces, batch_size=128, normalize_embeddings=True, show_progress_bar=False)
        sims = vectors @ self._label_vectors.T
        best = sims.argmax(axis=1)
        return {s: (self._label_skills[b] if sims[i, b] >= self.map_threshold else None)
                for i, (s, b) in enumerate(zip(surfaces, best.tolist()))}

    def resolve_many(self, surfaces: Sequence[str]) -> dict[str, str | None]:
        """Canonical skill per surface form (exact label, then embedding match), cached."""
        todo = [s for s in dict.fromkeys(surfaces) if s not in self._resolved]
        unmatched = []
        for s in todo:
            skill = resolve_skill(self.taxonomy, s)
            self._resolved[s] = skill
            if skill is None:
                unmatched.append(s)
        if unmatched:
            self._resolved.update(self._embed_map(unmatched))
        return {s: self._resolved[s] for s in surfaces}

    def __call__(self, descriptions: Sequence[str]) -> list[set[str]]:
        """Canonical taxonomy skills per description (the ``SkillModel`` contract)."""
        per_doc = self.spans(descriptions)
        mapping = self.resolve_many([s.text for spans in per_doc for s in spans])
        return [{mapping[s.text] for s in spans if mapping[s.text]} for spans in per_doc]

    def skill_of(self, surfaces: Sequence[str]) -> dict[str, str | None]:
        """Each span text -> its skill: a taxonomy skill (exact label, or MiniLM cosine where close),
        else the normalised open-vocabulary form; None for junk ("of", "platform", "vid")."""
        mapping = self.resolve_many(list(surfaces))
        if self._fragments is None:
            self._fragments = label_fragments(f for s in self.taxonomy.skills.values() for f in (s.name, *s.aliases))
        forms = {s: normalise_skill(s) for s in surfaces if not mapping[s]}
        again = self.resolve_many([f for f in set(forms.values()) if f]) if forms else {}
        out: dict[str, str | None] = {}
        for s in surfaces:
            if mapping[s]:
                out[s] = mapping[s]
            else:
                form = forms[s]
                out[s] = again.get(form) or (None if is_junk(form) or form in self._fragments else form)
        return out

    def extract_all(self, descriptions: Sequence[str], batch_size: int = 64, progress=None,
                    max_examples: int = 3) -> tuple[list[dict[str, str]], list[Candidate], Counter]:
        """Every skill the model finds, per description (``{skill: surface as written}``), plus the
        open-vocabulary candidates (postings per form, example contexts) and postings per mapped
        taxonomy skill. Junk is dropped everywhere."""
        per_posting: list[dict[str, str]] = []
        counts: Counter = Counter()
        mapped: Counter = Counter()
        examples: dict[str, list[str]] = defaultdict(list)
        for lo in range(0, len(descriptions), batch_size):
            batch = descriptions[lo:lo + batch_size]
            texts = [readable(d) for d in batch]
            per_doc = self.tagger.predict(texts)
            skill_of = self.skill_of([s.text for spans in per_doc for s in spans])
            for text, spans in zip(texts, per_doc):
                found: dict[str, str] = {}
                for s in spans:
                    skill = skill_of[s.text]
                    if not skill or skill in found:
                        continue
                    found[skill] = s.text
                    if skill in self.taxonomy.skills:
                        mapped[skill] += 1
                        continue
                    counts[skill] += 1
                    if len(examples[skill]) < max_examples:
                        lo_c, hi_c = max(0, s.start - 50), min(len(text), s.end + 50)
                        examples[skill].append(("…" if lo_c else "") + text[lo_c:hi_c] + ("…" if hi_c < len(text) else ""))
                per_posting.append(found)
            if progress:
                progress(len(batch))
        cands = [Candidate(k, v, examples[k]) for k, v in counts.most_common()]
        return per_posting, cands, mapped

    def candidates(self, descriptions: Sequence[str], batch_size: int = 64, progress=None,
                   max_examples: int = 3) -> tuple[list[Candidate], Counter]:
        """Spans mapping to no taxonomy skill: postings per normalised form, with example contexts.

        Also returns how many postings each mapped taxonomy skill was found in by the model.
        """
        _, cands, mapped = self.extract_all(descriptions, batch_size, progress, max_examples)
        return cands, mapped


def load_model(path, taxonomy: Taxonomy | None = None, *, version: str = "", encoder: str | None = None,
               map_threshold: float | None = DEFAULT_MAP_THRESHOLD, threads: int | None = None,
               quantize: bool = False, backend: str | None = None) -> SpanExtractor:
    """A ``SpanExtractor`` over the model folder (or Hugging Face id) ``path``; ``backend`` as in
    ``TokenTagger`` (``quantize`` is ``torch-int8``)."""
    from skillpulse.extraction.tagger import TokenTagger

    tagger = TokenTagger(path, threads=threads, quantize=quantize, backend=backend)
    return SpanExtractor(tagger, taxonomy or default_taxonomy(),
                         version=version or str(path), encoder=encoder, map_threshold=map_threshold)


def load_span_model(model: str | None, settings, taxonomy: Taxonomy | None = None, *, quantize: bool = False,
                    threads: int | None = None, use_registry: bool = True,
                    backend: str | None = None) -> SpanExtractor | None:
    """The model ``skillpulse spans`` uses: ``model`` (folder or HF id), else ``SKILLPULSE_SPAN_MODEL``,
    else the promoted model when the registry can be read; None when there is none."""
    from skillpulse.extraction.tagger import default_encoder

    if taxonomy is None:
        taxonomy = default_taxonomy(str(settings.taxonomy_path) if settings.taxonomy_path else None)
    chosen = model or getattr(settings, "span_model", None)
    if chosen:
        return load_model(chosen, taxonomy, encoder=default_encoder(settings), threads=threads, quantize=quantize,
                          backend=backend)
    if not use_registry or (not settings.clickhouse_url and not (settings.data_dir / "clickhouse").exists()):
        return None
    try:
        from skillpulse import storage

        client = storage.connect(settings)
        return load_promoted_model(client, settings, taxonomy)
    except Exception as exc:  # noqa: BLE001 - a locked or absent store only means "no promoted model here"
        log.warning("cannot read the model registry (%s); using the taxonomy alone", exc)
        return None


def load_promoted_model(client, settings, taxonomy: Taxonomy | None = None, *,
                        map_threshold: float | None = DEFAULT_MAP_THRESHOLD) -> SpanExtractor | None:
    """The promoted extractor (or ``SKILLPULSE_SPAN_MODEL`` where set) as a ``SkillModel``, or None (with
    a warning) when none is promoted.

    Load it once per process and pass it to ``Enricher(model=...)``; never per message.
    """
    from skillpulse.extraction.registry import model_path, promoted_model
    from skillpulse.extraction.tagger import default_encoder

    if taxonomy is None:
        taxonomy = default_taxonomy(str(settings.taxonomy_path) if settings.taxonomy_path else None)
    if getattr(settings, "span_model", None):  # an explicit model wins over the registry
        return load_model(settings.span_model, taxonomy, encoder=default_encoder(settings), map_threshold=map_threshold)
    record = promoted_model(client, settings.clickhouse_database)
    if record is None:
        log.warning("no promoted extractor model yet: run `skillpulse batch weekly`; using the taxonomy alone")
        return None
    return load_model(model_path(record, settings), taxonomy, version=record.version,
                      encoder=default_encoder(settings), map_threshold=map_threshold)


def apply_extractor_setting(enricher, settings, client=None):
    """``enricher`` as ``SKILLPULSE_EXTRACTOR`` asks: unchanged for ``taxonomy``; for ``hybrid``, with the
    promoted model attached (loaded once, here). Falls back to the taxonomy, with a warning, while no
    model is promoted. Raises ``ValueError`` for an unknown setting.
    """
    import dataclasses

    mode = (settings.extractor or "taxonomy").lower()
    if mode == "taxonomy":
        return enricher
    if mode != "hybrid":
        raise ValueError(f"SKILLPULSE_EXTRACTOR={settings.extractor!r}: use taxonomy or hybrid")
    if client is None:
        from skillpulse import storage

        client = storage.connect(settings)
    model = load_promoted_model(client, settings, enricher.taxonomy)
    if model is None:
        return enricher
    log.info("hybrid extractor: taxonomy + model %s", model.version)
    return dataclasses.replace(enricher, model=model)
