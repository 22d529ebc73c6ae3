"""Preview computation off the UI thread: the "before" frame and the SAVSR region.

:class:`PreviewWorker` lives in its own ``QThread``. The UI bumps a serial number in
:class:`Latest` with every request; the worker drops requests that are no longer the latest
before starting them, and a running SAVSR pass stops within one layer once it is stale
(``engine.preview.cancellable``). Latest request wins.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from engine.errors import SavsrError
from engine.preview import FrameCache, PreviewCancelled, Region, output_hw, resize, upscale_region

from .images import qimage_from_rgb
from ..qt import QImage, QObject, QRect, Signal, Slot


class Latest:
    """Serial numbers of the newest before/after requests; written by the UI, read by the worker."""

    def __init__(self):
        self.before = 0
        self.after = 0


@dataclass(frozen=True)
class PreviewRequest:
    serial: int
    info: object                 # engine.video.ClipInfo
    frame: int
    scale: tuple[float, float]   # (s_h, s_w), display orientation
    method: str = "bicubic"
    region: Region | None = None
    model: str | None = None
    device: str = "auto"


class PreviewWorker(QObject):
    """Computes previews; every signal carries the serial of the request it answers."""

    beforeReady = Signal(int, QImage)
    afterReady = Signal(int, QImage, QRect, float)
    failed = Signal(int, str, str)      # serial, "before" | "after", message
    modelLoaded = Signal(str)           # model name

    def __init__(self, latest: Latest):
        super().__init__()
        self.latest = latest
        self._cache: FrameCache | None = None
        self._cache_key = None
        self._model = None
        self._model_key = None

    def _frames(self, info) -> FrameCache:
        key = (info.path, info.frame_count)
        if self._cache_key != key:
            from engine.video import read_frames
            self._cache = FrameCache(lambda idx: read_frames(info, idx), info.frame_count, info.rotation)
            self._cache_key = key
        return self._cache

    def _load_model(self, path: str | None, device: str):
        key = (path, device)
        if self._model_key != key:
            from engine.checkpoint import load_model
            from engine.devices import resolve_device
            self._model = None
            self._model = load_model(path, resolve_device(device))
            self._model_key = key
            self.modelLoaded.emit(self._model.metadata.get("name", "model"))
        return self._model

    @Slot(object)
    def before(self, req: PreviewRequest):
        if req.serial != self.latest.before:
            return
        try:
            frame = self._frames(req.info).get([req.frame])[0]
            image = resize(frame, output_hw(*frame.shape[:2], req.scale), req.method)
        except (SavsrError, OSError, ValueError, IndexError) as exc:
            self.failed.emit(req.serial, "before", str(exc))
            return
        self.beforeReady.emit(req.serial, qimage_from_rgb(image))

    @Slot(object)
    def after(self, req: PreviewRequest):
        if req.serial != self.latest.after or req.region is None or req.region.empty:
            return
        started = time.perf_counter()
        try:
            model = self._load_model(req.model, req.device)
            window = self._frames(req.info).window(req.frame, model.num_frame)
            device = next(model.parameters()).device
            patch = upscale_region(model, window, req.scale, req.region, device,
                                   cancelled=lambda: req.serial != self.latest.after)
        except PreviewCancelled:
            return
        except (SavsrError, OSError, ValueError, IndexError, RuntimeError) as exc:
            self.failed.emit(req.serial, "after", str(exc))
            return
        seconds = time.perf_counter() - started
        r = req.region
        self.afterReady.emit(req.serial, qimage_from_rgb(patch), QRect(r.x, r.y, r.w, r.h), seconds)
