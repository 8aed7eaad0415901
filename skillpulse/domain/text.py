"""Text normalisation shared by every matcher: HTML read as text, lower case, single spaces.

Every step is linear in the length of the text, whatever it holds: postings are untrusted input,
and ``re.sub(r"<[^>]*>", ...)`` alone costs quadratic time on a text of many ``<`` without ``>``
(see ``strip_tags``). White space is collapsed by ``str.split``, which has the same definition of
white space as the regex ``\\s``.
"""
from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]*>")

# Characters that join letters and digits into one word: ``c++``, ``c#``, ``r&d``, ``snake_case``.
WORD_JOINERS = "&+#_"


def is_word_char(ch: str) -> bool:
    """True for a letter, a digit or one of ``WORD_JOINERS``: the one definition of a word character.

    Taxonomy matching, span labels and span snapping all cut words where this is False.
    """
    return ch.isalnum() or ch in WORD_JOINERS


def strip_tags(text: str) -> str:
    """``text`` with every ``<…>`` replaced by one space: ``re.sub(r"<[^>]*>", " ", text)``, in
    linear time.

    That regex alone is quadratic: from every ``<`` with no ``>`` after it, it scans to the end of
    the text. Here it runs only up to the last ``>``, where every ``<`` closes at the first ``>``
    after it (one scan in all); the rest holds no ``>``, so no tag, and is kept as it is.
    """
    last = text.rfind(">")
    if last < 0:
        return text
    return _TAG.sub(" ", text[: last + 1]) + text[last + 1 :]


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
