"""Whole-word, whole-phrase matching of many terms in one pass over a text.

Single-token terms (``python``, ``c++``, ``k8s``, ``maskininlärning``) are found by splitting the text
into tokens once and intersecting with a dict; terms with spaces or inner punctuation
(``deep learning``, ``scikit-learn``, ``ux/ui``, ``node.js``) by an Aho-Corasick automaton whose hits
are kept only at word boundaries. Cost grows with the text, not with the number of terms: no loop
over the taxonomy and no regex alternation.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

import ahocorasick

from skillpulse.domain.text import normalise, readable

T = TypeVar("T")

# A token is a run of word characters plus the marks that belong to names like c++, c#, r&d.
# "&" keeps "r" out of "r&d"; "+" and "#" keep "c" out of "c++".
_TOKEN = re.compile(r"[\w&+#]+")
_JOINERS = frozenset("&+#_")


def _is_joiner(ch: str) -> bool:
    return ch.isalnum() or ch in _JOINERS


class PhraseMatcher(Generic[T]):
    """Finds which of a fixed set of terms occur in a text as whole words or phrases.

    ``terms`` maps each surface form (any case) to the value reported when it is found; several
    forms may map to one value (aliases).
    """

    def __init__(self, terms: Mapping[str, T]):
        self._tokens: dict[str, T] = {}
        self._automaton = ahocorasick.Automaton()
        for surface, value in terms.items():
            form = normalise(surface).strip()
            if not form:
                raise ValueError(f"empty term for {value!r}")
            if _TOKEN.fullmatch(form):
                self._tokens[form] = value
            else:
                self._automaton.add_word(form, (len(form), value))
        self._has_phrases = len(self._automaton) > 0
        if self._has_phrases:
            self._automaton.make_automaton()
        self._token_keys = self._tokens.keys()

    def __len__(self) -> int:
        return len(self._tokens) + len(self._automaton)

    def find_normalised(self, text: str) -> set[T]:
        """Values of all terms in ``text``, which must already be ``normalise``d."""
        tokens = self._tokens
        found = {tokens[t] for t in self._token_keys & set(_TOKEN.findall(text))}
        if self._has_phrases:
            found.update(value for _, _, value in self._phrase_hits(text))
        return found

    def _phrase_hits(self, text: str):
        """``(start, end, value)`` of automaton hits that stand as whole words (end exclusive)."""
        last = len(text) - 1
        for end, (length, value) in self._automaton.iter(text):
            start = end - length + 1
            if start > 0 and _is_joiner(text[start - 1]):
                continue
            if end < last and _is_joiner(text[end + 1]):
                continue
            yield start, end + 1, value

    def find(self, text: str) -> set[T]:
        """Values of all terms occurring in raw ``text`` (HTML and case are handled)."""
        return self.find_normalised(normalise(text))

    def find_spans_normalised(self, text: str) -> list[tuple[int, int, T]]:
        """``(start, end, value)`` of each term occurrence in normalised ``text``, by position.

        Same whole-word rules as ``find_normalised``; where occurrences overlap the longest
        (then the leftmost) wins, so "deep learning" is one span, not also "learning".
        """
        hits: list[tuple[int, int, T]] = []
        tokens = self._tokens
        for m in _TOKEN.finditer(text):
            value = tokens.get(m.group())
            if value is not None:
                hits.append((m.start(), m.end(), value))
        if self._has_phrases:
            hits.extend(self._phrase_hits(text))
        hits.sort(key=lambda h: (h[0] - h[1], h[0]))  # longest first, then leftmost
        taken: list[tuple[int, int, T]] = []
        for hit in hits:
            if all(hit[1] <= s or hit[0] >= e for s, e, _ in taken):
                taken.append(hit)
        return sorted(taken, key=lambda h: h[0])

    def find_spans(self, text: str) -> list[tuple[int, int, T]]:
        """Spans of the terms in raw ``text``, as offsets into ``readable(text)`` (case kept).

        Additive to ``find``: weak span labels for the batch extractor. ``readable(text)[s:e]``
        is the surface form found.
        """
        shown = readable(text)
        lowered = shown.lower()
        if len(lowered) == len(shown):
            return self.find_spans_normalised(lowered)
        # A few characters lower-case to two (e.g. "İ"): match on the lowered text, map back.
        back = [i for i, ch in enumerate(shown) for _ in ch.lower()] + [len(shown)]
        return [(back[s], back[e - 1] + 1, v) for s, e, v in self.find_spans_normalised(lowered)]

    @classmethod
    def from_groups(cls, groups: Iterable[tuple[T, Iterable[str]]]) -> "PhraseMatcher[T]":
        """Build from ``(value, [surface forms])`` pairs; a form claimed twice is an error."""
        terms: dict[str, T] = {}
        for value, forms in groups:
            for form in forms:
                key = normalise(form).strip()
                if key in terms and terms[key] != value:
                    raise ValueError(f"term {form!r} is claimed by both {terms[key]!r} and {value!r}")
                terms[key] = value
        return cls(terms)
