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

from skillpulse.domain.text import normalise

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
            last = len(text) - 1
            for end, (length, value) in self._automaton.iter(text):
                start = end - length + 1
                if start > 0 and _is_joiner(text[start - 1]):
                    continue
                if end < last and _is_joiner(text[end + 1]):
                    continue
                found.add(value)
        return found

    def find(self, text: str) -> set[T]:
        """Values of all terms occurring in raw ``text`` (HTML and case are handled)."""
        return self.find_normalised(normalise(text))

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
