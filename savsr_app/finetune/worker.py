"""Runs :func:`engine.train.finetune.finetune` on a background ``QThread``.

:class:`FinetuneWorker` lives on the thread and turns the engine's progress callback into
signals: training steps are gathered by the app's :class:`~savsr_app.support.throttle.Throttle` and sent
about 10 times a second (every loss value is kept, so the curve has all its points); validations
and checkpoints go at once, after the steps before them. The UI side,
:class:`FinetuneRunner`, owns the thread and the cancel event and knows runs only by id.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from engine.errors import SavsrError

from ..qt import QObject, QThread, Signal, Slot
from ..support.throttle import Throttle


@dataclass(frozen=True)
class FinetuneRequest:
    """One fine-tune to run: the engine's arguments plus the run folder it writes into."""

    run_folder: str
    footage: tuple
    base: str | None
    settings: object            # engine.train.finetune.FinetuneSettings
    minutes: float | None
    steps: int | None
    device: str
    resume: bool = False


class FinetuneWorker(QObject):
    progressed = Signal(object)     # {'step', 'total', 'elapsed', 'eta', 'losses': [(step, loss), ...]}
    validated = Signal(object)      # {'step', 'summary'}
    checkpointed = Signal(int)      # step
    finished = Signal(object)       # {'model', 'step', 'stopped', 'before', 'after', 'gain_db', 'verdict'}
    failed = Signal(str)

    @Slot(object, object)
    def run(self, request: FinetuneRequest, cancel: threading.Event):
        from pathlib import Path

        from engine.train.finetune import finetune
        from engine.train.finetune_store import RunStore
        from engine.train.validate import summary
        folder = Path(request.run_folder)
        run = RunStore(folder.parent).get(folder.name)
        if run is None:
            self.failed.emit(f"the fine-tune folder {folder} is missing or unreadable")
            return
        last: dict = {}         # the newest training event

        def send(events):
            ev = events[-1]
            self.progressed.emit({"step": ev["step"], "total": ev["total_steps"], "elapsed": ev["elapsed_s"],
                                  "eta": ev["eta_s"], "losses": [(e["step"], float(e["loss"])) for e in events]})

        throttle = Throttle(send)

        def on_event(ev: dict):
            kind = ev.get("kind")
            if kind == "train":
                last.update(ev)
                throttle.add(ev)
            elif kind == "val":
                throttle.flush()
                self.validated.emit({"step": ev["step"], "summary": ev["summary"]})
            elif kind == "checkpoint":
                throttle.flush()
                run.record_checkpoint(ev["step"], last.get("elapsed_s", run.doc.get("elapsed_s", 0.0)))
                self.checkpointed.emit(ev["step"])

        try:
            res = finetune(list(request.footage), run.model_file, base=request.base, minutes=request.minutes,
                           steps=request.steps, settings=request.settings, device=request.device,
                           progress=on_event, cancel=cancel, resume=request.resume)
        except SavsrError as exc:
            self.failed.emit(str(exc))
            return
        except (ValueError, OSError, FloatingPointError, RuntimeError) as exc:
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        throttle.flush()
        self.finished.emit({"model": str(res["model"]), "step": res["step"], "stopped": res["stopped"],
                            "before": summary(res["before"] or []), "after": summary(res["after"] or []),
                            "frames": sum(r.get("frames", 0) for r in (res["after"] or [])[:1]),
                            "gain_db": res["gain_db"],
                            "verdict": {**res["verdict"].to_dict(), "text": res["verdict"].text()}})


class FinetuneRunner(QObject):
    """The UI's handle on fine-tuning: one run at a time, each on a thread of its own that ends
    with the run (no idle thread outlives it)."""

    progressed = Signal(object)
    validated = Signal(object)
    checkpointed = Signal(int)
    finished = Signal(str, object)      # run id, result
    failed = Signal(str, str)           # run id, message
    busyChanged = Signal(bool)
    _start = Signal(object, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.run_id: str | None = None
        self._cancel: threading.Event | None = None
        self.thread: QThread | None = None
        self.worker: FinetuneWorker | None = None

    @property
    def busy(self) -> bool:
        return self.run_id is not None

    def start(self, run_id: str, request: FinetuneRequest):
        if self.busy:
            raise RuntimeError("a fine-tune is already running")
        self.run_id, self._cancel = run_id, threading.Event()
        self.thread, self.worker = QThread(), FinetuneWorker()
        self.thread.setObjectName("finetune")
        self.worker.moveToThread(self.thread)
        self._start.connect(self.worker.run)
        w = self.worker
        w.progressed.connect(self.progressed)
        w.validated.connect(self.validated)
        w.checkpointed.connect(self.checkpointed)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        self.thread.start()
        self.busyChanged.emit(True)
        self._start.emit(request, self._cancel)

    def stop(self):
        """Stop after the current step; the engine saves a checkpoint before it returns."""
        if self._cancel is not None:
            self._cancel.set()

    def _end_thread(self):
        if self.thread is None:
            return
        self._start.disconnect(self.worker.run)
        self.thread.quit()
        self.thread.wait()
        self.worker.deleteLater()
        self.thread.deleteLater()
        self.thread, self.worker = None, None

    def _done(self) -> str:
        self._end_thread()
        run_id, self.run_id, self._cancel = self.run_id, None, None
        self.busyChanged.emit(False)
        return run_id or ""

    def _on_finished(self, result):
        if self.run_id is not None:
            self.finished.emit(self._done(), result)

    def _on_failed(self, message):
        if self.run_id is not None:
            self.failed.emit(self._done(), message)

    def shutdown(self):
        """Stop the running fine-tune and wait for its thread: the checkpoint it writes on the way
        out makes it resumable. Blocks for the rest of the current step."""
        self.stop()
        self._end_thread()
        if self.run_id is not None:
            self.run_id, self._cancel = None, None
            self.busyChanged.emit(False)


def result_text(res: dict) -> str:
    """The outcome in plain words: whether fine-tuning helped (engine.train.finetune_verdict) and,
    when it did not, that the base model stays selected; then the held-out figures."""
    verdict, b, a = res.get("verdict") or {}, res.get("before") or {}, res.get("after") or {}
    if verdict.get("gain_db") is None or "psnr" not in a:
        return f"Finished after {res['step']} steps (no held-out frames to measure the result)."
    detail = (f"Held-out frames: {b.get('psnr', float('nan')):.2f} dB before, {a['psnr']:.2f} dB after "
              f"(bicubic {a.get('bicubic', float('nan')):.2f} dB), {res['step']} steps.")
    if verdict["helped"]:
        return f"<b>{verdict['text']}</b> {detail}"
    return (f"<b>{verdict['text']}</b> The base model stays selected; the fine-tuned model is kept in your "
            f"library, to compare in the preview if you like. {detail}")
