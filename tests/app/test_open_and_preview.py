"""Opening real clips, the scale panel, and the before/after preview."""
from __future__ import annotations

import numpy as np
import pytest
from helpers.app_clips import CLIP_FRAMES, CLIP_SIZE, encode_clip, open_clip

from savsr_app.preview.images import rgb_from_qimage
from savsr_app.qt import QPointF


def wait_patch(qtbot, window, timeout=60000):
    """Wait for the next SAVSR region of the current request; returns (image array, rect)."""
    with qtbot.waitSignal(window.controller.afterPatch, timeout=timeout) as blocker:
        pass
    image, rect = blocker.args
    return rgb_from_qimage(image), rect


def test_open_clip_shows_facts_and_both_panes(qtbot, window, clip):
    with qtbot.waitSignal(window.controller.afterPatch, timeout=60000) as patch:
        info = open_clip(qtbot, window, clip)
    assert (info.width, info.height, info.frame_count) == (*CLIP_SIZE, CLIP_FRAMES)
    assert window.clip_panel.values["Size"].text() == f"{CLIP_SIZE[0]} × {CLIP_SIZE[1]}"
    assert window.clip_panel.values["Duration"].text() == f"00:00:00.400 ({CLIP_FRAMES} frames)"
    assert window.clip_panel.values["Codec"].text().startswith("h264")
    assert "Output: 192 × 128" in window.scale_panel.output_label.text()
    qtbot.waitUntil(lambda: window.preview.images.before is not None, timeout=30000)
    before = rgb_from_qimage(window.preview.images.before)
    assert before.shape == (128, 192, 3)
    after, rect = rgb_from_qimage(patch.args[0]), patch.args[1]
    assert rect.width() > 0 and rect.height() > 0
    bicubic_part = before[rect.y():rect.y() + rect.height(), rect.x():rect.x() + rect.width()]
    assert after.shape == bicubic_part.shape
    assert np.abs(after.astype(int) - bicubic_part.astype(int)).mean() > 1.0   # SAVSR is not bicubic
    assert window.preview.images.seconds is not None and not window.preview.images.busy


def test_a_clip_cut_short_says_so(qtbot, window, tmp_path):
    from helpers.clipmaker import make_clip
    data = make_clip(tmp_path / "whole.mkv", count=60).read_bytes()     # 2.4 s
    cut = tmp_path / "copy stopped halfway.mkv"
    cut.write_bytes(data[: len(data) // 2])
    info = open_clip(qtbot, window, cut)
    assert 0 < info.frame_count < 60
    assert "— cut short? header says 00:00:02.4" in window.clip_panel.values["Duration"].text()


def test_changing_factors_updates_size_and_both_panes(qtbot, window, clip):
    with qtbot.waitSignal(window.controller.afterPatch, timeout=60000):
        open_clip(qtbot, window, clip)
    panel = window.scale_panel
    panel.link.setChecked(False)
    with qtbot.waitSignal(window.controller.afterPatch, timeout=60000) as patch:
        # a before image of the old size may still be on its way: wait for the one at the new size
        with qtbot.waitSignal(window.controller.beforeImage, timeout=30000,
                              check_params_cb=lambda image, *_: image.width() == 288) as before:
            panel.w_factor.setValue(3.0)
    assert "Output: 288 × 128" in panel.output_label.text()
    image = rgb_from_qimage(before.args[0])
    assert image.shape == (128, 288, 3)
    after, rect = rgb_from_qimage(patch.args[0]), patch.args[1]
    assert rect.right() < 288 and after.shape[:2] == (rect.height(), rect.width())
    part = image[rect.y():rect.y() + rect.height(), rect.x():rect.x() + rect.width()]
    assert np.abs(after.astype(int) - part.astype(int)).mean() > 1.0


def test_link_and_size_fields_stay_consistent(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    p, state = window.scale_panel, window.state       # the panel shows and edits the state's factors
    assert p.linked
    p.w_factor.setValue(2.5)
    assert p.h_factor.value() == pytest.approx(2.5)
    assert (p.w_px.value(), p.h_px.value()) == (240, 160)
    p.h_px.setValue(96)                    # linked: the width follows the height's factor
    assert state.scale.h == pytest.approx(1.5) and state.scale.w == pytest.approx(1.5)
    assert p.w_px.value() == 144
    p.link.setChecked(False)
    p.h_px.setValue(100)                   # unlinked: only the height changes
    assert state.scale.h == pytest.approx(100 / 64)
    assert p.h_factor.value() == pytest.approx(1.562, abs=1e-3)
    assert p.w_px.value() == 144 and state.scale.w == pytest.approx(1.5)
    p.link.setChecked(True)                # relinking takes the width factor for both
    assert state.scale.h == pytest.approx(1.5) and p.h_px.value() == 96
    p.apply_preset("anamorphic", (4 / 3, 1.0))
    assert not p.linked and state.scale.w == pytest.approx(2.0) and state.scale.h == pytest.approx(1.5)
    assert "Output: 192 × 96" in p.output_label.text()
    p.w_factor.setValue(9.0)               # clamped to the network's range
    assert state.scale.w == pytest.approx(4.0) and p.w_px.value() == 384


def test_presets_hit_target_sizes(qtbot, window, footage_dir, clip_dir):
    wide = encode_clip(footage_dir, clip_dir / "wide.mp4", size=(640, 360), count=8)
    open_clip(qtbot, window, wide)
    p = window.scale_panel
    p.preset_buttons["1080p"].click()
    assert (p.w_px.value(), p.h_px.value()) == (1920, 1080) and p.linked
    assert "1920 × 1080" in p.output_label.text()
    assert not p.preset_buttons["4K UHD"].isEnabled()      # would need a factor of 6
    p.preset_buttons["4K UHD"].click()
    assert (p.w_px.value(), p.h_px.value()) == (1920, 1080)
    p.preset_buttons["2x"].click()
    assert (p.w_px.value(), p.h_px.value()) == (1280, 720)


def _bytes(name: str, content: bytes):
    def make(folder, _data):
        (folder / name).write_bytes(content)
        return folder / name
    return make


def _truncated(folder, _data):
    from helpers.clipmaker import make_clip
    data = make_clip(folder / "whole.mp4", count=6).read_bytes()
    cut = folder / "copied off the card.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])   # the index (moov) at the end is lost
    return cut


def _audio_only(folder, _data):
    from helpers.clipmaker import write_audio_only
    return write_audio_only(folder / "song.m4a")


def _no_frames(folder, _data):
    from helpers.clipmaker import write_no_frames
    return write_no_frames(folder / "stopped at once.mkv", flush=True)


BAD_FILES = {
    "not a video": _bytes("holiday.mp4", b"this is not a video" * 100),
    "empty file": _bytes("empty.mp4", b""),
    "still image": lambda _folder, frames: frames / "001.png",
    "audio only": _audio_only,
    "no frames": _no_frames,
    "truncated": _truncated,
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_shows_the_engines_message(case, qtbot, window, tmp_path, footage_dir):
    from helpers.clipmaker import file_hash

    from engine.errors import SavsrError
    from engine.video import probe
    bad = BAD_FILES[case](tmp_path, footage_dir)
    before = file_hash(bad)
    with pytest.raises(SavsrError) as expected:
        probe(bad)
    with qtbot.waitSignal(window.openFailed, timeout=30000) as failed:
        window.open_path(str(bad))
    assert failed.args[0] == str(expected.value)
    assert window.notifier.text() == str(expected.value)
    assert window.info is None and file_hash(bad) == before


def test_latest_frame_wins(qtbot, window, clip):
    from engine.preview.tiles import output_hw, resize
    from engine.video import read_frames
    info = open_clip(qtbot, window, clip)
    for frame in (3, 5, 7):
        window.transport.set_frame(frame)
    qtbot.waitUntil(lambda: window.preview.images.before is not None, timeout=30000)
    with qtbot.waitSignal(window.controller.afterPatch, timeout=60000):
        pass
    expected = resize(read_frames(info, [7])[0], output_hw(64, 96, (2.0, 2.0)))
    qtbot.waitUntil(lambda: np.array_equal(rgb_from_qimage(window.preview.images.before), expected), timeout=30000)
    assert window.controller.frame == 7
    assert "frame 8 / 10" in window.transport.time_label.text()


def test_zoom_and_pan_stay_in_step(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    area = window.preview
    area.viewport.set_zoom(4.0)
    area.viewport.pan(-50, -20)
    region = area.visible_region()
    assert region.width() < 192 and region.height() < 128       # zoomed in: part of the frame
    for pane in (area.before_pane, area.after_pane):
        assert pane.viewport is area.viewport
    with qtbot.waitSignal(area.regionChanged, timeout=5000) as moved:
        area.set_mode("split")
    assert area.split_pane.isVisible() and not area.after_pane.isVisible()
    assert moved.args[0].isValid()
    area.viewport.fit()
    region = area.visible_region()              # SAVSR is needed right of the split line only
    assert (region.left(), region.width(), region.height()) == (96, 96, 128)
    area.split_pane.split = 0.25
    with qtbot.waitSignal(area.regionChanged, timeout=5000) as moved:
        area.split_pane.splitMoved.emit(0.25)
    expected = area.viewport.to_image(QPointF(area.split_pane.width() * 0.25, 0)).x()
    assert moved.args[0].left() == int(expected) and 0 < expected < 96
    area.set_mode("side")
    assert area.visible_region().width() == 192 and area.visible_region().height() == 128


def test_hidden_split_pane_does_not_move_the_view(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    area = window.preview
    area.viewport.set_zoom(2.0)
    before = area.visible_region()
    window.grab()                  # sends pending resize events to the hidden split pane as well
    assert area.visible_region() == before
    assert area.viewport.pane_size == area.after_pane.size()


def test_before_pane_can_show_nearest_neighbour(qtbot, window, clip):
    from engine.preview.tiles import resize
    from engine.video import read_frames
    info = open_clip(qtbot, window, clip)
    qtbot.waitUntil(lambda: window.preview.images.before is not None, timeout=30000)
    combo = window.preview.method_combo
    with qtbot.waitSignal(window.controller.beforeImage, timeout=30000) as shown:
        combo.setCurrentIndex(combo.findData("nearest"))
    expected = resize(read_frames(info, [0])[0], (128, 192), "nearest")
    assert np.array_equal(rgb_from_qimage(shown.args[0]), expected)
    assert window.preview.images.before_label == "nearest"


def test_missing_model_is_explained_in_the_savsr_pane(qtbot, window, clip, monkeypatch):
    import engine.models.checkpoint
    import engine.models.choice
    monkeypatch.setattr(engine.models.checkpoint, "default_model_path", lambda: None)
    monkeypatch.setattr(engine.models.choice, "bundled_model", lambda _name: None)
    window.settings.model = ""                       # the bundled model, which this install lacks
    window.apply_settings()
    with qtbot.waitSignal(window.controller.error, timeout=60000) as failed:
        open_clip(qtbot, window, clip)
    said = failed.args[1]
    assert failed.args[0] == "after" and "installed" in said       # the engine says which model is missing
    assert window.preview.images.after_error == said
    qtbot.waitUntil(lambda: window.preview.images.before is not None, timeout=30000)   # before still works
    # the spinner stops after the failure instead of spinning on
    qtbot.waitUntil(lambda: not window.preview.images.busy, timeout=30000)
    assert window.preview.images.after_error == said


def test_opening_a_clip_computes_its_view_with_the_jobs_network_only(qtbot, window, clip, monkeypatch):
    from savsr_app.preview.worker import Net
    pending = window.controller.pending
    take, started = pending.take, []

    def recording_take(running):
        task = take(running)
        if task is not None:
            started.append(task.net)
        return task
    monkeypatch.setattr(pending, "take", recording_take)
    open_clip(qtbot, window, clip)
    qtbot.waitUntil(lambda: bool(window.preview.images.patches) and not window.preview.images.busy, timeout=60000)
    job = window.controller.planned.job
    assert started and set(started) == {Net(job.model, job.device, job.backend, job.precision)}
