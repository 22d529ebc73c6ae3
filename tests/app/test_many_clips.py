"""Many clips at once: opened or dropped together, queued together, each planned for its own size."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app_clips import encode_clip

from savsr_app.qt import QDropEvent, QMimeData, QPointF, Qt, QUrl


@pytest.fixture(scope="module")
def three_clips(footage_dir, tmp_path_factory) -> list[Path]:
    """Real clips of three shapes: 3:2, 16:9 and 4:3."""
    where = tmp_path_factory.mktemp("three")
    return [encode_clip(footage_dir, where / f"{name}.mp4", size=size, count=3)
            for name, size in (("wide", (96, 64)), ("hd", (128, 72)), ("sd", (64, 48)))]


def drop(window, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    window.dropEvent(QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                                Qt.KeyboardModifier.NoModifier))


def add_all(qtbot, window, count: int) -> dict[str, tuple[int, int]]:
    """Add all to queue; waits for ``count`` entries; returns each clip's output size by its file name."""
    before = len(window.queue_model.entries)
    window.actions_by_name["add_all"].trigger()
    qtbot.waitUntil(lambda: len(window.queue_model.entries) == before + count, timeout=30000)
    return {e.name: e.out_size for e in window.queue_model.entries[before:]}


def test_a_drop_of_three_clips_queues_each_at_its_own_size(qtbot, window, three_clips):
    window.runner.set_running(False)            # planned only: nothing renders
    with qtbot.waitSignal(window.clipOpened, timeout=30000):
        drop(window, three_clips)
    assert window.info.path == str(three_clips[0])
    assert "3 clips: showing wide.mp4" in window.notifier.text()
    window.scale_panel.apply_preset("size", (256, 144))      # a preset that names a size
    assert window.scale_panel.output_size() == (216, 144)     # 3:2 fits inside 16:9
    sizes = add_all(qtbot, window, 3)
    assert sizes == {"wide.mp4": (216, 144), "hd.mp4": (256, 144), "sd.mp4": (192, 144)}
    outputs = [Path(e.job.output).name for e in window.queue_model.entries]
    assert outputs == ["wide_savsr_216x144.mp4", "hd_savsr_256x144.mp4", "sd_savsr_192x144.mp4"]
    window.scale_panel.w_factor.setValue(2.0)                 # factors stay factors
    sizes = add_all(qtbot, window, 3)
    assert sizes == {"wide.mp4": (192, 128), "hd.mp4": (256, 144), "sd.mp4": (128, 96)}
    assert "Queued 3 clip(s)" in window.notifier.text()


def test_a_size_preset_gives_the_next_clip_that_size(qtbot, window, three_clips):
    from helpers.app_clips import open_clip
    open_clip(qtbot, window, three_clips[2])
    window.scale_panel.apply_preset("size", (256, 144))
    assert window.scale_panel.output_size() == (192, 144)
    open_clip(qtbot, window, three_clips[1])
    assert window.scale_panel.output_size() == (256, 144)     # not the last clip's factors (3x: 384x216)
