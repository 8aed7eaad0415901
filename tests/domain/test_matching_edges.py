"""PhraseMatcher edge cases: punctuation inside and at the edges of terms, overlaps, Unicode case
changes, HTML, and agreement with a plain definition of "whole word" on many generated texts."""
from __future__ import annotations

import random
import re

import pytest

from skillpulse.domain.matching import PhraseMatcher
from skillpulse.domain.text import collapse_spaces, normalise, readable, strip_tags

TERMS = [".net", "node.js", "ux/ui", "c++", "c#", "r&d", "r", "a/b testing", "sr.", "go-to-market",
         "deep learning", "learning", "machine learning", "machine learning algorithms", "k8s", "οδος",
         "maskininlärning", "data–driven", "(c)"]
MATCHER = PhraseMatcher({t: t for t in TERMS})


@pytest.mark.parametrize(("text", "expected", "why"), [
    (".NET developers", {".net"}, "a term may start with punctuation"),
    ("ASP.NET Core", set(), "…but not right after a word character"),
    ("(.net)", {".net"}, "brackets are not word characters"),
    ("Node.js and node.jsx", {"node.js"}, "a dot inside a term; 'node.jsx' goes on past the term"),
    ("UX/UI, ux/uix", {"ux/ui"}, "slash inside a term"),
    ("C++/C# and c+++", {"c++", "c#"}, "+ and # are word characters: 'c+++' is another word"),
    ("R&D budget", {"r&d"}, "& is a word character: no lone r in r&d"),
    ("R, SQL", {"r"}, "a lone r"),
    ("A/B testing", {"a/b testing"}, "slash and space inside a term"),
    ("a/b \n  testing", {"a/b testing"}, "any white space run inside a phrase"),
    ("a/b,testing", set(), "a comma is not a space"),
    ("a/b-testing", set(), "nor is a hyphen"),
    ("Sr. Engineer", {"sr."}, "a term may end with punctuation"),
    ("Sr.Engineer", set(), "…but then a word character may not follow"),
    ("sr..", {"sr."}, "another non-word character may"),
    ("Own the Go-To-Market plan; go-to-marketing", {"go-to-market"}, "hyphens inside a term"),
    ("deep-learning", {"learning"}, "a hyphen is not the space of 'deep learning', but it ends a word"),
    ("K8s_cluster", set(), "_ is a word character"),
    ("data–driven teams", {"data–driven"}, "non-ASCII punctuation a term holds"),
    ("data—driven", set(), "another dash is another character"),
    ("(c) 2024", {"(c)"}, "a term of punctuation and one letter"),
    ("<b>.NET</b> &amp; Node.js", {".net", "node.js"}, "HTML read as text"),
    ("&amp;Node.js", set(), "the & decoded from &amp; is a word character"),
])
def test_punctuation(text, expected, why):
    assert MATCHER.find(text) == expected, why


@pytest.mark.parametrize(("text", "expected", "why"), [
    ("MASKININLÄRNING", {"maskininlärning"}, "non-ASCII capitals fold"),
    ("ΟΔΟΣ", {"οδος"}, "a final capital sigma folds to 'ς' as str.lower does"),
    ("İstanbul R", {"r"}, "'İ' lower-cases to two characters (i + dot above), which do not end the match"),
    ("\u212a8s", {"k8s"}, "the Kelvin sign lower-cases to k"),
    ("r\u00a0and\u2009r&d", {"r", "r&d"}, "non-ASCII white space separates words"),
    ("r’s", {"r"}, "a typographic apostrophe is not a word character"),
    ("rä", set(), "a Swedish letter is a word character"),
])
def test_unicode_case_and_space(text, expected, why):
    assert MATCHER.find(text) == expected, why


def test_nested_terms_are_all_found_but_spans_take_the_longest():
    text = "Machine learning algorithms, deep learning"
    assert MATCHER.find(text) == {"machine learning algorithms", "machine learning", "learning", "deep learning"}
    spans = MATCHER.find_spans(text)
    assert [(text[s:e], v) for s, e, v in spans] == [
        ("Machine learning algorithms", "machine learning algorithms"), ("deep learning", "deep learning")]


@pytest.mark.parametrize("text", [
    "İİ R&D İ node.js",               # characters that lower-case to two
    "<p>ASP.NET,  .Net\n(c)</p> r",   # HTML, white space runs, punctuation at term edges
    "  data–driven r’s ΟΔΟΣ sr.",     # leading spaces, non-ASCII punctuation, final sigma
])
def test_spans_point_into_readable_text(text):
    shown = readable(text)
    for start, end, value in MATCHER.find_spans(text):
        assert normalise(shown[start:end]) == value


def test_short_texts_are_remembered_without_sharing_results():
    matcher = PhraseMatcher({"python": "python"})
    first = matcher.find("Python dev")
    first.add("mutated")
    assert matcher.find("Python dev") == {"python"}


def test_a_term_with_a_control_character_is_refused():
    with pytest.raises(ValueError, match="control character"):
        PhraseMatcher({"a\x01b": 1})


# --- linear-time HTML handling ---------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("<" * 200_000, "<" * 200_000),                                  # no ">": no tag, text kept
    ("<" * 100_000 + ">", " "),                                      # one tag from the first "<"
    ("a<b" * 70_000, "a<b" * 70_000),
    ("<>" * 100_000 + "<" * 100_000, " " * 100_000 + "<" * 100_000),
])
def test_many_angle_brackets_take_one_pass(text, expected):
    # The regex <[^>]*> alone rescans the rest of the text from every unclosed "<": 200,000 of
    # them take hours. strip_tags gives the regex's result in one pass.
    assert strip_tags(text) == expected
    assert MATCHER.find(text + " r") == {"r"}


# --- agreement with plain definitions on generated texts ------------------------------------------
_ALPHABET = ["a", "b", "r", "c", " ", "  ", "\n", ".", "-", "/", ",", "<", ">", "&", "&amp;", "+", "#", "_",
             "İ", "Σ", "ä", "–", "’", "\u00a0", "<br>", "R", "C", *TERMS]


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12))) for _ in range(n)]


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "&+#_"


def _by_definition(text: str) -> set[str]:
    """Every term occurring in ``normalise(text)`` with no word character right before or after."""
    norm = normalise(text)
    found = set()
    for term in TERMS:
        form = normalise(term)
        start = norm.find(form)
        while start >= 0:
            end = start + len(form)
            if (start == 0 or not _word_char(norm[start - 1])) and (end == len(norm) or not _word_char(norm[end])):
                found.add(term)
                break
            start = norm.find(form, start + 1)
    return found


def test_find_agrees_with_the_definition_of_whole_words():
    for text in _texts(seed=11, n=4000):
        assert MATCHER.find(text) == _by_definition(text), repr(text)
        assert MATCHER.find_normalised(normalise(text)) == _by_definition(text), repr(text)


def test_text_helpers_agree_with_the_regexes_they_replace():
    tag, space = re.compile(r"<[^>]*>"), re.compile(r"\s+")
    for text in _texts(seed=12, n=4000):
        assert strip_tags(text) == tag.sub(" ", text), repr(text)
        assert collapse_spaces(text) == space.sub(" ", text), repr(text)


def test_case_exact_forms_are_whole_words_and_the_longest_wins():
    from skillpulse.domain.matching import PhraseMatcher

    matcher = PhraseMatcher({"python": "python"}, exact={"Go": "golang", "JS": "javascript", "Node.JS": "node.js"})
    assert matcher.find("Google and Gopher; GoLang") == set()
    assert matcher.find("We write Node.JS and JS. Go home.") == {"node.js", "javascript"}
    assert matcher.find_spans("Node.JS, Go") == [(0, 7, "node.js"), (9, 11, "golang")]
