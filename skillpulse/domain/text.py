"""Text normalisation shared by every matcher: HTML read as text, lower case, single spaces."""
from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower-cased text with tags removed, entities decoded and white space collapsed.

    Phrases then match across line breaks and markup (``machine<br>learning``).
    """
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text.lower())


def readable(text: str) -> str:
    """As ``normalise`` but keeping case: the text span labels and the skill extractor refer to.

    ``normalise(t) == readable(t).lower()`` for every ``t``, so offsets found on the normalised
    form point at the same characters here (``PhraseMatcher.find_spans`` relies on it).
    """
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text)
