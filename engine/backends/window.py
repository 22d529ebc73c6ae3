"""The accuracy check's window: real footage, so a graph is judged on what it will compute.

Seven consecutive frames of the bundled sample (Big Buck Bunny, 320x180) from :data:`FIRST_FRAME`
on, cut to the tile shape: a smaller shape is the centre of the frames, a larger one the frames
mirrored at their edges (real content everywhere, no interpolation). Reduced precision fails on
real pictures in ways uniform noise hides (flat areas, strong edges), and the gate of
:mod:`engine.backends.choice` measures it in Y-PSNR, the way a viewer would see it. An installation
without the sample falls back to uniform noise (seed 0), and says so (:func:`window_name`).
:func:`against_torch` is the check itself.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from .graph import LRStage, hr_stage, scale_tensor

FIRST_FRAME = 30            # the bunny's meadow with a butterfly: flat sky, grass, sharp edges
CHECK_SCALE = (2.0, 1.5)    # the check runs the LR stage at this (s_h, s_w); its code is a graph input
WINDOW_VERSION = 2          # 1: uniform noise; 2: the sample's frames (the check's result says which)


@lru_cache(maxsize=1)
def _sample_frames(count: int) -> np.ndarray | None:
    """``count`` frames of the bundled sample from :data:`FIRST_FRAME` on, ``(t, h, w, 3)`` float32."""
    from ..resources import sample_clip_path
    from ..video import probe, read_frames
    path = sample_clip_path()
    if path is None:
        return None
    info = probe(path)
    first = max(0, min(FIRST_FRAME, info.frame_count - count))
    indices = [min(first + i, info.frame_count - 1) for i in range(count)]
    return np.stack(read_frames(info, indices)).astype(np.float32)


def window_name() -> str:
    """What the check runs on: ``sample`` or ``noise``."""
    return "noise" if _sample_frames(7) is None else "sample"


def check_inputs(shape) -> tuple[torch.Tensor, torch.Tensor]:
    """``(lr (1, t, 3, h, w), code (1, 2))``: the check's window for ``shape = (t, h, w)`` at :data:`CHECK_SCALE`."""
    t, h, w = shape
    frames = _sample_frames(7)
    if frames is None:
        gen = torch.Generator().manual_seed(0)
        return torch.rand((1, t, 3, h, w), generator=gen), scale_tensor(CHECK_SCALE)
    frames = frames[np.arange(t) % len(frames)]
    return torch.from_numpy(fit(frames, h, w)).permute(0, 3, 1, 2).unsqueeze(0).contiguous(), scale_tensor(CHECK_SCALE)


def fit(frames: np.ndarray, h: int, w: int) -> np.ndarray:
    """``frames (t, H, W, c)`` cut to ``h x w``: the centre, mirrored at the edges where it is too small."""
    _, H, W, _ = frames.shape
    reps_h, reps_w = -(-h // H), -(-w // W)
    if reps_h > 1 or reps_w > 1:
        frames = np.pad(frames, ((0, 0), (0, (reps_h - 1) * H), (0, (reps_w - 1) * W), (0, 0)), mode="symmetric")
        H, W = frames.shape[1:3]
    y0, x0 = (H - h) // 2, (W - w) // 2
    return np.ascontiguousarray(frames[:, y0:y0 + h, x0:x0 + w])


def against_torch(model, device: torch.device, run, shape, ref=None) -> tuple[float, float]:
    """A compiled LR stage ``run(lr, code)`` against torch's fp32 one (``ref``: its outputs, else computed)
    on the check window of ``shape``: the max abs difference of the outputs, and the Y-PSNR (dB) of the
    whole network's output (fp32 HR stage on either) against torch fp32."""
    from ..evaluation.metrics import psnr_y
    lr, code = check_inputs(shape)
    with torch.no_grad():
        if ref is None:
            ref = LRStage(model)(lr.to(device), code.to(device))
        outs = [torch.from_numpy(np.asarray(o)).float().to(device) for o in run(lr.numpy(), code.numpy())]
        ref = [r.float().to(device) for r in ref]
        diff = float(max((o - r).abs().max() for o, r in zip(outs, ref)))
        sr = hr_stage(model, lr.to(device), CHECK_SCALE, *outs).cpu()
        sr_ref = hr_stage(model, lr.to(device), CHECK_SCALE, *ref).cpu()
    return diff, psnr_y(sr.clamp(0, 1), sr_ref.clamp(0, 1))
