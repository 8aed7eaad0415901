"""A BIO token classifier as the model, end to end with real processes: ``batch train`` on CoNLL
labels, ``skillpulse spans`` (model, hybrid), ``batch evaluate``, ``batch promote``.

The model is a tiny BERT built here with jjzha's label scheme (B, I, O): nothing is downloaded.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import tinybert

pytestmark = pytest.mark.slow
LINES = [{"text": "We need Terraform experience."},
         "not json",
         {"description": "The stack includes Scala and Airflow.", "title": "Data engineer"},
         {"text": "Our team uses Haskell,  Snowflake\nand Elixir; Python too."}]


def run(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skillpulse.cli", *args], input=stdin.encode(), capture_output=True,
                          timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})


def jsonl(rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("tagger")
    base = tinybert.build(root / "base")
    labels = tinybert.conll(root / "labels.conll")
    out = root / "model"
    proc = run("batch", "train", "--labels", str(labels), "--output", str(out), "--base", str(base),
               "--epochs", "10", "--lr", "5e-3", "--batch-size", "8", "--holdout", "0.2", "--threads", "1")
    assert proc.returncode == 0, proc.stderr.decode()
    return root, out, labels, proc.stdout.decode()


def test_train_prints_held_out_scores_and_keeps_the_models_bio_labels(trained):
    _, out, _, stdout = trained
    assert "strict" in stdout and "loose" in stdout and str(out) in stdout
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {"0": "B", "1": "I", "2": "O"}  # fine-tuned head and all
    card = json.loads((out / "skillpulse.json").read_text())
    assert card["metrics"]["strict"]["f1"] >= 0.9 and card["metrics"]["test_postings"] > 0


def test_token_tagger_predicts_character_spans(trained):
    from skillpulse.extraction.tagger import TokenTagger

    text = "Must know Kafka."
    (spans,) = TokenTagger(trained[1], threads=1).predict([text])
    assert [(s.start, s.end, s.text) for s in spans] == [(10, 15, "Kafka")]


def test_spans_command_model_lines_stay_aligned(trained):
    proc = run("spans", "--model", str(trained[1]), "--extractor", "model", "--threads", "1", stdin=jsonl(LINES))
    assert proc.returncode == 1  # one bad line
    assert "line 2" in proc.stderr.decode()
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(out) == len(LINES) and out[1] == {"spans": []}
    texts = [LINES[0]["text"], None, LINES[2]["description"], LINES[3]["text"]]
    found = [[s["text"] for s in line["spans"]] for line in out]
    assert found == [["Terraform"], [], ["Scala", "Airflow"], ["Haskell", "Snowflake", "Elixir"]]
    for text, line in zip(texts, out):
        for s in line["spans"]:
            assert text[s["start"]:s["end"]] == s["text"] and s["source"] == "model"


def test_spans_command_hybrid_adds_taxonomy_spans_and_maps_model_spans(trained):
    # --hybrid-min-score 0: every taxonomy span no model span overlaps stays (the default asks the model)
    proc = run("spans", "--model", str(trained[1]), "--threads", "1", "--hybrid-min-score", "0",
               stdin=jsonl([LINES[0], LINES[3]]))
    assert proc.returncode == 0, proc.stderr.decode()
    first, last = [json.loads(line)["spans"] for line in proc.stdout.decode().splitlines()]
    assert [(s["text"], s["skill"], s["source"]) for s in first] == [("Terraform", "terraform", "model")]
    by_text = {s["text"]: s for s in last}
    assert by_text["Python"]["source"] == "taxonomy" and by_text["Python"]["skill"] == "python"  # the model missed it
    assert by_text["Elixir"]["source"] == "model"
    assert all((s["skill"] is None) == (s["category"] is None) for s in last)


def test_evaluate_scores_any_extractor(trained):
    _, model, labels, _ = trained
    for extractor in ("model", "taxonomy"):
        proc = run("batch", "evaluate", "--labels", str(labels), "--model", str(model), "--extractor", extractor,
                   "--threads", "1")
        assert proc.returncode == 0, proc.stderr.decode()
        assert f"labels.conll: {extractor}" in proc.stdout.decode() and "strict" in proc.stdout.decode()


def test_promoted_model_is_what_spans_uses_by_default(trained, tmp_path):
    env = {"SKILLPULSE_DATA_DIR": str(tmp_path / "data")}
    proc = run("batch", "promote", str(trained[1]), "--version", "bootstrap", env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert (tmp_path / "data" / "models" / "bootstrap" / "config.json").is_file()
    proc = run("spans", stdin=jsonl([LINES[0]]), env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert [s["source"] for s in json.loads(proc.stdout)["spans"]] == ["model"]


def test_a_hub_id_that_cannot_be_loaded_is_a_clear_error():
    proc = run("spans", "--model", "no-such-org/no-such-tagger", stdin=jsonl([LINES[0]]))
    assert proc.returncode == 2
    assert "cannot load the token classifier 'no-such-org/no-such-tagger'" in proc.stderr.decode()


def test_a_description_is_read_sentence_by_sentence(trained):
    from skillpulse.extraction.tagger import TokenTagger, sentence_pieces

    text = "Must know Kafka. We use Airflow!\n\n  Scala too"
    assert sentence_pieces(text) == [(0, "Must know Kafka."), (17, "We use Airflow!"), (36, "Scala too")]
    tagger = TokenTagger(trained[1], threads=1, backend="torch")
    (whole,), (scores,) = tagger.predict_scored([text])
    alone = tagger.predict([piece for _, piece in sentence_pieces(text)])
    assert whole == [s._replace(start=s.start + o, end=s.end + o)
                     for (o, _), spans in zip(sentence_pieces(text), alone) for s in spans]
    assert all(text[s.start:s.end] == s.text for s in whole)  # offsets into the whole description
    assert {text[a:b] for a, b, _ in scores} >= {"Must", "Kafka", "Airflow", "Scala"}
    # A sentence repeated within a description or across descriptions is read once, found everywhere.
    again = "Must know Kafka. Must know Kafka."
    twice, other = tagger.predict([again, "Must know Kafka."])
    assert [(s.start, s.end) for s in twice] == [(10, 15), (27, 32)] and [(s.start, s.end) for s in other] == [(10, 15)]


def test_onnx_backends_give_the_torch_spans(trained, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from skillpulse.cli import app
    from skillpulse.extraction.tagger import TokenTagger

    out = shutil.copytree(trained[1], tmp_path / "model")  # the other tests keep a torch-only folder
    texts = ["Must know Kafka.", "Our team uses Haskell, Snowflake and Elixir (and Rust)."]
    want = TokenTagger(out, threads=1).predict(texts)
    result = CliRunner().invoke(app, ["batch", "export-onnx", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "model.onnx").is_file() and (out / "model.int8.onnx").is_file()
    assert result.output.count("fused: Attention=2,") == 2, result.output  # one fused attention node per layer
    assert TokenTagger(out, threads=1).backend == "onnx-int8"  # auto: the int8 graph when present
    spans, scores = TokenTagger(out, threads=1, backend="torch").predict_scored(texts)
    assert spans == want
    kafka = next(p for s, e, p in scores[0] if texts[0][s:e] == "Kafka")
    assert kafka > 0.5 > max(p for s, e, p in scores[0] if texts[0][s:e] == "Must")  # word skill probabilities
    assert TokenTagger(out, threads=1, backend="onnx").predict(texts) == want
    assert TokenTagger(out, threads=1, backend="onnx-int8").predict(texts[:1]) == want[:1]


def test_a_graph_the_optimizer_cannot_fuse_stays_plain_and_runs(trained, tmp_path):
    """sdpa attention exports a mask the transformer optimizer does not fuse: the plain graph is
    kept, said in a warning, and runs as graphs exported before the fusion do (no metadata)."""
    import shutil

    from skillpulse.extraction.onnx_model import export_onnx, fuse_graph, graph_fusions
    from skillpulse.extraction.tagger import TokenTagger

    out = shutil.copytree(trained[1], tmp_path / "model")
    torch_tagger = TokenTagger(out, threads=1, backend="torch")
    texts = ["Must know Kafka.", "Our team uses Haskell, Snowflake and Elixir (and Rust)."]
    (graph,) = export_onnx(torch_tagger.model, out, quantize=False, optimize=False)
    before = graph.read_bytes()
    with pytest.warns(UserWarning, match="fused no attention layer"):
        assert fuse_graph(graph, torch_tagger.model.config) == {}
    assert graph.read_bytes() == before and graph_fusions(graph) == ""
    tagger = TokenTagger(out, threads=1, backend="onnx")
    assert tagger._runner.fused == "" and tagger.predict(texts) == torch_tagger.predict(texts)


def test_onnx_backend_without_a_graph_says_what_to_do(tmp_path):
    from skillpulse.extraction.tagger import TokenTagger

    folder = tinybert.build(tmp_path / "bare")
    with pytest.raises(RuntimeError, match="export-onnx"):
        TokenTagger(folder, threads=1, backend="onnx-int8")
