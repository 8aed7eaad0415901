"""Span <-> BIO tag conversion and span metrics: table-driven, tiny literal inputs."""
from __future__ import annotations

import pytest

from skillpulse.extraction.bio import (B, I, IGNORE, O, Span, best_valid_tags, first_subtoken_only, scheme_from_names,
                                      snap_to_words, spans_to_tags, tags_to_spans, word_level)
from skillpulse.extraction.metrics import skill_set_metrics, span_metrics

# "use PyTorch and deep learning" tokenised as a fast BERT tokenizer would (offsets into the text).
TEXT = "use PyTorch and deep learning"
OFFSETS = [(0, 0), (0, 3), (4, 6), (6, 9), (9, 11), (12, 15), (16, 20), (21, 29), (0, 0)]
#          [CLS]   use     py      ##tor   ##ch     and       deep      learning  [SEP]


@pytest.mark.parametrize("spans, tags", [
    # every sub-token of "PyTorch" is inside the span: B then I, I
    ([(4, 11)], [IGNORE, O, B, I, I, O, O, O, IGNORE]),
    # a two-word skill: B on the first word, I on the second
    ([(16, 29)], [IGNORE, O, O, O, O, O, B, I, IGNORE]),
    # two adjacent skills stay two: the second starts with B again
    ([(16, 20), (21, 29)], [IGNORE, O, O, O, O, O, B, B, IGNORE]),
    ([], [IGNORE, O, O, O, O, O, O, O, IGNORE]),
])
def test_spans_to_tags(spans, tags):
    assert spans_to_tags(OFFSETS, spans) == tags


@pytest.mark.parametrize("tags, expected", [
    ([IGNORE, O, B, I, I, O, B, I, IGNORE], [(4, 11, "PyTorch"), (16, 29, "deep learning")]),
    # the model tagged only the first word-piece: the span widens to the whole word
    ([IGNORE, O, B, O, O, O, O, O, IGNORE], [(4, 11, "PyTorch")]),
    # an I with no B before it still opens a span
    ([IGNORE, O, O, O, O, O, O, I, IGNORE], [(21, 29, "learning")]),
    # B, B: two spans
    ([IGNORE, O, O, O, O, O, B, B, IGNORE], [(16, 20, "deep"), (21, 29, "learning")]),
    # tags on special tokens are ignored
    ([B, O, O, O, O, O, O, O, B], []),
])
def test_tags_to_spans(tags, expected):
    assert [(s.start, s.end, s.text) for s in tags_to_spans(TEXT, OFFSETS, tags)] == expected


@pytest.mark.parametrize("spans", [[(4, 11)], [(16, 29)], [(0, 3), (16, 20), (21, 29)]])
def test_round_trip(spans):
    tags = spans_to_tags(OFFSETS, spans)
    assert [(s.start, s.end) for s in tags_to_spans(TEXT, OFFSETS, tags)] == spans


@pytest.mark.parametrize("text, span, expected", [
    ("know c++ well", (5, 6), (5, 8)),       # "+" belongs to the word
    ("use (SQL), please", (4, 9), (5, 8)),   # punctuation trimmed
    ("a/b tests", (0, 1), (0, 1)),           # "/" splits words
    ("cloud ( AWS ) and", (6, 13), (8, 13)),  # a closing bracket standing alone (pre-tokenised) stays
    ("use Python (3.x), ok", (4, 17), (4, 16)),  # a bracket opened inside the span is closed
    ("cloud (AWS) and", (6, 11), (7, 10)),   # an attached bracket opened outside is trimmed
    ("TypeScript; Redux", (0, 11), (0, 10)),  # other punctuation at the edge is trimmed
])
def test_snap_to_words(text, span, expected):
    assert snap_to_words(text, *span) == expected


@pytest.mark.parametrize("gold, pred, strict, loose", [
    # exact match: perfect under both
    ([[(0, 5)]], [[(0, 5)]], (1.0, 1.0, 1.0), (1.0, 1.0, 1.0)),
    # "PyTorch" vs "PyTorch Lightning": overlap only -> strict 0, loose 1
    ([[(0, 7)]], [[(0, 17)]], (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
    # one of two found, one false alarm: P 1/2, R 1/2
    ([[(0, 3), (10, 15)]], [[(0, 3), (20, 25)]], (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    # nothing predicted: precision undefined -> 0 when there is gold
    ([[(0, 3)]], [[]], (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
    # nothing to find and nothing found: perfect
    ([[]], [[]], (1.0, 1.0, 1.0), (1.0, 1.0, 1.0)),
    # micro average over documents: 2 of 3 gold found, 2 of 2 predictions right
    ([[(0, 3)], [(0, 3), (5, 8)]], [[(0, 3)], [(5, 8)]], (1.0, 0.6667, 0.8), (1.0, 0.6667, 0.8)),
])
def test_span_metrics(gold, pred, strict, loose):
    m = span_metrics(gold, pred)
    assert (m["strict"]["precision"], m["strict"]["recall"], m["strict"]["f1"]) == strict
    assert (m["loose"]["precision"], m["loose"]["recall"], m["loose"]["f1"]) == loose


def test_span_metrics_accepts_span_tuples_and_checks_lengths():
    assert span_metrics([[Span(0, 3, "SQL", "sql")]], [[Span(0, 3, "SQL")]])["strict"]["f1"] == 1.0
    with pytest.raises(ValueError):
        span_metrics([[]], [])


def test_skill_set_metrics():
    m = skill_set_metrics([{"sql", "python"}], [{"sql", "r"}])
    assert (m["precision"], m["recall"]) == (0.5, 0.5)


# word ids of OFFSETS' tokens: "use"=0, "py ##tor ##ch"=1, "and"=2, "deep"=3, "learning"=4
WORDS = [None, 0, 1, 1, 1, 2, 3, 4, None]


def test_first_subtoken_only_ignores_the_rest_of_a_word():
    tags = spans_to_tags(OFFSETS, [(4, 11)])
    assert first_subtoken_only(tags, WORDS) == [IGNORE, O, B, IGNORE, IGNORE, O, O, O, IGNORE]


@pytest.mark.parametrize("tags, expected", [
    # a word's tag is its first sub-token's: a B on "##ch" no longer splits "PyTorch"
    ([IGNORE, O, B, O, B, O, O, O, IGNORE], [(4, 11, "PyTorch")]),
    # an O first sub-token keeps the word out, whatever the later pieces say
    ([IGNORE, O, O, B, I, O, B, I, IGNORE], [(16, 29, "deep learning")]),
])
def test_word_level_decoding(tags, expected):
    assert word_level(tags, WORDS)[:2] == tags[:2]
    got = tags_to_spans(TEXT, OFFSETS, tags, word_ids=WORDS)
    assert [(s.start, s.end, s.text) for s in got] == expected


@pytest.mark.parametrize("scores, expected", [
    # already valid: the per-word best tags, as they are
    ([[0, 5, 1], [0, 1, 5], [5, 0, 1]], [B, I, O]),
    # "deep learning" read as O I (an I with no B): the best valid reading is one span, B I,
    # not a span for "learning" alone (what conlleval's orphan-I rule would give)
    ([[2.0, 1.9, 0], [0, 1, 5], [5, 0, 0]], [B, I, O]),
    # ... unless the I is weak beside O: then O O
    ([[5, 1, 0], [2.0, 0, 2.1], [5, 0, 0]], [O, O, O]),
    # an orphan I at the start of a sentence
    ([[0, 1, 2], [5, 0, 0]], [B, O]),
])
def test_best_valid_tags_never_reads_an_orphan_inside_tag(scores, expected):
    tags = [max(range(3), key=row.__getitem__) for row in scores]
    assert best_valid_tags(tags, scores) == expected


def test_best_valid_tags_keeps_an_inside_tag_to_its_own_type():
    scheme = scheme_from_names(["O", "B-Knowledge", "I-Knowledge", "B-Skill", "I-Skill"])
    # B-Knowledge then a strong I-Skill: I-Skill may not continue a knowledge span
    scores = [[0, 5, 0, 0, 0], [0, 0, 3, 1, 4]]
    assert best_valid_tags([1, 4], scores, scheme) == [1, 2]
