"""Every skill the model finds is counted and clustered; junk never is.

A stub tagger stands in for a trained model (no torch, no MiniLM): the spans are what a tagger
could return, junk included.
"""
from __future__ import annotations

import datetime as dt

import pytest
from batch_fixtures import DB, load_postings

from batch import cluster as clustering
from batch.goldset import synthetic_goldset
from batch.weekly import write_model_skills
from skillpulse import storage
from skillpulse.domain.taxonomy import default_taxonomy
from skillpulse.extraction.bio import Span
from skillpulse.extraction.extractor import SpanExtractor
from skillpulse.extraction.vocab import is_junk, normalise_skill
from skillpulse.settings import Settings


@pytest.mark.parametrize(("surface", "form", "junk"), [
    ("  Spring-Boot )", "spring-boot", False),       # punctuation at the ends, case, spaces
    ("Metaflow", "metaflow", False),
    ("Feature Stores", "feature store", False),      # plural
    ("C/ C++", "c/c++", False),
    ("AWS", "aws", False), ("Redis", "redis", False), ("node.js", "node.js", False),  # no false plural
    ("stats", "stats", False), ("timeseries", "timeseries", False), ("Libraries", "library", False),
    ("machine", "machine", True), ("large", "large", True),  # fragments of a longer skill
    ("of", "of", True), ("x", "x", True), ("2021", "2021", True),
    ("platform", "platform", True), ("data", "data", True), ("product", "product", True),
    ("infrastructure as", "infrastructure as", True),
    ("vid", "vid", True), ("meriterande", "meriterande", True), ("och", "och", True),
])
def test_normalise_and_junk(surface, form, junk):
    assert normalise_skill(surface) == form
    assert is_junk(form) is junk


class StubTagger:
    """Finds the given words wherever they occur (what a trained tagger would return as spans)."""

    def __init__(self, words):
        self.words = words

    def predict(self, texts):
        out = []
        for text in texts:
            spans = []
            for word in self.words:
                i = text.find(word)
                if i >= 0:
                    spans.append(Span(i, i + len(word), word))
            out.append(spans)
        return out


def test_model_skills_map_to_the_taxonomy_keep_open_vocabulary_and_drop_junk():
    extractor = SpanExtractor(StubTagger(["PyTorch", "Metaflow", "Feature Stores", "vid", "platform", "of", "Kube",
                                          "språkmodeller", "SVP AI"]),
                              default_taxonomy(), map_threshold=None)
    texts = ["We use PyTorch and Metaflow on our platform, vid behov. SVP AI, stora språkmodeller.",
             "Metaflow, Feature Stores and Kube of course.", "Nothing here."]
    per_posting, cands, mapped = extractor.extract_all(texts)
    assert per_posting == [{"pytorch": "PyTorch", "metaflow": "Metaflow"},
                           {"metaflow": "Metaflow", "feature store": "Feature Stores", "kube": "Kube"}, {}]
    assert [(c.skill, c.count) for c in cands] == [("metaflow", 2), ("kube", 1)]  # feature store is a taxonomy skill
    assert mapped == {"pytorch": 1, "feature store": 1}
    assert "Metaflow" in cands[0].examples[0]  # an example context for the curator


def test_open_vocabulary_skills_reach_the_skill_map(tmp_path):
    client = storage.connect(Settings(), url=f"chdb://{tmp_path / 'ch'}")
    try:
        storage.migrate(client, DB)
        gold = synthetic_goldset(8, 3, end_week=dt.date(2024, 3, 4), weeks=1)
        enriched = load_postings(client, gold)
        keys = [e.posting_key for e in enriched]
        per_posting = [{"metaflow": "Metaflow"} if i < 3 else {"label studio": "Label Studio"} if i == 3 else {}
                       for i in range(len(keys))]
        assert write_model_skills(client, DB, "run-1", "m1", keys, per_posting) == 4
        assert write_model_skills(client, DB, "run-1", "m1", keys, per_posting) == 4  # a re-run replaces
        start, end = dt.date(2024, 2, 26), dt.date(2024, 3, 10)
        counts = dict(clustering.skill_counts(client, DB, start, end, min_postings=2))
        assert counts["metaflow"] == 3                       # open vocabulary, counted once per posting
        assert "label studio" not in counts                  # in one posting only: under --min-postings
        ai = {s for e in enriched for s in e.extracted_skills}
        assert ai and set(counts) >= {s for s in ai if sum(s in e.extracted_skills for e in enriched) >= 2}
    finally:
        client.close()
