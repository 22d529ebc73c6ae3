"""The runtimes that execute the exported LR stage: ONNX Runtime and OpenVINO.

Each is optional (``pip install savsr-studio[fast]``). A runtime says whether it can run on a torch
device, and ``load`` turns an ONNX file into ``run(lr, code, stop=None) -> (feat, aligned, st)`` on
numpy arrays; ``stop()`` turning true ends the run early with :class:`~engine.foreground.Preempted`
where the runtime can cancel a running graph.
"""
from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path

import numpy as np
import torch

from ..foreground import Preempted

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

    def load(self, onnx_path: Path, device: torch.device, threads: int, blob_dir: Path):
        raise NotImplementedError


class OpenVINO(Runtime):
    """Intel's runtime: fastest measured on this project's CPUs (see docs/performance.md)."""

    name, module = "openvino", "openvino"

    def load(self, onnx_path, device, threads, blob_dir):
        import openvino as ov
        core = ov.Core()
        compiled = core.compile_model(str(onnx_path), "CPU", {
            "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": "f32",
            "PERFORMANCE_HINT": "LATENCY", "CACHE_DIR": str(blob_dir)})
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

    def load(self, onnx_path, device, threads, blob_dir):
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


RUNTIMES = {r.name: r for r in (OpenVINO(), OnnxRuntime())}
