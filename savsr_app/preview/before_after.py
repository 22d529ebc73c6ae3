"""What the preview panes show: the "before" frame and the SAVSR tiles on top of it (no painting here)."""
from __future__ import annotations

from ..qt import QImage, QObject, QRect, Signal

MAX_PATCHES = 256       # tiles of the render's grid on screen at once


class PreviewImages(QObject):
    """The "before" image (whole frame at output size) and SAVSR patches on top of it."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.before: QImage | None = None
        self.patches: list[tuple[QImage, QRect]] = []
        self.busy = False
        self.seconds: float | None = None
        self.after_error: str | None = None
        self.before_label = "bicubic"
        self.flipped = False        # the panes swap before and after (the flip key)
        self.standin = False        # playback: the AFTER side shows bicubic where SAVSR is not cached
        self.progress = (0, 0)      # tiles of the view on screen, tiles in the view

    def set_flipped(self, on: bool):
        self.flipped = on
        self.changed.emit()

    def set_standin(self, on: bool):
        self.standin = on
        self.changed.emit()

    def set_progress(self, done: int, total: int):
        self.progress = (done, total)
        self.changed.emit()

    def set_before(self, image: QImage):
        self.before = image
        self.changed.emit()

    def add_patch(self, image: QImage, rect: QRect):
        self.patches = [p for p in self.patches if not rect.contains(p[1])][-(MAX_PATCHES - 1):]
        self.patches.append((image, rect))
        self.after_error = None
        self.changed.emit()

    def clear_patches(self):
        self.patches = []
        self.seconds = None
        self.changed.emit()

    def set_busy(self, busy: bool):
        self.busy = busy
        if busy:
            self.after_error = None
        self.changed.emit()

    def set_seconds(self, seconds: float):
        self.seconds = seconds
        self.changed.emit()

    def set_error(self, message: str | None):
        self.after_error = message
        self.changed.emit()

    def clear(self):
        self.before = None
        self.patches = []
        self.seconds = None
        self.after_error = None
        self.changed.emit()
