"""Label schemes by name, typed BIO tags, label files, offsets into the given text, the hybrid rule.

Pure tier: tiny literal inputs, no torch.
"""
from __future__ import annotations

import pytest

from skillpulse.extraction.bio import B, I, IGNORE, O, scheme_from_names, spans_to_tags, tags_to_spans, typed_labels
from skillpulse.extraction.evaluate import score, to_tokens
from skillpulse.extraction.labelled import read_labels
from skillpulse.extraction.spans import FoundSpan, hybrid_merge, readable_offsets

TEXT = "use PyTorch and deep learning"
OFFSETS = [(0, 0), (0, 3), (4, 6), (6, 9), (9, 11), (12, 15), (16, 20), (21, 29), (0, 0)]


@pytest.mark.parametrize("names, kinds, types", [
    (["B", "I", "O"], (B, I, O), ("", "", "")),                       # jjzha/jobbert_*_extraction
    (["O", "B-SKILL", "I-SKILL"], (O, B, I), ("", "", "")),           # one type: spans carry none
    (["O", "B-Knowledge", "I-Knowledge", "B-Skill", "I-Skill"], (O, B, I, B, I),
     ("", "knowledge", "knowledge", "skill", "skill")),
])
def test_labels_are_read_by_name(names, kinds, types):
    scheme = scheme_from_names(names)
    assert (scheme.kinds, scheme.types) == (kinds, types)


@pytest.mark.parametrize("names", [["LABEL_0", "LABEL_1"], ["O", "I"], ["B", "I"]])
def test_unreadable_label_names_are_refused(names):
    with pytest.raises(ValueError):
        scheme_from_names(names)


def test_typed_tags_round_trip():
    scheme = scheme_from_names(typed_labels(["knowledge", "skill"]))
    tags = spans_to_tags(OFFSETS, [(4, 11, "knowledge"), (16, 29, "skill")], scheme)
    assert tags == [IGNORE, 0, 1, 2, 2, 0, 3, 4, IGNORE]
    assert [(s.start, s.end, s.label) for s in tags_to_spans(TEXT, OFFSETS, tags, scheme)] == \
        [(4, 11, "knowledge"), (16, 29, "skill")]


def test_bio_without_types_in_any_label_order():
    scheme = scheme_from_names(["B", "I", "O"])  # B=0, I=1, O=2
    tags = spans_to_tags(OFFSETS, [(4, 11)], scheme)
    assert tags == [IGNORE, 2, 0, 1, 1, 2, 2, 2, IGNORE]
    # a type change opens a new span even after I (conlleval)
    typed = scheme_from_names(typed_labels(["knowledge", "skill"]))
    spans = tags_to_spans(TEXT, OFFSETS, [IGNORE, 0, 0, 0, 0, 0, 1, 4, IGNORE], typed)
    assert [(s.text, s.label) for s in spans] == [("deep", "knowledge"), ("learning", "skill")]
    assert [(s.text, s.label) for s in tags_to_spans(TEXT, OFFSETS, tags, scheme)] == [("PyTorch", "")]


def test_jsonl_and_conll_label_files(tmp_path):
    jsonl = tmp_path / "labels.jsonl"
    jsonl.write_text('{"text": "Rust and Go, and mentoring juniors", "spans": [[0, 4], [9, 11, "knowledge"], '
                     '{"start": 17, "end": 34, "layer": "skill"}]}\n\n{"text": "no skills here", "spans": []}\n')
    items = read_labels(jsonl, ("knowledge",))
    assert [(i.text[s:e], k) for i in items for (s, e), k in zip(i.spans, i.kinds)] == \
        [("Rust", "knowledge"), ("Go", "knowledge")]
    both = read_labels(jsonl, ("knowledge", "skill"))
    assert ("mentoring juniors", "skill") in [(both[0].text[s:e], k) for (s, e), k in zip(both[0].spans, both[0].kinds)]
    conll = tmp_path / "labels.conll"
    conll.write_text("Mentor\tB-Skill\tO\nteams\tI-Skill\tO\nin\tI-Skill\tO\nElixir\tI-Skill\tB-Knowledge\n\n")
    (item,) = read_labels(conll, ("knowledge", "skill"))
    assert [(item.text[s:e], k) for (s, e), k in zip(item.spans, item.kinds)] == \
        [("Mentor teams in Elixir", "skill"), ("Elixir", "knowledge")]


@pytest.mark.parametrize("line, message", [
    ('{"text": "Go", "spans": [[0, 9]]}', "labels.jsonl:1: span [0, 9] is not inside the text"),
    ('{"spans": []}', "labels.jsonl:1: expected"),
    ('{"text": "Go", "spans": [[0, 2, "tools"]]}', "unknown layer 'tools'"),
    ("{not json", "labels.jsonl:1: not JSON"),
])
def test_bad_label_lines_name_the_line(tmp_path, line, message):
    path = tmp_path / "labels.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(ValueError) as err:
        read_labels(path)
    assert message in str(err.value)


@pytest.mark.parametrize("text, shown", [
    ("Python,  PyTorch\n and  AWS", "Python, PyTorch and AWS"),
    ("plain text", "plain text"),
])
def test_readable_offsets_point_into_the_given_text(text, shown):
    readable, back = readable_offsets(text)
    assert readable == shown
    for word in ("PyTorch", "AWS", "plain"):
        if word in shown:
            i = shown.index(word)
            assert text[back[i]:back[i + len(word) - 1] + 1] == word


def _span(start, end, text, source, skill=None, layer=""):
    return FoundSpan(start, end, text, skill, None, source, layer)


def test_hybrid_model_span_wins_an_overlap_and_lone_taxonomy_spans_stay():
    # "AWS Lambda and SQL and Rust": taxonomy found aws, sql; the model found "AWS Lambda", "Rust"
    tax = [_span(0, 3, "AWS", "taxonomy", "aws"), _span(15, 18, "SQL", "taxonomy", "sql")]
    model = [_span(0, 10, "AWS Lambda", "model", "aws"), _span(23, 27, "Rust", "model")]
    merged = hybrid_merge(tax, model)
    assert [(s.text, s.source) for s in merged] == [("AWS Lambda", "model"), ("SQL", "taxonomy"), ("Rust", "model")]


def test_hybrid_keeps_a_lone_taxonomy_span_only_where_the_model_leans_to_skill():
    # "SQL and Java devs": the model tagged nothing; it gave "SQL" 0.3 and "Java" 0.01
    tax = [_span(0, 3, "SQL", "taxonomy", "sql"), _span(8, 12, "Java", "taxonomy", "java")]
    scores = [(0, 3, 0.3), (4, 7, 0.0), (8, 12, 0.01), (13, 17, 0.0)]
    assert [s.text for s in hybrid_merge(tax, [], scores, 0.1)] == ["SQL"]
    assert [s.text for s in hybrid_merge(tax, [], scores, 0.0)] == ["SQL", "Java"]  # 0: every lone span


def test_hybrid_layers_compete_only_within_a_layer():
    tax = [_span(10, 16, "Elixir", "taxonomy", "elixir", "knowledge")]
    model = [_span(0, 16, "Mentor in Elixir", "model", None, "skill")]
    assert [s.text for s in hybrid_merge(tax, model)] == ["Mentor in Elixir", "Elixir"]


def test_scores_are_conlleval_strict_on_whole_tokens():
    from skillpulse.extraction.conll import LabelledText

    item = LabelledText("know Node.js and C# well", ((5, 12), (17, 19)), ("knowledge", "knowledge"))
    assert to_tokens(item.text, 5, 9) == (5, 12)  # "Node" inside the token "Node.js" reads as the token
    found = [[_span(5, 9, "Node", "model"), _span(17, 24, "C# well", "model")]]
    m = score([item], found, "knowledge")
    assert m["strict"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert m["loose"]["f1"] == 1.0
