"""The tagger as an ONNX graph run by ONNX Runtime: export beside a model folder, load, run (CPU).

``batch train --onnx`` (and ``skillpulse batch export-onnx DIR``) writes ``model.onnx`` and its
int8 dynamic quantisation ``model.int8.onnx`` beside the saved model; ``TokenTagger`` runs the int8
graph by default when the folder has one (``backend="auto"``), or the one asked for (``onnx`` /
``onnx-int8``, ``--backend`` on the commands). Tokenizer and decoding stay the same; only the
logits come from ONNX Runtime.
"""
from __future__ import annotations

from pathlib import Path

ONNX_FILE = "model.onnx"
ONNX_INT8_FILE = "model.int8.onnx"
BACKENDS = ("torch", "torch-int8", "onnx", "onnx-int8")


def remove_onnx(folder: str | Path) -> None:
    """Delete a folder's ONNX graphs (a retrained model must not run a stale graph)."""
    for int8 in (False, True):
        onnx_file(folder, int8).unlink(missing_ok=True)


def auto_backend(folder: str | Path, quantize: bool = False) -> str:
    """``onnx-int8`` where the folder holds that graph and ONNX Runtime is installed, else torch
    (``torch-int8`` with ``quantize``)."""
    if onnx_file(folder, True).is_file():
        try:
            import onnxruntime  # noqa: F401
        except ImportError:  # pragma: no cover - a broken install
            pass
        else:
            return "onnx-int8"
    return "torch-int8" if quantize else "torch"


def onnx_file(folder: str | Path, int8: bool) -> Path:
    """Where a model folder keeps its ONNX graph (float32 or int8)."""
    return Path(folder) / (ONNX_INT8_FILE if int8 else ONNX_FILE)


def export_onnx(model, folder: str | Path, quantize: bool = True) -> list[Path]:
    """Write ``model.onnx`` (float32) and, with ``quantize``, ``model.int8.onnx`` (int8 weights per
    output channel, dynamic activations: ONNX Runtime's ``quantize_dynamic``; per-tensor weights cost
    a point of strict F1 on SkillSpan, per-channel 0.2) into ``folder``; returns the files written.

    Inputs ``input_ids`` and ``attention_mask`` (batch x length, any size), output ``logits``.
    """
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    mask[1, 10:] = 0  # a padded row: the graph must keep the mask path general
    axes = {"input_ids": {0: "batch", 1: "length"}, "attention_mask": {0: "batch", 1: "length"},
            "logits": {0: "batch", 1: "length"}}
    target = onnx_file(folder, False)
    import warnings

    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer warnings about Python-side shape checks
        torch.onnx.export(model, (ids, mask), str(target), input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)
    written = [target]
    if quantize:
        import logging

        from onnxruntime.quantization import QuantType, quantize_dynamic

        logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))  # its pre-processing hint
        quantize_dynamic(str(target), str(onnx_file(folder, True)), weight_type=QuantType.QInt8, per_channel=True)
        written.append(onnx_file(folder, True))
    return written


class OnnxLogits:
    """An ONNX Runtime session over a tagger graph: ``(input_ids, attention_mask)`` int64 arrays in,
    logits (numpy, batch x length x labels) out."""

    def __init__(self, path: str | Path, threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = Path(path)
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids, attention_mask):
        return self.session.run(["logits"], {"input_ids": input_ids, "attention_mask": attention_mask})[0]
