"""``skillpulse spans`` with the taxonomy: a real process, JSONL in, one JSONL line out per line."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def run(*args: str, stdin: str, tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SKILLPULSE_SPAN_MODEL"}
    env["SKILLPULSE_DATA_DIR"] = str(tmp_path)  # no model anywhere: the taxonomy
    return subprocess.run([sys.executable, "-m", "skillpulse.cli", "spans", *args], input=stdin.encode(),
                          capture_output=True, timeout=120, env=env)


def test_spans_are_offsets_into_the_given_text_and_bad_lines_keep_their_place(tmp_path):
    text = "We use Python,  PyTorch\n and deep learning on AWS."
    stdin = "\n".join([json.dumps({"text": text}), "{broken", json.dumps({"title": "no text"}),
                       json.dumps({"description": "<p>Kubernetes &amp; MLOps</p>", "title": "raw posting"})]) + "\n"
    proc = run(stdin=stdin, tmp_path=tmp_path)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "line 2: not JSON" in err and "line 3: no \"text\"" in err
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(out) == 4 and out[1] == out[2] == {"spans": []}
    spans = out[0]["spans"]
    assert [(text[s["start"]:s["end"]], s["skill"], s["source"]) for s in spans] == [
        ("Python", "python", "taxonomy"), ("PyTorch", "pytorch", "taxonomy"),
        ("deep learning", "deep learning", "taxonomy"), ("AWS", "aws", "taxonomy")]
    assert all(s["category"] for s in spans)
    # HTML is read as text first: the line says which text its offsets refer to
    shown = out[3]["text"]
    assert [shown[s["start"]:s["end"]] for s in out[3]["spans"]] == ["Kubernetes", "MLOps"]


def test_model_extractor_without_a_model_says_what_to_do(tmp_path):
    proc = run("--extractor", "model", stdin='{"text": "Python"}\n', tmp_path=tmp_path)
    assert proc.returncode == 2
    assert "needs a model" in proc.stderr.decode() and "SKILLPULSE_SPAN_MODEL" in proc.stderr.decode()
