"""Reduced precision and the upsampler's coordinates.

The upsampler samples features at absolute output positions ``(x + 0.5) / s - 0.5``, normalised to
``[-1, 1]``. In fp16 (10-bit mantissa) a normalised coordinate near 1 moves in steps of 2**-11, i.e.
about ``w / 2048`` source pixels: at 3840x2160 output that is a visible fraction of a pixel. The
backends therefore keep the HR stage, where every coordinate lives, in fp32
(:func:`engine.backends.graph.hr_stage`); only the LR stage may run in reduced precision.
"""
from __future__ import annotations

import torch

from ..arch.upsampler import output_size, sample_grid

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


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
