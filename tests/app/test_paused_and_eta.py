"""A paused job says so everywhere (status bar, row, buttons, total); a running job's ETA says it is
estimating until frames after the first are timed."""
from __future__ import annotations

import pytest
from helpers.app_clips import RENDER_TIMEOUT, open_clip

from savsr_app.queue.jobs import PAUSED, RUNNING, QueueEntry
from savsr_app.queue.model import ESTIMATING, QueueModel, status_text

ETA_COLUMN, SPEED_COLUMN = 4, 3


def cell(model, entry, column) -> str:
    return model.index(model.row_of(entry.id), column).data()


@pytest.mark.slow
def test_a_paused_job_says_paused_in_the_status_bar_the_row_and_the_buttons(qtbot, window, long_clip):
    open_clip(qtbot, window, long_clip)
    entry = window.add_to_queue()
    status, model, panel = window.status, window.queue_model, window.queue_panel
    qtbot.waitUntil(lambda: entry.done >= 1, timeout=RENDER_TIMEOUT)
    assert status.job_label.text().startswith(f"Rendering {entry.name}: ")
    panel.select(entry.id)
    panel.pause_action.trigger()
    assert entry.state == PAUSED
    qtbot.waitUntil(lambda: window.runner._control.paused, timeout=5000)
    qtbot.wait(300)                                 # a frame in flight may still report
    text = status.job_label.text()
    assert text.startswith(f"Paused: {entry.name} at {entry.done}/{entry.frames} frames"), text
    assert "Rendering" not in text and "ETA" not in text
    assert status.job_bar.isVisible() and status.job_label.isVisible()
    assert (cell(model, entry, ETA_COLUMN), cell(model, entry, SPEED_COLUMN)) == ("paused", "")
    assert cell(model, entry, 5).startswith("paused")
    assert panel.pause_action.text() == "Resume"
    assert panel.total_label.text().strip().endswith("(paused)")
    panel.pause_action.trigger()
    assert entry.state == RUNNING
    assert status.job_label.text().startswith(f"Rendering {entry.name}: ")
    assert "(paused)" not in panel.total_label.text()
    assert panel.pause_action.text() == "Pause"
    panel.cancel_action.trigger()                   # the rest of the render is not what this test is about
    qtbot.waitUntil(lambda: window.runner.current is None, timeout=RENDER_TIMEOUT)


def test_a_running_jobs_eta_says_estimating_until_it_is_measured(qtbot, clip):
    from engine.render.job import RenderJob
    entry = QueueEntry(job=RenderJob(input=str(clip), output="out.mp4"), out_size=(192, 128), frames=25,
                       state=RUNNING, done=1, fps=0.02, eta=None)
    model = QueueModel([entry])
    assert cell(model, entry, ETA_COLUMN) == ESTIMATING == "estimating…"
    assert status_text(entry) == f"Rendering {entry.name}: 1/25, estimating…"
    model.update(entry.id, done=3, eta=75.0)
    assert cell(model, entry, ETA_COLUMN) == "00:01:15"
    assert status_text(entry) == f"Rendering {entry.name}: 3/25, ETA 00:01:15"
