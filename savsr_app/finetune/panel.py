"""The advanced panel: fine-tune the model on the user's own footage, watch it learn, use the result.

Everything slow happens elsewhere: footage is probed by background calls, training runs on the
:class:`~savsr_app.finetune.worker.FinetuneRunner` thread. The panel holds a run id, never an
engine object. Runs and finished models live on disk (:mod:`engine.train.finetune_store`), so a
fine-tune stopped by Stop or by closing the app shows up under "Interrupted" and can be resumed.
"""
from __future__ import annotations

from pathlib import Path

from engine.durations import format_duration
from engine.train.finetune_checks import check_request, compressed_caution
from engine.train.finetune_store import ModelLibrary, RunStore

from ..qt import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
    push_button,
)
from ..support.tasks import Background
from .footage_list import FootageList
from .form import FinetuneForm, settings_from_dict, settings_to_dict
from .gate import QueueGate
from .interrupted import InterruptedRuns
from .loss_plot import LossPlot
from .model_library import ModelLibraryView
from .run_states import IDLE, RUNNING, STOPPING, WAITING
from .worker import FinetuneRequest, FinetuneRunner, result_text


class FinetunePanel(QWidget):
    modelChosen = Signal(str)           # make this model active (previews and new jobs)
    modelRenamed = Signal(str, str)     # old path, new path
    modelDeleted = Signal(str)
    stateChanged = Signal(str)
    message = Signal(str)               # for the app's log

    def __init__(self, library_root, runs_root, *, background: Background | None = None, open_clip=None,
                 models=None, device=None, queue_runner=None, confirm=None, parent=None):
        """``open_clip()`` -> path of the clip open in the window or ``None``; ``models()`` ->
        ``[(label, path)]`` of base models; ``device()`` -> the device setting (``auto``, ``cpu``,
        ``cuda:N``); ``queue_runner`` is the app's render queue runner (or ``None``)."""
        super().__init__(parent)
        self.setObjectName("finetunePanel")
        self.library, self.runs = ModelLibrary(library_root), RunStore(runs_root)
        self.background = background or Background(self)
        self.device = device or (lambda: "auto")
        self.gate = QueueGate(queue_runner, self)
        self.runner = FinetuneRunner(self)
        self.state = IDLE
        self.result_model: str | None = None
        self._pending: tuple | None = None        # (run id, request) waiting for the device
        self.run_name = ""                        # of the fine-tune running, waiting or last run
        self.footage = FootageList(self.background, open_clip)
        self.form = FinetuneForm(models)
        self.plot = LossPlot()
        self.library_view = ModelLibraryView(self.library, confirm)
        self.interrupted = InterruptedRuns(self.runs)
        self._build()
        self._wire()
        self.interrupted.refresh()
        self._update_guard()

    # ---- construction ------------------------------------------------------------------------
    def _build(self):
        self.guard = QLabel()
        self.guard.setObjectName("finetuneGuard")
        self.guard.setWordWrap(True)
        self.guard.setStyleSheet("color: #d9534f;")
        self.caution = QLabel()             # compressed footage: it can start, but the user should know
        self.caution.setObjectName("finetuneCaution")
        self.caution.setWordWrap(True)
        self.caution.setStyleSheet("color: #e0a030;")
        self.caution.hide()
        self.start_button = push_button("mdi6.play", "Start fine-tuning",
                                        "Fine-tune on a background thread; the app stays usable")
        self.stop_button = push_button("mdi6.stop", "Stop",
                                       "Stop after the current step and save a checkpoint (Resume continues it)")
        self.step_label, self.elapsed_label, self.eta_label = QLabel("Step –"), QLabel("Elapsed –"), QLabel("ETA –")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.result_label = QLabel()
        self.result_label.setObjectName("finetuneResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.use_button = push_button("mdi6.check-circle-outline", "Use this model",
                                      "Make the fine-tuned model the active one for previews and new queue jobs")
        self.use_button.hide()

        content = QWidget()
        lay = QVBoxLayout(content)
        intro = QLabel("Adapt the model to clips of one show, camera or style. The last part of each clip is held "
                       "out and only used to measure whether fine-tuning helped.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        lay.addWidget(self._box("Footage", self.footage))
        lay.addWidget(self.caution)
        lay.addWidget(self._box("Settings", self.form))
        lay.addWidget(self.guard)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button, 1)
        buttons.addWidget(self.stop_button)
        lay.addLayout(buttons)
        lay.addWidget(self.interrupted)
        live = QWidget()
        live_lay = QVBoxLayout(live)
        live_lay.setContentsMargins(0, 0, 0, 0)
        numbers = QHBoxLayout()
        for w in (self.step_label, self.elapsed_label, self.eta_label):
            numbers.addWidget(w)
        live_lay.addLayout(numbers)
        live_lay.addWidget(self.plot, 1)
        live_lay.addWidget(self.status_label)
        live_lay.addWidget(self.result_label)
        live_lay.addWidget(self.use_button)
        lay.addWidget(self._box("Progress", live))
        lay.addWidget(self._box("Fine-tuned models", self.library_view))
        lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.setMinimumWidth(340)

    @staticmethod
    def _box(title: str, widget: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        QVBoxLayout(box).addWidget(widget)
        return box

    def _wire(self):
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.use_button.clicked.connect(lambda: self.result_model and self.modelChosen.emit(self.result_model))
        self.interrupted.resumeRequested.connect(self.resume)
        self.interrupted.selected.connect(lambda run: self.form.set_budget(*run.remaining()))
        self.footage.changed.connect(self._update_guard)
        self.form.changed.connect(self._update_guard)
        r = self.runner
        r.progressed.connect(self._progressed)
        r.validated.connect(lambda v: self.plot.add_validation(v["step"], v["summary"]["psnr"],
                                                               v["summary"]["bicubic"]))
        r.checkpointed.connect(lambda step: self.status_label.setText(f"Checkpoint saved at step {step}."))
        r.finished.connect(self._finished)
        r.failed.connect(self._failed)
        self.gate.idle.connect(self._device_free)
        lib = self.library_view
        lib.useRequested.connect(self.modelChosen)
        lib.renamed.connect(self._renamed)
        lib.deleted.connect(self._deleted)
        lib.message.connect(self._say)

    # ---- inputs from the window --------------------------------------------------------------
    def set_factors(self, s_w: float, s_h: float):
        if self.state == IDLE:
            self.form.set_factors(s_w, s_h)

    # ---- guard rails -------------------------------------------------------------------------
    def problems(self) -> list[str]:
        f, s = self.form, self.form.settings()
        out = list(self.footage.errors())
        out += check_request(self.footage.facts(), patch=s.patch, scale_high=s.range()[1], holdout=s.holdout,
                             out_folder=self.runs.root, base_file=f.base_path(), max_frames=s.max_frames)
        if not self.footage.paths():
            out = out or ["Add at least one clip or frame folder to fine-tune on."]
        return out

    def _update_guard(self):
        caution = compressed_caution(self.footage.facts())
        self.caution.setText(caution)
        self.caution.setVisible(bool(caution))
        text = "" if self.state != IDLE or self.footage.pending else "\n".join(self.problems()[:4])
        if not self.footage.paths() and self.state == IDLE:
            text = ""       # nothing added yet: no need to shout
        self.guard.setText(text)
        self.guard.setVisible(bool(text))
        self._buttons()

    def _buttons(self):
        idle = self.state == IDLE
        self.start_button.setEnabled(idle)
        self.stop_button.setEnabled(self.state in (RUNNING, WAITING))
        self.interrupted.set_idle(idle)
        self.form.setEnabled(idle)
        self.footage.setEnabled(idle)

    def _set_state(self, state: str):
        self.state = state
        self._buttons()
        self._update_guard()
        self.stateChanged.emit(state)

    def _say(self, text: str):
        self.status_label.setText(text)
        self.message.emit(text)

    # ---- start, stop, resume -----------------------------------------------------------------
    def start(self) -> bool:
        """Check the guard rails, then start (or wait for the device); ``False`` if refused."""
        if self.state != IDLE:
            return False
        if self.footage.pending:
            self._say("Still reading the footage; try again in a moment.")
            return False
        problems = self.problems()
        if problems:
            self.guard.setText("\n".join(problems))
            self.guard.setVisible(True)
            return False
        paths = self.footage.paths()
        name = self.form.name.text().strip() or f"{Path(paths[0]).stem} fine-tune"
        minutes, steps = self.form.budget()
        doc = {"name": name, "footage": paths, "base": self.form.base_path(), "device": self.device(),
               "settings": settings_to_dict(self.form.settings()), "minutes": minutes, "steps": steps,
               "compressed": any(f.artifacts for f in self.footage.facts())}
        run = self.runs.create(doc)
        self.plot.clear()
        return self._launch(run, resume=False)

    def resume(self) -> bool:
        run = self.interrupted.current()
        if self.state != IDLE or run is None or not run.resumable:
            self.interrupted.refresh()
            return False
        minutes, steps = self.form.budget()
        run.doc.update(minutes=None if minutes is None else minutes + run.doc.get("elapsed_s", 0.0) / 60,
                       steps=None if steps is None else steps + run.doc.get("step", 0))
        run.save()
        self.plot.clear()
        for rec in run.log():
            if rec.get("kind") == "train":
                self.plot.add_losses([(rec["step"], rec["loss"])])
            elif rec.get("kind") == "val" and rec.get("summary"):
                self.plot.add_validation(rec["step"], rec["summary"]["psnr"], rec["summary"]["bicubic"])
        return self._launch(run, resume=True, minutes=minutes, steps=steps)

    def _launch(self, run, *, resume: bool, minutes=None, steps=None) -> bool:
        d = run.doc
        if not resume:
            minutes, steps = d["minutes"], d["steps"]
        request = FinetuneRequest(str(run.folder), tuple(d["footage"]), d.get("base"),
                                  settings_from_dict(d["settings"]), minutes, steps, d.get("device", "auto"), resume)
        self.run_name = run.name
        self.result_model = None
        self.use_button.hide()
        self.result_label.clear()
        self.gate.hold()
        if self.gate.blocks(request.device):
            self._pending = (run.id, request)
            self._set_state(WAITING)
            self._say("A render is running on the same device. Fine-tuning starts when it finishes; "
                      "until fine-tuning ends, the queue starts no new render.")
            return True
        self._go(run.id, request)
        return True

    def _device_free(self):
        if self.state == WAITING and self._pending is not None:
            run_id, request = self._pending
            self._pending = None
            self._go(run_id, request)

    def _go(self, run_id: str, request: FinetuneRequest):
        self.runner.start(run_id, request)
        self._set_state(RUNNING)
        held = " The render queue waits until fine-tuning ends." if self.gate.held else ""
        self._say(("Resuming" if request.resume else "Fine-tuning") + f" “{self.run_name}” on "
                  f"{request.device}: measuring the base model on the held-out frames first.{held}")

    def stop(self):
        if self.state == WAITING:
            run_id, _ = self._pending or ("", None)
            self._pending = None
            self.gate.release()
            self._set_state(IDLE)
            self._say("Fine-tuning cancelled before it started.")
            run = self.runs.get(run_id)
            if run is not None and not run.resumable:
                self.runs.remove(run)
        elif self.state == RUNNING:
            self.runner.stop()
            self._set_state(STOPPING)
            self._say("Stopping after the current step and saving a checkpoint…")

    def shutdown(self):
        """For closing the app (see :mod:`savsr_app.window.closing`): stop training with a checkpoint
        (resumable next time), drop a fine-tune still waiting (it never started) and end the thread.
        The queue stays held: nothing new should start while the app closes."""
        if self._pending is not None:
            run = self.runs.get(self._pending[0])
            if run is not None and not run.resumable:
                self.runs.remove(run)
            self._pending = None
        self.runner.shutdown()
        self.state = IDLE

    # ---- answers -----------------------------------------------------------------------------
    def _progressed(self, p: dict):
        self.plot.add_losses(p["losses"])
        total = f" / {p['total']}" if p.get("total") and p["total"] < 10 ** 6 else ""
        self.step_label.setText(f"Step {p['step']}{total}")
        self.elapsed_label.setText(f"Elapsed {format_duration(p['elapsed'])}")
        self.eta_label.setText(f"ETA {format_duration(p['eta'])}")
        if self.state == RUNNING and "base model" in self.status_label.text():
            self.status_label.setText("Training…")

    def _finished(self, run_id: str, res: dict):
        self.gate.release()
        run = self.runs.get(run_id)
        if res["stopped"] == "cancelled":
            self._set_state(IDLE)
            self._say(f"Stopped at step {res['step']}; the checkpoint is saved. Resume continues from there.")
            self.interrupted.refresh(select=run_id)
            return
        try:
            path = self.library.add(res["model"], self.run_name)
        except OSError as exc:
            self._set_state(IDLE)
            self._say(f"The fine-tuned model could not be moved into the library: {exc}")
            return
        if run is not None:
            self.runs.remove(run)
        self.result_model = str(path)
        self.result_label.setText(result_text(res))
        self._offer_use(bool(res["verdict"]["helped"]))
        self.library_view.refresh()
        self.library_view.select(str(path))
        self.form.fill_models()
        self.interrupted.refresh()
        self._set_state(IDLE)
        self._say(f"Saved “{path.stem}” in your fine-tuned models." + (
            "" if res["verdict"]["helped"] else " It did not help, so the base model stays selected."))

    def _offer_use(self, helped: bool):
        """Nothing is chosen by itself: a model that helped is offered, one that did not is left for the
        user to try on purpose ("Use it anyway"), and the base model stays selected."""
        b = self.use_button
        b.setText("Use this model" if helped else "Use it anyway")
        b.setToolTip("Make the fine-tuned model the active one for previews and new queue jobs" if helped else
                     "Fine-tuning did not help, so the base model stays selected; this makes the fine-tuned "
                     "model active all the same")
        b.show()

    def _failed(self, run_id: str, message: str):
        self.gate.release()
        run = self.runs.get(run_id)
        if run is not None and not run.resumable:
            self.runs.remove(run)
        self._set_state(IDLE)
        self.guard.setText(f"Fine-tuning failed: {message}")
        self.guard.setVisible(True)
        self.message.emit(f"fine-tuning failed: {message}")
        self.interrupted.refresh()

    # ---- the library -----------------------------------------------------------------------------
    def _renamed(self, old: str, new: str):
        if self.result_model == old:
            self.result_model = new
        self.form.fill_models()
        self.modelRenamed.emit(old, new)

    def _deleted(self, path: str):
        if self.result_model == path:
            self.result_model = None
            self.use_button.hide()
        self.form.fill_models()
        self.modelDeleted.emit(path)
