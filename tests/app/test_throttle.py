"""The one progress throttle of the render and fine-tune workers: at most ~10 batches a second,
nothing lost, the last report sent at once."""
from __future__ import annotations

from savsr_app.support.throttle import PROGRESS_INTERVAL, Throttle


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_reports_are_gathered_and_sent_at_most_every_interval():
    clock, sent = Clock(), []
    throttle = Throttle(sent.append, clock=clock)
    throttle.add(1)                          # the first report goes out at once
    for i in range(2, 50):                   # 48 more within 48 ms: held back
        clock.now += 0.001
        throttle.add(i)
    assert sent == [[1]] and throttle.pending == 48
    clock.now += PROGRESS_INTERVAL
    throttle.add(50)
    assert sent == [[1], list(range(2, 51))] and throttle.pending == 0


def test_now_and_flush_send_what_is_gathered_at_once():
    clock, sent = Clock(), []
    throttle = Throttle(sent.append, clock=clock)
    throttle.add("a")
    throttle.add("b")
    throttle.add("last", now=True)           # e.g. the render's final frame
    throttle.add("c")
    throttle.flush()                         # e.g. before a fine-tune's validation
    throttle.flush()                         # nothing left: nothing sent
    assert sent == [["a"], ["b", "last"], ["c"]]


def test_a_render_sends_about_ten_updates_a_second_and_always_its_last_frame(qtbot, monkeypatch):
    """The render worker through the throttle: 1000 engine callbacks in 0.5 s become ~6 signals."""
    import engine.render.renderer as renderer
    import savsr_app.support.throttle
    from engine.render.control import RenderControl
    from savsr_app.queue.render_worker import RenderWorker
    clock = Clock()

    class Progress:
        def __init__(self, done):
            self.done, self.total, self.fps, self.eta_seconds = done, 1000, 25.0, None

    def fake_render(job, progress, control, resume, **_more):   # more: events, placement
        for done in range(1, 1001):
            clock.now += 0.0005
            progress(Progress(done))
        return type("Result", (), {"output": job, "frames": 1000, "seconds": 0.5})()

    monkeypatch.setattr(renderer, "render", fake_render)
    monkeypatch.setattr(savsr_app.support.throttle, "time", type("FakeTime", (), {"monotonic": staticmethod(clock)}))
    worker, seen = RenderWorker(), []
    worker.progress.connect(lambda _id, done, *_: seen.append(done))
    worker.run("job", "out.mp4", RenderControl())
    assert 5 <= len(seen) <= 7 and seen[0] == 1 and seen[-1] == 1000
