"""File > Export comparison… as the window runs it: asks where, starts the export, tells the result.

The export itself (off the UI thread, with its progress dialog and Cancel) is
:class:`~savsr_app.preview.export.ComparisonExport`, held by the window as ``window.comparison``.
"""
from __future__ import annotations

from pathlib import Path

from ..qt import QFileDialog


def wire(window):
    """Tell the user how the window's comparison export ended: status bar, notification, log."""
    def saved(path: str):
        window.status.clearMessage()
        window.notify(f"Comparison saved: {Path(path).name}", "info")
        window.log_dock.append(f"comparison saved: {path}")

    def failed(message: str):
        window.status.clearMessage()
        window.notify(message, "info" if message.endswith("cancelled.") else "error")

    window.comparison.finished.connect(saved)
    window.comparison.failed.connect(failed)


def ask_and_export(window):
    """The current frame before and after, as the preview lays them out, as a PNG at full output
    resolution where the user chooses."""
    from ..preview.export import comparison_for
    from ..queue.jobs import default_folder
    planned = window.state.planned
    if planned is None:
        window.notify("Open a clip first (Ctrl+O).", "info")
        return
    if planned.plan is None:
        window.notify(f"Cannot export a comparison with these settings: {planned.error}", "error")
        return
    index, out = window.controller.frame, window.state.output
    folder = Path(out.folder).expanduser() if out.folder else default_folder(planned.clip.path)
    suggested = folder / f"{Path(planned.clip.path).stem}_compare_{index + 1}.png"
    path, _ = QFileDialog.getSaveFileName(window, "Export comparison", str(suggested), "PNG image (*.png)")
    if not path:
        return
    path = path if path.lower().endswith(".png") else path + ".png"
    if window.comparison.start(window.state.job(path), index, comparison_for(window.preview), path):
        window.status.showMessage(f"Exporting the comparison of frame {index + 1}…")
    else:
        window.notify("A comparison is being exported already.", "info")
