"""int8: the LR stage quantized by NNCF's post-training quantization, calibrated on real footage.

OpenVINO computes int8 convolutions on any x86 CPU with AVX2 (u8 x s8 products; faster with VNNI or
AMX); whether that beats fp32 on a machine is measured by :mod:`engine.backends.choice`, never assumed.

The exported graph (:mod:`engine.backends.export`: any height and width) is read by OpenVINO, its
constant subgraphs folded (NNCF 3.4 stops on the raw graph with ``KeyError '/Gather_39'``: the
spatio-temporal filter picks each tap's weights with a Gather of a constant, which folding turns into
a plain constant), quantized with NNCF's default preset, and saved as OpenVINO IR next to the exported
graph (``lr_stage_int8.xml``/``.bin``). The shape arithmetic stays in it, so every tile shape is
compiled from the same file, like fp32.

Calibration: :data:`CALIBRATION_STARTS` windows of the bundled sample, each through the codec levels
the compressed model is trained on (:data:`CODEC_LEVELS`: lossless, H.264 CRF 23, 28, 33): twelve
real windows, made when needed from the 0.4 MB sample.

Quantizing takes minutes on a CPU, so it never stands before the first pixels: ``auto`` counts int8
only once its graph exists, and the app's preview quantizes it in the background (in a child
process when exports are isolated); fp32 or bf16 serve until then (:func:`engine.backends.choice.later`).
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np

CALIBRATION_STARTS = (0, 30, 60)        # first frames of the calibration windows in the sample
CODEC_LEVELS = (None, 23, 28, 33)       # None: the decoded sample itself; else H.264 at that CRF
CALIBRATION_HW: tuple[int, int] | None = None   # None: the sample's whole frame (tests use a crop)
_quantizing = threading.Lock()          # one quantization at a time in a process


def installed() -> bool:
    """NNCF and OpenVINO are installed (the ``[fast]`` extra)."""
    return all(importlib.util.find_spec(m) is not None for m in ("nncf", "openvino"))


def graph_path(onnx_path: Path) -> Path:
    """The int8 graph quantized from the exported graph at ``onnx_path``."""
    return Path(onnx_path).with_name("lr_stage_int8.xml")


def ready(onnx_path: Path) -> bool:
    xml = graph_path(onnx_path)
    return xml.is_file() and xml.with_suffix(".bin").is_file()


def ensure(onnx_path: Path, num_frame: int, isolated: bool = False) -> Path:
    """The int8 graph of ``onnx_path``, quantized now if it is not on disk (minutes; in a spawned
    child process with ``isolated``)."""
    with _quantizing:
        if not ready(onnx_path):
            if isolated:
                _in_child(onnx_path, num_frame)
            else:
                quantize(onnx_path, num_frame)
    return graph_path(onnx_path)


def quantize(onnx_path: Path, num_frame: int) -> Path:
    """Quantize the exported graph at ``onnx_path`` and save it (atomic: the ``.xml`` appears last)."""
    import nncf
    import openvino as ov
    from openvino.passes import ConstantFolding, Manager
    model = ov.Core().read_model(str(onnx_path))
    passes = Manager()
    passes.register_pass(ConstantFolding())
    passes.run_passes(model)
    windows = calibration_windows(num_frame)
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        quantized = nncf.quantize(model, nncf.Dataset(windows), subset_size=len(windows))   # no progress bars
    out = graph_path(onnx_path)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".int8-") as tmp:
        staged = Path(tmp) / out.name
        ov.save_model(quantized, str(staged), compress_to_fp16=False)
        os.replace(staged.with_suffix(".bin"), out.with_suffix(".bin"))
        os.replace(staged, out)
    return out


def _in_child(onnx_path: Path, num_frame: int):
    import multiprocessing

    from ..errors import SavsrError
    child = multiprocessing.get_context("spawn").Process(
        target=_child, args=(Path(onnx_path), num_frame, CALIBRATION_STARTS, CALIBRATION_HW), daemon=True,
        name="savsr-int8")
    child.start()
    child.join()
    if child.exitcode != 0 or not ready(onnx_path):
        raise SavsrError(f"the int8 quantization process failed (exit code {child.exitcode})")


def _child(onnx_path: Path, num_frame: int, starts, hw):
    global CALIBRATION_STARTS, CALIBRATION_HW
    CALIBRATION_STARTS, CALIBRATION_HW = starts, hw      # the parent's calibration, as it was set
    quantize(onnx_path, num_frame)


def calibration_windows(num_frame: int) -> list[dict]:
    """``{"lr": (1, t, 3, h, w), "code": (1, 2)}`` float32 windows of the bundled sample through the codec
    levels (uniform noise where the sample is missing)."""
    from ..resources import sample_clip_path
    from ..video import probe, read_frames
    from .graph import scale_tensor
    from .window import CHECK_SCALE, fit
    code = scale_tensor(CHECK_SCALE).numpy()
    path = sample_clip_path()
    if path is None:
        rng = np.random.default_rng(0)
        h, w = CALIBRATION_HW or (180, 320)
        return [{"lr": rng.random((1, num_frame, 3, h, w), dtype=np.float32), "code": code} for _ in range(4)]
    info = probe(path)
    windows = []
    for level in CODEC_LEVELS:
        frames = np.stack(read_frames(info, range(info.frame_count))) if level is None else through_codec(path, level)
        for start in CALIBRATION_STARTS:
            first = max(0, min(start, len(frames) - num_frame))
            window = frames[first:first + num_frame]
            if CALIBRATION_HW is not None:
                window = fit(window, *CALIBRATION_HW)
            lr = np.ascontiguousarray(window.transpose(0, 3, 1, 2)[None], dtype=np.float32)
            windows.append({"lr": lr, "code": code})
    return windows


def through_codec(path: Path, crf: int) -> np.ndarray:
    """Every frame of the clip at ``path`` encoded with H.264 at ``crf`` (yuv420p) and decoded again,
    ``(n, h, w, 3)`` float32 in [0, 1]."""
    from ..video import probe, read_frames
    from ..video.encode import VideoWriter
    info = probe(path)
    frames = read_frames(info, range(info.frame_count))
    with tempfile.TemporaryDirectory(prefix="savsr-calibration-") as tmp:
        encoded = Path(tmp) / f"crf{crf}.mkv"
        writer = VideoWriter(encoded, "matroska", "h264", size=(info.width, info.height), pix_fmt="yuv420p",
                             time_base=Fraction(1, 25), rate=Fraction(25), crf=crf, preset="medium",
                             tags={"matrix": "bt709", "range": "tv"})
        for i, frame in enumerate(frames):
            writer.write(frame, i)
        writer.close()
        return np.stack(read_frames(encoded, range(len(frames))))
