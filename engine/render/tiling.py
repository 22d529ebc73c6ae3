"""Tiled inference: run the network on overlapping tiles of a 7-frame window and stitch.

Tiles are cut in LR space with ``overlap`` pixels of context on each side; each tile's centre
is pasted at its place in the output. The network places output pixel ``Y`` at LR coordinate
``(Y + 0.5) / s - 0.5``, so a tile starting at LR row ``y0`` lines up with the full frame
exactly when ``y0 * s`` is a whole number: tile origins are kept on multiples of the scale's
step (see :func:`engine.evaluation.metrics.scale_step`) whenever that step is small.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..foreground import Preempted
from ..scale import Scale, scale_step, scaled

OVERLAP = 16            # LR pixels of context around each tile
SAFETY = 1.6            # headroom over the measured activation size
# activation bytes per feature channel: per LR pixel and per output pixel (measured, fast path)
BYTES_PER_LR_PIXEL, BYTES_PER_HR_PIXEL = 150, 48


def estimate_bytes(h: int, w: int, scale: tuple[float, float], num_feat: int) -> int:
    """Peak activation memory of one forward pass on an ``h x w`` window, roughly."""
    H, W = Scale.of(scale).output_size(h, w)
    hr = H * W
    return int(SAFETY * num_feat * (BYTES_PER_LR_PIXEL * h * w + BYTES_PER_HR_PIXEL * hr))


def auto_tile(h: int, w: int, scale: tuple[float, float], num_feat: int, budget: int) -> int:
    """LR tile side that fits ``budget`` bytes; 0 if the whole frame fits."""
    if estimate_bytes(h, w, scale, num_feat) <= budget:
        return 0
    per_pixel = SAFETY * num_feat * (BYTES_PER_LR_PIXEL + BYTES_PER_HR_PIXEL * scale[0] * scale[1])
    side = int(math.sqrt(budget / per_pixel)) - 2 * OVERLAP
    return max(32, side // 16 * 16)


def spans(n: int, tile: int, overlap: int, step: int) -> list[tuple[int, int, int, int]]:
    """Cut ``0..n`` into ``(core0, core1, pad0, pad1)``: cores partition the axis, pads add context.

    Core boundaries and pad starts are multiples of ``step`` (or the axis ends).
    """
    if tile <= 0 or tile >= n:
        return [(0, n, 0, n)]
    tile = max(step, tile // step * step)
    out = []
    for c0 in range(0, n, tile):
        c1 = min(n, c0 + tile)
        p0 = max(0, (c0 - overlap) // step * step)
        p1 = min(n, c1 + overlap)
        out.append((c0, c1, p0, p1))
    return out


def _out_index(y: int, s: float, n: int, size: int) -> int:
    return size if y >= n else scaled(y, s)


@dataclass(frozen=True)
class Tile:
    """One tile of the grid: the network runs on LR ``pad`` and its output fills ``out``.

    ``pad = (y0, y1, x0, x1)`` in LR pixels (the core plus context); ``out = (Y0, Y1, X0, X1)``
    in output pixels (the core's share of the frame); ``origin = (oy, ox)``: where the network's
    output for ``pad`` starts in the frame.
    """
    pad: tuple[int, int, int, int]
    out: tuple[int, int, int, int]
    origin: tuple[int, int]

    @property
    def centre(self) -> tuple[float, float]:
        """``(y, x)``: the middle of ``out``."""
        return (self.out[0] + self.out[1]) / 2, (self.out[2] + self.out[3]) / 2


def tile_grid(hw: tuple[int, int], scale: tuple[float, float], out_hw: tuple[int, int], tile: int,
              overlap: int = OVERLAP) -> list[Tile]:
    """The tiles :func:`upscale_tiled` computes an ``hw`` frame in, row by row (one tile for ``tile=0``)."""
    (h, w), (H, W) = hw, out_hw
    if tile <= 0 or (tile >= h and tile >= w):
        return [Tile((0, h, 0, w), (0, H, 0, W), (0, 0))]
    steps = tile_steps(scale)
    return [Tile((py0, py1, px0, px1),
                 (_out_index(cy0, scale[0], h, H), _out_index(cy1, scale[0], h, H),
                  _out_index(cx0, scale[1], w, W), _out_index(cx1, scale[1], w, W)),
                 (scaled(py0, scale[0]), scaled(px0, scale[1])))
            for cy0, cy1, py0, py1 in spans(h, tile, overlap, steps[0])
            for cx0, cx1, px0, px1 in spans(w, tile, overlap, steps[1])]


def run_tile(model, window: torch.Tensor, scale: tuple[float, float], t: Tile) -> torch.Tensor:
    """``(3, Y1 - Y0, X1 - X0)``: the network's output for tile ``t`` of ``window (1, t, 3, h, w)``."""
    y0, y1, x0, x1 = t.pad
    Y0, Y1, X0, X1 = t.out
    part = model(window[..., y0:y1, x0:x1].contiguous(), scale)[0].float()   # the preview's layout too
    return _fit(part[:, Y0 - t.origin[0]:, X0 - t.origin[1]:], Y1 - Y0, X1 - X0)


def upscale_tiled(model, window: torch.Tensor, scale: tuple[float, float], out_hw: tuple[int, int],
                  tile: int, overlap: int = OVERLAP, between=None) -> torch.Tensor:
    """``window (1, t, 3, h, w)`` -> ``(3, H, W)`` in tiles of ``tile`` LR pixels (0: whole frame);
    ``between()`` runs between two tiles (a render gives way to a preview there)."""
    h, w = window.shape[-2:]
    H, W = out_hw
    if tile <= 0 or (tile >= h and tile >= w):
        return _fit(_until_done(lambda: model(window, scale), between)[0], H, W)
    out = torch.empty(3, H, W, device=window.device, dtype=torch.float32)
    for i, t in enumerate(tile_grid((h, w), scale, out_hw, tile, overlap)):
        if i and between is not None:
            between()
        Y0, Y1, X0, X1 = t.out
        out[:, Y0:Y1, X0:X1] = _until_done(lambda t=t: run_tile(model, window, scale, t), between)
    return out


def _until_done(compute, between):
    """``compute()``; when a preview preempts it, ``between()`` (which waits for the preview), then again."""
    while True:
        try:
            return compute()
        except Preempted:
            if between is None:
                raise
            between()


def tile_steps(scale: tuple[float, float]) -> tuple[int, int]:
    """Multiples of LR pixels that tile origins keep to, per axis (1 where the step is impractical)."""
    return _step(scale[0]), _step(scale[1])


def _step(s: float) -> int:
    step = scale_step(s)
    return step if abs(step * s - round(step * s)) < 1e-6 else 1


def _fit(t: torch.Tensor, H: int, W: int) -> torch.Tensor:
    """Crop ``(3, h, w)`` to ``H x W``, repeating the last row/column if it is a pixel short."""
    t = t[:, :H, :W]
    if t.shape[1] < H or t.shape[2] < W:
        t = torch.nn.functional.pad(t[None], (0, W - t.shape[2], 0, H - t.shape[1]), mode="replicate")[0]
    return t
