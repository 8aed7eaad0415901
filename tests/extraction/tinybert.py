"""A tiny BERT token classifier built on the spot (no download): the same shape as the seed's
``jjzha/jobbert_*_extraction`` models (a BERT with labels B, I, O), a few kilobytes of weights."""
from __future__ import annotations

from pathlib import Path

SKILLS = ["elixir", "haskell", "terraform", "kafka", "snowflake", "airflow", "rust", "scala"]
FILLER = ["we", "need", "you", "will", "work", "with", "daily", "and", "are", "a", "plus", "experience", "in",
          "our", "team", "uses", "strong", "skills", "must", "know", "the", "stack", "includes", "is", "great",
          "nice", "to", "have", "good", "at", ",", "."]
TEMPLATES = ["we need {a} experience .", "{a} and {b} are a plus .", "you will work with {a} daily .",
             "our team uses {a} , {b} and {c} .", "must know {a} .", "the stack includes {a} and {b} ."]


def build(folder: Path, labels=("B", "I", "O")) -> Path:
    """Save a random tiny BERT with ``labels`` (jjzha's order by default) and its tokenizer to ``folder``."""
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *FILLER, *SKILLS]
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(words)}, do_lower_case=True)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=64, num_hidden_layers=2, num_attention_heads=2, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0,
                        intermediate_size=128, max_position_embeddings=128, num_labels=len(labels),
                        id2label=dict(enumerate(labels)), label2id={n: i for i, n in enumerate(labels)})
    BertForTokenClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def conll(path: Path, n: int = 120) -> Path:
    """``n`` templated sentences, skills tagged B-Knowledge in the second column (SkillSpan's layout)."""
    rows = []
    for i in range(n):
        template = TEMPLATES[i % len(TEMPLATES)]
        picks = {k: SKILLS[(i * 3 + j) % len(SKILLS)] for j, k in enumerate("abc")}
        for word in template.format(**picks).split():
            tag = "B-Knowledge" if word in SKILLS else "O"
            rows.append(f"{word.capitalize() if tag != 'O' else word}\tO\t{tag}")
        rows.append("")
    path.write_text("\n".join(rows) + "\n")
    return path
