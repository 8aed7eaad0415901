"""Weak (taxonomy) span labels and locating LLM mentions in the text."""
from __future__ import annotations

import pytest

from batch.goldset import UNKNOWN_ALIASES, synthetic_goldset
from batch.labels import Item, TaxonomyLabeller, locate
from skillpulse.extraction.resolve import resolve_skill
from skillpulse.domain.taxonomy import default_taxonomy
from skillpulse.domain.text import normalise, readable

TAX = default_taxonomy()


@pytest.mark.parametrize("raw, found", [
    # HTML read as text; offsets index readable(raw), case kept
    ("<p>Deep Learning &amp; PyTorch</p>", [("Deep Learning", "deep learning"), ("PyTorch", "pytorch")]),
    # the longest phrase wins where matches overlap
    ("machine learning algorithms", [("machine learning algorithms", "machine learning algorithms")]),
    # whole words only, as find() does
    ("for laws and android", []),
    ("R&D teams use R and C++", [("R", "r"), ("C++", "c++")]),
    # a character that lower-cases to two ("İ") does not shift later offsets
    ("İstanbul team, Python", [("Python", "python")]),
])
def test_find_spans(raw, found):
    text = readable(raw)
    assert [(text[s:e], v) for s, e, v in TAX.matcher.find_spans(raw)] == found


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_find_spans_agrees_with_find(seed):
    # every value find_spans reports is one find() reports; find() may add terms nested in a longer one
    for g in synthetic_goldset(30, seed):
        spans = TAX.matcher.find_spans(g.raw.description)
        found = TAX.extract(g.raw.description)
        assert {v for _, _, v in spans} <= found
        assert normalise(g.raw.description) == readable(g.raw.description).lower()


def test_taxonomy_labeller_spans_match_gold_for_known_forms():
    unknown = {a for forms in UNKNOWN_ALIASES.values() for a in forms}
    gold = synthetic_goldset(40, 5)
    lab = TaxonomyLabeller(TAX)
    out = lab.label([Item(str(i), g.raw.description) for i, g in enumerate(gold)])
    for g, labelled in zip(gold, out):
        # an "unknown" spelling may also be a known alias capitalised ("Torch"): known wins
        expected = {(s.start, s.end, s.skill) for s in g.spans
                    if s.skill in TAX.skills and (s.text not in unknown or TAX.extract(s.text))}
        assert {(s.start, s.end, s.skill) for s in labelled.spans} == expected


@pytest.mark.parametrize("mentions, found, dropped", [
    (["PyTorch", "SQL"], ["PyTorch", "SQL", "SQL"], 0),  # every occurrence is a span
    (["pytorch"], [], 1),                 # verbatim means same case
    (["Py"], [], 1),                      # never inside a word
    (["deep learning", "learning"], ["deep learning"], 0),  # nested mention: the longer one
    (["SQL", "SQL", " SQL "], ["SQL", "SQL"], 0),  # duplicates collapse; both occurrences found
])
def test_locate(mentions, found, dropped):
    text = "PyTorch, SQL, deep learning and more SQL"
    spans, n_dropped = locate(text, mentions, TAX)
    assert [s.text for s in spans] == found and n_dropped == dropped
    assert all(text[s.start:s.end] == s.text for s in spans)


@pytest.mark.parametrize("surface, skill", [("PyTorch", "pytorch"), ("K8s", "kubernetes"), ("A/B testing", "ab testing"),
                                            ("PyTorch and SQL", None), ("Terraformish", None)])
def test_resolve_skill(surface, skill):
    assert resolve_skill(TAX, surface) == skill
