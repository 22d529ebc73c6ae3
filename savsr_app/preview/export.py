"""File > Export comparison…: the preview's frame as a before/after PNG at full output resolution.

The engine computes it (:func:`engine.preview.compare.comparison_still`, the SAVSR half pixel for
pixel what the render writes); here it runs off the UI thread behind a progress dialog whose Cancel
stops it, and the window is told what happened through the signals.
"""
from __future__ import annotations

import threading
from pathlib import Path

from engine.preview.compare import Comparison

from ..qt import QObject, QPointF, QProgressDialog, Qt, QWidget, Signal

SHOW_AFTER_MS = 500         # short work never flashes a dialog


def export_png(job, index: int, how: Comparison, path: str, cancelled) -> str:
    """Compute and write the comparison (the background call); returns the path written."""
    from engine.preview.compare import comparison_still, write_png
    return str(write_png(comparison_still(job, index, how, cancelled), path, overwrite=True))


def comparison_for(area) -> Comparison:
    """The comparison as the preview shows it: side by side, or split where its line is."""
    if area.mode != "split":
        return Comparison(layout="side")
    width = area.viewport.image_size.width()
    pane = area.split_pane
    x = area.viewport.to_image(QPointF(pane.width() * pane.split, 0)).x()     # as visible_region finds it
    return Comparison(layout="split", split=min(1.0, max(0.0, x / width)) if width else 0.5)


class ComparisonExport(QObject):
    """One export at a time: :meth:`start`; ``finished(path)``, or ``failed(message)`` (a cancel
    says so)."""

    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, background, parent: QWidget):
        super().__init__(parent)
        self.background = background
        self.dialog: QProgressDialog | None = None
        self._cancel = threading.Event()

    @property
    def busy(self) -> bool:
        return self.dialog is not None

    def start(self, job, index: int, how: Comparison, path: str) -> bool:
        """Export frame ``index`` of ``job`` laid out as ``how`` to ``path``; ``False`` while one runs."""
        if self.busy:
            return False
        self._cancel = threading.Event()
        self.dialog = QProgressDialog(f"Computing the comparison of frame {index + 1} at full output "
                                      f"resolution…", "Cancel", 0, 0, self.parent())
        self.dialog.setWindowTitle("Export comparison")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(SHOW_AFTER_MS)
        self.dialog.canceled.connect(self._cancel.set)
        self.background.call(export_png, job, index, how, path, self._cancel.is_set,
                             done=self._done, failed=self._failed)
        return True

    def cancel(self):
        self._cancel.set()

    def _close(self):
        self.dialog.reset()
        self.dialog.deleteLater()
        self.dialog = None

    def _done(self, path: str):
        self._close()
        if self._cancel.is_set():
            Path(path).unlink(missing_ok=True)      # finished as it was cancelled: not wanted
            self.failed.emit("Comparison export cancelled.")
        else:
            self.finished.emit(path)

    def _failed(self, message: str):
        self._close()
        self.failed.emit("Comparison export cancelled." if self._cancel.is_set()
                         else f"Could not export the comparison: {message}")
