"""File > Open timeline: the clips an edit uses and their ranges plus handles, queued as jobs with the
app's settings; clips whose media is missing are listed one line each and the rest is queued; without
OpenTimelineIO the action says how to install it. (The edits are built as in tests/engine/test_conform.py.)"""
from __future__ import annotations

import builtins
import sys
from pathlib import Path

import pytest
from helpers.clipmaker import make_long_clip

from savsr_app.dialogs.timeline_dialog import INSTALL_HINT, open_timeline

otio = pytest.importorskip("opentimelineio")
FPS, HANDLES = 5, 4


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Two 8 s clips of real footage at 5 fps; the first starts at timecode 01:00:00:00."""
    folder = tmp_path_factory.mktemp("media")
    return (make_long_clip(folder / "interview a.mov", 8, fps=FPS, timecode="01:00:00:00"),
            make_long_clip(folder / "b_roll.mov", 8, fps=FPS))


def _timeline(path: Path, clips) -> Path:
    """A one-track edit; ``clips``: (name, media path or URL, first frame used, frames, available range start)."""
    from helpers.timelines import write_edit
    return write_edit(path, clips, FPS, 40)


def _dialog(qtbot, window, edit):
    window.runner.set_running(False)                 # queue only: these tests check the jobs, not renders
    dialog = open_timeline(window, str(edit))
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=30000):
        pass
    return dialog


def _column(dialog, col: int) -> list[str]:
    return [dialog.table.item(r, col).text() for r in range(dialog.table.rowCount())]


def test_the_dialog_shows_used_ranges_plus_handles_and_queues_them(qtbot, window, media, tmp_path):
    a, b = media
    edit = _timeline(tmp_path / "cut v3.otio", [("A", a, 10, 15, 3600 * FPS), ("B", b, 5, 10, None)])
    window.output_panel.codec.setCurrentIndex(window.output_panel.codec.findData("prores-lt"))
    window.scale_panel.set_factors(1.5, 1.5)
    dialog = _dialog(qtbot, window, edit)
    dialog.handles.setValue(HANDLES)
    with qtbot.waitSignal(dialog.loaded, timeout=30000):
        dialog.handles.editingFinished.emit()
    assert _column(dialog, 0) == ["A", "B"]
    assert _column(dialog, 1) == ["interview a.mov", "b_roll.mov"]
    assert _column(dialog, 2) == ["2.000–5.000", "1.000–3.000"]          # seconds into each file
    assert _column(dialog, 3) == ["1.200–5.800", "0.200–3.800"]          # plus 4 frames each side
    assert _column(dialog, 4) == [str(15 + 2 * HANDLES), str(10 + 2 * HANDLES)]
    assert dialog.missing.toPlainText() == "none"
    assert dialog.queue_button.isEnabled() and dialog.queue_button.text() == "Queue 2 piece(s)"
    folder = tmp_path / "pieces"
    dialog.folder.setText(str(folder))
    before = len(window.queue_model.entries)
    dialog.queue_button.click()
    entries = window.queue_model.entries[before:]
    assert [e.frames for e in entries] == [15 + 2 * HANDLES, 10 + 2 * HANDLES]
    ja, jb = (e.job for e in entries)
    assert (ja.input, jb.input) == (str(a), str(b))
    assert (ja.start, ja.end) == pytest.approx((1.2, 5.8)) and (jb.start, jb.end) == pytest.approx((0.2, 3.8))
    assert Path(ja.output).parent == folder and folder.is_dir()
    assert Path(ja.output).name == "interview a_savsr_000006-000028.mov"   # as savsr conform names its pieces
    for job in (ja, jb):
        assert (job.codec, job.scale_w, job.scale_h, job.deinterlace) == ("prores-lt", 1.5, 1.5, "auto")
        assert job.pixel_aspect is None
    assert entries[0].out_size == (48, 36)
    assert not dialog.isVisible()


def test_missing_media_are_listed_one_line_each_and_the_rest_is_queued(qtbot, window, media, tmp_path):
    a, _b = media
    lost, gone = tmp_path / "lost.mov", tmp_path / "also gone.mov"
    edit = _timeline(tmp_path / "edit.otio", [("A", a, 0, 5, None), ("Gone 1", lost, 0, 5, None),
                                              ("Gone 2", gone, 3, 5, None)])
    dialog = _dialog(qtbot, window, edit)
    assert dialog.missing.toPlainText().splitlines() == [
        f"'Gone 1' not queued, media not found: {lost.as_uri()}",
        f"'Gone 2' not queued, media not found: {gone.as_uri()}"]
    assert "2 clip(s) left out" in dialog.summary.text()
    assert _column(dialog, 0) == ["A"]
    before = len(window.queue_model.entries)
    dialog.queue_button.click()
    entries = window.queue_model.entries[before:]
    assert len(entries) == 1 and entries[0].job.input == str(a)
    assert entries[0].frames == 5 + 12                       # default handles 12, clamped at the file's start


def test_a_bad_timeline_says_why(qtbot, window, tmp_path):
    bad = tmp_path / "bad.otio"
    bad.write_text("{ not json")
    dialog = _dialog(qtbot, window, bad)
    assert dialog.summary.text().startswith("Cannot open bad.otio: cannot read timeline bad.otio:")
    assert not dialog.queue_button.isEnabled()


def test_without_opentimelineio_the_action_says_how_to_install_it(qtbot, window, monkeypatch):
    real_import = builtins.__import__

    def no_otio(name, *args, **kwargs):
        if name.startswith("opentimelineio"):
            raise ImportError("No module named 'opentimelineio'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "opentimelineio", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_otio)
    window.actions_by_name["open_timeline"].trigger()
    assert window.log_dock.has_recent(INSTALL_HINT)
    assert "pip install 'savsr-studio[timeline]'" in INSTALL_HINT
