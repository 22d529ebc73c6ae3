"""UI-side half of the preview: turns frame, scale and viewport changes into worker requests.

The "before" image is asked for at once on every frame or scale change; the SAVSR region is
asked for ~250 ms after the last change (debounced). Each request bumps a serial, so the worker
skips or aborts anything older, and answers for old serials are ignored here too.
"""
from __future__ import annotations

from engine.preview import Region, output_hw

from .preview_worker import Latest, PreviewRequest, PreviewWorker
from ..qt import QImage, QObject, QRect, QThread, QTimer, Signal

DEBOUNCE_MS = 250


class PreviewController(QObject):
    beforeImage = Signal(QImage)            # the whole frame at output size
    afterPatch = Signal(QImage, QRect)      # SAVSR of a region, in output pixels
    afterCleared = Signal()                 # frame/scale changed: old patches are wrong now
    busyChanged = Signal(bool)
    afterTime = Signal(float)               # seconds the last SAVSR region took
    error = Signal(str, str)                # "before" | "after", message
    modelLoaded = Signal(str)
    outputSizeChanged = Signal(int, int)    # preview output (w, h)
    _wantBefore = Signal(object)            # queued to the worker's thread
    _wantAfter = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.latest = Latest()
        self.thread = QThread()
        self.thread.setObjectName("preview")
        self.worker = PreviewWorker(self.latest)
        self.worker.moveToThread(self.thread)
        self.thread.finished.connect(self.worker.deleteLater)
        self._wantBefore.connect(self.worker.before)
        self._wantAfter.connect(self.worker.after)
        self.worker.beforeReady.connect(self._on_before)
        self.worker.afterReady.connect(self._on_after)
        self.worker.failed.connect(self._on_failed)
        self.worker.modelLoaded.connect(self.modelLoaded)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS, timeout=self._send_after)
        self.info = None
        self.frame = 0
        self.scale = (2.0, 2.0)
        self.method = "bicubic"
        self.region: Region | None = None
        self.model: str | None = None
        self.device = "auto"
        self._busy = False
        self.thread.start()

    # ---- inputs ------------------------------------------------------------------------------
    def set_clip(self, info, frame: int = 0):
        self.info, self.frame = info, frame
        self._send_before()

    def set_frame(self, frame: int):
        if frame != self.frame:
            self.frame = frame
            self._send_before()

    def set_scale(self, s_h: float, s_w: float):
        if (s_h, s_w) != self.scale:
            self.scale = (s_h, s_w)
            self._send_before()

    def set_method(self, method: str):
        if method != self.method:
            self.method = method
            self._send_before(keep_after=True)

    def set_model(self, model: str | None, device: str):
        if (model, device) != (self.model, self.device):
            self.model, self.device = model, device
            self._invalidate_after()

    def set_region(self, rect: QRect):
        region = Region(rect.x(), rect.y(), rect.width(), rect.height())
        if region != self.region:
            self.region = region
            self._schedule_after()

    def output_size(self) -> tuple[int, int] | None:
        if self.info is None:
            return None
        w, h = self.info.display_size
        H, W = output_hw(h, w, self.scale)
        return W, H

    # ---- requests ----------------------------------------------------------------------------
    def _request(self, serial: int, region=None) -> PreviewRequest:
        return PreviewRequest(serial, self.info, self.frame, self.scale, self.method, region, self.model, self.device)

    def _send_before(self, keep_after: bool = False):
        if self.info is None:
            return
        self.latest.before += 1
        self._wantBefore.emit(self._request(self.latest.before))
        size = self.output_size()
        self.outputSizeChanged.emit(*size)
        if not keep_after:
            self._invalidate_after()

    def _invalidate_after(self):
        self.latest.after += 1        # stale work stops now
        self.afterCleared.emit()
        self._schedule_after()

    def _schedule_after(self):
        self.latest.after += 1
        if self.info is None or self.region is None:
            self._set_busy(False)
            return
        self._set_busy(True)
        self._timer.start()

    def _send_after(self):
        size = self.output_size()
        if size is None or self.region is None:
            return
        region = self.region.clamp(*size)
        if region.empty:
            self._set_busy(False)
            return
        self.latest.after += 1
        self._wantAfter.emit(self._request(self.latest.after, region))

    # ---- answers -----------------------------------------------------------------------------
    def _on_before(self, serial: int, image: QImage):
        if serial == self.latest.before:
            self.beforeImage.emit(image)

    def _on_after(self, serial: int, image: QImage, rect: QRect, seconds: float):
        if serial == self.latest.after:
            self._set_busy(False)
            self.afterPatch.emit(image, rect)
            self.afterTime.emit(seconds)

    def _on_failed(self, serial: int, which: str, message: str):
        current = self.latest.before if which == "before" else self.latest.after
        if serial == current:
            if which == "after":
                self._set_busy(False)
            self.error.emit(which, message)

    def _set_busy(self, busy: bool):
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    @property
    def busy(self) -> bool:
        return self._busy

    def shutdown(self):
        """Stop stale work and the thread; waits for the worker to leave its current layer."""
        self._timer.stop()
        self.latest.before += 1
        self.latest.after += 1
        self.thread.quit()
        self.thread.wait()
