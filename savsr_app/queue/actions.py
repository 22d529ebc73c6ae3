"""What the window's queue commands do: freeze the state into a job and queue it, remove or retry
a job, and say how the running job does (status line, notifications, log).

:class:`QueueActions` knows the :class:`~savsr_app.state.app_state.AppState`, the queue model, its
store and the runner; it speaks to the rest of the window only through its signals.
"""
from __future__ import annotations

from pathlib import Path

from engine.errors import SavsrError
from engine.render.job import RenderJob

from ..qt import QObject, Signal
from .jobs import ACTIVE, QueueEntry, default_output
from .model import status_text


class QueueActions(QObject):
    queued = Signal(str)                # entry id: show the queue, select the row
    notice = Signal(str, str)           # text, kind ("info" | "error")
    logged = Signal(str)
    jobStatus = Signal(object, float)   # status-bar text of the running job (None: none runs), fraction

    def __init__(self, state, model, store, runner, parent=None):
        super().__init__(parent)
        self.state, self.model, self.store, self.runner = state, model, store, runner
        self.costs = None                   # a CostTracker: estimates for new jobs (set by the window)
        self.confirm = lambda question: True    # asked before queueing a CPU render of over an hour
        self.background = None              # a Background: probes the clips of add_all (set by the window)
        self.ensure_folder = lambda folder: None    # a missing output folder offered to be created (the window's)
        runner.jobFailed.connect(lambda jid, msg: self.notice.emit(f"{self._name(jid)} failed: {msg}", "error"))
        runner.jobFinished.connect(self._finished)
        model.dataChanged.connect(lambda first, *_: self._progress(first.row()))  # progress, pause, resume
        model.structureChanged.connect(self.save)

    def make_job(self, output: str | None = None) -> RenderJob:
        """The state frozen into a job; ``output`` defaults to a fresh name no file or queued job has."""
        if output is None:
            taken = {e.job.output for e in self.model.entries}
            out = self.state.output
            output = str(default_output(self.state.clip.path, self.state.output_size(), out.folder, out.extension,
                                        taken))
        return self.state.job(output)

    def add(self) -> QueueEntry | None:
        """Queue the job the state describes; ``None`` (and a notice why) when it cannot be."""
        if self.state.clip is None:
            self.notice.emit("Open a clip first (Ctrl+O).", "info")
            return None
        from engine.render.plan import plan
        self.ensure_folder(self.state.output.folder)
        job = self.make_job()
        try:
            p = plan(job, self.state.clip)
        except SavsrError as exc:
            self.notice.emit(f"Cannot queue this render: {exc}", "error")
            self.logged.emit(f"refused to queue {Path(job.input).name}: {exc}")
            return None
        entry = QueueEntry(job=job, out_size=p.display_out_size, frames=p.frame_count,
                           model_note=self.state.model_label)
        cost = ""
        if self.costs is not None:
            question = self.costs.long_render_question()
            if question and not self.confirm(question):
                self.logged.emit(f"not queued: {entry.name} (estimated over an hour on this CPU)")
                return None
            est = self.costs.estimate()
            entry.estimate, entry.units_per_frame = est.seconds, self.costs.units_per_frame()
            from ..state.costs import resolved_device
            entry.cost_key = self.state.cost_key(resolved_device(job.device))
            cost = f", {est.text()}"
        self.model.add(entry)
        self.queued.emit(entry.id)
        self.logged.emit(f"queued {entry.name} → {job.output} ({entry.out_size[0]}x{entry.out_size[1]}, "
                         f"{entry.frames} frames, model {entry.model_note}{cost})")
        if not self.runner.running:
            self.notice.emit(f"Queued {entry.name}. The queue is stopped: press Run queue to render.", "info")
        self.runner.kick()
        return entry

    def add_entries(self, made: list[tuple[QueueEntry, str]], kind: str) -> list[QueueEntry]:
        """Queue entries made elsewhere (a timeline's pieces), each with its line for the log; one whose
        output is queued already is left (and logged). ``kind`` names them in the notice of a stopped
        queue ("timeline piece"). Returns the entries added."""
        taken = {e.job.output for e in self.model.entries}
        added = []
        for entry, line in made:
            if entry.job.output in taken:
                self.logged.emit(f"not queued again: {Path(entry.job.output).name} is in the queue already")
                continue
            self.model.add(entry)
            added.append(entry)
            self.logged.emit(line)
        if added:
            self.queued.emit(added[-1].id)
            if not self.runner.running:
                self.notice.emit(f"Queued {len(added)} {kind}(s). The queue is stopped: press Run queue to render.",
                                 "info")
            self.runner.kick()
        return added

    def add_all(self, paths: list[str]) -> None:
        """Queue every clip of ``paths`` with the current settings, each planned for its own size
        (:mod:`~savsr_app.queue.batch`). The clips are probed off the UI thread (``background``) and
        queued in their order once all have answered; one that cannot be opened or planned is said
        and skipped, the rest go on."""
        from ..panels.clip_panel import probe_clip
        from .batch import BatchSettings
        paths = list(dict.fromkeys(str(p) for p in paths))
        if not paths:
            self.notice.emit("Open or drop clips first (Ctrl+O).", "info")
            return
        s = self.state
        self.ensure_folder(s.output.folder)
        settings = BatchSettings(template=s.job(""), scale=s.scale, target=s.target, output=s.output,
                                 model_note=s.model.label(),
                                 open_job=s.job("") if s.clip is not None else None)
        answers: dict[str, tuple] = {}

        def answered(path: str, info, message: str = ""):
            answers[path] = (info, message)
            if len(answers) == len(paths):
                self._add_probed(settings, [(p, *answers[p]) for p in paths])

        self.logged.emit(f"adding {len(paths)} clip(s) to the queue…")
        for path in paths:
            self.background.call(probe_clip, path, done=lambda info, p=path: answered(p, info),
                                 failed=lambda message, p=path: answered(p, None, message))

    def _add_probed(self, settings, probed: list[tuple]):
        """Queue the batch's clips, ``(path, ClipInfo or None, why not)`` each, in order."""
        from .batch import batch_entry, queued_line, skipped_line
        taken = {e.job.output for e in self.model.entries}
        made, skipped = [], []
        for path, info, message in probed:
            try:
                if info is None:
                    raise SavsrError(message)
                entry = batch_entry(settings, info, taken)
            except SavsrError as exc:
                skipped.append(Path(path).name)
                self.logged.emit(skipped_line(path, str(exc)))
                continue
            made.append((entry, queued_line(entry)))
        if skipped:
            self.notice.emit(f"Not queued: {', '.join(skipped)} (the log says why).", "error")
        self.add_entries(made, "clip")

    def remove(self, job_id: str):
        e = self.model.entry(job_id)
        if e is not None and e.state not in ACTIVE:
            self.model.remove(job_id)

    def retry(self, job_id: str):
        self.model.retry(job_id)
        self.runner.kick()

    def save(self):
        self.store.save(self.model.entries)

    def _name(self, job_id: str) -> str:
        e = self.model.entry(job_id)
        return e.name if e else "job"

    def _progress(self, row: int):
        """The status line of the job in ``row`` while it runs or is paused (the table's own words)."""
        e = self.model.entries[row] if 0 <= row < len(self.model.entries) else None
        text = status_text(e) if e is not None and e.id == self.runner.current else None
        if text is not None:
            self.jobStatus.emit(text, e.fraction)

    def _finished(self, job_id: str, state: str):
        self.jobStatus.emit(None, 0.0)
        e = self.model.entry(job_id)
        if e is not None and state == "done":
            self.notice.emit(f"Rendered {e.name} → {Path(e.job.output).name}", "info")
