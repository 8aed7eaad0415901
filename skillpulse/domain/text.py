"""Text normalisation shared by every matcher: HTML read as text, lower case, single spaces.

Every step is linear in the length of the text, whatever it holds: postings are untrusted input,
and ``re.sub(r"<[^>]*>", ...)`` costs quadratic time on a text of many ``<`` without ``>`` (each
``<`` scans to the end), seconds to minutes on every redelivery of one hostile posting.
"""
from __future__ import annotations

import html


def strip_tags(text: str) -> str:
    """Each ``<…>`` tag replaced by a space, in one left-to-right pass (``str.find``, no regex).

    A ``<`` with no ``>`` after it is kept as text, as the regex ``<[^>]*>`` did.
    """
    if "<" not in text:
        return text
    out: list[str] = []
    pos, n = 0, len(text)
    while pos < n:
        start = text.find("<", pos)
        if start < 0:
            break
        end = text.find(">", start + 1)
        if end < 0:  # no tag closes from here on: the rest is text (and no later "<" can close either)
            break
        out.append(text[pos:start])
        out.append(" ")
        pos = end + 1
    out.append(text[pos:])
    return "".join(out)


def collapse_space(text: str) -> str:
    """Runs of white space (as ``str.split`` sees it) replaced by one space; ends kept as one space."""
    if not text:
        return text
    inner = " ".join(text.split())
    lead = " " if text[0].isspace() else ""
    trail = " " if text[-1].isspace() and inner else ""
    if not inner:
        return " "
    return lead + inner + trail


def _decoded(text: str) -> str:
    if "<" in text or "&" in text:
        text = html.unescape(strip_tags(text))
    return text


def normalise(text: str) -> str:
    """Lower-cased text with tags removed, entities decoded and white space collapsed.

    Phrases then match across line breaks and markup (``machine<br>learning``).
    """
    return collapse_space(_decoded(text).lower())


def readable(text: str) -> str:
    """As ``normalise`` but keeping case: the text span labels and the skill extractor refer to.

    ``normalise(t) == readable(t).lower()`` for every ``t``, so offsets found on the normalised
    form point at the same characters here (``PhraseMatcher.find_spans`` relies on it).
    """
    return collapse_space(_decoded(text))
