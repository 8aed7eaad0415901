"""Whole-word, whole-phrase matching of many terms in one pass over a text, in C.

A character is a *word* character if it is a letter or digit or one of ``& + # _`` (so ``c++``,
``c#``, ``r&d`` are one word); every other character ends a word. A term is found where it stands
between two non-word characters (or the ends of the text): ``r`` is not in "for", ``aws`` not in
"laws", ``.net`` not in "asp.net", ``sr.`` not in "sr.x".

How, without a Python step per character or per hit: the text is rewritten once, with bytes
operations, so that word boundaries become spaces an Aho-Corasick automaton can see. White space
runs become one space; every other non-word character ``c`` that occurs in some term becomes
`` c `` (spaces around it); one that occurs in no term becomes `` \\x01 ``; the whole text is
padded with a space at each end. Terms are rewritten the same way and padded too. Between two
visible characters the number of spaces then depends only on their kinds and on whether a space
stood between them, so the padded term occurs in the rewritten text exactly where the term stands
as whole words (``deep,learning`` is not ``deep learning``). Cost grows with the text, not with
the number of terms: no loop over the taxonomy and no regex alternation.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

import ahocorasick

from skillpulse.domain.text import as_text, normalise, readable

T = TypeVar("T")

_JOINERS = "&+#_"
_OTHER = b"\x01"  # stands for every non-word character that no term contains
_ASCII = bytes(range(128))
_WHITE = frozenset(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")  # ASCII white space as str.split sees it
_ENCODING = ("utf-8", "surrogatepass")  # lone surrogates (valid in JSON) are kept, as non-word characters

# Non-ASCII characters seen so far, by kind: "w" word, "s" white space, "n" other.
_KINDS: dict[str, str] = {}


def _kind(ch: str) -> str:
    kind = _KINDS.get(ch)
    if kind is None:
        kind = "w" if ch.isalnum() or ch in _JOINERS else "s" if ch.isspace() else "n"
        _KINDS[ch] = kind
    return kind


class PhraseMatcher(Generic[T]):
    """Finds which of a fixed set of terms occur in a text as whole words or phrases.

    ``terms`` maps each surface form (any case) to the value reported when it is found; several
    forms may map to one value (aliases).
    """

    def __init__(self, terms: Mapping[str, T]):
        forms: dict[str, T] = {}
        for surface, value in terms.items():
            form = normalise(surface).strip()
            if not form:
                raise ValueError(f"empty term for {value!r}")
            if _OTHER.decode() in form:
                raise ValueError(f"term {surface!r} holds a control character")
            forms[form] = value
        # Non-word characters that terms contain keep their identity; all others become _OTHER.
        self._kept = frozenset(c for form in forms for c in form if c != " " and _kind(c) == "n")
        self._kept_bytes = tuple(c.encode(*_ENCODING) for c in sorted(self._kept))
        table = bytearray(range(256))
        for i in range(128):
            ch = chr(i)
            if ch in _WHITE:
                table[i] = 0x20
            elif _kind(ch) == "n" and ch not in self._kept:
                table[i] = _OTHER[0]
        self._table = bytes(table)
        self._automaton = ahocorasick.Automaton()
        for form, value in forms.items():
            pattern = self._encode(form)
            self._automaton.add_word(pattern, (len(pattern), len(form), value))
        self._size = len(forms)
        if self._size:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return self._size

    def _encode(self, text: str) -> str:
        """``text`` (lower-cased) with word boundaries made visible, padded with a space each end.

        The result is the UTF-8 bytes read as Latin-1, so the automaton walks one byte per step.
        """
        data = text.encode(*_ENCODING)
        if not text.isascii():
            data = self._plain_non_ascii(data)
        data = data.translate(self._table)
        while b"  " in data:
            data = data.replace(b"  ", b" ")
        if _OTHER in data:
            data = data.replace(_OTHER, b" \x01 ")
        for kept in self._kept_bytes:
            if kept in data:
                data = data.replace(kept, b" " + kept + b" ")
        return (b" " + data + b" ").decode("latin-1")

    def _plain_non_ascii(self, data: bytes) -> bytes:
        """Non-ASCII white space as a space, other non-word characters no term holds as _OTHER.

        Visits each distinct non-ASCII character once (Swedish letters are word characters and
        stay as they are).
        """
        for ch in set(data.translate(None, _ASCII).decode(*_ENCODING)):
            kind = _kind(ch)
            if kind == "s":
                data = data.replace(ch.encode(*_ENCODING), b" ")
            elif kind == "n" and ch not in self._kept:
                data = data.replace(ch.encode(*_ENCODING), _OTHER)
        return data

    def _values(self, encoded: str) -> set[T]:
        return {value for _end, (_n, _m, value) in self._automaton.iter(encoded)} if self._size else set()

    def find_normalised(self, text: str) -> set[T]:
        """Values of all terms in ``text``, which must already be ``normalise``d."""
        return self._values(self._encode(text))

    def find(self, text: str) -> set[T]:
        """Values of all terms occurring in raw ``text`` (HTML and case are handled)."""
        return self._values(self._encode(as_text(text).lower()))

    def find_spans_normalised(self, text: str) -> list[tuple[int, int, T]]:
        """``(start, end, value)`` of each term occurrence in normalised ``text``, by position.

        Same whole-word rules as ``find_normalised``; where occurrences overlap the longest
        (then the leftmost) wins, so "deep learning" is one span, not also "learning".
        """
        if not self._size:
            return []
        encoded = self._encode(text)
        ascii_only = text.isascii()
        marks = (_OTHER.decode(), *(k.decode("latin-1") for k in self._kept_bytes))
        hits: list[tuple[int, int, T]] = []
        for end, (_n, length, value) in self._automaton.iter(encoded):
            # encoded[:end] holds whole characters up to the term's last; count the text's ones.
            prefix = encoded[1:end]
            chars = len(prefix) if ascii_only else len(prefix.encode("latin-1").decode(*_ENCODING))
            stop = chars - 2 * sum(prefix.count(m) for m in marks)
            hits.append((stop - length, stop, value))
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
