"""The tagger as an ONNX graph run by ONNX Runtime: export beside a model folder, load, run (CPU).

``batch train --onnx`` (and ``skillpulse batch export-onnx DIR``) writes ``model.onnx`` and its
int8 dynamic quantisation ``model.int8.onnx`` beside the saved model; ``TokenTagger`` runs the int8
graph by default when the folder has one (``backend="auto"``), or the one asked for (``onnx`` /
``onnx-int8``, ``--backend`` on the commands). Tokenizer and decoding stay the same; only the
logits come from ONNX Runtime. The float graph is fused by ONNX Runtime's transformer optimizer
before quantisation (``fuse_graph``); graphs exported before that still load and run as they did.
"""
from __future__ import annotations

from contextlib import contextmanager
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


# Fusions of ONNX Runtime's transformer optimizer kept off: on CPU its SkipLayerNormalization and
# BiasGelu kernels were slower than LayerNormalization + Add and Gelu (SkillSpan dev, 2 threads).
_FUSIONS_OFF = ("enable_skip_layer_norm", "enable_bias_gelu")
# ... and the same fusions in ONNX Runtime's own session optimizer, off for a graph export_onnx fused.
_SESSION_FUSIONS_OFF = ("SkipLayerNormFusion", "BiasGeluFusion", "BiasSkipLayerNormFusion")
FUSED_KEY = "skillpulse.fused"  # graph metadata: the fused operators, where export_onnx fused them


def export_onnx(model, folder: str | Path, quantize: bool = True, optimize: bool = True) -> list[Path]:
    """Write ``model.onnx`` (float32) and, with ``quantize``, ``model.int8.onnx`` (int8 weights per
    output channel, dynamic activations: ONNX Runtime's ``quantize_dynamic``; per-tensor weights cost
    a point of strict F1 on SkillSpan, per-channel 0.2-0.5) into ``folder``; returns the files written.

    With ``optimize`` (default) the float graph first goes through ONNX Runtime's transformer
    optimizer (``fuse_graph``): one Attention node per layer, EmbedLayerNormalization and Gelu,
    so the int8 graph gets QAttention; about a quarter faster (``docs/extraction.md``). The graph
    is exported with eager attention, whose mask pattern the optimizer knows. Where the optimizer
    fails (not a BERT-like encoder) the plain graph is written, with a warning saying why.

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

    attention = getattr(model.config, "_attn_implementation", None)
    eager = optimize and attention not in (None, "eager") and hasattr(model, "set_attn_implementation")
    try:
        if eager:  # sdpa's exported mask (Where/IsNaN) is not a pattern the optimizer fuses
            model.set_attn_implementation("eager")
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # tracer warnings about Python-side shape checks
            torch.onnx.export(model, (ids, mask), str(target), input_names=["input_ids", "attention_mask"],
                              output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)
    finally:
        if eager:
            model.set_attn_implementation(attention)
    if optimize:
        fuse_graph(target, model.config)
    written = [target]
    if quantize:
        from onnx import TensorProto
        from onnxruntime.quantization import QuantType, quantize_dynamic

        with _warnings_muted():  # its pre-processing hint, logged on the root logger
            # DefaultTensorType: shape inference cannot type the outputs of fused (com.microsoft) nodes
            quantize_dynamic(str(target), str(onnx_file(folder, True)), weight_type=QuantType.QInt8,
                             per_channel=True, extra_options={"DefaultTensorType": TensorProto.FLOAT})
        written.append(onnx_file(folder, True))
    return written


@contextmanager
def _warnings_muted():
    """Log records up to WARNING dropped while the block runs, then logging as it was (the exporter
    runs from the ``batch`` commands, alone in their process)."""
    import logging

    muted = logging.root.manager.disable
    logging.disable(max(muted, logging.WARNING))
    try:
        yield
    finally:
        logging.disable(muted)


def fuse_graph(path: str | Path, config) -> dict[str, int]:
    """Run ONNX Runtime's transformer optimizer (``model_type="bert"``, the heads and hidden size
    of ``config``) over the float graph at ``path``, in place; returns the fused operators and
    their counts (also kept in the graph's metadata, ``FUSED_KEY``). Leaves the graph as it was,
    with a warning saying why, where the optimizer fails or fuses no attention layer."""
    import warnings

    path = Path(path)
    heads = getattr(config, "num_attention_heads", 0)
    hidden = getattr(config, "hidden_size", 0)
    try:
        from onnxruntime.transformers.fusion_options import FusionOptions
        from onnxruntime.transformers.optimizer import optimize_model

        options = FusionOptions("bert")
        for name in _FUSIONS_OFF:
            setattr(options, name, False)
        with _warnings_muted():  # its "fused N nodes" lines (loggers named after its modules, no one tree)
            optimized = optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden,
                                       optimization_options=options, opt_level=0)
        fused = {k: v for k, v in optimized.get_fused_operator_statistics().items() if v}
    except Exception as exc:  # noqa: BLE001 - any optimizer failure leaves the plain graph, said
        warnings.warn(f"{path}: ONNX Runtime's transformer optimizer failed ({type(exc).__name__}: {exc}); "
                      f"the plain graph is kept (slower)", stacklevel=2)
        return {}
    if not fused.get("Attention") and not fused.get("MultiHeadAttention"):
        warnings.warn(f"{path}: ONNX Runtime's transformer optimizer fused no attention layer ({fused or 'nothing'}; "
                      f"{heads} heads, hidden size {hidden}); the plain graph is kept (slower)", stacklevel=2)
        return {}
    import onnx

    onnx.helper.set_model_props(optimized.model, {FUSED_KEY: ",".join(f"{k}={v}" for k, v in sorted(fused.items()))})
    optimized.save_model_to_file(str(path))
    return fused


def graph_fusions(path: str | Path) -> str:
    """The ``FUSED_KEY`` metadata of an ONNX graph: ``""`` for a plain (unfused) export."""
    import onnx

    props = onnx.load(str(path), load_external_data=False).metadata_props
    return next((p.value for p in props if p.key == FUSED_KEY), "")


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
        self.fused = graph_fusions(path)
        # a graph export_onnx fused: keep ONNX Runtime from re-fusing what fuse_graph left apart (a plain
        # export runs as it always did: its spans stay the same)
        off = list(_SESSION_FUSIONS_OFF) if self.fused else []
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"],
                                            disabled_optimizers=off)

    def __call__(self, input_ids, attention_mask):
        return self.session.run(["logits"], {"input_ids": input_ids, "attention_mask": attention_mask})[0]
