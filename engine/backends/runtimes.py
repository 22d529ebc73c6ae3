"""The runtimes that execute the exported LR stage: ONNX Runtime and OpenVINO.

Each is optional (``pip install savsr-studio[fast]``). A runtime says whether it can run on a torch
device and in which precisions (:meth:`Runtime.precisions`: what the hardware computes natively, as the
runtime reports it), and ``load`` turns an ONNX file into ``run(lr, code, stop=None) -> (feat, aligned,
st)`` on numpy arrays in one precision; ``stop()`` turning true ends the run early with
:class:`~engine.foreground.Preempted` where the runtime can cancel a running graph.
"""
from __future__ import annotations

import contextlib
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..foreground import Preempted
from . import int8

OUTPUTS = ("feat", "aligned", "st")
POLL_MS = 5         # how often a cancellable run looks at its ``stop``


class Runtime:
    name = ""
    module = ""

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def version(self) -> str:
        return importlib.import_module(self.module).__version__

    def supports(self, device: torch.device) -> bool:
        return device.type == "cpu"

    def precisions(self, device: torch.device) -> tuple[str, ...]:
        """The precisions this runtime computes natively on ``device``, fp32 first."""
        return ("fp32",)

    def load(self, onnx_path: Path, device: torch.device, threads: int, blob_dir: Path, precision: str = "fp32",
             shape: tuple[int, int, int] | None = None):
        """``run`` for the graph at ``onnx_path`` (any height and width), compiled for ``shape = (t, h, w)``
        where the runtime compiles per shape (``None``: left dynamic)."""
        raise NotImplementedError


class OpenVINO(Runtime):
    """Intel's runtime: fastest measured on this project's CPUs (see docs/performance.md)."""

    name, module = "openvino", "openvino"
    HINTS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16", "int8": "f32"}  # INFERENCE_PRECISION_HINT
    CAPABILITIES = {"FP32": "fp32", "BF16": "bf16", "FP16": "fp16", "INT8": "int8"}

    def precisions(self, device):
        if device.type != "cpu":
            return ()
        return cpu_capabilities()

    def load(self, onnx_path, device, threads, blob_dir, precision="fp32", shape=None):
        import openvino as ov
        core = ov.Core()
        # int8: the graph NNCF quantized from this one (engine.backends.int8), its other layers in fp32
        model = core.read_model(str(int8.graph_path(onnx_path) if precision == "int8" else onnx_path))
        if shape is not None:           # static shapes compile to faster kernels than a dynamic graph
            model.reshape({"lr": [1, *shape[:1], 3, *shape[1:]], "code": [1, 2]})
        # a compiled blob keeps the thread count it was compiled for (OpenVINO's cache key leaves it out)
        # and results depend on it in the last bit: one blob folder per thread count, so a graph the
        # app's preview compiled on its threads never changes a render's pixels on the render's threads
        compiled = core.compile_model(model, "CPU", {
            "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": self.HINTS[precision],
            "PERFORMANCE_HINT": "LATENCY", "CACHE_DIR": str(blob_dir / f"{threads}-threads")})
        request = compiled.create_infer_request()
        outputs = compiled.outputs

        def run(lr: np.ndarray, code: np.ndarray, stop=None):
            if stop is None:
                result = request.infer({"lr": lr, "code": code})
            else:                       # background work: cancelled as soon as ``stop()`` says so
                if stop():
                    raise Preempted()
                request.start_async({"lr": lr, "code": code})
                while not request.wait_for(POLL_MS):
                    if stop():
                        request.cancel()
                        with contextlib.suppress(RuntimeError):     # "infer request was cancelled"
                            request.wait()
                        raise Preempted()
                result = request.results
            return tuple(np.asarray(result[o]) for o in outputs)
        return run


class OnnxRuntime(Runtime):
    """Microsoft's runtime: the CPU provider here; the CUDA provider where ``onnxruntime-gpu`` is installed."""

    name, module = "onnxruntime", "onnxruntime"

    def version(self) -> str:
        import onnxruntime
        return onnxruntime.__version__

    def supports(self, device):
        if device.type == "cpu":
            return True
        import onnxruntime
        return device.type == "cuda" and "CUDAExecutionProvider" in onnxruntime.get_available_providers()

    def load(self, onnx_path, device, threads, blob_dir, precision="fp32", shape=None):
        if precision != "fp32":
            raise ValueError(f"ONNX Runtime builds fp32 graphs only, not {precision}")
        import onnxruntime as ort

        from ..privacy import quiet_onnxruntime
        quiet_onnxruntime(ort)
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.log_severity_level = 3
        if device.type == "cuda":
            providers = [("CUDAExecutionProvider", {"device_id": device.index or 0}), "CPUExecutionProvider"]
        else:
            providers = ["CPUExecutionProvider"]
        session = ort.InferenceSession(str(onnx_path), options, providers=providers)

        def run(lr: np.ndarray, code: np.ndarray, stop=None):   # runs its graph to the end
            return tuple(session.run(list(OUTPUTS), {"lr": lr, "code": code}))
        return run


@lru_cache(maxsize=1)
def cpu_capabilities() -> tuple[str, ...]:
    """OpenVINO's precisions on this CPU (its ``OPTIMIZATION_CAPABILITIES``), fp32 first; int8 where
    NNCF is installed to quantize the graph."""
    import openvino as ov
    caps = set(ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
    found = (p for cap, p in OpenVINO.CAPABILITIES.items() if cap in caps and p != "fp32")
    return ("fp32", *(p for p in found if p != "int8" or int8.installed()))


RUNTIMES = {r.name: r for r in (OpenVINO(), OnnxRuntime())}
AUTO_ORDER = {"cpu": ("openvino", "onnxruntime"), "cuda": ("onnxruntime",)}  # fastest first, measured
