"""Precisions: what the hardware computes, what each is allowed to touch, and the coordinates.

``fp32`` is exact. ``int8`` is the LR stage quantized by NNCF (:mod:`engine.backends.int8`), run by
OpenVINO on a CPU (AVX2 and later). ``bf16`` (8-bit mantissa) runs natively on CPUs with ``avx512_bf16`` or AMX and on
Ampere or newer NVIDIA GPUs; ``fp16`` on GPUs and on CPUs with AVX512-FP16/AMX-FP16 (OpenVINO says so
in its ``OPTIMIZATION_CAPABILITIES``). Reduced precision is for the LR stage only.

The upsampler samples features at absolute output positions ``(x + 0.5) / s - 0.5``, normalised to
``[-1, 1]``. In fp16 (10-bit mantissa) a normalised coordinate near 1 moves in steps of 2**-11, i.e.
about ``w / 2048`` source pixels: at 3840x2160 output that is a visible fraction of a pixel. The
backends therefore keep the HR stage, where every coordinate lives, in fp32
(:func:`engine.backends.graph.hr_stage`); only the LR stage may run in reduced precision.
"""
from __future__ import annotations

import hashlib
import os
import platform
from functools import lru_cache

import torch

from ..arch.upsampler import output_size, sample_grid

MIN_PSNR = 50.0     # reduced precision: Y-PSNR of the whole network against torch fp32 (dB), else refused

PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
# lscpu flags that name faster arithmetic than fp32 FMA (shown by ``savsr info --system``)
FAST_FLAGS = ("avx512_bf16", "amx_bf16", "amx_fp16", "amx_int8", "amx_tile", "avx512_fp16", "avx512_vnni",
              "avx_vnni")


@lru_cache(maxsize=1)
def cpu_info() -> tuple[str, frozenset]:
    """``(model name, flags)`` as ``lscpu`` shows them (Linux: /proc/cpuinfo); elsewhere the
    processor's name and no flags."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return platform.processor() or platform.machine() or "unknown CPU", frozenset()
    name, flags = "", frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not name:
            name = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = frozenset(value.split())
    return name or platform.machine() or "unknown CPU", flags


def fast_flags() -> list[str]:
    """The flags of :data:`FAST_FLAGS` this CPU has, in that order."""
    flags = cpu_info()[1]
    return [f for f in FAST_FLAGS if f in flags]


def cpu_has_bf16() -> bool:
    """Native bf16 arithmetic: ``avx512_bf16`` (AMD Zen 4 and later, Intel Cooper Lake) or AMX."""
    flags = cpu_info()[1]
    return "avx512_bf16" in flags or "amx_bf16" in flags


def machine_key() -> str:
    """A short name for this machine's arithmetic: a decision measured on one CPU is never used on another."""
    name, flags = cpu_info()
    text = "|".join([platform.machine(), name, " ".join(sorted(flags)), str(graph_threads())])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def graph_threads() -> int:
    """Threads of a reduced-precision graph: every core this process may use, always. Its sums are
    split among the threads, so 1 and 2 threads give different bf16 results (25,361 of 1.56 M 8-bit
    values); the preview, an in-process render and every worker run it alike and agree to the bit."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                  # not on Linux
        return os.cpu_count() or 1


def runtime_threads(precision: str) -> int:
    """Threads a compiled graph runs on: torch's in fp32 (the graph follows the render's placement),
    :func:`graph_threads` in reduced precision (its sums depend on them)."""
    return torch.get_num_threads() if precision == "fp32" else graph_threads()


def torch_precisions(device: torch.device) -> tuple[str, ...]:
    """What PyTorch computes natively on ``device`` (bf16 autocast on a CPU without bf16 is emulated: slower)."""
    if device.type == "cuda":
        return ("fp32", "fp16", "bf16") if torch.cuda.is_bf16_supported() else ("fp32", "fp16")
    return ("fp32", "bf16") if cpu_has_bf16() else ("fp32",)


def refusal(precision: str, device: torch.device) -> str:
    """Why ``precision`` cannot run on ``device`` (a torch device), or ``""``."""
    from .runtimes import RUNTIMES
    if precision in ("auto", "fp32"):
        return ""
    if precision not in DTYPES and precision != "int8":
        return f"unknown precision {precision!r}: use {', '.join(PRECISIONS)}"
    if precision in torch_precisions(device):
        return ""
    if any(precision in r.precisions(device) for r in RUNTIMES.values() if r.installed() and r.supports(device)):
        return ""
    if precision == "int8":
        return ("int8 is computed by OpenVINO on a CPU, with NNCF to quantize the network: "
                "pip install \"savsr-studio[fast]\"; use fp32 or auto")
    if device.type == "cuda":
        return "this GPU has no bf16 arithmetic (it needs an Ampere or newer NVIDIA GPU); use fp16 or auto"
    if precision == "bf16":
        return "this CPU has no bf16 arithmetic (avx512_bf16 or AMX); use fp32 or auto"
    return "this CPU has no fp16 arithmetic (AVX512-FP16 or AMX-FP16 with OpenVINO); use fp32 or auto"


def grid_error(lr_hw: tuple[int, int], scale: tuple[float, float], dtype: str) -> float:
    """Largest error, in output pixels, of the sampling grid when it is computed in ``dtype``.

    Emulates a reduced-precision run on the CPU: the grid that :func:`sample_grid` builds for a zero
    offset of ``dtype`` (the upsampler's own rule) is compared with the exact fp64 positions.
    """
    h, w = lr_hw
    H, W = output_size(h, w, scale)
    offset = torch.zeros(1, 2, H, W, dtype=DTYPES[dtype])
    grid = sample_grid(h, w, scale, offset).double()
    x = (torch.arange(W, dtype=torch.float64) + 0.5) / scale[1] - 0.5
    y = (torch.arange(H, dtype=torch.float64) + 0.5) / scale[0] - 0.5
    err_x = ((grid[0, 0, :, 0] + 1) * (w - 1) / 2 - x).abs().max() * scale[1]
    err_y = ((grid[0, :, 0, 1] + 1) * (h - 1) / 2 - y).abs().max() * scale[0]
    return float(max(err_x, err_y))
