"""Character spans <-> BIO token tags (pure; no torch).

Offsets are those of a fast tokenizer (``return_offsets_mapping``): special tokens carry ``(0, 0)``
and get the ignore label. Every sub-token of a skill is tagged (B on the first, I after), so a
span survives any word-piece split; decoding snaps spans back to whole words.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

O, B, I = 0, 1, 2  # noqa: E741  the three tags of a single "SKILL" entity type
LABELS = ("O", "B-SKILL", "I-SKILL")
IGNORE = -100  # torch's CrossEntropyLoss ignore_index


class Span(NamedTuple):
    """A skill mention: ``text[start:end]`` of the readable description, and its skill name."""

    start: int
    end: int
    text: str
    skill: str = ""


def spans_to_tags(offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]) -> list[int]:
    """One tag per token: B for the first token inside a span, I for the next ones, O outside.

    A token is inside a span when its characters overlap it; special tokens get ``IGNORE``.
    """
    ordered = sorted((s[0], s[1]) for s in spans)
    tags: list[int] = []
    current = -1  # index of the span the previous token belonged to
    j = 0
    for start, end in offsets:
        if start == end:
            tags.append(IGNORE)
            continue
        while j < len(ordered) and ordered[j][1] <= start:
            j += 1
        if j < len(ordered) and ordered[j][0] < end:
            tags.append(I if current == j else B)
            current = j
        else:
            tags.append(O)
            current = -1
    return tags


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch in "+#"


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` to whole words (a span never cuts a word) and trim spaces/punctuation."""
    while start > 0 and _is_word(text[start - 1]) and _is_word(text[start]):
        start -= 1
    while end < len(text) and _is_word(text[end - 1]) and _is_word(text[end]):
        end += 1
    while start < end and not (_is_word(text[start])):
        start += 1
    while end > start and not (_is_word(text[end - 1])):
        end -= 1
    return start, end


def tags_to_spans(text: str, offsets: Sequence[tuple[int, int]], tags: Sequence[int]) -> list[Span]:
    """Decode token tags into word-aligned spans of ``text`` (an I after O opens a span too)."""
    spans: list[Span] = []
    open_start = open_end = -1

    def close() -> None:
        if open_start < 0:
            return
        s, e = snap_to_words(text, open_start, open_end)
        if e <= s:
            return
        if spans and s < spans[-1].end:  # snapped into the previous span's word: one span
            prev = spans.pop()
            s, e = prev.start, max(e, prev.end)
        spans.append(Span(s, e, text[s:e]))

    for (start, end), tag in zip(offsets, tags):
        if start == end or tag == IGNORE:
            continue
        if tag == B or (tag == I and open_start < 0):
            close()
            open_start, open_end = start, end
        elif tag == I:
            open_end = end
        else:
            close()
            open_start = -1
    close()
    return spans
