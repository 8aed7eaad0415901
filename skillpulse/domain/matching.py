"""Whole-word, whole-phrase matching of many terms in one pass over a text, in C.

A character is a *word* character if ``skillpulse.domain.text.is_word_char`` says so: a letter or
digit or one of ``& + # _`` (so ``c++``, ``c#``, ``r&d`` are one word); every other character ends
a word. A term is found where it stands
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

import re
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Generic, TypeVar

import ahocorasick

from skillpulse.domain.text import as_text, is_word_char, normalise, readable

T = TypeVar("T")

_OTHER = b"\x01"  # stands for every non-word character that no term contains
_ASCII = bytes(range(128))
_WHITE = frozenset(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")  # ASCII white space as str.split sees it
_ENCODING = ("utf-8", "surrogatepass")  # lone surrogates (valid in JSON) are kept, as non-word characters

# Non-ASCII characters seen so far, by kind: "w" word, "s" white space, "n" other.
_KINDS: dict[str, str] = {}
_SPACE_RUN = re.compile(rb"  +")
_SECOND = itemgetter(1)
_MEMO_CHARS = 120  # texts up to this long are remembered by ``find``…
_MEMO_SIZE = 8192  # …this many per matcher, then forgotten all at once


def _kind(ch: str) -> str:
    kind = _KINDS.get(ch)
    if kind is None:
        kind = "w" if is_word_char(ch) else "s" if ch.isspace() else "n"
        _KINDS[ch] = kind
    return kind


class _ExactForms(Generic[T]):
    """Case-exact one-word forms ("React", "Go", "BI", "SAFe"), whole words only, in one pass in C.

    An Aho-Corasick automaton over the text as it is finds every occurrence (or, where the caller
    already knows which few forms may occur, ``str.find`` looks for those alone); only those (a few
    per text) are checked in Python: word characters on neither side, and a capitalised word ("Go",
    "Spring") not at a sentence's start (the text's, or after ``. ! ?`` and a space), where every
    word is capitalised; an acronym or mixed-case form ("BI", "SAFe") counts there too. Where
    found forms overlap the longest, then the leftmost, wins.
    """

    def __init__(self, exact: Mapping[str, T]):
        for form in exact:
            if not form.strip() or form != form.strip() or any(ch.isspace() for ch in form):
                raise ValueError(f"exact term {form!r}: one word, no spaces")
        self.values = dict(exact)
        self._info = {form: (len(form), form == form.lower().capitalize(), value) for form, value in exact.items()}
        self._automaton = ahocorasick.Automaton()
        for form, info in self._info.items():
            self._automaton.add_word(form, info)
        self._automaton.make_automaton()

    def spans(self, text: str, forms: Iterable[str] | None = None) -> list[tuple[int, int, T]]:
        """``(start, end, value)`` of each form found in ``text``, by position; with ``forms``,
        of those forms only."""
        if forms is None:
            found = ((last + 1 - length, last + 1, capitalised, value)
                     for last, (length, capitalised, value) in self._automaton.iter(text))
        else:
            found = self._occurrences(text, forms)
        hits = []
        n = len(text)
        for start, stop, capitalised, value in found:
            if (start and is_word_char(text[start - 1])) or (stop < n and is_word_char(text[stop])):
                continue
            if capitalised and (start == 0 or (start >= 2 and text[start - 1] == " " and text[start - 2] in ".!?")):
                continue
            hits.append((start, stop, value))
        if len(hits) > 1:
            hits.sort(key=lambda h: (h[0] - h[1], h[0]))
            taken: list[tuple[int, int, T]] = []
            for hit in hits:
                if all(hit[1] <= s or hit[0] >= e for s, e, _ in taken):
                    taken.append(hit)
            hits = sorted(taken, key=lambda h: h[0])
        return hits

    def _occurrences(self, text: str, forms: Iterable[str]):
        """Every occurrence of each of ``forms`` in ``text``, overlapping ones too (as the automaton)."""
        for form in forms:
            length, capitalised, value = self._info[form]
            at = text.find(form)
            while at >= 0:
                yield at, at + length, capitalised, value
                at = text.find(form, at + 1)


class _Probe:
    """The value of a case-exact form's lower-case spelling in the terms' automaton (never reported)."""

    __slots__ = ()


class PhraseMatcher(Generic[T]):
    """Finds which of a fixed set of terms occur in a text as whole words or phrases.

    ``terms`` maps each surface form (any case) to the value reported when it is found; several
    forms may map to one value (aliases). ``exact`` maps forms found only in exactly that case
    ("React", "Go": names that are everyday words in lower case), same whole-word rule, and not
    where a sentence starts ("Go the extra mile"); ``find_normalised`` (lower-cased text) skips them.

    A case-exact form can stand in a text only where its lower-case spelling does, as a whole word:
    so those spellings ride along in the terms' automaton (as *probes*), and the text is searched
    for the exact forms only when a probe is found, for those forms only (``str.find``, in C),
    instead of a second walk over every text. Forms with non-ASCII letters (whose lower case may
    depend on the letters around them) are looked for in every text.
    """

    def __init__(self, terms: Mapping[str, T], exact: Mapping[str, T] | None = None):
        self._exact = _ExactForms(exact) if exact else None
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
        self._marks = (_OTHER.decode(), *(k.decode("latin-1") for k in self._kept_bytes))
        table = bytearray(range(256))
        for i in range(128):
            ch = chr(i)
            if ch in _WHITE:
                table[i] = 0x20
            elif _kind(ch) == "n" and ch not in self._kept:
                table[i] = _OTHER[0]
            else:
                table[i] = ord(ch.lower())
        self._table = bytes(table)
        self._non_ascii: dict[str, bytes | None] = {}  # replacement of each non-ASCII character seen
        self._forms = forms
        # Probes: automaton value -> exact forms to look for when it is found. A probe spelled as a
        # term shares the term's value (reported as before); others get a _Probe, removed from results.
        probes: dict[object, tuple[str, ...]] = {}
        self._always: tuple[str, ...] = ()
        entries: dict[str, object] = {self._encode(form): value for form, value in forms.items()}
        for form in exact or ():
            if not form.isascii():
                self._always += (form,)
                continue
            key = self._encode(form)
            marker = entries.setdefault(key, _Probe())
            probes[marker] = probes.get(marker, ()) + (form,)
        self._probes = probes
        self._probe_values = frozenset(probes)
        self._hidden = frozenset(m for m in probes if isinstance(m, _Probe))
        self._automaton = self._automaton_of(entries)
        self._spans_automaton: ahocorasick.Automaton | None = None  # built on first use
        self._memo: dict[str, frozenset[T]] = {}

    def _build(self, payload) -> ahocorasick.Automaton:
        return self._automaton_of({self._encode(form): payload(form, value) for form, value in self._forms.items()})

    @staticmethod
    def _automaton_of(entries: Mapping[str, object]) -> ahocorasick.Automaton:
        automaton = ahocorasick.Automaton()
        for key, value in entries.items():
            automaton.add_word(key, value)
        if entries:
            automaton.make_automaton()
        return automaton

    def __len__(self) -> int:
        return len(self._forms)

    def _encode(self, text: str) -> str:
        """``text`` lower-cased, word boundaries made visible, padded with a space at each end.

        All of it is bytes operations in C: UTF-8, one translation table (case, white space,
        non-word characters no term holds), one regex for runs of spaces, a replace per non-word
        character kept. The result is those bytes read as Latin-1: the automaton walks bytes.
        """
        if text.isascii():
            data = text.encode("ascii")
        else:
            if "\u03a3" in text:  # capital sigma lower-cases by context ("ς" at a word's end)
                text = text.lower()
            data = self._plain_non_ascii(text.encode(*_ENCODING))
        data = _SPACE_RUN.sub(b" ", data.translate(self._table))
        if _OTHER in data:
            data = data.replace(_OTHER, b" \x01 ")
        for kept in self._kept_bytes:
            if kept in data:
                data = data.replace(kept, b" " + kept + b" ")
        return (b" " + data + b" ").decode("latin-1")

    def _plain_non_ascii(self, data: bytes) -> bytes:
        """Non-ASCII characters lower-cased, white space as a space, other non-word characters
        that no term holds as _OTHER; each distinct character is looked at once per text (Swedish
        letters in lower case stay as they are)."""
        for ch in set(data.translate(None, _ASCII).decode(*_ENCODING)):
            try:
                replacement = self._non_ascii[ch]
            except KeyError:
                replacement = self._non_ascii[ch] = self._replacement(ch)
            if replacement is not None:
                data = data.replace(ch.encode(*_ENCODING), replacement)
        return data

    def _replacement(self, ch: str) -> bytes | None:
        """What one non-ASCII character becomes before the table applies (None: itself)."""
        out = []
        for c in ch.lower():
            kind = _kind(c)
            out.append(" " if kind == "s" else "\x01" if kind == "n" and c not in self._kept and not c.isascii() else c)
        replacement = "".join(out)
        return None if replacement == ch else replacement.encode(*_ENCODING)

    def _values(self, encoded: str) -> set:
        """Values of the terms in ``encoded``, with the probes found (see the class docstring)."""
        return set(map(_SECOND, self._automaton.iter(encoded))) if len(self._automaton) else set()

    def find_normalised(self, text: str) -> set[T]:
        """Values of all terms in ``text``, which must already be ``normalise``d."""
        values = self._values(self._encode(text))
        if self._hidden:
            values -= self._hidden
        return values

    def find(self, text: str) -> set[T]:
        """Values of all terms occurring in raw ``text`` (HTML and case are handled).

        Short texts (titles: the same few thousand recur all day) are remembered, a bounded number.
        """
        if len(text) > _MEMO_CHARS:
            return self._find_text(as_text(text))
        found = self._memo.get(text)
        if found is None:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            found = self._memo[text] = frozenset(self._find_text(as_text(text)))
        return set(found)

    def _find_text(self, text: str) -> set[T]:
        values = self._values(self._encode(text))
        if self._exact is None:
            return values
        probed = values & self._probe_values
        if probed or self._always:
            values -= self._hidden
            forms = [*self._always, *(form for marker in probed for form in self._probes[marker])]
            values.update(value for _s, _e, value in self._exact.spans(text, forms))
        return values

    def find_spans_normalised(self, text: str) -> list[tuple[int, int, T]]:
        """``(start, end, value)`` of each term occurrence in normalised ``text``, by position.

        Same whole-word rules as ``find_normalised``; where occurrences overlap the longest
        (then the leftmost) wins, so "deep learning" is one span, not also "learning".
        """
        if not self._forms:
            return []
        if self._spans_automaton is None:
            self._spans_automaton = self._build(lambda form, value: (len(form), value))
        encoded = self._encode(text)
        ascii_only = text.isascii()
        hits: list[tuple[int, int, T]] = []
        for end, (length, value) in self._spans_automaton.iter(encoded):
            # encoded[1:end] holds whole characters up to the term's last: count the text's ones
            # (each kept or _OTHER character brought two spaces with it).
            prefix = encoded[1:end]
            chars = len(prefix) if ascii_only else len(prefix.encode("latin-1").decode(*_ENCODING))
            stop = chars - 2 * sum(prefix.count(mark) for mark in self._marks)
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
        return self.find_spans_readable(readable(text))

    def find_spans_readable(self, shown: str) -> list[tuple[int, int, T]]:
        """Spans of the terms in ``shown``, text already made readable, as offsets into it (case kept).

        Markup is not removed a second time: a readable text may hold a literal ``<ORGANIZATION>``
        (an entity decoded, or a placeholder in labelled data) that ``readable`` would strip again.
        """
        lowered = shown.lower()
        if len(lowered) == len(shown):
            found = self.find_spans_normalised(lowered)
        else:  # a few characters lower-case to two (e.g. "İ"): match on the lowered text, map back
            back = [i for i, ch in enumerate(shown) for _ in ch.lower()] + [len(shown)]
            found = [(back[s], back[e - 1] + 1, v) for s, e, v in self.find_spans_normalised(lowered)]
        if self._exact is None:
            return found
        extra = self._exact.spans(shown)
        extra = [h for h in extra if all(h[1] <= s or h[0] >= e for s, e, _ in found)]  # longer terms win
        return sorted(found + extra, key=lambda h: h[0]) if extra else found

    @classmethod
    def from_groups(cls, groups: Iterable[tuple[T, Iterable[str]]],
                    exact: Iterable[tuple[T, Iterable[str]]] = ()) -> "PhraseMatcher[T]":
        """Build from ``(value, [surface forms])`` pairs (and ``exact``: case-exact forms the same
        way); a form claimed twice is an error."""
        exact_terms: dict[str, T] = {}
        for value, forms in exact:
            for form in forms:
                if form in exact_terms and exact_terms[form] != value:
                    raise ValueError(f"exact term {form!r} is claimed by both {exact_terms[form]!r} and {value!r}")
                exact_terms[form] = value
        terms: dict[str, T] = {}
        for value, forms in groups:
            for form in forms:
                key = normalise(form).strip()
                if key in terms and terms[key] != value:
                    raise ValueError(f"term {form!r} is claimed by both {terms[key]!r} and {value!r}")
                terms[key] = value
        return cls(terms, exact_terms)
