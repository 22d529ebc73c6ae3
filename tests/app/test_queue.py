"""Queue renders on the worker thread: output files, cancel, pause/resume, restart, close, resume, responsiveness."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from helpers.app_clips import CLIP_FRAMES, RENDER_TIMEOUT, SEGMENT, kept_segments, open_clip

from engine.render.control import RenderControl
from engine.render.workdir import work_path
from savsr_app.qt import QTimer
from savsr_app.queue.jobs import CANCELLED, DONE, FAILED, INTERRUPTED, PAUSED, QUEUED, RUNNING

LONG_FRAMES = 24                   # the long_clip fixture
RANGE_FRAMES = 12                  # the range rendered in the resume test
STATE_COLUMN = 5
pytestmark = pytest.mark.slow      # each test renders real frames through the network


def state_of(window, job_id):
    return window.queue_model.entry(job_id).state


def wait_state(qtbot, window, job_id, *states, timeout=RENDER_TIMEOUT):
    qtbot.waitUntil(lambda: state_of(window, job_id) in states, timeout=timeout)


def wait_progress(qtbot, window, job_id):
    """Wait until the job has written at least one frame."""
    qtbot.waitUntil(lambda: window.queue_model.entry(job_id).done >= 1, timeout=RENDER_TIMEOUT)


def row_text(window, job_id, column=STATE_COLUMN) -> str:
    """What the queue table shows in a job's row."""
    model = window.queue_model
    return model.index(model.row_of(job_id), column).data()


def frame_hashes(path) -> list[str]:
    import av
    with av.open(str(path)) as c:
        return [hashlib.sha256(f.to_ndarray().tobytes()).hexdigest() for f in c.decode(video=0)]


class StopAfterFirstSegment(RenderControl):
    """Stops the render (segments kept) at the first frame after a segment is recorded."""

    def __init__(self, output):
        super().__init__()
        self.output = Path(output)

    def checkpoint(self) -> float:
        if not self.cancelled and kept_segments(self.output):
            self.stop()
        return super().checkpoint()


def leave_interrupted_render(job):
    """Render ``job`` with the engine, as the queue does, until a segment is kept: what a killed app leaves."""
    from engine.render.control import RenderStopped
    from engine.render.renderer import render
    with pytest.raises(RenderStopped):
        render(job, control=StopAfterFirstSegment(job.output), resume=True)
    segments = kept_segments(job.output)
    assert segments and sum(s["frames"] for s in segments) < LONG_FRAMES
    return segments


def test_job_renders_the_output_file(qtbot, window, clip):
    from engine.video import probe
    open_clip(qtbot, window, clip)
    window.scale_panel.link.setChecked(False)
    window.scale_panel.w_factor.setValue(2.5)
    window.scale_panel.h_factor.setValue(1.5)
    entry = window.add_to_queue()
    assert entry is not None and entry.out_size == (240, 96)
    assert Path(entry.job.output).name == "basketball_savsr_240x96.mp4"
    assert (entry.job.scale_w, entry.job.scale_h) == (2.5, 1.5)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=RENDER_TIMEOUT) as finished:
        pass
    assert finished.args == [entry.id, DONE]
    out = probe(entry.job.output)
    assert (out.width, out.height, out.frame_count) == (240, 96, CLIP_FRAMES)
    assert window.queue_model.entry(entry.id).done == CLIP_FRAMES
    assert not window.status.job_bar.isVisible()
    # what computed it: torch for a short clip, or the compiled graph when the preview already prepared its shapes
    assert re.search(r", CPU · (PyTorch fp32|OpenVINO (fp32|bf16)|ONNX Runtime fp32)$", row_text(window, entry.id))


def test_in_out_points_render_a_range(qtbot, window, clip):
    from engine.video import probe
    open_clip(qtbot, window, clip)
    window.transport.set_frame(2)
    window.transport.mark_in()
    window.transport.set_frame(5)
    window.transport.mark_out()
    assert "(4 frames)" in window.transport.range_label.text()
    entry = window.add_to_queue()
    assert entry.frames == 4
    wait_state(qtbot, window, entry.id, DONE)
    assert probe(entry.job.output).frame_count == 4


def test_cancel_running_job_leaves_no_file(qtbot, window, long_clip):
    open_clip(qtbot, window, long_clip)
    entry = window.add_to_queue()
    wait_progress(qtbot, window, entry.id)
    window.queue_panel.select(entry.id)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=RENDER_TIMEOUT) as finished:
        window.queue_panel.cancel_action.trigger()
    assert finished.args == [entry.id, CANCELLED]
    out = Path(entry.job.output)
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(out.stem)]   # no temporary left either
    assert not work_path(out).exists()                                           # nor its segments
    assert window.queue_panel.retry_action.isEnabled()


def test_pause_and_resume(qtbot, window, long_clip):
    from engine.video import probe
    open_clip(qtbot, window, long_clip)
    entry = window.add_to_queue()
    wait_progress(qtbot, window, entry.id)
    window.queue_panel.select(entry.id)
    window.queue_panel.pause_action.trigger()
    assert state_of(window, entry.id) == PAUSED
    assert window.queue_panel.pause_action.text() == "Resume"
    # the frame in flight may still report; after that, nothing moves while paused
    qtbot.waitUntil(lambda: window.runner._control.paused, timeout=5000)
    with qtbot.waitSignal(window.runner.progressed, timeout=RENDER_TIMEOUT, raising=False):
        pass
    done = window.queue_model.entry(entry.id).done
    with qtbot.assertNotEmitted(window.runner.progressed, wait=1500):
        pass
    assert window.queue_model.entry(entry.id).done == done < 24
    window.queue_panel.pause_action.trigger()
    assert state_of(window, entry.id) == RUNNING
    wait_state(qtbot, window, entry.id, DONE)
    assert probe(entry.job.output).frame_count == 24


def test_ui_thread_stays_responsive_while_rendering(qtbot, window, long_clip):
    open_clip(qtbot, window, long_clip)
    ticks = {"running": 0}

    def tick():
        if state_of(window, entry.id) == RUNNING:
            ticks["running"] += 1

    timer = QTimer(interval=20, timeout=tick)
    entry = window.add_to_queue()
    timer.start()
    wait_state(qtbot, window, entry.id, DONE)
    timer.stop()
    # 24 frames take seconds on the worker thread; the UI timer kept firing meanwhile
    assert ticks["running"] >= 10


def test_queue_is_restored_after_restart(qtbot, make_window, clip):
    first = make_window()
    open_clip(qtbot, first, clip)
    first.queue_panel.run_action.trigger()          # hold the queue
    assert not first.runner.running
    a = first.add_to_queue()
    first.scale_panel.w_factor.setValue(3.0)
    b = first.add_to_queue()
    first.queue_model.move(b.id, -1)
    first.close()
    second = make_window()
    entries = second.queue_model.entries
    assert [e.id for e in entries] == [b.id, a.id]
    assert [e.state for e in entries] == [QUEUED, QUEUED]
    assert entries[0].job == b.job and entries[0].out_size == (288, 192)
    assert not second.runner.running                # restored jobs wait for Run queue
    assert "restored" in second.notifier.text()
    second.queue_panel.run_action.trigger()
    wait_state(qtbot, second, a.id, DONE)
    assert Path(a.job.output).is_file() and Path(b.job.output).is_file()


def test_closing_during_a_render_keeps_its_segments_and_the_next_start_resumes_it(
        qtbot, make_window, long_clip, small_segments):
    from engine.render.renderer import render
    from engine.video import probe
    window = make_window()
    open_clip(qtbot, window, long_clip)
    asked = []
    window.confirm_close = lambda question: asked.append(question) or True
    # lossless, so that the frames can be compared exactly with an uninterrupted render
    window.output_panel.codec.setCurrentIndex(window.output_panel.codec.findData("ffv1"))
    window.transport.set_frame(2)                         # frames 2..13: segments start at the in point
    window.transport.mark_in()
    window.transport.set_frame(2 + RANGE_FRAMES - 1)
    window.transport.mark_out()
    entry = window.add_to_queue()
    out = Path(entry.job.output)
    assert entry.job.codec == "ffv1" and entry.frames == RANGE_FRAMES
    qtbot.waitUntil(lambda: bool(kept_segments(out)), timeout=RENDER_TIMEOUT)
    window.close()
    assert len(asked) == 1 and entry.name in asked[0]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RENDER_TIMEOUT)
    assert not window.runner.thread.isRunning() and not any(t.isRunning() for t in window.controller.threads)
    kept = sum(s["frames"] for s in kept_segments(out))
    assert SEGMENT <= kept < RANGE_FRAMES                  # stopped mid-render, finished segments kept
    stopped = window.queue_model.entry(entry.id)
    assert stopped.state == INTERRUPTED and stopped.done == kept
    assert f"{kept} of {RANGE_FRAMES} frames are kept" in stopped.message and "app starts again" in stopped.message
    assert not out.exists() and work_path(out).is_dir()

    again = make_window()
    restored = again.queue_model.entry(entry.id)
    assert restored.state == QUEUED and restored.done == kept
    shown = f"interrupted at {kept}/{RANGE_FRAMES} frames: resumes from the last finished segment"
    assert row_text(again, entry.id) == f"queued: {shown}"
    assert row_text(again, entry.id, column=2) == f"{kept / RANGE_FRAMES * 100:.0f}%"
    assert f"{entry.name}: {shown}" in again.log_dock.view.toPlainText()
    again.queue_panel.run_action.trigger()                # restored jobs wait for Run queue
    wait_state(qtbot, again, entry.id, DONE)
    assert f"resuming: {kept} of {RANGE_FRAMES} frames were already rendered" in again.log_dock.view.toPlainText()
    assert probe(out).frame_count == RANGE_FRAMES
    assert not work_path(out).exists()
    # the same frames as a render that was never interrupted
    reference = render(entry.job.replace(output=str(out.with_name("uninterrupted" + out.suffix)))).output
    assert frame_hashes(out) == frame_hashes(reference)


def test_closing_before_a_segment_is_finished_starts_over_next_time(qtbot, make_window, long_clip):
    window = make_window()
    open_clip(qtbot, window, long_clip)
    entry = window.add_to_queue()
    wait_progress(qtbot, window, entry.id)                 # one segment is the whole 24-frame clip here
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RENDER_TIMEOUT)
    stopped = window.queue_model.entry(entry.id)
    assert stopped.state == INTERRUPTED and stopped.done == 0 and "starts over" in stopped.message
    assert not Path(entry.job.output).exists()
    again = make_window()
    restored = again.queue_model.entry(entry.id)
    assert restored.state == QUEUED and restored.done == 0
    assert "resumes from the start" in restored.message


def test_removing_or_cancelling_an_interrupted_job_deletes_its_segments(
        qtbot, make_window, long_clip, small_segments):
    first = make_window()
    open_clip(qtbot, first, long_clip)
    first.queue_panel.run_action.trigger()                 # hold the queue
    a = first.add_to_queue()
    first.scale_panel.w_factor.setValue(3.0)
    b = first.add_to_queue()
    for e in (a, b):
        leave_interrupted_render(e.job)
        first.queue_model.update(e.id, state=RUNNING)      # the queue file of an app killed mid-render
    first.close()
    second = make_window()
    panel = second.queue_panel
    for e in (a, b):
        assert state_of(second, e.id) == QUEUED
        assert "resumes from the last finished segment" in row_text(second, e.id)
        assert work_path(Path(e.job.output)).is_dir()
    panel.select(a.id)
    panel.remove_action.trigger()
    assert second.queue_model.entry(a.id) is None
    assert not work_path(Path(a.job.output)).exists()
    panel.select(b.id)
    panel.cancel_action.trigger()
    assert state_of(second, b.id) == CANCELLED and row_text(second, b.id, column=2) == "0%"
    assert not work_path(Path(b.job.output)).exists()
    assert not Path(a.job.output).exists() and not Path(b.job.output).exists()
    panel.retry_action.trigger()                           # queued again, from the start
    assert state_of(second, b.id) == QUEUED and second.queue_model.entry(b.id).done == 0


def test_declining_to_close_keeps_rendering(qtbot, window, long_clip):
    open_clip(qtbot, window, long_clip)
    window.confirm_close = lambda _question: False
    entry = window.add_to_queue()
    wait_progress(qtbot, window, entry.id)
    window.close()
    assert window.isVisible() and state_of(window, entry.id) == RUNNING
    window.runner.cancel(entry.id)
    wait_state(qtbot, window, entry.id, CANCELLED)


def test_a_failing_job_shows_the_engines_message(qtbot, window, clip, tmp_path, small_model_file):
    import shutil
    model = shutil.copy(small_model_file, tmp_path / "moved-later.safetensors")
    window.set_model(str(model))
    open_clip(qtbot, window, clip)
    window.queue_panel.run_action.trigger()         # hold the queue
    entry = window.add_to_queue()
    Path(model).unlink()                            # the model file goes away before the job runs
    with qtbot.waitSignal(window.runner.jobFailed, timeout=RENDER_TIMEOUT) as failed:
        window.queue_panel.run_action.trigger()
    assert "model file not found" in failed.args[1]
    assert "model file not found" in window.notifier.text()
    assert "model file not found" in window.queue_model.entry(entry.id).message


def test_a_work_folder_of_another_render_fails_the_job_with_the_engines_message(
        qtbot, window, long_clip, small_segments):
    open_clip(qtbot, window, long_clip)
    window.queue_panel.run_action.trigger()                # hold the queue
    entry = window.add_to_queue()
    out = Path(entry.job.output)
    # another render to the same name (a CLI run, an older job) with another CRF, interrupted
    other = leave_interrupted_render(entry.job.replace(crf=entry.job.crf + 10))
    with qtbot.waitSignal(window.runner.jobFinished, timeout=RENDER_TIMEOUT) as finished:
        window.queue_panel.run_action.trigger()
    assert finished.args == [entry.id, FAILED]
    shown = row_text(window, entry.id)
    assert shown.startswith("failed: ") and "interrupted render of something else" in shown
    assert "settings (crf) differ" in shown and "settings (crf) differ" in window.notifier.text()
    assert not out.exists() and kept_segments(out) == other     # the other render's segments are untouched
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=RENDER_TIMEOUT)
    window.queue_panel.select(entry.id)
    window.queue_panel.remove_action.trigger()             # nor does removing this job delete them
    assert window.queue_model.entry(entry.id) is None and kept_segments(out) == other


def test_a_job_out_of_memory_fails_and_the_queue_goes_on(qtbot, window, clip, monkeypatch):
    """Out of memory even with the smallest tiles: that job fails with the message, the next one renders.
    The renders run in this process here (the app's run in a worker process), where the test can make
    the network fail."""
    import engine.render.inference
    from engine.render.placement import Placement
    from savsr_app.state.settings import AppSettings
    monkeypatch.setattr(AppSettings, "placement", lambda self: Placement(threads=self.threads))
    real = engine.render.inference.upscale_tiled
    failing = [True]

    def upscale_tiled(*args, **kwargs):
        if failing[0]:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(*args, **kwargs)

    monkeypatch.setattr(engine.render.inference, "upscale_tiled", upscale_tiled)
    open_clip(qtbot, window, clip)
    window.queue_panel.run_action.trigger()         # hold the queue while both jobs are added
    first, second = window.add_to_queue(), window.add_to_queue()
    window.runner.jobFailed.connect(lambda *_: failing.__setitem__(0, False))
    window.queue_panel.run_action.trigger()
    wait_state(qtbot, window, second.id, DONE, FAILED)
    assert state_of(window, first.id) == FAILED and state_of(window, second.id) == DONE
    message = window.queue_model.entry(first.id).message
    assert "out of system memory even with 64-pixel tiles" in message, message
    assert not Path(first.job.output).exists() and not work_path(Path(first.job.output)).exists()
    assert Path(second.job.output).is_file()
