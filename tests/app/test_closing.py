"""Closing the window while work runs: asked once, naming what would stop; No changes nothing; Yes stops
the render with its segments kept and the fine-tune with a checkpoint, then the window closes.

Render only: ``test_queue.py`` (declining keeps rendering; confirming keeps the segments and the next
start resumes them). Fine-tune only, Yes: ``test_finetune_panel.py`` (the next start offers Resume).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app_clips import RENDER_TIMEOUT, add_footage, kept_segments, open_clip, tiny_recipe

from savsr_app.finetune.mount import runs_dir
from savsr_app.queue.jobs import INTERRUPTED, PAUSED, RUNNING

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


class Answer:
    """Stands in for the question box: records each question, answers ``yes``."""

    def __init__(self, yes: bool):
        self.yes, self.questions = yes, []

    def __call__(self, question: str) -> bool:
        self.questions.append(question)
        return self.yes


def render_with_a_kept_segment(qtbot, window, clip):
    """Queue a render of ``clip`` and wait until it has finished a segment; returns its entry."""
    open_clip(qtbot, window, clip)
    entry = window.add_to_queue()
    qtbot.waitUntil(lambda: bool(kept_segments(entry.job.output)), timeout=RENDER_TIMEOUT)
    return entry


def start_fine_tune(qtbot, window, clip, state: str):
    panel = window.finetune_panel
    add_footage(qtbot, panel, clip)
    tiny_recipe(panel, steps=500)
    panel.form.name.setText("court")
    assert panel.start() and panel.state == state
    return panel


def run_folders() -> list[Path]:
    return sorted(p for p in runs_dir().iterdir() if p.is_dir()) if runs_dir().is_dir() else []


def test_closing_when_nothing_runs_asks_nothing(qtbot, make_window):
    window = make_window()
    window.confirm_close = answer = Answer(yes=False)
    window.close()
    assert answer.questions == [] and not window.isVisible()


def test_fine_tune_only_no_keeps_it_training_and_yes_stops_it_with_a_checkpoint(qtbot, make_window, clip):
    window = make_window()
    panel = start_fine_tune(qtbot, window, clip, "running")
    assert not window.runner.running                                # fine-tuning holds the queue
    qtbot.waitUntil(lambda: len(panel.plot.losses) >= 1, timeout=60000)
    window.confirm_close = no = Answer(yes=False)
    window.close()
    assert len(no.questions) == 1 and "fine-tuning “court”" in no.questions[0]
    assert "render" not in no.questions[0]
    assert window.isVisible() and panel.state == "running" and panel.runner.busy
    assert not window.runner.running                                # the queue is held as before
    steps = len(panel.plot.losses)
    qtbot.waitUntil(lambda: len(panel.plot.losses) > steps, timeout=60000)   # still training
    window.confirm_close = yes = Answer(yes=True)
    window.close()
    assert len(yes.questions) == 1 and not window.isVisible() and not panel.runner.busy
    again = make_window().finetune_panel
    assert again.interrupted.combo.count() == 1 and again.interrupted.combo.itemText(0).startswith("court")


def test_render_and_waiting_fine_tune_no_changes_nothing_and_yes_stops_both(
        qtbot, make_window, long_clip, small_segments):
    """The fine-tune waits for the render's device (the CPU) and holds the queue meanwhile."""
    window = make_window()
    entry = render_with_a_kept_segment(qtbot, window, long_clip)
    window.runner.pause(entry.id)                 # the render keeps its place, and the test its timing
    panel = start_fine_tune(qtbot, window, long_clip, "waiting")
    [waiting_run] = run_folders()
    assert not window.runner.running
    window.confirm_close = no = Answer(yes=False)
    window.close()
    [question] = no.questions
    assert entry.name in question and "“court” waiting for the render" in question and "Stop both" in question
    on_disk = sum(s["frames"] for s in kept_segments(entry.job.output))
    assert f"{on_disk} of {entry.frames} frames are in finished segments and are kept" in question
    assert window.isVisible()
    assert window.queue_model.entry(entry.id).state == PAUSED and window.runner.current == entry.id
    assert panel.state == "waiting" and run_folders() == [waiting_run]   # not dropped
    assert not window.runner.running                                      # the queue is still held

    window.confirm_close = yes = Answer(yes=True)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RENDER_TIMEOUT)
    assert len(yes.questions) == 1
    stopped = window.queue_model.entry(entry.id)
    kept = sum(s["frames"] for s in kept_segments(entry.job.output))
    assert stopped.state == INTERRUPTED and stopped.done == kept > 0
    assert not Path(entry.job.output).exists()
    assert run_folders() == []                    # the waiting fine-tune had not started: nothing to keep


def test_render_and_running_fine_tune_yes_keeps_the_segments_and_the_checkpoint(
        qtbot, make_window, clip, long_clip, small_segments):
    """A render started by Run queue while a fine-tune trains: one question, both stopped, both resumable."""
    window = make_window()
    panel = start_fine_tune(qtbot, window, clip, "running")
    qtbot.waitUntil(lambda: len(panel.plot.losses) >= 1, timeout=60000)
    open_clip(qtbot, window, long_clip)
    entry = window.add_to_queue()
    assert window.queue_model.entry(entry.id).state != RUNNING     # held while fine-tuning
    window.queue_panel.run_action.trigger()                         # the user runs the queue anyway
    qtbot.waitUntil(lambda: bool(kept_segments(entry.job.output)), timeout=RENDER_TIMEOUT)
    window.confirm_close = yes = Answer(yes=True)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RENDER_TIMEOUT)
    [question] = yes.questions
    assert entry.name in question and "fine-tuning “court”" in question and "Stop both" in question
    assert not panel.runner.busy
    stopped = window.queue_model.entry(entry.id)
    assert stopped.state == INTERRUPTED and stopped.done == sum(s["frames"] for s in kept_segments(entry.job.output))
    again = make_window()
    assert again.finetune_panel.interrupted.combo.count() == 1
    assert again.queue_model.entry(entry.id).done == stopped.done   # resumes from the kept segments
