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

from skillpulse.extraction.bio import (IGNORE, O, Scheme, Span, first_subtoken_only, scheme_from_names, snap_to_words,
                                      spans_to_tags, typed_labels)
from skillpulse.extraction.metrics import span_metrics
from skillpulse.extraction.onnx_model import remove_onnx
from skillpulse.extraction.tagger import (MAX_LENGTH, META_FILE, STRIDE, TokenTagger, _encode, _pad, default_encoder,
                                         offline, set_threads)

CLASS_WEIGHT = 3.0  # weight of B/I tokens vs O (1.0): weak labels on few postings need it; real labels less
# Sections of a fast tokenizer's JSON that decide the ids of a text (truncation and padding are set per call).
_TOKENIZER_PARTS = ("added_tokens", "normalizer", "pre_tokenizer", "post_processor", "model")


def is_test_key(posting_key: str, test_share: float = 0.2) -> bool:
    """Deterministic split by posting: the key's hash decides, so a posting never switches sides."""
    import hashlib

    bucket = int(hashlib.sha256(("split:" + posting_key).encode()).hexdigest()[:8], 16) % 1000
    return bucket < int(test_share * 1000)


@dataclass
class Example:
    """A labelled document: key, readable text, gold spans (``Span.label`` = type for typed training)."""

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


def base_labels(base_model: str, layers: Sequence[str]) -> tuple[str, ...] | None:
    """The base model's own label names when it is already a BIO tagger for these span types (so
    fine-tuning keeps its head), else None (a new head is trained)."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(base_model)
    id2label = getattr(config, "id2label", None) or {}
    names = [id2label[i] for i in range(len(id2label))]
    try:
        scheme = scheme_from_names(names)
    except ValueError:
        return None
    types = tuple(dict.fromkeys(t for t in scheme.types if t))
    wanted = tuple(layers) if len(layers) > 1 else ()  # one type is as good as none
    return tuple(names) if types == wanted else None


def length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of windows of similar length, in random order: little padding, still shuffled.

    Shuffle, stable-sort by length (equal lengths mix differently each epoch), cut, shuffle the batches.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    order.sort(key=lambda i: lengths[i])
    batches = [order[lo:lo + batch_size] for lo in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def _typed(spans: Sequence[Span], scheme: Scheme) -> list[tuple]:
    return [(s.start, s.end, s.label) for s in spans] if scheme.typed else [(s.start, s.end) for s in spans]


def canonical_spans(example: Example) -> list[Span]:
    """The example's gold spans as decoding emits them (``snap_to_words``: edge punctuation trimmed,
    a closing bracket kept where the labels end on it), so the model is not taught to tag the
    comma after "TypeScript," that the tagger would trim anyway."""
    out: list[Span] = []
    for span in example.spans:
        start, end = snap_to_words(example.text, span.start, span.end)
        if end > start:
            out.append(span._replace(start=start, end=end, text=example.text[start:end]))
        else:
            out.append(span)
    return out


def evaluate_tagger(tagger: TokenTagger, examples: Sequence[Example]) -> dict:
    """Span metrics of ``tagger`` on ``examples``; per type as well when the model is typed."""
    predicted = tagger.predict([e.text for e in examples])
    metrics = span_metrics([e.spans for e in examples], predicted)
    if tagger.layers:
        metrics["layers"] = {layer: span_metrics([[s for s in e.spans if s.label == layer] for e in examples],
                                                 [[s for s in p if s.label == layer] for p in predicted])
                             for layer in tagger.layers}
    return metrics


def _tokenizer_parts(tokenizer) -> dict:
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    return {part: spec.get(part) for part in _TOKENIZER_PARTS}


def teacher_distributions(teachers: Sequence[str | Path], tokenizer, label_names: Sequence[str],
                          chunks: Sequence[dict], *, temperature: float = 2.0, batch_size: int = 32) -> list:
    """Mean of the teachers' ``softmax(logits / temperature)`` per window: one float32 array
    ``(tokens, labels)`` per chunk of ``chunks`` (their ``input_ids``), on the CPU.

    Each teacher is a BIO tagger folder that must read text as ``tokenizer`` does (same vocabulary,
    normaliser, pre-tokeniser, special tokens) and carry the same label names in the same order;
    otherwise ``ValueError`` says which differs. The teachers run once, in eval mode without
    gradients, on windows batched by similar length.
    """
    import numpy as np
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    if temperature <= 0:
        raise ValueError(f"the distillation temperature must be positive (got {temperature})")
    want_tokens = _tokenizer_parts(tokenizer)
    order = sorted(range(len(chunks)), key=lambda i: len(chunks[i]["input_ids"]))
    sums = [np.zeros((len(c["input_ids"]), len(label_names)), dtype=np.float32) for c in chunks]
    for teacher in teachers:
        try:
            teacher_tok = AutoTokenizer.from_pretrained(str(teacher))
            model = AutoModelForTokenClassification.from_pretrained(str(teacher))
        except (OSError, ValueError) as exc:
            raise ValueError(f"teacher {teacher}: cannot load a token classifier there ({exc})") from None
        if not teacher_tok.is_fast or _tokenizer_parts(teacher_tok) != want_tokens:
            differ = ([p for p in _TOKENIZER_PARTS if _tokenizer_parts(teacher_tok).get(p) != want_tokens[p]]
                      if teacher_tok.is_fast else ["not a fast tokenizer"])
            raise ValueError(f"teacher {teacher}: its tokenizer differs from the student's ({', '.join(differ)}); "
                             f"a teacher must be fine-tuned from the same base encoder")
        names = [model.config.id2label[i] for i in range(model.config.num_labels)]
        if names != list(label_names):
            raise ValueError(f"teacher {teacher}: its labels {names} differ from the student's {list(label_names)}; "
                             f"train the teachers with the same --layer")
        model.eval()
        with torch.inference_mode():
            for lo in range(0, len(order), batch_size):
                batch = order[lo:lo + batch_size]
                ids, mask, _ = _pad([{"input_ids": chunks[i]["input_ids"]} for i in batch], tokenizer.pad_token_id)
                probs = torch.softmax(model(input_ids=ids, attention_mask=mask).logits.float() / temperature, dim=-1)
                for row, i in enumerate(batch):
                    sums[i] += probs[row, :len(chunks[i]["input_ids"])].numpy()
        del model
    return [s / len(teachers) for s in sums]


def train(examples: Sequence[Example], out_dir: str | Path, *, base_model: str | None = None,
          epochs: int = 3, batch_size: int = 8, lr: float = 2e-4, seed: int = 42, test_share: float = 0.2,
          threads: int | None = None, on_step: Callable[[int, int, float], None] | None = None,
          meta: dict | None = None, layers: Sequence[str] = (), class_weight: float = CLASS_WEIGHT,
          first_subtoken: bool = False, teachers: Sequence[str | Path] = (), distill_alpha: float = 0.5,
          distill_temperature: float = 2.0) -> TrainResult:
    """Fine-tune on the training postings, evaluate on the held-out ones, save to ``out_dir``.

    ``base_model`` is an encoder (a new BIO head is trained) or a BIO tagger with the same span types
    (fine-tuned head and all: the weekly batch refines the promoted model this way). ``layers`` names
    the span types of a typed model (``Span.label``); empty for one untyped B/I/O layer. Batches hold
    windows of similar length. Gold spans are first put in the form decoding gives (``canonical_spans``).
    ``first_subtoken`` labels only each word's first sub-token (the others are ignored by the loss),
    as the tagger reads words at inference. ``on_step(done, total, loss)`` reports progress. Raises ``ValueError``
    when either side of the split is empty (label more postings).

    ``teachers`` (BIO tagger folders with the student's tokenizer and labels) turn on knowledge
    distillation: they score every training window once, and the loss becomes
    ``(1 - distill_alpha) * cross-entropy + distill_alpha * T**2 * KL(teachers || student)`` at
    temperature ``T = distill_temperature``, the teachers' distribution being the mean of their
    ``softmax(logits / T)``. The KL term covers the positions the cross-entropy counts (labelled
    sub-tokens: the ones decoding reads, and the ones the teachers were trained on). An ensemble's
    knowledge at one model's inference cost. Without teachers the loss is the plain cross-entropy.
    """
    offline()
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, get_linear_schedule_with_warmup

    base_model = str(base_model or default_encoder())
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
    layers = tuple(layers)
    kept = base_labels(base_model, layers)
    if kept is not None:
        model = AutoModelForTokenClassification.from_pretrained(base_model)
    else:
        names = typed_labels(layers)
        model = AutoModelForTokenClassification.from_pretrained(
            base_model, num_labels=len(names), id2label=dict(enumerate(names)),
            label2id={name: i for i, name in enumerate(names)}, ignore_mismatched_sizes=True)
    scheme = scheme_from_names([model.config.id2label[i] for i in range(model.config.num_labels)])

    enc = _encode(tokenizer, [e.text for e in train_ex])
    chunks = []
    for c, owner in enumerate(enc["overflow_to_sample_mapping"]):
        offsets = enc["offset_mapping"][c]
        tags = spans_to_tags(offsets, _typed(canonical_spans(train_ex[owner]), scheme), scheme)
        if first_subtoken:
            tags = first_subtoken_only(tags, enc.word_ids(c))
        chunks.append({"input_ids": enc["input_ids"][c], "labels": tags})
    teachers = [str(t) for t in teachers]
    soft = None
    teacher_seconds = 0.0
    if teachers:
        if not 0.0 <= distill_alpha <= 1.0:
            raise ValueError(f"the distillation weight alpha must be within [0, 1] (got {distill_alpha})")
        teacher_started = time.perf_counter()
        rng_state = torch.random.get_rng_state()  # loading the teachers must not change the student's run
        student_labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        soft = teacher_distributions(teachers, tokenizer, student_labels, chunks, temperature=distill_temperature,
                                     batch_size=2 * batch_size)
        torch.random.set_rng_state(rng_state)
        teacher_seconds = time.perf_counter() - teacher_started
    rng = random.Random(seed)
    lengths = [len(c["input_ids"]) for c in chunks]
    steps_per_epoch = (len(chunks) + batch_size - 1) // batch_size
    total = steps_per_epoch * epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, max(1, total // 10), total)
    # Skills are a few percent of tokens: up-weight B/I so that a short run does not settle on "all O".
    weights = torch.tensor([1.0 if kind == O else class_weight for kind in scheme.kinds])
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights, ignore_index=IGNORE)
    model.train()
    losses: list[float] = []
    done = 0
    for _ in range(epochs):
        for batch in length_batches(lengths, batch_size, rng):
            ids, mask, labels = _pad([chunks[i] for i in batch], tokenizer.pad_token_id)
            logits = model(input_ids=ids, attention_mask=mask).logits
            loss = loss_fn(logits.view(-1, logits.shape[-1]), labels.view(-1))
            if soft is not None:
                loss = (1.0 - distill_alpha) * loss + distill_alpha * _distill_term(
                    logits, [soft[i] for i in batch], labels, distill_temperature)
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
    remove_onnx(out)  # graphs of an earlier model in this folder would shadow the new weights
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)

    model.eval()
    metrics = evaluate_tagger(TokenTagger.from_model(model, tokenizer, out), test_ex)
    metrics.update(train_postings=len(train_ex), test_postings=len(test_ex), train_windows=len(chunks),
                   epochs=epochs, lr=lr, batch_size=batch_size, class_weight=class_weight,
                   first_subtoken=first_subtoken,
                   final_loss=round(sum(losses[-5:]) / max(1, len(losses[-5:])), 4))
    seconds = time.perf_counter() - started
    info = {"base_model": base_model, "labels": [model.config.id2label[i] for i in range(model.config.num_labels)],
            "layers": list(layers), "max_length": MAX_LENGTH, "stride": STRIDE,
            "metrics": metrics, "test_keys": sorted(e.posting_key for e in test_ex),
            "train_seconds": round(seconds, 1), **(meta or {})}
    if teachers:
        info["distill"] = {"teachers": teachers, "alpha": distill_alpha, "temperature": distill_temperature,
                           "kl_positions": "labelled", "teacher_seconds": round(teacher_seconds, 1)}
    (out / META_FILE).write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    return TrainResult(out, base_model, metrics, len(train_ex), len(test_ex), seconds, losses)


def _distill_term(logits, targets: Sequence, labels, temperature: float):
    """``T**2 * KL(teacher || student)`` at temperature ``T``, averaged over the labelled positions of the batch
    (``targets``: the teachers' mean soft distribution per window, unpadded)."""
    import numpy as np
    import torch

    target = np.zeros(tuple(logits.shape), dtype=np.float32)
    for row, t in enumerate(targets):
        target[row, :len(t)] = t
    target = torch.from_numpy(target)
    log_student = torch.log_softmax(logits / temperature, dim=-1)
    kl = (target * (torch.log(target.clamp_min(1e-12)) - log_student)).sum(-1)
    counted = (labels != IGNORE).to(kl.dtype)
    return temperature ** 2 * (kl * counted).sum() / counted.sum().clamp_min(1.0)


def examples_from_labels(paths: Sequence[str | Path], layer: str = "knowledge") -> tuple[list[Example], tuple[str, ...]]:
    """(examples, layers) from CoNLL or JSONL label files; keys ``<file>:<n>`` decide the held-out part.

    With ``layer="both"`` the model is typed (knowledge, skill) and a token has one tag, so where the two
    layers overlap (SkillSpan marks "Python" inside "develop in Python") the knowledge span is kept.
    """
    from skillpulse.extraction.labelled import layers_for, read_labels

    layers = layers_for(layer)
    examples: list[Example] = []
    for path in paths:
        for n, item in enumerate(read_labels(path, layers)):
            spans: list[Span] = []
            for kind in layers:  # knowledge first
                for (s, e), k in zip(item.spans, item.kinds or [layers[0]] * len(item.spans)):
                    if k == kind and all(e <= o.start or s >= o.end for o in spans):
                        spans.append(Span(s, e, item.text[s:e], label=k if len(layers) > 1 else ""))
            examples.append(Example(f"{Path(path).name}:{n}", item.text, sorted(spans)))
    return examples, layers
