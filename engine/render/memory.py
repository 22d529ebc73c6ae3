"""How much memory a render needs, and refusing up front one that cannot fit.

A render holds a few input frames, the network's activations for one tile, and on the output
side several copies of each finished frame (the float result, its 8/16-bit conversion, the
YUV frame) plus the encoder's look-ahead and reference frames. The per-pixel figures below are
the encoder's measured peak (``benchmarks/render_memory.py --calibrate``: 60 frames at 1920x1080,
peak RSS over the loaded process; x264 medium 242 B/px, 8-bit, 360 B/px 10-bit; FFV1 63;
ProRes 35) plus 48 B/px for up to four float32 frames in flight between the network and it.
"""
from __future__ import annotations

import math
import os

from ..errors import SavsrError
from .tiling import OVERLAP, estimate_bytes

GB = 1 << 30
# resident bytes per output pixel besides the activations: frames in flight, conversions, encoder
HR_BYTES = {"h264": 290, "h265": 290, "prores": 85, "prores4444": 95, "ffv1": 115, "png": 80,
            "prores-proxy": 85, "prores-lt": 85, "prores-422": 85, "dnxhr-lb": 95, "dnxhr-sq": 95, "dnxhr-hq": 95,
            "dnxhr-hqx": 95, "dnxhr-444": 95}  # DNxHR: not measured, taken as ProRes 4444
DEEP_FACTOR = 1.5          # 10/16-bit outputs: 16-bit samples in the conversions and the encoder
LR_FRAMES = 12             # decoded input frames held (window + prefetch), float32 RGB
MIN_AUTO_TILE = 32


class MemoryRefused(SavsrError, MemoryError):
    """The render would need more memory than the machine has."""


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (RAM not in use), or ``None`` if unknown."""
    try:
        with open("/proc/meminfo") as f:
            fields = dict(line.split(":", 1) for line in f)
        return int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        pass
    if os.name == "nt":
        return _windows_available()
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def free_memory(device) -> int:
    """Bytes the network's activations may use on ``device``: 80% of free VRAM, half the free RAM."""
    if device.type == "cuda":
        import torch
        free, _total = torch.cuda.mem_get_info(device)
        return int(free * 0.8)
    available = available_memory()
    return available // 2 if available else 4 * GB


def _windows_available() -> int | None:
    import ctypes

    class Status(ctypes.Structure):
        _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong), ("total", ctypes.c_ulonglong),
                    ("available", ctypes.c_ulonglong), ("page_total", ctypes.c_ulonglong),
                    ("page_available", ctypes.c_ulonglong), ("virtual_total", ctypes.c_ulonglong),
                    ("virtual_available", ctypes.c_ulonglong), ("extended", ctypes.c_ulonglong)]

    status = Status()
    status.length = ctypes.sizeof(Status)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return None
    return int(status.available)


def hr_bytes_per_pixel(codec: str, bit_depth: int) -> float:
    return HR_BYTES[codec] * (DEEP_FACTOR if bit_depth > 8 else 1.0)


def estimate_render_bytes(plan, num_feat: int, param_bytes: int, tile: int, on_cpu: bool) -> int:
    """Peak memory a render adds to the process, in bytes (activations counted on the CPU only)."""
    w, h = plan.in_size
    out_w, out_h = plan.out_size
    fixed = param_bytes + LR_FRAMES * 3 * 4 * w * h
    per_pixel = hr_bytes_per_pixel(plan.job.codec, plan.bit_depth)
    activations = 0
    if on_cpu:
        side = tile or MIN_AUTO_TILE
        th, tw = min(h, side + 2 * OVERLAP), min(w, side + 2 * OVERLAP)
        activations = estimate_bytes(th, tw, plan.scale, num_feat)
    return int(fixed + activations + per_pixel * out_w * out_h)


def check_memory(plan, model, device, available: int | None = None) -> None:
    """Refuse a render that cannot fit in the machine's free memory, saying what would fit."""
    available = available_memory() if available is None else available
    if available is None:
        return
    on_cpu = device.type == "cpu"
    num_feat = model.config.num_feat
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    need = estimate_render_bytes(plan, num_feat, param_bytes, plan.job.tile, on_cpu)
    if need <= available:
        return
    out_w, out_h = plan.display_out_size
    base = estimate_render_bytes(plan, num_feat, param_bytes, plan.job.tile, on_cpu) - \
        hr_bytes_per_pixel(plan.job.codec, plan.bit_depth) * out_w * out_h
    room = max(0.0, available - base)
    shrink = math.sqrt(room / (need - base)) if need > base else 0.0
    fit_w, fit_h = int(out_w * shrink) // 2 * 2, int(out_h * shrink) // 2 * 2
    tile_hint = " or a smaller --tile" if plan.job.tile and on_cpu else ""
    fits = (f"outputs up to about {fit_w}x{fit_h} fit" if fit_w >= 16 and fit_h >= 16
            else "even a small output does not fit")
    raise MemoryRefused(f"this {out_w}x{out_h} render needs about {need / GB:.1f} GB of memory but "
                        f"{available / GB:.1f} GB is free: {fits}; choose a smaller size{tile_hint}, "
                        f"a lighter codec or close other programs")
