"""Text normalisation shared by every matcher: HTML read as text, lower case, single spaces.

Everything here is linear in the text: tags are stripped by a scanner (a regex such as ``<[^>]*>``
rescans the rest of the text from every unclosed ``<``) and white space is collapsed by
``str.split``, which uses the same definition of white space as the regex ``\\s``.
"""
from __future__ import annotations

import html


def strip_tags(text: str) -> str:
    """``text`` with every ``<…>`` replaced by one space, in one left-to-right pass.

    Same result as ``re.sub(r"<[^>]*>", " ", text)``: each ``<`` closes at the first ``>`` after
    it; a ``<`` with no ``>`` after it (nor any later ``<``) is text.
    """
    start = text.find("<")
    if start < 0:
        return text
    parts = []
    done = 0
    while start >= 0:
        end = text.find(">", start + 1)
        if end < 0:  # no ">" from here on: no later "<" can close either
            break
        parts.append(text[done:start])
        parts.append(" ")
        done = end + 1
        start = text.find("<", done)
    parts.append(text[done:])
    return "".join(parts)


def as_text(text: str) -> str:
    """Tags removed and entities decoded (``<b>R&amp;D</b>`` -> `` R&D ``); case and spaces kept."""
    if "<" in text or "&" in text:
        return html.unescape(strip_tags(text))
    return text


def collapse_spaces(text: str) -> str:
    """Every run of white space as one space (``re.sub(r"\\s+", " ", text)``, without the regex)."""
    words = text.split()
    joined = " ".join(words)
    if not words:
        return " " if text else ""
    if text[0].isspace():
        joined = " " + joined
    if text[-1].isspace():
        joined += " "
    return joined


def normalise(text: str) -> str:
    """Lower-cased text with tags removed, entities decoded and white space collapsed.

    Phrases then match across line breaks and markup (``machine<br>learning``).
    """
    return collapse_spaces(as_text(text).lower())


def readable(text: str) -> str:
    """As ``normalise`` but keeping case: the text span labels and the skill extractor refer to.

    ``normalise(t) == readable(t).lower()`` for every ``t``, so offsets found on the normalised
    form point at the same characters here (``PhraseMatcher.find_spans`` relies on it).
    """
    return collapse_spaces(as_text(text))
