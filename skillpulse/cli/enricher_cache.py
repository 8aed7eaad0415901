"""The enricher ``skillpulse enrich`` starts with: taxonomy and rules compiled once, kept in the cache.

Building the matchers (YAML parse, Aho-Corasick automata over every label) is most of what a short
``skillpulse enrich`` run would spend before its first posting; unpickling the built objects takes
a tenth of it and needs no YAML parser. The file is keyed by a hash of everything the built objects
depend on: the taxonomy and rules files' bytes, the source of the code that builds them
(``skillpulse/domain``, ``schemas/postings.py``), the Python version and the pyahocorasick binary.
Any change there is a new key, so a stale file is never read; a missing, unreadable or unwritable
cache only means building as before. The folder is the user's own (``SKILLPULSE_CACHE_DIR``), as
trusted as the installed code: pickles are only ever read from there.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

from skillpulse.domain.enrich import Enricher

KEEP = 8  # compiled taxonomies kept in the folder (most recent), older ones are removed on a write


def _fingerprint(*sources: bytes) -> str:
    """Hash of ``sources`` and of the code and binaries the compiled objects depend on."""
    import ahocorasick

    import schemas.postings
    import skillpulse.domain

    digest = hashlib.sha256()
    digest.update(sys.version.encode())
    binary = os.stat(ahocorasick.__file__)
    digest.update(f"{binary.st_size}:{binary.st_mtime_ns}".encode())
    code = [*sorted(Path(skillpulse.domain.__file__).parent.glob("*.py")), Path(schemas.postings.__file__)]
    for path in code:
        digest.update(path.read_bytes())
    for source in sources:
        digest.update(len(source).to_bytes(8, "big"))
        digest.update(source)
    return digest.hexdigest()[:32]


def cached_enricher(pipeline_version: str, taxonomy_path: str | Path | None, cache_dir: Path) -> Enricher:
    """An enricher over the packaged (or given) taxonomy and the packaged rules, compiled from the
    cache under ``cache_dir/taxonomy`` when it holds them, else built and stored there."""
    from skillpulse.domain.rules import rules_from_data, rules_source
    from skillpulse.domain.taxonomy import read_yaml, taxonomy_from_data, taxonomy_source

    taxonomy_text, rules_text = taxonomy_source(taxonomy_path), rules_source()
    folder = Path(cache_dir) / "taxonomy"
    path = folder / f"compiled-{_fingerprint(taxonomy_text, rules_text)}.pickle"
    try:
        taxonomy, rules = pickle.loads(path.read_bytes())
    except Exception:  # noqa: BLE001 (absent, unreadable or damaged: build it)
        taxonomy = taxonomy_from_data(read_yaml(taxonomy_text.decode("utf-8")))
        rules = rules_from_data(read_yaml(rules_text.decode("utf-8")))
        _store(path, pickle.dumps((taxonomy, rules), protocol=pickle.HIGHEST_PROTOCOL))
    return Enricher(taxonomy, rules, pipeline_version)


def _store(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a reader sees the whole file or none); keep the
    ``KEEP`` newest compiled files. Failing to write is not an error: the next run builds again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".compiled-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        older = sorted(path.parent.glob("compiled-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in older[KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass
