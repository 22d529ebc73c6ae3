"""The live preview: the render's tiles centre first, the tile cache, playback keys, the cache range, flip."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers.app_clips import open_clip, panes

import savsr_app.preview.worker as preview_worker
from savsr_app.preview.wiring import cache_span
from savsr_app.qt import Qt

TILE = 32       # LR pixels: the 96x64 test clip becomes 3 x 2 tiles


@pytest.fixture
def computed(monkeypatch):
    """Every tile the worker computes, as ``(frame, index)``; ``cancelled`` the ones stopped part way."""
    log = {"computed": [], "cancelled": []}
    real = preview_worker.upscale_tile

    def counting(model, window, grid, index, device="cpu", cancelled=None):
        try:
            tile = real(model, window, grid, index, device, cancelled)
        except preview_worker.PreviewCancelled:
            log["cancelled"].append(index)
            raise
        log["computed"].append(index)
        return tile
    monkeypatch.setattr(preview_worker, "upscale_tile", counting)
    return log


@pytest.fixture
def tiled(qtbot, window, clip):
    """The window with the test clip open in 32-pixel tiles on torch, its first view computed."""
    s = window.state
    s.set_model(dataclasses.replace(s.model, tile=TILE, backend="torch"))
    with qtbot.waitSignal(window.controller.afterTime, timeout=120000):
        open_clip(qtbot, window, clip)
    return window


def view_done(qtbot, window, timeout=120000):
    qtbot.waitUntil(lambda: not window.controller.busy and window.controller.cached(window.controller.frame),
                    timeout=timeout)


def test_tiles_arrive_centre_first_and_fill_the_view(qtbot, tiled):
    c = tiled.controller
    assert len(c.grid.tiles) == 6 and c.grid.tile == TILE
    rects = []
    c.afterPatch.connect(lambda _image, rect: rects.append(rect))
    with qtbot.waitSignal(c.afterTime, timeout=120000):
        tiled.transport.set_frame(5)
    assert len(rects) == 6
    cx, cy = c.region.x + c.region.w / 2, c.region.y + c.region.h / 2
    first = rects[0]                            # the tile under the view's centre (here: on a corner)
    assert first.left() <= cx <= first.right() + 1 and first.top() <= cy <= first.bottom() + 1
    far = [abs(r.x() + r.width() / 2 - cx) + abs(r.y() + r.height() / 2 - cy) for r in rects]
    assert far[0] == min(far) and far[-1] == max(far)
    before, after = panes(tiled)
    assert np.abs(after.astype(int) - before.astype(int)).mean() > 1.0     # SAVSR all over, not bicubic


def test_a_cached_view_comes_back_without_the_network(qtbot, tiled, computed):
    c = tiled.controller
    with qtbot.waitSignal(c.afterTime, timeout=120000):
        tiled.transport.set_frame(6)
    view_done(qtbot, tiled)
    computed["computed"].clear()
    shown = []
    c.afterPatch.connect(lambda _image, rect: shown.append(rect))
    tiled.transport.set_frame(0)                # the first frame's view is cached: on screen at once
    assert len(shown) == 6 and not c.busy
    assert computed["computed"] == []


def test_a_change_stops_stale_tiles(qtbot, tiled, computed):
    c = tiled.controller
    c.pending.replace([])
    tiled.transport.set_frame(7)
    qtbot.waitUntil(lambda: bool(c.tile_worker.running), timeout=60000)
    tiled.transport.set_frame(2)                # frame 7's tiles are no longer wanted
    view_done(qtbot, tiled)
    assert computed["cancelled"] or not all(c._key(7, i) in c.cache for i in range(6))


def test_playback_keys(qtbot, tiled):
    t = tiled.transport
    tiled.activateWindow()
    tiled.preview.setFocus()
    qtbot.keyClick(tiled, Qt.Key.Key_End)
    assert t.frame == 9
    qtbot.keyClick(tiled, Qt.Key.Key_Home)
    assert t.frame == 0
    qtbot.keyClick(tiled, Qt.Key.Key_L)
    assert t.playing and t.speed == 1
    qtbot.keyClick(tiled, Qt.Key.Key_L)
    assert t.speed == 2
    qtbot.keyClick(tiled, Qt.Key.Key_K)
    assert not t.playing
    qtbot.keyClick(tiled, Qt.Key.Key_Right)
    assert t.frame >= 1
    qtbot.keyClick(tiled, Qt.Key.Key_J)
    assert t.speed == -1
    qtbot.keyClick(tiled, Qt.Key.Key_Space)
    assert not t.playing
    qtbot.keyClick(tiled, Qt.Key.Key_Space)
    assert t.playing and t.speed == 1
    qtbot.waitUntil(lambda: not t.playing, timeout=5000)     # 10 frames at 25 fps, then it stops at the end
    assert t.frame == 9


def test_cache_range_fills_the_bar_and_plays_savsr(qtbot, tiled, computed):
    c, t = tiled.controller, tiled.transport
    t.set_range(2, 6)
    assert cache_span(t) == (2, 6)
    with qtbot.waitSignal(c.cachedFrames, timeout=240000, check_params_cb=lambda done: set(range(2, 7)) <= done):
        tiled.actions_by_name["cache_range"].trigger()
    assert set(range(2, 7)) <= t.slider.cached
    computed["computed"].clear()
    standins = []
    c.standinChanged.connect(standins.append)
    t.set_frame(2)
    t.play(1)
    qtbot.waitUntil(lambda: t.frame >= 6, timeout=5000)
    t.pause()
    assert True not in standins                # every frame of the range played as SAVSR
    assert computed["computed"] == []


def test_flip_key_swaps_before_and_after(qtbot, tiled):
    images = tiled.preview.images
    qtbot.keyClick(tiled, Qt.Key.Key_Backslash)
    assert images.flipped
    qtbot.keyClick(tiled, Qt.Key.Key_Backslash)
    assert not images.flipped


def test_200_and_400_percent(qtbot, tiled):
    area = tiled.preview
    area.zoom_to(4)
    assert area.viewport.percent == pytest.approx(400, abs=1)
    assert "400%" in area.zoom_label.text()


def test_a_failure_from_an_older_grid_is_not_shown_on_the_current_view(qtbot, tiled):
    c = tiled.controller
    errors = []
    c.error.connect(lambda pane, message: errors.append((pane, message)))
    current = c._key(c.frame, 0)
    stale = (current[0], current[1], "a grid of an older scale", *current[3:])
    c.tile_worker.failed.emit(stale, "out of memory")
    qtbot.wait(50)
    assert errors == []
    c.tile_worker.failed.emit(current, "out of memory")
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert errors == [("after", "out of memory")]


def test_a_scale_change_is_planned_once_and_sends_only_its_own_grid(qtbot, tiled, monkeypatch):
    import importlib
    planning = importlib.import_module("engine.render.plan")     # the module (engine.render.plan is the function)
    c = tiled.controller
    old, planned, sent, sizes, cleared = c.grid, [], [], [], []
    real_plan, replace = planning.plan, c.pending.replace
    monkeypatch.setattr(planning, "plan", lambda job, *a, **k: planned.append(job) or real_plan(job, *a, **k))
    monkeypatch.setattr(c.pending, "replace", lambda tasks: sent.extend(tasks) or replace(tasks))
    c.outputSizeChanged.connect(lambda w, h: sizes.append((w, h)))
    c.afterCleared.connect(lambda: cleared.append(True))
    with qtbot.waitSignal(c.afterTime, timeout=120000):
        tiled.scale_panel.w_factor.setValue(3.0)        # linked: both factors
    assert [(job.scale_w, job.scale_h) for job in planned] == [(3.0, 3.0)]      # one plan, of the new job
    assert c.grid != old and c.grid.display_size == (288, 192)
    assert sent and {task.grid for task in sent} == {c.grid}       # no tile of the old grid was asked for
    assert set(sizes) == {(288, 192)} and len(cleared) == 1         # no "before" image at the old size
