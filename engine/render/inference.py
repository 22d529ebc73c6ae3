"""One frame through the network: backend, device, precision, tiling and out-of-memory retries."""
from __future__ import annotations

import time
from collections.abc import Callable

import torch

from ..backends import Accelerated
from ..errors import SavsrError
from .memory import free_memory
from .tiling import OVERLAP, auto_tile, spans, tile_steps, upscale_tiled

MIN_RETRY_TILE = 64


class OutOfMemory(SavsrError, MemoryError):
    """Even the smallest tiles do not fit in the device's memory."""


def preparation_note(scale, done, seconds: float) -> str:
    """``preparing the network for 2.5 x 1.75 (openvino, 2 tile shapes): 12.0 s, once``."""
    shapes = f"{len(done)} tile shapes" if len(done) > 1 else "1 tile shape"
    how = "from the cache" if all(d.cached for d in done) else "once"
    if any(d.in_child for d in done):
        how += ", traced in a child process"
    return (f"preparing the network for {scale[1]:g} x {scale[0]:g} ({done[0].backend}, {shapes}): "
            f"{seconds:.1f} s, {how}")


def _is_oom(exc: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", ())
    text = str(exc).lower()
    return isinstance(exc, oom) or "out of memory" in text or "can't allocate memory" in text


class Upscaler:
    """Calls ``model`` on 7-frame windows, tiling when a frame does not fit.

    ``tile=0`` picks the tile from free memory before the first frame. On CUDA an
    out-of-memory error halves the tile and retries the same frame, down to
    ``MIN_RETRY_TILE``; the smaller tile is kept for the rest of the clip. The network runs behind
    ``backend`` in ``precision`` (:mod:`engine.backends`; ``None`` is fp32): ``prepare`` readies every
    tile shape before the first frame.
    """

    def __init__(self, model, device: torch.device, precision: str | None, scale, out_hw,
                 tile: int = 0, log: Callable[[str], None] | None = None, backend: str = "torch"):
        self.model, self.device, self.precision = model, device, precision or "fp32"
        self.scale, self.out_hw = scale, out_hw
        self.tile, self.auto = tile, tile == 0
        self.log = log or (lambda _msg: None)
        precision = self.precision
        if isinstance(model, Accelerated):  # shared between upscalers (one per scale in ``savsr eval``)
            self.model, self.net = model.model, model
        else:
            self.net = Accelerated(model, backend, device, precision, note=self.log)
        self._sized = False
        self.between_tiles: Callable[[], object] | None = None    # runs between two tiles of a frame

    def prepare(self, h: int, w: int) -> float:
        """Size the tiles for ``h x w`` frames and ready the backend for every tile shape; seconds spent."""
        t0 = time.monotonic()
        done = [d for d in (self.net.prepare(th, tw) for th, tw in self.shapes(h, w)) if d]
        seconds = time.monotonic() - t0
        if done:
            self.log(preparation_note(self.scale, done, seconds))
        return seconds

    def shapes(self, h: int, w: int) -> list[tuple[int, int]]:
        """The ``(h, w)`` shapes the network sees for ``h x w`` frames (the tiles sized first), largest first."""
        if not self._sized:
            self._size_tiles(h, w)
        steps = tile_steps(self.scale)
        return sorted({(p1 - p0, q1 - q0) for *_, p0, p1 in spans(h, self.tile, OVERLAP, steps[0])
                       for *_, q0, q1 in spans(w, self.tile, OVERLAP, steps[1])}, reverse=True)

    def _size_tiles(self, h: int, w: int):
        if self.auto:
            nf = self.model.config.num_feat
            self.tile = auto_tile(h, w, self.scale, nf, free_memory(self.device))
            if self.tile:
                self.log(f"frames are processed in {self.tile}-pixel tiles (overlap {OVERLAP}) to fit "
                         f"the {'GPU' if self.device.type == 'cuda' else 'system'} memory")
        self._sized = True

    @torch.no_grad()
    def __call__(self, window: torch.Tensor) -> torch.Tensor:
        """``window (1, 7, 3, h, w)`` on any device -> ``(3, H, W)`` float32 in [0, 1], on the device."""
        window = window.to(self.device, non_blocking=True)
        if not self._sized:
            self._size_tiles(*window.shape[-2:])
        while True:
            try:
                out = upscale_tiled(self.net, window, self.scale, self.out_hw, self.tile,
                                    between=self.between_tiles)
                return out.float().clamp_(0, 1)
            except RuntimeError as exc:
                if not _is_oom(exc):
                    raise
                self._shrink(window.shape[-2:])

    def _shrink(self, hw):
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        current = self.tile or max(hw)
        if current <= MIN_RETRY_TILE:
            raise OutOfMemory(f"out of {'GPU' if self.device.type == 'cuda' else 'system'} memory even with "
                              f"{MIN_RETRY_TILE}-pixel tiles: free memory, use a smaller scale "
                              "or --device cpu") from None
        self.tile = max(MIN_RETRY_TILE, current // 2 // 16 * 16)
        self.log(f"out of memory: retrying the frame with {self.tile}-pixel tiles")
