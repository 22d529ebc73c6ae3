"""Queue renders on the worker thread: output files, cancel, pause/resume, restart, close, responsiveness."""
from __future__ import annotations

from pathlib import Path

import pytest
from app_clips import CLIP_FRAMES, open_clip
from savsr_app.jobs import CANCELLED, DONE, INTERRUPTED, PAUSED, QUEUED, RUNNING
from savsr_app.qt import QTimer

RENDER_TIMEOUT = 180_000
pytestmark = pytest.mark.slow      # each test renders real frames through the network


def state_of(window, job_id):
    return window.queue_model.entry(job_id).state


def wait_state(qtbot, window, job_id, *states, timeout=RENDER_TIMEOUT):
    qtbot.waitUntil(lambda: state_of(window, job_id) in states, timeout=timeout)


def wait_progress(qtbot, window, job_id):
    """Wait until the job has written at least one frame."""
    qtbot.waitUntil(lambda: window.queue_model.entry(job_id).done >= 1, timeout=RENDER_TIMEOUT)


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


def test_closing_during_a_render_stops_the_worker(qtbot, make_window, long_clip):
    window = make_window()
    open_clip(qtbot, window, long_clip)
    asked = []
    window.confirm_stop_render = lambda: asked.append(True) or True
    entry = window.add_to_queue()
    wait_progress(qtbot, window, entry.id)
    window.close()
    assert asked == [True]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RENDER_TIMEOUT)
    assert not window.runner.thread.isRunning() and not window.controller.thread.isRunning()
    assert not Path(entry.job.output).exists()
    again = make_window()
    restored = again.queue_model.entry(entry.id)
    assert restored.state == INTERRUPTED and "Retry" in restored.message
    again.queue_panel.select(entry.id)
    assert again.queue_panel.retry_action.isEnabled()


def test_declining_to_close_keeps_rendering(qtbot, window, long_clip):
    open_clip(qtbot, window, long_clip)
    window.confirm_stop_render = lambda: False
    entry = window.add_to_queue()
    wait_progress(qtbot, window, entry.id)
    window.close()
    assert window.isVisible() and state_of(window, entry.id) == RUNNING
    window.runner.cancel(entry.id)
    wait_state(qtbot, window, entry.id, CANCELLED)


def test_a_failing_job_shows_the_engines_message(qtbot, window, clip, tmp_path, small_model_file):
    import shutil
    model = shutil.copy(small_model_file, tmp_path / "moved-later.safetensors")
    window.settings.model = str(model)
    open_clip(qtbot, window, clip)
    window.queue_panel.run_action.trigger()         # hold the queue
    entry = window.add_to_queue()
    Path(model).unlink()                            # the model file goes away before the job runs
    with qtbot.waitSignal(window.runner.jobFailed, timeout=RENDER_TIMEOUT) as failed:
        window.queue_panel.run_action.trigger()
    assert "model file not found" in failed.args[1]
    assert "model file not found" in window.notifier.text()
    assert "model file not found" in window.queue_model.entry(entry.id).message
