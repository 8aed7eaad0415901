"""Dashboard fixtures: a real chDB database filled with enriched synthetic postings.

chDB hosts one engine per process, so each fixture opens its database for one test module and
closes every client at teardown (other areas' tests open their own paths in the same process).
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from dashkit import enriched_postings, open_db, unique_by_key


@pytest.fixture(scope="module")
def filled_db(tmp_path_factory) -> Iterator[tuple[object, list]]:
    """``(client, unique postings)``: 1,200 synthetic postings over 10 weeks plus batch output."""
    postings = enriched_postings()
    client = open_db(tmp_path_factory.mktemp("dash") / "ch", postings, clusters=True)
    try:
        yield client, unique_by_key(postings)
    finally:
        client.close()


