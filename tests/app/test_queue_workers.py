"""The queue renders on worker processes when the settings ask for them: a worker killed mid-segment
costs only that segment, the app and its queue carry on, and the job's row says what happened."""
from __future__ import annotations

import os
import signal

import psutil
import pytest
from helpers.app_clips import RENDER_TIMEOUT, open_clip

from savsr_app.queue.jobs import DONE

STATE_COLUMN = 5
pytestmark = pytest.mark.slow


def worker_processes() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True)
            if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())]


def test_the_queue_survives_a_killed_render_worker(qtbot, settings, make_window, long_clip, small_segments):
    from savsr_app.state.settings import SettingsStore
    settings.workers, settings.threads, settings.devices = 2, 1, "cpu"
    settings.codec, settings.container = "ffv1", "mkv"
    SettingsStore().save(settings)
    window = make_window()
    open_clip(qtbot, window, long_clip)
    entry = window.add_to_queue()
    qtbot.waitUntil(lambda: window.queue_model.entry(entry.id).done >= 1 and bool(worker_processes()),
                    timeout=RENDER_TIMEOUT)
    killed = worker_processes()[0]
    os.kill(killed.pid, signal.SIGKILL)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=RENDER_TIMEOUT) as finished:
        pass
    assert finished.args == [entry.id, DONE]
    e = window.queue_model.entry(entry.id)
    assert e.done == e.frames == 24
    model = window.queue_model
    row = " ".join(str(model.index(model.row_of(entry.id), c).data()) for c in range(model.columnCount()))
    assert "The render process stopped unexpectedly once" in row + e.message
    assert "rendered again, so the output is complete" in e.message
    assert window.isVisible()       # the app process is unharmed
