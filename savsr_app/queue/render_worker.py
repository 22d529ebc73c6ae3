"""Renders queued jobs on a background ``QThread`` through ``engine.render.renderer.render``.

:class:`RenderWorker` turns the engine's callbacks into signals (progress through the app's
:class:`~savsr_app.support.throttle.Throttle`: about 10 Hz, the last frame always). :class:`QueueRunner`
(UI side) starts the next queued job when the worker is idle, holds each running job's
:class:`~engine.render.control.RenderControl` by job id, and writes what happens into the
:class:`~savsr_app.queue.model.QueueModel`.

Every render runs with ``resume=True``: the queue owns its jobs' work folders, so a job stopped
when the app closed, killed with it, or failed (a full disk) continues from its last finished
segment. Closing the app *stops* the render (segments kept); Cancel throws the work away.
Renders run on the worker processes the settings ask for (:mod:`engine.render.workers`): a worker
that dies costs its segment, which is rendered again, and the job's row says so. The render's notes
arrive as events (:mod:`engine.render.events`): the row acts on their kind, never on their words.
"""
from __future__ import annotations

from collections.abc import Callable

from engine.errors import SavsrError
from engine.render import events
from engine.render.control import RenderCancelled, RenderControl, RenderStopped, ResumableError
from engine.render.placement import Placement
from engine.render.workers import HOW_WORKERS_DIE

from ..qt import QObject, QThread, Signal, Slot
from ..support.throttle import Throttle
from .jobs import (
    ACTIVE,
    CANCELLED,
    DONE,
    FAILED,
    INTERRUPTED,
    PAUSED,
    QUEUED,
    RUNNING,
    discard_work_folder,
    kept_frames,
)


def lost_work(deaths: int) -> str:
    """What a finished job's row adds when its render process died on the way (``deaths`` times)."""
    if not deaths:
        return ""
    times = {1: "once", 2: "twice"}.get(deaths, f"{deaths} times")
    return (f". The render process stopped unexpectedly {times} ({HOW_WORKERS_DIE}); the frames it was working "
            "on were rendered again, so the output is complete")


class RenderWorker(QObject):
    progress = Signal(str, int, int, float, object)    # job id, done, total, fps, eta seconds or None
    logged = Signal(str, object)                       # job id, the render's event (engine.render.events)
    succeeded = Signal(str, str, int, float)           # job id, output path, frames, seconds
    failed = Signal(str, str)                          # job id, message
    cancelled = Signal(str, bool)                      # job id, finished segments kept (stopped, not cancelled)
    idle = Signal()

    @Slot(str, object, object, object)
    def run(self, job_id: str, job, control: RenderControl, placement: Placement | None = None):
        from engine.render.renderer import render

        def send(batch):
            p = batch[-1]       # only the newest count matters
            self.progress.emit(job_id, p.done, p.total, p.fps, p.eta_seconds)

        throttle = Throttle(send)
        try:
            result = render(job, progress=lambda p: throttle.add(p, now=p.done == p.total), control=control,
                            events=lambda ev: self.logged.emit(job_id, ev), resume=True, placement=placement)
        except RenderStopped:
            self.cancelled.emit(job_id, True)
        except RenderCancelled:
            self.cancelled.emit(job_id, False)
        except ResumableError as exc:    # a full disk, a worker that died twice
            self.failed.emit(job_id, f"{exc}: Retry continues from them" if exc.kept else str(exc))
        except SavsrError as exc:
            self.failed.emit(job_id, str(exc))
        except Exception as exc:  # a bug or an unexpected library error: report it, keep the queue alive
            self.failed.emit(job_id, f"unexpected error: {type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(job_id, str(result.output), result.frames, result.seconds)
        self.idle.emit()


class QueueRunner(QObject):
    """Runs the model's queued jobs one at a time, in order, while ``running`` is on."""

    jobStarted = Signal(str)
    jobFinished = Signal(str, str)      # job id, final state
    jobFailed = Signal(str, str)        # job id, message (for notifications)
    logMessage = Signal(str)
    progressed = Signal(str)
    stopped = Signal()                  # the worker is idle after shutdown
    runningChanged = Signal(bool)
    _start = Signal(str, object, object, object)

    def __init__(self, model, placement: Callable[[], Placement] = Placement, parent=None):
        """``placement()``: where the next job's render computes (read as each job starts, so a
        change in the settings reaches the next job)."""
        super().__init__(parent)
        self.model = model
        self.placement = placement
        self._worker_deaths: dict[str, int] = {}
        self._computing: dict[str, str] = {}   # job id -> "CPU · OpenVINO bf16", from the render's note
        self.running = True
        self.current: str | None = None
        self._control: RenderControl | None = None
        self._closing = False
        self.thread = QThread()
        self.thread.setObjectName("render")
        self.worker = RenderWorker()
        self.worker.moveToThread(self.thread)
        self.thread.finished.connect(self.worker.deleteLater)
        self._start.connect(self.worker.run)
        self.worker.progress.connect(self._on_progress)
        self.worker.logged.connect(self._on_logged)
        self.worker.succeeded.connect(self._on_succeeded)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.idle.connect(self._on_idle)
        self.thread.start()

    def _name(self, job_id: str) -> str:
        e = self.model.entry(job_id)
        return e.name if e else job_id

    # ---- control -----------------------------------------------------------------------------
    def set_running(self, on: bool):
        if on != self.running:
            self.running = on
            self.runningChanged.emit(on)
        self.kick()

    def kick(self):
        """Start the next queued job if the worker is free."""
        if self.current is not None or not self.running or self._closing:
            return
        entry = self.model.next_queued()
        if entry is None:
            return
        self.current = entry.id
        self._control = RenderControl()
        # ``done`` stays: a resumed job starts from its kept frames (the engine reports them at once)
        self.model.update(entry.id, state=RUNNING, fps=0.0, eta=None, message="")
        self.logMessage.emit(f"{entry.name}: render started → {entry.job.output}")
        self.jobStarted.emit(entry.id)
        self._worker_deaths.pop(entry.id, None)
        self._start.emit(entry.id, entry.job, self._control, self.placement())

    def pause(self, job_id: str):
        if job_id == self.current and self._control is not None:
            self._control.pause()
            self.model.update(job_id, state=PAUSED)

    def resume(self, job_id: str):
        if job_id == self.current and self._control is not None:
            self._control.resume()
            self.model.update(job_id, state=RUNNING)

    def cancel(self, job_id: str):
        e = self.model.entry(job_id)
        if e is None:
            return
        if job_id == self.current and self._control is not None:
            self._control.cancel()      # the engine deletes the work folder
        elif e.state == QUEUED:
            self.discard_work(job_id)
            self.model.update(job_id, state=CANCELLED, done=0, message="")
            self.jobFinished.emit(job_id, CANCELLED)

    def discard_work(self, job_id: str) -> bool:
        """Delete the kept segments of a job that is not running (cancelled or removed).

        Never while a render runs into the same output: that job's folder is in use.
        """
        e = self.model.entry(job_id)
        busy = [x for x in self.model.entries if x.state in ACTIVE or x.id == self.current]
        if e is None or any(x.job.output == e.job.output for x in busy):
            return False
        if discard_work_folder(e.job):
            self.logMessage.emit(f"{e.name}: deleted the finished segments kept for {e.job.output}")
            return True
        return False

    @property
    def busy(self) -> bool:
        return self.current is not None

    # ---- answers from the worker -------------------------------------------------------------
    def _on_progress(self, job_id, done, total, fps, eta):
        e = self.model.entry(job_id)
        if e is not None and e.state in ACTIVE:
            self.model.update(job_id, save=False, done=done, frames=total or e.frames, fps=fps, eta=eta)
            self.progressed.emit(job_id)

    def _on_logged(self, job_id: str, event: dict):
        self.logMessage.emit(f"{self._name(job_id)}: {event['text']}")
        if event["kind"] == events.WORKER_DIED:     # shown in the job's row while it runs and when done
            self._worker_deaths[job_id] = self._worker_deaths.get(job_id, 0) + 1
            self.model.update(job_id, message=event["text"])
        elif event["kind"] == events.COMPUTING:     # the row names what computes it: "running: CPU · OpenVINO bf16"
            self._computing[job_id] = event["words"]
            self.model.update(job_id, message=event["words"])

    def _on_succeeded(self, job_id, output, frames, seconds):
        computed = self._computing.pop(job_id, "")
        self.model.update(job_id, state=DONE, done=frames, eta=None,
                          message=f"{frames} frames in {seconds:.1f} s" + (f", {computed}" if computed else "")
                          + lost_work(self._worker_deaths.pop(job_id, 0)))
        self.logMessage.emit(f"{self._name(job_id)}: done, {frames} frames in {seconds:.1f} s → {output}")
        self.jobFinished.emit(job_id, DONE)

    def _on_failed(self, job_id, message):
        self.model.update(job_id, state=FAILED, eta=None, message=message)
        self.logMessage.emit(f"{self._name(job_id)}: failed: {message}")
        self.jobFailed.emit(job_id, message)
        self.jobFinished.emit(job_id, FAILED)

    def _on_cancelled(self, job_id, kept: bool):
        e = self.model.entry(job_id)
        if kept:
            try:
                done = kept_frames(e.job) if e else None
            except SavsrError:
                done = None
            total = e.frames if e else "?"
            state = INTERRUPTED
            if done:
                message = (f"stopped when the app closed; {done} of {total} frames are kept and it resumes "
                           "from there when the app starts again")
            else:
                done = 0
                message = ("stopped when the app closed, before a segment was finished; it starts over when "
                           "the app starts again")
        else:
            state, done, message = CANCELLED, 0, "cancelled; no output was written"
        self.model.update(job_id, state=state, done=done, eta=None, message=message)
        self.logMessage.emit(f"{self._name(job_id)}: {message}")
        self.jobFinished.emit(job_id, state)

    def _on_idle(self):
        self.current, self._control = None, None
        if self._closing:
            self.stopped.emit()
        else:
            self.kick()

    # ---- shutdown ----------------------------------------------------------------------------
    def shutdown(self):
        """Stop the running job, keeping its finished segments (it becomes "interrupted" and resumes
        at the next start), and end the thread; ``stopped`` follows."""
        self._closing = True
        if self._control is not None:
            if not self._control.cancelled:     # a job the user cancelled stays cancelled
                self._control.stop()            # keeps the finished segments for the next start
        else:
            self.stopped.emit()

    def join(self):
        self.thread.quit()
        self.thread.wait()
