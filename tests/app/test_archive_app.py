"""Archive footage in the app (issue 18): the deinterlace choice with the engine's note, the clip's
field order, pixel aspect and timecode, the square-pixels switch and pixel-aspect presets with the
scale panel in display terms, and the DNxHR and ProRes codecs. Each control is checked in the job
the queue renders; one tiny woven clip is rendered at field rate into square pixels."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from helpers.app_clips import RENDER_TIMEOUT, open_clip, panes
from helpers.clipmaker import make_tagged_clip, make_woven_clip

from engine.video import colour, interlace
from savsr_app.panels.codec_fields import CODEC_ORDER
from savsr_app.queue.jobs import DONE

WOVEN = (64, 48)      # w, h of the woven clip
WOVEN_FRAMES = 4      # 8 fields


@pytest.fixture(scope="module")
def woven(tmp_path_factory) -> Path:
    """4 frames woven from 8 consecutive real frames, flagged top field first."""
    return make_woven_clip(tmp_path_factory.mktemp("woven") / "woven tape.mp4", count=WOVEN_FRAMES, size=WOVEN)


@pytest.fixture(scope="module")
def pal_wide(tmp_path_factory) -> Path:
    """A 16:9 PAL frame size tagged 64:45, timecode 10:00:00:00 (one frame: it is never rendered)."""
    return make_tagged_clip(tmp_path_factory.mktemp("pal") / "pal.mov", count=2, size=(720, 576),
                            sample_aspect=Fraction(64, 45), timecode="10:00:00:00")


def choose(combo, data):
    i = combo.findData(data)
    assert i >= 0, data
    combo.setCurrentIndex(i)


def type_aspect(window, text: str):
    """Type a pixel aspect into the clip panel's field, as a user does (Enter)."""
    edit = window.clip_panel.pixel_aspect.lineEdit()
    edit.setText(text)
    edit.editingFinished.emit()


def test_clip_facts_show_field_order_pixel_aspect_and_timecode(qtbot, window, woven, pal_wide):
    open_clip(qtbot, window, woven)
    facts = {k: v.text() for k, v in window.clip_panel.values.items()}
    assert facts["Field order"] == "interlaced, top field first"
    assert facts["Pixel aspect"] == "square (1:1)"
    assert facts["Timecode"] == "none"
    open_clip(qtbot, window, pal_wide)
    facts = {k: v.text() for k, v in window.clip_panel.values.items()}
    assert facts["Pixel aspect"] == "64:45 (16:9 picture)"
    assert facts["Size"] == "720 × 576, shown 1024 × 576"
    assert facts["Timecode"] == "10:00:00:00"
    assert facts["Field order"] == "progressive"


def test_deinterlace_choice_goes_into_the_job_with_the_engines_note(qtbot, window, woven):
    open_clip(qtbot, window, woven)
    panel = window.clip_panel
    assert window.make_job().deinterlace == "auto"
    choose(panel.deinterlace, "field")
    job = window.make_job()
    assert job.deinterlace == "field"
    note = panel.note_label.text()
    assert "deinterlaced with bwdif, top field first" in note and "one frame per field, 50 fps" in note
    assert f"({2 * WOVEN_FRAMES} frames from {WOVEN_FRAMES})" in note
    assert f"{2 * WOVEN_FRAMES} frames" in window.scale_panel.output_label.text()
    choose(panel.deinterlace, "off")
    assert window.make_job().deinterlace == "off"
    assert "deinterlacing is off" in panel.note_label.text()
    choose(panel.deinterlace, "auto")
    assert "measure" in panel.note_label.text()


def test_square_pixels_and_presets_put_the_scale_panel_in_display_terms(qtbot, window, pal_wide):
    open_clip(qtbot, window, pal_wide)
    panel, scale = window.clip_panel, window.scale_panel
    assert panel.square.isChecked() and panel.square.isEnabled()      # on by default for non-square pixels
    assert scale.source == (1024.0, 576.0)
    scale.preset_buttons["1080p"].click()                              # 1920 x 1080 means 2.667 x 1.875
    assert (scale.w_px.value(), scale.h_px.value()) == (1920, 1080)
    job = window.make_job()
    assert job.square_pixels and job.pixel_aspect is None
    assert "Output: 1920 × 1080 (from 720 × 576, shown 1024 × 576)" in scale.output_label.text()
    assert "2.667 x 1.875 in one pass, output tagged 1:1" in panel.note_label.text()
    panel.square.setChecked(False)                                     # stored pixels: factors of 720 x 576
    assert not window.make_job().square_pixels
    assert scale.source == (720, 576)
    assert "pixel aspect 64:45 kept" in panel.note_label.text()
    panel.square.setChecked(True)
    # the tag is wrong: the source is 4:3 PAL (a preset); the factors follow the new picture, 768 x 576
    fits = {panel.pixel_aspect.itemData(i): panel.pixel_aspect.model().item(i).isEnabled()
            for i in range(panel.pixel_aspect.count())}
    assert fits["pal"] and fits["pal-wide"] and not fits["ntsc-dv"]    # presets for other frame sizes are off
    choose(panel.pixel_aspect, "pal")
    panel.pixel_aspect.activated.emit(panel.pixel_aspect.currentIndex())
    assert window.make_job().pixel_aspect == "pal"
    assert scale.source == (768.0, 576.0)
    scale.set_factors(2.0, 2.0)
    assert (scale.w_px.value(), scale.h_px.value()) == (1536, 1152)
    assert "Output: 1536 × 1152" in scale.output_label.text()


def test_a_typed_pixel_aspect_and_a_new_clip(qtbot, window, woven, pal_wide):
    open_clip(qtbot, window, woven)
    panel = window.clip_panel
    assert not panel.square.isEnabled()                 # square pixels: nothing to change
    type_aspect(window, "3:2")
    assert window.make_job().pixel_aspect == "3:2"
    assert panel.square.isEnabled() and window.scale_panel.source == (96.0, 48.0)
    type_aspect(window, "nonsense")
    assert "neither a ratio" in panel.note_label.text()
    type_aspect(window, "3:2")
    choose(panel.deinterlace, "field")
    open_clip(qtbot, window, pal_wide)                  # a new clip: its own tag again; the deinterlace mode stays
    job = window.make_job()
    assert job.pixel_aspect is None and job.square_pixels and job.deinterlace == "field"
    assert panel.pixel_aspect.currentIndex() == 0


def test_dnxhr_and_prores_in_the_codec_list_with_their_containers(qtbot, window, woven):
    open_clip(qtbot, window, woven)
    out = window.output_panel
    codecs = [out.codec.itemData(i) for i in range(out.codec.count())]
    assert codecs == list(CODEC_ORDER)
    for c in ("dnxhr-lb", "dnxhr-sq", "dnxhr-hq", "dnxhr-hqx", "dnxhr-444", "prores-proxy", "prores-lt",
              "prores-422", "prores", "prores4444"):
        assert c in codecs
    choose(out.codec, "dnxhr-hqx")
    assert [out.container.itemData(i) for i in range(out.container.count())] == [".mov", ".mxf"]
    choose(out.container, ".mxf")
    job = window.make_job()
    assert job.codec == "dnxhr-hqx" and job.output.endswith(".mxf")
    assert "DNxHR HQX needs frames of at least 256x120" in window.scale_panel.note_label.text()
    choose(out.codec, "prores-lt")
    assert [out.container.itemData(i) for i in range(out.container.count())] == [".mov", ".mkv"]
    assert window.make_job().codec == "prores-lt" and window.make_job().output.endswith(".mov")


@pytest.mark.slow
def test_woven_clip_renders_at_field_rate_into_square_pixels(qtbot, window, woven):
    from engine.video import probe
    open_clip(qtbot, window, woven)
    choose(window.clip_panel.deinterlace, "field")
    type_aspect(window, "3:2")                          # a tag the file lacks: 64x48 stored is 96x48 shown
    window.scale_panel.set_factors(1.0, 1.0)
    entry = window.add_to_queue()
    assert entry is not None
    job = entry.job
    assert (job.deinterlace, job.pixel_aspect, job.square_pixels) == ("field", "3:2", True)
    assert entry.out_size == (96, 48) and entry.frames == 2 * WOVEN_FRAMES
    with qtbot.waitSignal(window.runner.jobFinished, timeout=RENDER_TIMEOUT) as finished:
        pass
    assert finished.args == [entry.id, DONE]
    out = probe(job.output)
    assert out.frame_count == 2 * WOVEN_FRAMES                          # one frame per field
    assert out.frame_rate == 50
    assert (out.width, out.height, out.sample_aspect) == (96, 48, 1)    # square pixels
    assert out.field_order in ("progressive", "unknown") and not out.interlaced


def test_the_combing_is_measured_off_the_ui_thread(qtbot, window, tmp_path, monkeypatch):
    import threading

    from engine.video import interlace
    threads = []
    sample = interlace._sample
    monkeypatch.setattr(interlace, "_sample", lambda info: threads.append(threading.current_thread()) or sample(info))
    clip = make_woven_clip(tmp_path / "fresh.mp4", count=2, size=WOVEN)
    open_clip(qtbot, window, clip)
    choose(window.clip_panel.deinterlace, "frame")
    assert "deinterlaced with bwdif" in window.clip_panel.note_label.text()
    assert threads and threading.main_thread() not in threads


def _combing_at_source_size(rgb: np.ndarray) -> float:
    """The combing measure of a x2 view taken back to the source's lines (2x2 means)."""
    h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
    small = rgb[:h, :w].astype(np.float64).reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3)) / 255.0
    return interlace.combing(colour.luma(small))


def test_the_preview_shows_the_frames_the_render_deinterlaces(qtbot, window, tmp_path):
    """With deinterlacing on, the SAVSR pane is computed from the deinterlaced frames, as the render
    is: the comb the woven fields make is gone from it; with deinterlacing off it is enlarged."""
    c = window.controller
    woven = make_woven_clip(tmp_path / "moving.mp4", count=3, size=(160, 96))   # the butterfly's frames
    choose(window.clip_panel.deinterlace, "off")
    with qtbot.waitSignal(c.afterTime, timeout=120000):
        open_clip(qtbot, window, woven)
    assert c.grid.deinterlace is None and c.grid.scale == (2.0, 2.0)
    combed = _combing_at_source_size(panes(window)[1])
    with qtbot.waitSignal(c.afterTime, timeout=120000):
        choose(window.clip_panel.deinterlace, "frame")
    assert c.grid.deinterlace == "frame"
    deinterlaced = _combing_at_source_size(panes(window)[1])
    assert deinterlaced < 0.6 * combed          # measured: 0.36 against 0.80


def test_a_field_rate_render_is_estimated_at_twice_the_frames(qtbot, window, woven):
    open_clip(qtbot, window, woven)
    s = window.state
    overhead = s.estimate("cpu", frames=0).seconds          # what a render costs besides its frames
    choose(window.clip_panel.deinterlace, "frame")
    per_frame = s.estimate("cpu").seconds - overhead
    choose(window.clip_panel.deinterlace, "field")
    per_field = s.estimate("cpu").seconds - overhead
    assert per_frame > 0 and per_field == pytest.approx(2 * per_frame)
