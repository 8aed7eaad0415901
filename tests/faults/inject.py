"""Fault injection for worker subprocesses: ``python tests/faults/inject.py worker …``.

Installs one fault the real code cannot be made to hit on demand, then runs ``skillpulse``: the
enricher raises on postings whose title holds ``ENRICH-CRASH`` (a bug in an extractor, say). Every
other fault in the suite is real: kill -9, a stopped broker, a locked chDB directory, hostile
messages, a ClickHouse CHECK constraint that the server enforces.
"""
from __future__ import annotations

import sys
from pathlib import Path

CRASH_MARK = "ENRICH-CRASH"


def install() -> None:
    from skillpulse.domain import enrich

    original = enrich.Enricher.enrich_many

    def enrich_many(self, raws):
        for raw in raws:
            if CRASH_MARK in raw.title:
                raise RuntimeError(f"injected enricher fault on {raw.title!r}")
        return original(self, raws)

    enrich.Enricher.enrich_many = enrich_many


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    install()
    from skillpulse.cli import app

    sys.argv[0] = "skillpulse"
    app()
