"""``skillpulse enrich`` as a user runs it: a real process, JSONL on stdin, enriched JSONL on stdout."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

SEED = {"title": "Senior Machine Learning Engineer",
        "description": "We are looking for a deep learning engineer with experience in PyTorch, Transformers, and "
                       "MLOps. Strong Python skills and familiar with AWS infrastructure.",
        "posted_date": "2023-01-15", "source": "LinkedIn"}
LEAD = {"title": "Lead ML Engineer",
        "description": "Seeking an experienced Lead ML Engineer to design, develop, and deploy machine learning models. "
                       "Must have expertise in Python, TensorFlow, Kubernetes, and MLOps practices. Lead a team of "
                       "data scientists and engineers.",
        "source": "LinkedIn", "url": "https://www.linkedin.com/jobs/123456789", "posted_date": "2023-01-15",
        "board_rank": 7}
SWEDISH = {"title": "Junior dataanalytiker", "description": "<p>Du har erfarenhet av <b>statistik</b> och SQL.</p>",
           "posted_date": "2024-03-04", "source": "jobtech", "company": "Kvant Labs AB", "location": "Solna"}


def run(*args: str, stdin: str | bytes, check_rc: int | None = None) -> subprocess.CompletedProcess:
    """Run the real command (same interpreter, so the same installed package)."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run([sys.executable, "-m", "skillpulse.cli", *args], input=data, capture_output=True,
                          timeout=120)
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stderr.decode()
    return proc


def jsonl(*rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)


def lines(proc) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


def test_round_trip_keeps_order_and_fields_and_adds_the_seeds_fields():
    proc = run("enrich", stdin=jsonl(SEED, LEAD, SWEDISH), check_rc=0)
    out = lines(proc)
    assert [o["title"] for o in out] == [SEED["title"], LEAD["title"], SWEDISH["title"]]  # same order
    seed, lead, swedish = out
    # seed 004's expected output
    assert seed["extracted_skills"] == ["aws", "deep learning", "mlops", "python", "pytorch", "transformers"]
    assert (seed["seniority_level"], seed["ai_relevance_score"]) == ("senior", 1.0)
    assert lead["extracted_skills"] == ["kubernetes", "machine learning", "mlops", "python", "tensorflow"]
    assert lead["seniority_level"] == "lead"
    # input fields are kept, unknown ones included, values untouched
    for given, got in ((SEED, seed), (LEAD, lead), (SWEDISH, swedish)):
        assert {k: got[k] for k in given} == given
    # Swedish terms inside HTML; "junior" -> entry; no AI keyword in the title -> 2/5 * 0.6
    assert swedish["extracted_skills"] == ["sql", "statistics"]
    assert (swedish["seniority_level"], swedish["ai_relevance_score"]) == ("entry", 0.24)
    for o in out:
        assert len(o["posting_key"]) == 32 and o["pipeline_version"] == "v1"
        assert o["skill_categories"] == sorted(o["skill_categories"])
    assert proc.stderr == b""


BAD_INPUT = jsonl(
    SEED,                                                   # line 1: good
    '{"title": "Broken", ',                                 # line 2: not JSON
    {k: v for k, v in SEED.items() if k != "title"},        # line 3: missing field
    {**SEED, "posted_date": "last tuesday"},                # line 4: wrong type
    '["a", "list"]',                                        # line 5: not an object
    {**SEED, "title": 42},                                  # line 6: wrong type
    LEAD,                                                   # line 7: good
) + "\n"                                                    # a blank line is not an error


def test_bad_lines_are_reported_with_line_numbers_and_skipped():
    proc = run("enrich", stdin=BAD_INPUT, check_rc=1)
    assert [o["title"] for o in lines(proc)] == [SEED["title"], LEAD["title"]]  # good lines still come out
    err = proc.stderr.decode()
    assert "line 2: invalid JSON" in err
    assert "line 3: title: Field required" in err
    assert "line 4: posted_date:" in err
    assert "line 5: (message): expected a JSON object" in err
    assert "line 6: title:" in err
    assert "line 1:" not in err and "line 7:" not in err and "line 8:" not in err
    assert "5 bad line(s)" in err


def test_strict_stops_at_the_first_bad_line():
    proc = run("enrich", "--strict", stdin=BAD_INPUT, check_rc=1)
    assert [o["title"] for o in lines(proc)] == [SEED["title"]]
    err = proc.stderr.decode()
    assert "line 2: invalid JSON" in err and "line 3" not in err
    assert "--strict" in err  # says how to carry on instead


@pytest.mark.parametrize("stdin", [b"", b"\n\n  \n"])
def test_empty_input_is_fine(stdin):
    proc = run("enrich", stdin=stdin, check_rc=0)
    assert proc.stdout == b"" and proc.stderr == b""


def test_non_utf8_line_is_a_bad_line_not_a_crash():
    proc = run("enrich", stdin=jsonl(SEED).encode() + b'{"title": "\xff"}\n', check_rc=1)
    assert len(lines(proc)) == 1
    assert "line 2:" in proc.stderr.decode()


def test_pipeline_version_and_taxonomy_options(tmp_path):
    taxonomy = tmp_path / "toy.yaml"
    taxonomy.write_text("categories:\n  data_science:\n    - {name: python}\n", encoding="utf-8")
    out = lines(run("enrich", "--pipeline-version", "v9", "--taxonomy", str(taxonomy), stdin=jsonl(SEED), check_rc=0))
    assert out[0]["pipeline_version"] == "v9"
    assert out[0]["extracted_skills"] == ["python"]  # only the given taxonomy's skills


def test_synthetic_postings_flow_through_enrich():
    # The two commands compose: produce synthetic -o - | enrich. Every row survives, duplicates
    # (re-posts on other boards) share their posting_key.
    produced = run("produce", "synthetic", "--count", "300", "--seed", "4", "--end-date", "2026-11-22",
                   "--output", "-", stdin=b"", check_rc=0)
    proc = run("enrich", stdin=produced.stdout, check_rc=0)
    out = lines(proc)
    assert len(out) == 300
    keys = Counter(o["posting_key"] for o in out)
    assert sum(n - 1 for n in keys.values()) == 30  # round(300 * 0.1) re-posts
    assert sum(1 for o in out if o["extracted_skills"]) > 270
