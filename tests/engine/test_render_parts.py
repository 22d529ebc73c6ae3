"""The renderer's parts: tiling geometry, OOM retries, streaming windows, control and progress."""
from __future__ import annotations

import threading

import pytest
import torch
from torch.nn import functional as F

from engine.render import control as control_mod
from engine.render.control import ProgressMeter, RenderCancelled, RenderControl
from engine.render.frame_windows import context_range, sliding_windows, window_indices
from engine.render.inference import OutOfMemory, Upscaler
from engine.render.tiling import auto_tile, estimate_bytes, spans, upscale_tiled


class Resampler(torch.nn.Module):
    """Stands in for SAVSR with its geometry: output pixel Y samples LR ``(Y + 0.5) / s - 0.5``."""

    num_frame = 7

    def __init__(self, oom_above: int | None = None):
        super().__init__()
        self.oom_above, self.calls = oom_above, []
        self.config = type("Config", (), {"num_feat": 16})()

    def forward(self, lr, scale):
        h, w = lr.shape[-2:]
        self.calls.append((h, w))
        if self.oom_above and max(h, w) > self.oom_above:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        H, W = round(h * scale[0]), round(w * scale[1])
        gy = ((torch.arange(H) + 0.5) / scale[0] - 0.5) * 2 / (h - 1) - 1
        gx = ((torch.arange(W) + 0.5) / scale[1] - 0.5) * 2 / (w - 1) - 1
        grid = torch.stack(torch.meshgrid(gx, gy, indexing="xy"), -1)[None]
        return F.grid_sample(lr[:, 3], grid, mode="bilinear", padding_mode="border", align_corners=True)


@pytest.fixture
def window():
    torch.manual_seed(0)
    return torch.rand(1, 7, 3, 70, 90)


@pytest.mark.parametrize("scale", [(2.0, 2.0), (1.5, 2.5), (4.0, 1.0), (3.2, 1.25)])
def test_tiles_stitch_to_the_full_frame(window, scale):
    model = Resampler()
    H, W = round(70 * scale[0]), round(90 * scale[1])
    full = upscale_tiled(model, window, scale, (H, W), tile=0)
    tiled = upscale_tiled(model, window, scale, (H, W), tile=32, overlap=4)
    assert tiled.shape == (3, H, W)
    assert len(model.calls) > 4
    torch.testing.assert_close(tiled, full, atol=1e-5, rtol=0)


def test_spans_partition_the_axis():
    parts = spans(100, 30, 8, 2)
    assert [c for c in parts] == [(0, 30, 0, 38), (30, 60, 22, 68), (60, 90, 52, 98), (90, 100, 82, 100)]
    assert spans(100, 0, 8, 1) == [(0, 100, 0, 100)]


def test_auto_tile_shrinks_with_the_budget():
    scale = (2.0, 2.0)
    fits = estimate_bytes(270, 480, scale, 64)
    assert auto_tile(270, 480, scale, 64, fits) == 0
    small, smaller = auto_tile(270, 480, scale, 64, fits // 4), auto_tile(270, 480, scale, 64, fits // 16)
    assert 32 <= smaller < small < 480


def test_out_of_memory_retries_the_frame_with_smaller_tiles():
    torch.manual_seed(1)
    window = torch.rand(1, 7, 3, 200, 200)
    notes = []
    up = Upscaler(Resampler(oom_above=120), torch.device("cpu"), None, (2.0, 2.0), (400, 400), tile=0, log=notes.append)
    out = up(window)
    expected = Resampler()(window, (2.0, 2.0))[0]
    torch.testing.assert_close(out, expected.clamp(0, 1), atol=1e-5, rtol=0)
    assert up.tile == 96 and sum("retrying the frame" in n for n in notes) == 1  # 200 -> 96 (+16 overlap fits)
    with pytest.raises(OutOfMemory, match="even with 64-pixel tiles"):
        Upscaler(Resampler(oom_above=10), torch.device("cpu"), None, (2.0, 2.0), (400, 400))(window)


@pytest.mark.parametrize("n, first, stop", [(1, 0, 1), (2, 0, 2), (3, 0, 3), (9, 0, 9), (12, 4, 8), (12, 10, 12)])
def test_streaming_windows_reflect_like_basicsr(n, first, stop):
    lo, hi = context_range(first, stop, n)
    frames = ((k, torch.full((3, 1, 1), float(k))) for k in range(lo, hi))
    seen = []
    for i, key, w in sliding_windows(frames, first, stop, n):
        assert key == i
        assert [int(v) for v in w[0, :, 0, 0, 0]] == window_indices(i, n)
        seen.append(i)
    assert seen == list(range(first, stop))


def test_streaming_windows_hold_at_most_seven_frames():
    class Counting:
        def __init__(self):
            self.made = self.alive = self.peak = 0

        def frames(self, n):
            for k in range(n):
                self.made += 1
                yield k, torch.zeros(3, 2, 2)

    src = Counting()
    gen = sliding_windows(src.frames(50), 0, 50, 50)
    for i, _key, _w in gen:
        assert src.made <= i + 4  # decoded no further ahead than the window needs


def test_windows_shrink_the_clip_when_the_stream_ends_early():
    frames = ((k, torch.full((3, 1, 1), float(k))) for k in range(6))
    out = [(i, [int(v) for v in w[0, :, 0, 0, 0]]) for i, _k, w in sliding_windows(frames, 0, 10, 10)]
    assert [i for i, _ in out] == list(range(6)) and out[-1][1] == window_indices(5, 6)


def test_control_pause_resume_and_cancel():
    control = RenderControl()
    assert control.checkpoint() == 0.0 and not control.paused
    control.pause()
    assert control.paused
    threading.Timer(0.05, control.resume).start()
    assert control.checkpoint() > 0
    control.pause()
    threading.Timer(0.05, control.cancel).start()
    with pytest.raises(RenderCancelled):
        control.checkpoint()
    assert control.cancelled


def test_progress_is_throttled_and_ends_with_the_total(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(control_mod.time, "monotonic", lambda: clock[0])
    reports = []
    meter = ProgressMeter(100, reports.append, rate=10)
    for _ in range(100):
        clock[0] += 0.01  # 100 frames per second
        meter.step()
    assert 9 <= len(reports) <= 12  # one second of work: about ten reports
    last = reports[-1]
    assert (last.done, last.total, last.eta_seconds) == (100, 100, 0.0)
    assert last.fps == pytest.approx(100.0)


def test_prefetch_keeps_order_raises_worker_errors_and_closes_its_source():
    from engine.render.prefetch import prefetch
    assert list(prefetch(iter(range(20)), depth=2)) == list(range(20))

    def broken():
        yield 1
        raise ValueError("decoder broke")

    with pytest.raises(ValueError, match="decoder broke"):
        list(prefetch(broken()))

    closed = threading.Event()

    def endless():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    gen = prefetch(endless(), depth=2)
    assert [next(gen) for _ in range(3)] == [0, 1, 2]
    gen.close()
    assert closed.is_set()  # the worker stopped and closed the source


def test_background_calls_run_in_order_and_report_errors():
    from engine.render.prefetch import BackgroundCalls
    seen = []
    calls = BackgroundCalls(seen.append)
    for i in range(10):
        calls.submit(i)
    calls.finish()
    assert seen == list(range(10))

    def fail(i):
        if i == 2:
            raise OSError(28, "No space left on device")

    calls = BackgroundCalls(fail)
    with pytest.raises(OSError, match="No space"):
        for i in range(50):
            calls.submit(i)
        calls.finish()
