"""Before/after previews for the app: bicubic of a whole frame, SAVSR of the visible tiles.

The app shows a frame at output size and asks for the SAVSR result only where the user looks.
:class:`PreviewGrid` is the render's own plan seen from the preview: the stored frame size, the
output size after the codec's rounding, the exact factors the network runs at and the render's
tile grid. :func:`upscale_tile` computes one tile of that grid exactly as the render does
(OSConv's attention pools over its input, so only the same tiles give the same pixels) and
turns it the way a player shows the clip; :class:`TileCache` keeps finished tiles.

:func:`upscale_region` (the evaluations' and benchmarks' quick look) crops the 7-frame window
in LR space around that region (plus a margin of context), runs the network on the crop and
cuts the region out of the result. Crops start on multiples of the scale's step, where the
network's output grid lines up with the full frame's (see :mod:`engine.render.tiling`), so the
region matches a full-frame render. Frames are
``float32 (H, W, 3)`` RGB in [0, 1] as :func:`engine.video.read_frames` returns them. No Qt here.
"""
from __future__ import annotations

import contextlib
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from torch.nn import functional as F

from ..backends import Accelerated
from ..errors import SavsrError
from ..foreground import Preempted, foreground, interrupted
from ..render.frame_windows import window_indices
from ..render.tiling import OVERLAP, Tile, auto_tile, run_tile, tile_grid
from ..scale import Scale, scale_step

MARGIN = OVERLAP   # LR pixels of context around the region: the renderer's tile overlap, so the
                   # preview shows what a tiled render produces (on the parity network, whose
                   # routing is amplified, 8 px already differs by several 8-bit levels)


class PreviewCancelled(SavsrError):
    """A newer preview request made this one pointless."""


@dataclass(frozen=True)
class Region:
    """A rectangle in output pixels: ``x, y`` top-left, ``w x h`` size."""
    x: int
    y: int
    w: int
    h: int

    def clamp(self, width: int, height: int) -> Region:
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(width, self.x + self.w), min(height, self.y + self.h)
        return Region(x0, y0, max(0, x1 - x0), max(0, y1 - y0))

    @property
    def empty(self) -> bool:
        return self.w <= 0 or self.h <= 0


def output_hw(h: int, w: int, scale: tuple[float, float]) -> tuple[int, int]:
    """The output size for an ``h x w`` frame at ``scale`` (a :class:`Scale` or ``(s_h, s_w)``)."""
    return Scale.of(scale).output_size(h, w)


def to_display(frame: np.ndarray, rotation: int) -> np.ndarray:
    """A stored frame turned the way a player shows it (``rotation``: degrees counter-clockwise)."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(frame, k)) if k else frame


def to_uint8(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """``(3, H, W)`` tensor or ``(H, W, 3)`` array in [0, 1] -> contiguous ``uint8 (H, W, 3)``."""
    if isinstance(image, torch.Tensor):
        image = image.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    return np.ascontiguousarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))


def resize(frame: np.ndarray, out_hw: tuple[int, int], method: str = "bicubic") -> np.ndarray:
    """The "before" image: ``frame`` resized to ``out_hw`` by ``bicubic`` or ``nearest``, as uint8."""
    x = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1).unsqueeze(0)
    if method == "nearest":
        y = F.interpolate(x, size=out_hw, mode="nearest-exact")
    elif method == "bicubic":
        y = F.interpolate(x, size=out_hw, mode="bicubic", align_corners=False)
    else:
        raise ValueError(f"unknown resize method {method!r}: use bicubic or nearest")
    return to_uint8(y[0])


def _span(a: int, b: int, s: float, n: int, step: int, margin: int) -> tuple[int, int]:
    """LR interval covering output pixels ``a..b`` plus ``margin``, its start on a multiple of ``step``."""
    lo = max(0, math.floor((a + 0.5) / s - 0.5) - margin)
    lo = lo // step * step
    hi = min(n, math.ceil((b - 0.5) / s + 0.5) + margin + 1)
    return lo, hi


def lr_box(region: Region, scale: tuple[float, float], lr_hw: tuple[int, int],
           margin: int = MARGIN) -> tuple[int, int, int, int]:
    """``(y0, y1, x0, x1)``: the LR crop whose SAVSR output covers ``region``."""
    s_h, s_w = scale
    y0, y1 = _span(region.y, region.y + region.h, s_h, lr_hw[0], scale_step(s_h), margin)
    x0, x1 = _span(region.x, region.x + region.w, s_w, lr_hw[1], scale_step(s_w), margin)
    return y0, y1, x0, x1


BUCKET = 32        # LR pixels: a compiled backend sees crops rounded up to this, so panning and
                   # zooming meet a few graph shapes instead of a new one per position


def bucketed(lo: int, hi: int, n: int, step: int, bucket: int = BUCKET) -> tuple[int, int]:
    """``lo..hi`` grown to a multiple of ``bucket`` inside ``0..n``, ``lo`` kept on a multiple of ``step``."""
    want = min(n, -(-(hi - lo) // bucket) * bucket)
    if lo + want <= n:
        return lo, lo + want
    return max(0, (n - want) // step * step), n


def preview_network(model, backend: str = "auto", device: torch.device | str = "cpu",
                    note: Callable[[str], None] | None = None) -> Accelerated:
    """``model`` behind ``backend`` for :func:`upscale_region`; keep one per model and reuse it.

    A crop shape seen for the first time runs on torch while the backend prepares it on a thread."""
    return Accelerated(model, backend, device, note=note, background=True)


def cancellable(model, cancelled: Callable[[], bool] | None):
    """While active, ``model``'s computation checks ``cancelled()`` and stops with
    :class:`PreviewCancelled` once it is true: on torch before every layer, in an OpenVINO graph
    every few milliseconds (a stale tile gives the cores back at once)."""
    if cancelled is None:
        return contextlib.nullcontext()
    if isinstance(model, Accelerated):
        return _stopping(model, cancelled)
    return interrupted(model, cancelled, _superseded)


def _superseded() -> PreviewCancelled:
    return PreviewCancelled("preview superseded by a newer request")


@contextlib.contextmanager
def _stopping(acc: Accelerated, cancelled: Callable[[], bool]):
    before, acc.preempt = acc.preempt, cancelled        # one preview thread uses its network
    try:
        yield
    except Preempted:
        raise _superseded() from None
    finally:
        acc.preempt = before


@torch.inference_mode()
def upscale_region(model, window: list[np.ndarray] | np.ndarray, scale: tuple[float, float], region: Region,
                   device: torch.device | str = "cpu", cancelled: Callable[[], bool] | None = None,
                   margin: int = MARGIN) -> np.ndarray:
    """SAVSR of ``region`` (output pixels) of the centre frame of ``window``.

    ``window``: 7 frames ``(h, w, 3)`` float32 in [0, 1]; ``scale = (s_h, s_w)``. Returns
    ``uint8 (region.h, region.w, 3)``. Raises :class:`PreviewCancelled` when ``cancelled()``
    turns true during the computation. ``model`` may be a :func:`preview_network`: with a compiled
    backend the crop grows to a multiple of :data:`BUCKET` (within the frame).
    """
    frames = np.stack(list(window)) if not isinstance(window, np.ndarray) else window
    t, h, w, _ = frames.shape
    H, W = output_hw(h, w, scale)
    region = region.clamp(W, H)
    if region.empty:
        raise ValueError(f"region {region} lies outside the {W}x{H} output")
    y0, y1, x0, x1 = lr_box(region, scale, (h, w), margin)
    if isinstance(model, Accelerated) and model.requested != "torch":
        (y0, y1), (x0, x1) = bucketed(y0, y1, h, scale_step(scale[0])), bucketed(x0, x1, w, scale_step(scale[1]))
    crop = torch.from_numpy(np.ascontiguousarray(frames[:, y0:y1, x0:x1])).permute(0, 3, 1, 2)
    crop = crop.unsqueeze(0).to(device)
    with cancellable(model, cancelled):
        out = model(crop, scale)[0]
        if cancelled is not None and cancelled():
            raise PreviewCancelled("preview superseded by a newer request")
    oy, ox = Scale.of(scale).output_size(y0, x0)
    part = out[:, region.y - oy:region.y - oy + region.h, region.x - ox:region.x - ox + region.w]
    short_h, short_w = region.h - part.shape[1], region.w - part.shape[2]
    if short_h or short_w:  # a rounding pixel at the frame's edge when y0 * s is not whole
        part = F.pad(part.unsqueeze(0), [0, short_w, 0, short_h], mode="replicate")[0]
    return to_uint8(part)


class FrameCache:
    """Recently decoded frames of one clip, in display orientation, bounded by bytes.

    ``read(indices)`` is any callable ``indices -> list of frames`` (``engine.video.read_frames``
    bound to a clip); ``window(i)`` gives the 7 frames around ``i``, reflected at the clip's ends.
    """

    def __init__(self, read: Callable[[list[int]], list[np.ndarray]], frame_count: int, rotation: int = 0,
                 budget_bytes: int = 512 << 20):
        self._read, self.frame_count, self.rotation = read, frame_count, rotation
        self.budget = budget_bytes
        self._frames: dict[int, np.ndarray] = {}

    def get(self, indices: list[int]) -> list[np.ndarray]:
        missing = sorted({i for i in indices if i not in self._frames})
        if missing:
            for i, frame in zip(missing, self._read(missing)):
                self._frames[i] = to_display(frame, self.rotation)
        out = [self._frames[i] for i in indices]
        for i in indices:  # most recently used last
            self._frames[i] = self._frames.pop(i)
        self._trim()
        return out

    def window(self, index: int, num_frame: int = 7) -> list[np.ndarray]:
        return self.get(window_indices(index, self.frame_count, num_frame))

    def _trim(self):
        total = sum(f.nbytes for f in self._frames.values())
        for key in list(self._frames):
            if total <= self.budget or len(self._frames) <= 7:
                break
            total -= self._frames.pop(key).nbytes


# ---- the render's tiles ----------------------------------------------------------------------

def render_tile(tile: int, in_hw: tuple[int, int], scale: tuple[float, float], num_feat: int,
                device: torch.device) -> int:
    """The tile the renderer will use for a job's ``tile`` (0: chosen from free memory, as it does)."""
    if tile:
        return tile
    from ..render.memory import free_memory
    return auto_tile(in_hw[0], in_hw[1], scale, num_feat, free_memory(torch.device(device)))


@dataclass(frozen=True)
class PreviewGrid:
    """What the render of a job does to each frame: stored ``in_hw`` -> stored ``out_hw`` at
    ``scale = (s_h, s_w)`` in tiles of ``tile`` LR pixels; ``rotation`` turns it for display;
    ``deinterlace`` is the render's deinterlacing (``frame``/``field``, or None)."""
    in_hw: tuple[int, int]
    out_hw: tuple[int, int]
    scale: tuple[float, float]
    tile: int
    rotation: int = 0
    deinterlace: str | None = None

    @classmethod
    def from_plan(cls, p, tile: int) -> PreviewGrid:
        """The grid of :func:`engine.render.plan.plan`'s result ``p`` with the render's ``tile``."""
        return cls((p.in_size[1], p.in_size[0]), (p.out_size[1], p.out_size[0]), tuple(p.scale), tile,
                   p.info.rotation, p.info.deinterlace or None)

    @property
    def turns(self) -> int:
        return (self.rotation // 90) % 4

    @property
    def display_size(self) -> tuple[int, int]:
        """The output as shown, ``(w, h)``."""
        H, W = self.out_hw
        return (H, W) if self.turns % 2 else (W, H)

    @cached_property
    def tiles(self) -> list[Tile]:
        return tile_grid(self.in_hw, self.scale, self.out_hw, self.tile)

    def display_box(self, index: int) -> Region:
        """Where tile ``index`` lies in the output as shown (output pixels)."""
        Y0, Y1, X0, X1 = self.tiles[index].out
        H, W = self.out_hw
        return [Region(X0, Y0, X1 - X0, Y1 - Y0), Region(Y0, W - X1, Y1 - Y0, X1 - X0),
                Region(W - X1, H - Y1, X1 - X0, Y1 - Y0), Region(H - Y1, X0, Y1 - Y0, X1 - X0)][self.turns]

    def tiles_for(self, region: Region, focus: tuple[float, float] | None = None) -> list[int]:
        """The tiles ``region`` (display output pixels) touches, nearest ``focus = (x, y)`` first
        (default: the region's centre)."""
        fx, fy = focus if focus is not None else (region.x + region.w / 2, region.y + region.h / 2)
        hits = []
        for i in range(len(self.tiles)):
            b = self.display_box(i)
            if (b.x < region.x + region.w and region.x < b.x + b.w
                    and b.y < region.y + region.h and region.y < b.y + b.h):
                cx, cy = min(max(fx, b.x), b.x + b.w), min(max(fy, b.y), b.y + b.h)  # nearest point of the tile
                hits.append(((cx - fx) ** 2 + (cy - fy) ** 2, abs(b.x + b.w / 2 - fx) + abs(b.y + b.h / 2 - fy), i))
        return [i for *_, i in sorted(hits)]


def network_view(info, grid: PreviewGrid):
    """The frames the network sees for a preview of ``grid``: ``info`` as stored, or deinterlaced one
    frame per frame as the render does (a field-rate render's first field of each frame)."""
    if not grid.deinterlace:
        return info
    from ..video import deinterlace
    from ..video.interlace import detect
    return deinterlace.view(info, "frame", detect(info).top_field_first)


@torch.inference_mode()
def upscale_tile(model, window: list[np.ndarray] | np.ndarray, grid: PreviewGrid, index: int,
                 device: torch.device | str = "cpu", cancelled: Callable[[], bool] | None = None) -> np.ndarray:
    """Tile ``index`` of ``grid`` for the centre frame of ``window`` (7 stored frames ``(h, w, 3)``
    float32), as the render computes it, turned for display: ``uint8 (box.h, box.w, 3)``."""
    t = grid.tiles[index]
    y0, y1, x0, x1 = t.pad
    # only the tile with its context (not the whole frames: 29 ms of copies for an 854x480 window),
    # laid out as run_tile hands the render's tiles to the network, so the float sums are the same
    crop = np.stack([np.asarray(f)[y0:y1, x0:x1] for f in window])
    x = torch.from_numpy(crop).permute(0, 3, 1, 2).contiguous().unsqueeze(0).to(device)
    with foreground.active(), cancellable(model, cancelled):
        out = run_tile(model, x, grid.scale, Tile((0, y1 - y0, 0, x1 - x0), t.out, t.origin)).clamp_(0, 1)
        if cancelled is not None and cancelled():
            raise PreviewCancelled("preview superseded by a newer request")
    return to_display(to_uint8(out), grid.rotation)


class TileCache:
    """Finished tiles (``uint8`` arrays) by key, least recently used dropped beyond ``budget_bytes``."""

    def __init__(self, budget_bytes: int = 256 << 20):
        self.budget = budget_bytes
        self.bytes = 0
        self._tiles: OrderedDict = OrderedDict()

    def __contains__(self, key) -> bool:
        return key in self._tiles

    def __len__(self) -> int:
        return len(self._tiles)

    def get(self, key):
        tile = self._tiles.get(key)
        if tile is not None:
            self._tiles.move_to_end(key)
        return tile

    def put(self, key, tile: np.ndarray):
        if key in self._tiles:
            self.bytes -= self._tiles.pop(key).nbytes
        self._tiles[key] = tile
        self.bytes += tile.nbytes
        while self.bytes > self.budget and len(self._tiles) > 1:
            self.bytes -= self._tiles.popitem(last=False)[1].nbytes

    def clear(self):
        self._tiles.clear()
        self.bytes = 0
