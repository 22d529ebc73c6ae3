"""The network cut in two for graph compilers: an LR stage (a static graph) and an HR stage (eager).

For a fixed LR size, everything from the input window to the spatio-temporal feature is a static
graph whose only dependence on the scale is OSConv's scale code ``[1/s_h, 1/s_w]``: it becomes a
runtime input, so one compiled graph per tile shape serves every scale factor. The HR stage (the
scale/position embedding, the two samplings, expert mixing, fusion, ``tail`` and the bilinear base)
depends on the output size; it stays in PyTorch, in fp32 for every coordinate. Together the two
stages compute what ``model(lr, scale)`` computes (a test holds them together).
"""
from __future__ import annotations

import contextlib
import threading

import torch
from torch import nn
from torch.nn import functional as F

from ..arch import osconv
from ..arch.upsampler import output_size

_local = threading.local()
_plain_scale_code = osconv.scale_code


def _scale_code(scale, batch: int, like: torch.Tensor) -> torch.Tensor:
    code = getattr(_local, "code", None)
    if code is None:
        return _plain_scale_code(scale, batch, like)
    return code.to(like.dtype).expand(batch, 2)


osconv.scale_code = _scale_code  # same function unless a thread is inside ``scale_from_tensor``


@contextlib.contextmanager
def scale_from_tensor(code: torch.Tensor):
    """On this thread, OSConv reads its scale code from ``code (1, 2)`` instead of from Python floats."""
    before = getattr(_local, "code", None)
    _local.code = code
    try:
        yield
    finally:
        _local.code = before


def scale_tensor(scale: tuple[float, float]) -> torch.Tensor:
    """``(1, 2)`` float32 ``[1/s_h, 1/s_w]``: the LR stage's scale input."""
    return torch.tensor([[1.0 / scale[0], 1.0 / scale[1]]], dtype=torch.float32)


class LRStage(nn.Module):
    """``(lr (1, t, 3, h, w), code (1, 2)) -> (feat, aligned, st)``, each ``(1, nf, h, w)``."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, lr: torch.Tensor, code: torch.Tensor):
        m = self.model
        b, t, c, h, w = lr.shape
        x = lr
        pad_h, pad_w = h % 2, w % 2
        if pad_h or pad_w:
            x = F.pad(lr.reshape(b * t, c, h, w), [0, pad_w, 0, pad_h], mode="reflect")
            x = x.view(b, t, c, h + pad_h, w + pad_w)
        with scale_from_tensor(code):
            aligned = m.align(x, (1.0, 1.0))  # the floats are not read: OSConv uses ``code``
            feat = m.reconstruct(aligned, (1.0, 1.0))
        feat, aligned = feat[..., :h, :w], aligned[..., :h, :w]
        return feat, aligned, m.upsample.st_filter(feat, aligned)


def hr_stage(model, lr: torch.Tensor, scale: tuple[float, float], feat, aligned, st) -> torch.Tensor:
    """The rest of the network on the LR stage's outputs -> ``(1, 3, H, W)`` float32.

    Coordinates (position code, sampling grids) are always computed in fp32; reduced-precision
    features are widened to fp32 first (the ``fp16 holds no x + 0.5 beyond 1024 px`` rule).
    """
    up = model.upsample
    feat, aligned, st = feat.float(), aligned.float(), st.float()
    h, w = feat.shape[-2:]
    H, W = output_size(h, w, scale)
    offset, st_offset, routing = up.embedding(H, W, scale, feat)
    rows = max(1, up.strip_pixels // max(1, W))
    mix = up.mix_fast if up.fast else up.mix_plain
    out = feat.new_empty(1, up.nf, H, W)
    for y0 in range(0, H, rows):
        y1 = min(H, y0 + rows)
        out[:, :, y0:y1] = up._upsample_rows(feat, st, scale, offset, st_offset, routing, mix, (y0, y1))
    base = F.interpolate(lr[:, model.centre].float(), size=(H, W), mode="bilinear", align_corners=False)
    return model.tail(out) + base
