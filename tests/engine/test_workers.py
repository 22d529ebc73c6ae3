"""Render workers: segments rendered in parallel worker processes decode to exactly the frames of a
one-process render (FFV1, one torch thread everywhere: oneDNN's results depend on the thread count),
a SIGKILLed worker costs only its segment, and a segment whose worker dies twice fails the render
with the finished segments kept for a resume."""
from __future__ import annotations

import hashlib
import os
import signal
from types import SimpleNamespace

import av
import psutil
import pytest
from helpers.clipmaker import make_clip

from engine.errors import SavsrError
from engine.render import events
from engine.render.job import RenderJob
from engine.render.placement import Placement, PlacementError
from engine.render.renderer import render
from engine.render.workdir import WorkFolder
from engine.render.workers import WORKER_DIED, WorkerError

SEGMENT = 4
TWO = Placement(workers=2, threads=1)
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("workers") / "clip.mp4", count=18, size=(48, 32))


def job(src, out, model):
    return RenderJob(str(src), str(out), scale_w=2.0, scale_h=1.5, codec="ffv1", model=str(model), device="cpu",
                     backend="torch")


def frame_hashes(path) -> list[str]:
    with av.open(str(path)) as c:
        return [hashlib.sha256(f.to_ndarray().tobytes()).hexdigest() for f in c.decode(video=0)]


@pytest.fixture(scope="module")
def reference(source, small_model_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "one.mkv"
    render(job(source, out, small_model_file), segment_frames=SEGMENT)
    return frame_hashes(out)


def worker_processes() -> list[psutil.Process]:
    """This process's render workers (spawned pool processes, not the resource tracker)."""
    return [p for p in psutil.Process().children(recursive=True)
            if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())]


class Killer:
    """A progress callback that SIGKILLs the running workers: first once ``after`` frames are done, then
    (``times=2``) again as soon as the fresh workers that took over have started."""

    def __init__(self, after: int, times: int):
        self.after, self.times, self.killed = after, times, set()
        self.rounds = 0

    def __call__(self, progress):
        if self.rounds >= self.times or (self.rounds == 0 and progress.done < self.after):
            return
        fresh = [p for p in worker_processes() if p.pid not in self.killed]
        if self.rounds and not fresh:
            return
        for p in fresh:
            self.killed.add(p.pid)
            os.kill(p.pid, signal.SIGKILL)
        self.rounds += 1


@pytest.mark.slow
def test_two_workers_write_the_frames_of_one(source, small_model_file, reference, tmp_path):
    out = tmp_path / "two.mkv"
    notes = []
    result = render(job(source, out, small_model_file), log=notes.append, segment_frames=SEGMENT, placement=TWO)
    assert result.frames == 18
    assert frame_hashes(out) == reference
    assert any("2 worker processes" in n for n in notes)


@pytest.mark.slow
def test_a_killed_worker_costs_only_its_segment(source, small_model_file, reference, tmp_path):
    out, notes = tmp_path / "killed.mkv", []
    killer = Killer(after=2, times=1)
    render(job(source, out, small_model_file), progress=killer, log=notes.append, segment_frames=SEGMENT,
           placement=TWO)
    assert killer.killed
    assert any(n.startswith(WORKER_DIED) for n in notes)
    assert frame_hashes(out) == reference


@pytest.mark.slow
def test_a_segment_killed_twice_fails_cleanly_and_resumes(source, small_model_file, reference, tmp_path):
    out = tmp_path / "twice.mkv"
    the_job = job(source, out, small_model_file)
    with pytest.raises(WorkerError, match=f"^{WORKER_DIED} twice while rendering frames ") as failure:
        render(the_job, progress=Killer(after=9, times=2), segment_frames=SEGMENT, placement=TWO)
    assert failure.value.kept > 0 and str(failure.value).endswith(f"the {failure.value.kept} finished frames are kept")
    kept = WorkFolder(out).read()["segments"]
    assert kept and not out.exists()
    assert not list(WorkFolder(out).path.glob("*.part"))   # the killed segments left nothing half-written
    notes = []
    render(the_job, log=notes.append, resume=True, placement=TWO)
    assert any("resuming" in n for n in notes)
    assert frame_hashes(out) == reference


def test_a_render_never_mixes_cpu_and_gpu_workers():
    with pytest.raises(PlacementError, match="not both"):
        Placement(workers=2, devices="cpu,cuda:0").worker_devices()
    assert Placement(workers=3, devices="cpu").worker_devices() == ["cpu"] * 3
    assert Placement().in_process("cpu") and not TWO.in_process("cpu")


def test_cluster_without_ray_says_how_to_get_it(monkeypatch):
    import importlib.util

    from engine.cli.upscale import placement
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    args = SimpleNamespace(cluster="local", workers=None, threads=0, devices="")
    with pytest.raises(SavsrError, match=r"pip install 'savsr-studio\[cluster\]'"):
        placement(args)


@pytest.mark.slow
def test_two_workers_write_the_png_frames_of_one(source, small_model_file, tmp_path):
    def pixels(folder):
        return {f.name: frame_hashes(f)[0] for f in sorted(folder.glob("*.png"))}

    renders = {}
    for name, placement in (("one", None), ("two", TWO)):
        out = tmp_path / name
        render(job(source, out, small_model_file).replace(codec="png"), segment_frames=SEGMENT,
               placement=placement)
        renders[name] = pixels(out)
    assert len(renders["one"]) == 18 and renders["two"] == renders["one"]


# ---- one isolated worker (the app's renders): crashes cost a segment; stops reach the tile in progress ----
ISOLATED = Placement(workers=1, threads=1, isolated=True)


@pytest.mark.slow
def test_one_isolated_worker_renders_out_of_process_and_survives_a_kill(source, small_model_file, reference,
                                                                        tmp_path):
    assert not ISOLATED.in_process("cpu")
    out, seen = tmp_path / "isolated.mkv", []
    killer = Killer(after=2, times=1)
    render(job(source, out, small_model_file), progress=killer, events=seen.append, segment_frames=SEGMENT,
           placement=ISOLATED)
    assert killer.killed                                          # a real worker process was there to kill
    (died,) = [e for e in seen if e["kind"] == events.WORKER_DIED]     # an event the app acts on, with its frames
    assert died["text"].startswith(WORKER_DIED) and (died["first"], died["stop"]) == (0, SEGMENT)
    assert frame_hashes(out) == reference


def test_a_cancel_stops_the_frame_in_progress_not_after_it(source, small_model_file, tmp_path):
    """In-process: the cancel arrives during the first frame's network pass; the pass ends within a layer."""
    import engine.render.inference as inference
    from engine.render.control import RenderCancelled, RenderControl
    control, calls = RenderControl(), {"layers": 0, "after_cancel": 0}
    real_init = inference.Upscaler.__init__

    def counting_init(self, model, *args, **kwargs):
        real_init(self, model, *args, **kwargs)

        def layer(_module, _inputs):
            calls["layers"] += 1
            if calls["layers"] == 20:
                control.cancel()
            elif control.cancelled:
                calls["after_cancel"] += 1
        for m in model.modules():
            m.register_forward_pre_hook(layer)

    inference.Upscaler.__init__ = counting_init
    try:
        with pytest.raises(RenderCancelled):
            render(job(source, tmp_path / "cancelled.mkv", small_model_file), control=control,
                   segment_frames=SEGMENT)
    finally:
        inference.Upscaler.__init__ = real_init
    assert calls["layers"] >= 20 and calls["after_cancel"] <= 1     # stopped at the next layer
    assert not (tmp_path / "cancelled.mkv").exists()


@pytest.mark.slow
def test_a_worker_render_gives_way_to_this_processs_preview(source, small_model_file, tmp_path):
    import threading
    import time

    from engine.foreground import foreground
    done_at, window = [], {}

    def progress(p):
        done_at.append((p.done, time.monotonic()))
        if p.done >= 4 and "thread" not in window:
            def preview():
                with foreground.active():
                    window["start"] = time.monotonic()
                    time.sleep(3.0)
                    window["end"] = time.monotonic()
            window["thread"] = threading.Thread(target=preview, daemon=True)
            window["thread"].start()
    render(job(source, tmp_path / "give_way.mkv", small_model_file), progress=progress, segment_frames=SEGMENT,
           placement=ISOLATED)
    finished = time.monotonic()
    window["thread"].join()
    assert finished > window["end"]                              # the render waited for the preview
    during = [n for n, t in done_at if window["start"] + 0.5 < t < window["end"]]
    counts = {n for n, _t in done_at}
    assert len(set(during) - {min(during, default=0)}) == 0, during   # nothing finished while the preview ran
    assert max(counts) == 18
