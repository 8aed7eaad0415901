"""Fine-tune a token-classification skill extractor (BIO tags) from the offline MiniLM encoder.

Labels are character spans over the readable text; the fast tokenizer's offsets align them to
tokens (``skillpulse.extraction.bio``). Long ads are cut into 128-token windows with overlap, so nothing is lost
at inference and training stays fast on 2 CPU cores. Plain torch loop: no Trainer, no accelerate.
"""
from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from skillpulse.extraction.bio import IGNORE, LABELS, Span, spans_to_tags
from skillpulse.extraction.metrics import span_metrics
from skillpulse.extraction.tagger import (MAX_LENGTH, META_FILE, STRIDE, TokenTagger, _encode, _pad, default_encoder,
                                         offline, set_threads)

CLASS_WEIGHTS = (1.0, 3.0, 3.0)  # O, B-SKILL, I-SKILL


def is_test_key(posting_key: str, test_share: float = 0.2) -> bool:
    """Deterministic split by posting: the key's hash decides, so a posting never switches sides."""
    import hashlib

    bucket = int(hashlib.sha256(("split:" + posting_key).encode()).hexdigest()[:8], 16) % 1000
    return bucket < int(test_share * 1000)


@dataclass
class Example:
    """A labelled document: key, readable text, gold spans."""

    posting_key: str
    text: str
    spans: Sequence[Span]


@dataclass
class TrainResult:
    path: Path
    base_model: str
    metrics: dict
    train_size: int
    test_size: int
    seconds: float
    losses: list[float] = field(default_factory=list)


def train(examples: Sequence[Example], out_dir: str | Path, *, base_model: str | None = None,
          epochs: int = 3, batch_size: int = 8, lr: float = 2e-4, seed: int = 42, test_share: float = 0.2,
          threads: int | None = None, on_step: Callable[[int, int, float], None] | None = None,
          meta: dict | None = None) -> TrainResult:
    """Fine-tune on the training postings, evaluate on the held-out ones, save to ``out_dir``.

    ``on_step(done, total, loss)`` reports progress. Raises ``ValueError`` when either side of the
    split is empty (label more postings).
    """
    offline()
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, get_linear_schedule_with_warmup

    base_model = base_model or default_encoder()
    started = time.perf_counter()
    set_threads(threads)
    random.seed(seed)
    torch.manual_seed(seed)

    train_ex = [e for e in examples if not is_test_key(e.posting_key, test_share)]
    test_ex = [e for e in examples if is_test_key(e.posting_key, test_share)]
    if not train_ex or not test_ex:
        raise ValueError(f"need labelled postings on both sides of the split (train {len(train_ex)}, "
                         f"test {len(test_ex)}); label more postings (--sample) or widen the window (--weeks)")

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    if not tokenizer.is_fast:
        raise RuntimeError(f"{base_model}: a fast tokenizer is needed for character offsets")
    model = AutoModelForTokenClassification.from_pretrained(
        base_model, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={name: i for i, name in enumerate(LABELS)})

    enc = _encode(tokenizer, [e.text for e in train_ex])
    chunks = []
    for c, owner in enumerate(enc["overflow_to_sample_mapping"]):
        offsets = enc["offset_mapping"][c]
        chunks.append({"input_ids": enc["input_ids"][c],
                       "labels": spans_to_tags(offsets, [(s.start, s.end) for s in train_ex[owner].spans])})
    rng = random.Random(seed)
    steps_per_epoch = (len(chunks) + batch_size - 1) // batch_size
    total = steps_per_epoch * epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, max(1, total // 10), total)
    # Skills are a few percent of tokens: up-weight B/I so that a short run does not settle on "all O".
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(CLASS_WEIGHTS), ignore_index=IGNORE)
    model.train()
    losses: list[float] = []
    done = 0
    for _ in range(epochs):
        order = list(range(len(chunks)))
        rng.shuffle(order)
        for lo in range(0, len(order), batch_size):
            ids, mask, labels = _pad([chunks[i] for i in order[lo:lo + batch_size]], tokenizer.pad_token_id)
            logits = model(input_ids=ids, attention_mask=mask).logits
            loss = loss_fn(logits.view(-1, logits.shape[-1]), labels.view(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            done += 1
            if on_step:
                on_step(done, total, losses[-1])

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)

    tagger = TokenTagger.__new__(TokenTagger)  # reuse the in-memory model for evaluation
    tagger.path, tagger.tokenizer, tagger.model, tagger.batch_size, tagger._torch = out, tokenizer, model, 32, torch
    model.eval()
    predicted = tagger.predict([e.text for e in test_ex])
    metrics = span_metrics([e.spans for e in test_ex], predicted)
    metrics.update(train_postings=len(train_ex), test_postings=len(test_ex), train_windows=len(chunks),
                   epochs=epochs, final_loss=round(sum(losses[-5:]) / max(1, len(losses[-5:])), 4))
    seconds = time.perf_counter() - started
    info = {"base_model": base_model, "labels": list(LABELS), "max_length": MAX_LENGTH, "stride": STRIDE,
            "metrics": metrics, "test_keys": sorted(e.posting_key for e in test_ex),
            "train_seconds": round(seconds, 1), **(meta or {})}
    (out / META_FILE).write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    return TrainResult(out, base_model, metrics, len(train_ex), len(test_ex), seconds, losses)
