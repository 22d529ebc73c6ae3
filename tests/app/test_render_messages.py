"""What a job's row says when its render met trouble: in words a user acts on, and never a command-line
flag (the app has none)."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app_clips import RENDER_TIMEOUT, SEGMENT, open_clip

from engine.render.events import WORKER_DIED, event
from savsr_app.queue.jobs import DONE, FAILED


def test_a_full_disk_says_what_is_kept_and_that_retry_continues(qtbot, window, clip, small_segments, monkeypatch):
    """The disk fills after two segments; the row names the cause, the frames kept and Retry, which then
    finishes the job. The render runs in this process here (the app's run in a worker process), where the
    test can make the encoder's writes fail."""
    from engine.render.placement import Placement
    from engine.video.encode import VideoWriter
    from savsr_app.state.settings import AppSettings
    monkeypatch.setattr(AppSettings, "placement", lambda self: Placement(threads=self.threads))
    real_write, written = VideoWriter.write, []

    def write(self, rgb, pts):
        if len(written) == 2 * SEGMENT + 1:
            raise OSError(28, "No space left on device")
        written.append(pts)
        real_write(self, rgb, pts)

    monkeypatch.setattr(VideoWriter, "write", write)
    open_clip(qtbot, window, clip)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=RENDER_TIMEOUT) as finished:
        entry = window.add_to_queue()
    assert finished.args == [entry.id, FAILED]
    message = window.queue_model.entry(entry.id).message
    assert message.endswith(f": No space left on device; the {2 * SEGMENT} finished frames are kept: "
                            "Retry continues from them"), message
    assert "--" not in message
    monkeypatch.setattr(VideoWriter, "write", real_write)
    window.queue_panel.select(entry.id)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=RENDER_TIMEOUT) as finished:
        window.queue_panel.retry_action.trigger()
    assert finished.args == [entry.id, DONE] and Path(entry.job.output).is_file()


@pytest.mark.parametrize("deaths, said", [(1, "once"), (2, "twice"), (3, "3 times")])
def test_a_job_whose_render_process_died_on_the_way_says_what_happened_in_words(window, deaths, said, clip, qtbot):
    """The render's event for each lost segment, then success: the row says what happened, what it cost
    and that nothing is missing."""
    open_clip(qtbot, window, clip)
    window.queue_panel.run_action.trigger()          # held: the test plays the render's reports
    entry = window.add_to_queue()
    worker = window.runner.worker
    for _ in range(deaths):
        worker.logged.emit(entry.id, event(WORKER_DIED, "the render process stopped unexpectedly while rendering "
                                                        "frames 0-2: rendering them again", first=0, stop=3))
    worker.succeeded.emit(entry.id, entry.job.output, 10, 4.0)
    message = window.queue_model.entry(entry.id).message
    assert message == (f"10 frames in 4.0 s. The render process stopped unexpectedly {said} (killed, crashed or out "
                       "of memory); the frames it was working on were rendered again, so the output is complete")
