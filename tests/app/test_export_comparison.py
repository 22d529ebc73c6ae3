"""File > Export comparison…: the preview's frame before and after as a PNG at full output resolution."""
from __future__ import annotations

import numpy as np
from helpers.app_clips import open_clip

from savsr_app.qt import QFileDialog, QPushButton

EXPORT_TIMEOUT = 180_000


def read_png(path) -> np.ndarray:
    import av
    with av.open(str(path)) as c:
        return next(c.decode(video=0)).to_ndarray(format="rgb24")


def test_export_comparison_writes_a_side_by_side_png(qtbot, window, clip, tmp_path, monkeypatch):
    asked = {}

    def save_as(_parent, _title, suggested, _filter):
        asked["suggested"] = suggested
        return str(tmp_path / "for the client"), "PNG image (*.png)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_as))
    open_clip(qtbot, window, clip)
    window.transport.set_frame(4)
    assert window.preview.actions() == [window.actions_by_name["export_comparison"]]     # its right-click menu
    with qtbot.waitSignal(window.comparison.finished, timeout=EXPORT_TIMEOUT) as saved:
        window.actions_by_name["export_comparison"].trigger()
        assert window.status.currentMessage() == "Exporting the comparison of frame 5…"
    assert asked["suggested"].endswith("basketball_compare_5.png")
    assert saved.args == [str(tmp_path / "for the client.png")]
    image = read_png(saved.args[0])
    assert image.shape == (128, 2 * 192, 3)           # before and after, each at the output size (2x)
    before, after = image[:, :192].astype(int), image[:, 192:].astype(int)
    assert np.abs(before - after).mean() > 1.0        # SAVSR is not bicubic
    assert window.notifier.text() == "Comparison saved: for the client.png"


def test_a_cancelled_export_writes_nothing(qtbot, window, clip, tmp_path, monkeypatch):
    target = tmp_path / "never.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a: (str(target), "")))
    open_clip(qtbot, window, clip)
    with qtbot.waitSignal(window.comparison.failed, timeout=EXPORT_TIMEOUT) as failed:
        window.export_comparison()
        window.comparison.dialog.findChild(QPushButton).click()     # the progress dialog's Cancel
    assert failed.args == ["Comparison export cancelled."]
    assert not target.exists()
    assert not window.comparison.busy
