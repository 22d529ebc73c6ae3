"""The benchmark protocol: degrade ground truth to LR, score SR against GT on the BT.601 Y channel.

* ``crop_to_step``: crop GT so each side is a multiple of ``step * s``, where the step is the
  smallest of 1, 2, 5, 10, 20, 50 that makes ``step * s`` an integer (so ``H / s`` is whole).
* ``downsample``: antialiased bicubic resize in float to ``round(h/s_h) x round(w/s_w)``.
* ``psnr_y`` / ``ssim_y``: on 8-bit-rounded frames, Y of BT.601 (studio range, as in MATLAB's
  ``rgb2ycbcr``), no border crop.
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from ..scale import scale_step


def crop_to_step(gt: torch.Tensor, scale: tuple[float, float]) -> torch.Tensor:
    """Crop ``(..., H, W)`` at bottom/right so each side is a multiple of ``step * s`` (a whole number),
    as the authors' test code does: the LR size ``H / s`` is then whole and the SR output has
    exactly the GT size."""
    H, W = gt.shape[-2:]

    def keep(n: int, s: float) -> int:
        block = scale_step(s) * s
        return max(round(block), round(math.floor(n / block + 1e-9) * block))

    return gt[..., :keep(H, scale[0]), :keep(W, scale[1])]


def lr_size(H: int, W: int, scale: tuple[float, float]) -> tuple[int, int]:
    return round(H / scale[0]), round(W / scale[1])


def downsample(gt: torch.Tensor, scale: tuple[float, float]) -> torch.Tensor:
    """Antialiased bicubic downsampling of ``(..., 3, H, W)`` float frames by ``(s_h, s_w)``."""
    lead = gt.shape[:-3]
    x = gt.reshape(-1, *gt.shape[-3:])
    size = lr_size(*x.shape[-2:], scale)
    lr = F.interpolate(x, size=size, mode="bicubic", antialias=True, align_corners=False)
    return lr.reshape(*lead, *lr.shape[-3:])


def bicubic_upsample(lr: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The bicubic baseline: ``(b, 3, h, w)`` -> ``(b, 3, *size)``, clamped to [0, 1]."""
    return F.interpolate(lr, size=size, mode="bicubic", align_corners=False).clamp(0, 1)


def to_y(rgb: torch.Tensor) -> torch.Tensor:
    """BT.601 luma in [16, 235] (8-bit scale) from RGB in [0, 1], after rounding to 8 bits."""
    rgb8 = (rgb.clamp(0, 1) * 255).round()
    r, g, b = rgb8.unbind(-3)
    return 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0


def psnr_y(sr: torch.Tensor, gt: torch.Tensor) -> float:
    """Y-channel PSNR in dB of one frame (or the mean MSE over a batch), 8-bit scale."""
    mse = (to_y(sr.double()) - to_y(gt.double())).pow(2).mean().item()
    return float("inf") if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def _gaussian(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-x ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim_y(sr: torch.Tensor, gt: torch.Tensor) -> float:
    """SSIM of the Y channel (11x11 Gaussian window, sigma 1.5, valid region), one frame."""
    a = to_y(sr.double()).reshape(-1, 1, *sr.shape[-2:])
    b = to_y(gt.double()).reshape(-1, 1, *gt.shape[-2:])
    win = _gaussian()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = F.conv2d(a, win), F.conv2d(b, win)
    var_a = F.conv2d(a * a, win) - mu_a ** 2
    var_b = F.conv2d(b * b, win) - mu_b ** 2
    cov = F.conv2d(a * b, win) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return s.mean().item()
