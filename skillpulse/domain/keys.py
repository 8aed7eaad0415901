"""The posting key: the seed's dedupe rule (title + company + location), as a stable hash."""
from __future__ import annotations

import hashlib
import unicodedata


def _norm(value: str | None) -> str:
    if not value:
        return ""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def posting_key(title: str, company: str | None, location: str | None) -> str:
    """32 hex chars of SHA-256 over normalised title, company and location.

    Case, Unicode form and white space do not change the key, so the same ad seen on two boards
    meets itself (and, as the Kafka message key, lands on the same partition).
    """
    joined = "\x1f".join((_norm(title), _norm(company), _norm(location)))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]
