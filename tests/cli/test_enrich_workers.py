"""``skillpulse enrich`` on inputs of several chunks: the same output whatever the number of workers."""
from __future__ import annotations

import json

from skillpulse.cli.enrich import CHUNK_LINES
from test_enrich_command import LEAD, SEED, jsonl, run

N = CHUNK_LINES * 2 + 300  # three chunks


def _input(bad_at: set[int]) -> bytes:
    rows = []
    for i in range(1, N + 1):
        if i in bad_at:
            rows.append('{"title": "Broken", ')
        else:
            base = SEED if i % 2 else LEAD
            rows.append({**base, "title": f"{base['title']} {i}", "description": base["description"] + f" ({i})"})
    return jsonl(*rows).encode()


def test_workers_keep_order_and_output():
    data = _input(bad_at={5, CHUNK_LINES + 7, N})
    one = run("enrich", "--workers", "1", stdin=data, check_rc=1)
    two = run("enrich", "--workers", "2", stdin=data, check_rc=1)
    assert two.stdout == one.stdout
    assert two.stderr == one.stderr
    titles = [json.loads(line)["title"] for line in two.stdout.decode().splitlines()]
    assert len(titles) == N - 3
    assert titles[:5] == [f"{SEED['title']} 1", f"{LEAD['title']} 2", f"{SEED['title']} 3",
                          f"{LEAD['title']} 4", f"{LEAD['title']} 6"]  # line 5 was bad
    err = two.stderr.decode()
    assert "line 5: invalid JSON" in err and f"line {CHUNK_LINES + 7}: invalid JSON" in err
    assert f"line {N}: invalid JSON" in err and "3 bad line(s) skipped" in err


def test_strict_stops_at_a_bad_line_in_a_later_chunk():
    bad = CHUNK_LINES + 7
    proc = run("enrich", "--strict", "--workers", "2", stdin=_input(bad_at={bad}), check_rc=1)
    assert len(proc.stdout.decode().splitlines()) == bad - 1  # every line before it, none after
    err = proc.stderr.decode()
    assert f"line {bad}: invalid JSON" in err and "--strict" in err
