"""Knowledge distillation in ``batch train`` (``--teacher``): the teachers' soft tags are learnt, the
recipe is untouched without them, and a teacher that reads text or labels differently is refused.

Tiny BERTs built here (``tinybert``), trained in-process for a few steps: nothing is downloaded.
"""
from __future__ import annotations

import json

import pytest
import tinybert

pytestmark = pytest.mark.slow
RECIPE = {"epochs": 4, "batch_size": 8, "lr": 5e-3, "test_share": 0.2, "threads": 1, "seed": 42}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(root, base encoder, examples, a teacher that tags every word B)."""
    import torch
    from transformers import BertForTokenClassification

    from batch.train import examples_from_labels

    root = tmp_path_factory.mktemp("distill")
    base = tinybert.build(root / "base")
    examples, _ = examples_from_labels([tinybert.conll(root / "labels.conll", n=60)])
    teacher = tinybert.build(root / "all_b")
    model = BertForTokenClassification.from_pretrained(teacher)
    with torch.no_grad():  # labels B, I, O: a head that says B whatever it reads
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([6.0, 0.0, 0.0]))
    model.save_pretrained(teacher)
    return root, base, examples, teacher


def test_a_student_with_alpha_one_learns_the_teachers_tags_and_the_card_says_so(setup):
    from batch.train import train
    from skillpulse.extraction.tagger import TokenTagger

    root, base, examples, teacher = setup
    out = root / "student"
    result = train(examples, out, base_model=base, teachers=[teacher], distill_alpha=1.0, distill_temperature=1.0,
                   **RECIPE)
    # gold says only "Kafka"; the teacher says every word, and alpha 1 listens to the teacher alone
    (spans,) = TokenTagger(out, threads=1, backend="torch").predict(["Must know Kafka ."])
    assert {"Must", "know"} <= {s.text for s in spans}
    assert result.metrics["strict"]["precision"] < 0.5
    card = json.loads((out / "skillpulse.json").read_text())
    assert card["distill"]["teachers"] == [str(teacher)]
    assert card["distill"]["alpha"] == 1.0 and card["distill"]["temperature"] == 1.0


def test_alpha_zero_is_the_plain_recipe_step_for_step(setup):
    """The teachers' pass leaves the student's random stream alone: with alpha 0 the losses are the
    teacher-free run's, bit for bit (and the teacher-free run has no distillation entry)."""
    from batch.train import train

    root, base, examples, teacher = setup
    plain = train(examples, root / "plain", base_model=base, **RECIPE)
    zero = train(examples, root / "zero", base_model=base, teachers=[teacher], distill_alpha=0.0, **RECIPE)
    assert zero.losses == plain.losses
    assert "distill" not in json.loads((root / "plain" / "skillpulse.json").read_text())


def test_a_teacher_with_other_labels_or_another_tokenizer_is_refused(setup, tmp_path):
    from transformers import BertTokenizerFast
    from typer.testing import CliRunner

    from batch.train import train
    from skillpulse.cli import app

    root, base, examples, _ = setup
    typed = tinybert.build(tmp_path / "typed", labels=("O", "B-Knowledge", "I-Knowledge"))
    with pytest.raises(ValueError, match=r"teacher .*typed: its labels \['O', 'B-Knowledge', 'I-Knowledge'\] differ"):
        train(examples, tmp_path / "out", base_model=base, teachers=[typed], **RECIPE)
    other = tinybert.build(tmp_path / "other_vocab")
    vocab = json.loads(BertTokenizerFast.from_pretrained(other).backend_tokenizer.to_str())["model"]["vocab"]
    BertTokenizerFast(vocab={**vocab, "python": len(vocab)}, do_lower_case=True).save_pretrained(other)
    with pytest.raises(ValueError, match="its tokenizer differs from the student's"):
        train(examples, tmp_path / "out", base_model=base, teachers=[other], **RECIPE)
    assert not (tmp_path / "out").exists()  # refused before any training
    # the command says it in one line and exits 2
    result = CliRunner().invoke(app, ["batch", "train", "--labels", str(root / "labels.conll"), "--output",
                                      str(tmp_path / "cli"), "--base", str(base), "--threads", "1",
                                      "--teacher", str(typed)])
    assert result.exit_code == 2 and "differ from the student's" in result.output
    help_text = CliRunner().invoke(app, ["batch", "train", "--help"], env={"COLUMNS": "200"}).output
    assert "--teacher" in help_text and "--distill-alpha" in help_text and "--distill-temperature" in help_text
    assert "inference cost" in help_text
