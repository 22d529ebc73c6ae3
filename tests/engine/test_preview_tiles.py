"""engine.preview.tiles's tiles are the render's pixels: bit-identical to a rendered PNG frame."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import torch
from helpers.clipmaker import decoded_frames, make_clip
from helpers.giving_way import held_during_a_preview

from engine.models.checkpoint import load_model
from engine.preview.tiles import PreviewGrid, Region, TileCache, render_tile, upscale_tile
from engine.render.frame_windows import window_indices
from engine.render.job import RenderJob
from engine.render.plan import plan
from engine.render.renderer import render
from engine.video import probe, read_frames

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def preview_frame(job: RenderJob, index: int, model) -> np.ndarray:
    """Every tile of frame ``index`` as the preview computes it, put together (display orientation)."""
    p = plan(job, check_output=False)
    grid = PreviewGrid.from_plan(p, render_tile(job.tile, grid_in(p), p.scale, model.config.num_feat, "cpu"))
    frames = read_frames(p.info, window_indices(index, p.info.frame_count, model.num_frame))
    W, H = grid.display_size
    out = np.zeros((H, W, 3), np.uint8)
    for i in grid.tiles_for(Region(0, 0, W, H)):
        b = grid.display_box(i)
        out[b.y:b.y + b.h, b.x:b.x + b.w] = upscale_tile(model, frames, grid, i)
    return out, grid


def grid_in(p) -> tuple[int, int]:
    return p.in_size[1], p.in_size[0]


def rendered(job: RenderJob, tmp_path, index: int) -> np.ndarray:
    out = tmp_path / "frames"
    render(dataclasses.replace(job, output=str(out), codec="png"))
    return decoded_frames(out / f"frame_{index + 1:06d}.png")[0].to_ndarray(format="rgb24")


@pytest.mark.parametrize("size, scale, rotation, tile", [
    ((240, 136), (2.5, 1.75), 0, 0),
    ((64, 48), (1.5, 2.0), 90, 32),
    ((1280, 720), (1.0, 1.0), 0, 256),
])
def test_preview_tiles_equal_the_rendered_frame(tmp_path, small_model_file, size, scale, rotation, tile):
    clip = make_clip(tmp_path / "clip.mp4", count=3, size=size, rotation=rotation, audio=None)
    job = RenderJob(input=str(clip), output=str(tmp_path / "out.mkv"), scale_w=scale[0], scale_h=scale[1],
                    model=str(small_model_file), device="cpu", backend="torch", tile=tile,
                    end=probe(clip).frame_time(2))
    model = load_model(small_model_file, torch.device("cpu"))
    mine, grid = preview_frame(job, 1, model)
    if tile:
        assert len(grid.tiles) > 2
    assert np.array_equal(mine, rendered(job, tmp_path, 1))


def test_h264_even_size_runs_the_network_at_the_render_factors(tmp_path, small_model_file):
    clip = make_clip(tmp_path / "clip.mkv", count=2, size=(240, 135), codec="ffv1", pix_fmt="yuv444p", audio=None)
    job = RenderJob(input=str(clip), output=str(tmp_path / "out.mp4"), scale_w=1.5, scale_h=1.5,
                    model=str(small_model_file), device="cpu", backend="torch", codec="h264",
                    end=probe(clip).frame_time(1))
    p = plan(job, check_output=False)
    assert p.out_size == (360, 202)                              # 202.5 -> 203 -> the nearer even 202
    assert p.scale == (202 / 135, 1.5)
    model = load_model(small_model_file, torch.device("cpu"))
    mine, grid = preview_frame(job, 0, model)
    assert grid.display_size == (360, 202)
    # the same network factors written losslessly: a PNG render of 360 x 202
    png = dataclasses.replace(job, scale_w=None, scale_h=None, target_size=(360, 202))
    assert np.array_equal(mine, rendered(png, tmp_path, 0))


def test_tiles_come_centre_first():
    grid = PreviewGrid((720, 1280), (1440, 2560), (2.0, 2.0), 192)
    view = Region(800, 400, 960, 540)
    order = grid.tiles_for(view)
    boxes = [grid.display_box(i) for i in order]
    cx, cy = view.x + view.w / 2, view.y + view.h / 2
    assert boxes[0].x <= cx < boxes[0].x + boxes[0].w and boxes[0].y <= cy < boxes[0].y + boxes[0].h
    far = [abs(b.x + b.w / 2 - cx) + abs(b.y + b.h / 2 - cy) for b in boxes]
    assert far[-1] >= far[0]
    assert len(order) < len(grid.tiles)                           # only what the view touches


def test_tile_cache_drops_the_least_recently_used():
    cache = TileCache(budget_bytes=3 * 300)
    for k in "abc":
        cache.put(k, np.zeros(300, np.uint8))
    cache.get("a")
    cache.put("d", np.zeros(300, np.uint8))
    assert "b" not in cache and all(k in cache for k in "acd") and cache.bytes == 900


def test_a_tiled_render_gives_way_between_the_tiles_of_a_frame(tmp_path, small_model_file, monkeypatch):
    """A frame of many tiles takes long on a CPU: the render waits between two of its tiles, not
    only between frames, so a preview's first tile does not wait for a whole frame."""
    import threading

    import engine.render.tiling as tiling
    tiles = []
    real = tiling.run_tile
    monkeypatch.setattr(tiling, "run_tile", lambda *a: tiles.append(1) or real(*a))
    clip = make_clip(tmp_path / "clip.mp4", count=2, size=(128, 96), audio=None)
    job = RenderJob(input=str(clip), output=str(tmp_path / "out.mkv"), scale_w=2.0, scale_h=2.0, codec="ffv1",
                    model=str(small_model_file), device="cpu", backend="torch", tile=32)
    worker = threading.Thread(target=render, args=(job,))
    worker.start()
    held = held_during_a_preview(lambda: len(tiles), started=2, settle=0.3, hold=0.6)   # inside frame 0
    worker.join(120)
    assert held < 12 < len(tiles)               # 12 tiles per frame (4 x 3): it stopped inside frame 0


def test_a_render_gives_way_while_a_preview_computes(tmp_path, small_model_file):
    import threading

    from engine.foreground import foreground
    clip = make_clip(tmp_path / "clip.mp4", count=12, size=(64, 48), audio=None)
    job = RenderJob(input=str(clip), output=str(tmp_path / "out.mkv"), scale_w=2.0, scale_h=2.0, codec="ffv1",
                    model=str(small_model_file), device="cpu", backend="torch")
    done = []
    worker = threading.Thread(target=render, args=(job,), kwargs=dict(progress=lambda p: done.append(p.done)))
    waited = foreground.yielded
    worker.start()
    held_during_a_preview(lambda: done[-1] if done else 0, started=2)     # a preview computes for a second
    worker.join(120)
    assert done[-1] == 12 and foreground.yielded - waited > 0.5


def _installed(name: str):
    from engine.backends.runtimes import RUNTIMES
    return pytest.param(name, marks=pytest.mark.skipif(name != "torch" and not RUNTIMES[name].installed(),
                                                       reason=f"{name} is not installed"))


@pytest.mark.parametrize("backend", [_installed("torch"), _installed("openvino")])
def test_a_preview_preempts_the_tile_a_render_is_computing(tmp_path, small_model_file, monkeypatch, backend):
    """A preview that starts while a render computes a tile stops that tile (the preview then has the
    cores to itself); the render waits, computes the tile again and writes the same frames."""
    import threading

    import engine.render.tiling as tiling
    from engine.foreground import foreground
    monkeypatch.setenv("SAVSR_CACHE_DIR", str(tmp_path / "cache"))
    clip = make_clip(tmp_path / "clip.mp4", count=2, size=(128, 96), audio=None)

    def job(name):
        return RenderJob(input=str(clip), output=str(tmp_path / name), scale_w=2.0, scale_h=1.5, codec="ffv1",
                         model=str(small_model_file), device="cpu", backend=backend, tile=32)
    render(job("alone.mkv"))

    started, finished = [], []
    in_flight, go = threading.Event(), threading.Event()
    real = tiling.run_tile

    def watched(*args):
        started.append(1)
        if len(started) == 3:                   # the third tile: a preview starts while it computes
            in_flight.set()
            go.wait(30)
        out = real(*args)
        finished.append(1)
        return out
    monkeypatch.setattr(tiling, "run_tile", watched)
    worker = threading.Thread(target=render, args=(job("preempted.mkv"),))
    worker.start()
    assert in_flight.wait(120)
    with foreground.active():
        go.set()
        time.sleep(0.5)
        assert len(finished) == 2               # the third tile stopped and the render waits
    worker.join(120)
    assert len(started) == len(finished) + 1 == 2 * 12 + 1       # 12 tiles a frame, one computed twice
    alone, preempted = decoded_frames(tmp_path / "alone.mkv"), decoded_frames(tmp_path / "preempted.mkv")
    assert len(alone) == len(preempted) == 2
    assert all(np.array_equal(a.to_ndarray(format="rgb24"), b.to_ndarray(format="rgb24"))
               for a, b in zip(alone, preempted))
