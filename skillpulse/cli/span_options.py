"""The options every command that runs a span extractor shares (`spans`, `batch evaluate`)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer


Extractor = Annotated[Optional[str], typer.Option(
    "--extractor", help="taxonomy, model or hybrid (default: hybrid when a model is available, else taxonomy).")]
Model = Annotated[Optional[str], typer.Option(
    "--model", help="BIO tagger folder or Hugging Face id (default SKILLPULSE_SPAN_MODEL, else the promoted model).")]
Quantize = Annotated[bool, typer.Option("--quantize", help="Run the model with int8 linear layers (faster on CPU).")]
Backend = Annotated[Optional[str], typer.Option(
    "--backend", help="How the model runs: auto (default: onnx-int8 when the model folder has model.int8.onnx, "
                      "else torch), torch, torch-int8 (= --quantize), onnx or onnx-int8 (ONNX Runtime; see batch "
                      "export-onnx).")]
HybridMinScore = Annotated[float, typer.Option(
    "--hybrid-min-score", min=0.0, max=1.0,
    help="Hybrid: keep a taxonomy span no model span overlaps only where the model gives one of its words this "
         "skill probability (0 keeps them all).")]
Threads = Annotated[Optional[int], typer.Option("--threads", min=1, help="Torch threads (default: up to 4 cores).")]
