"""An onnxruntime session on the CPU, as the served models run: a fixed number of threads
inside an operator, one operator at a time, warnings only."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def cpu_session(model: Path, threads: int = 2) -> Any:
    """The model loaded for the CPU execution provider."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
