"""Queue entries as data, and the queue file (versioned JSON in the data folder). No Qt here.

A render keeps its finished segments in a work folder next to its output
(:mod:`engine.render.workdir`); the queue renders with ``resume=True``, so a job that was stopped,
killed or failed continues from there. The helpers below read and remove a job's work folder.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from engine.render import workdir
from engine.render.job import RenderJob
from engine.render.workdir import ResumeError, WorkFolder

from ..state.storage import StoredFile, data_dir, videos_dir

QUEUE_VERSION = 1

QUEUED, RUNNING, PAUSED, DONE, FAILED, CANCELLED, INTERRUPTED = (
    "queued", "running", "paused", "done", "failed", "cancelled", "interrupted")
STATES = (QUEUED, RUNNING, PAUSED, DONE, FAILED, CANCELLED, INTERRUPTED)
ACTIVE = (RUNNING, PAUSED)
RETRYABLE = (FAILED, CANCELLED, INTERRUPTED)


@dataclass
class QueueEntry:
    """One row of the queue: a frozen job plus what happened to it. The UI refers to it by ``id``."""

    job: RenderJob
    out_size: tuple[int, int]
    frames: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = QUEUED
    done: int = 0
    fps: float = 0.0
    eta: float | None = None
    message: str = ""
    model_note: str = ""            # the model as the app names it, with auto's choice and reason
    estimate: float | None = None   # seconds the render was estimated at when queued
    cost_key: str = ""              # the calibration key it was estimated with (estimate.calibration_key)
    units_per_frame: float = 0.0    # work per frame (estimate.work_units), to calibrate from its speed

    def remaining(self) -> float | None:
        """Seconds left: the running render's own ETA, else the estimate for the frames not done."""
        if self.state in ACTIVE and self.eta is not None:
            return self.eta
        if self.estimate is None or self.state not in (QUEUED, *ACTIVE):
            return None
        return self.estimate * (1.0 - self.fraction)

    @property
    def name(self) -> str:
        return Path(self.job.input).name

    @property
    def fraction(self) -> float:
        return self.done / self.frames if self.frames else 0.0

    def reset(self):
        self.state, self.done, self.fps, self.eta, self.message = QUEUED, 0, 0.0, None, ""

    def to_dict(self) -> dict:
        return {"id": self.id, "job": self.job.to_dict(), "out_size": list(self.out_size), "frames": self.frames,
                "state": self.state, "done": self.done, "message": self.message, "model_note": self.model_note,
                "estimate": self.estimate, "cost_key": self.cost_key, "units_per_frame": self.units_per_frame}

    @classmethod
    def from_dict(cls, d: dict) -> QueueEntry:
        state = d.get("state", QUEUED)
        entry = cls(job=RenderJob.from_dict(d["job"]), out_size=tuple(d.get("out_size", (0, 0))),
                    frames=int(d.get("frames", 0)), id=str(d.get("id") or uuid.uuid4().hex[:12]),
                    state=state if state in STATES else QUEUED, done=int(d.get("done", 0)),
                    message=str(d.get("message", "")), model_note=str(d.get("model_note", "")),
                    estimate=d.get("estimate") if isinstance(d.get("estimate"), (int, float)) else None,
                    cost_key=str(d.get("cost_key", "")), units_per_frame=float(d.get("units_per_frame") or 0.0))
        if entry.state in (*ACTIVE, INTERRUPTED):   # the app was closed, crashed or was killed while it ran
            entry.requeue_interrupted()
        return entry

    def requeue_interrupted(self):
        """Queue a job whose render was stopped, to continue from its last finished segment."""
        try:
            kept = kept_frames(self.job)
        except ResumeError as exc:   # the render will fail with this message; say it now
            self.state, self.done, self.message = QUEUED, 0, f"interrupted; {exc}"
            return
        if kept:
            self.message = f"interrupted at {kept}/{self.frames} frames: resumes from the last finished segment"
        else:
            self.message = "interrupted before a segment was finished: resumes from the start"
        self.state, self.done = QUEUED, kept or 0


def unique_output(folder: Path, stem: str, ext: str, taken: set[str] = frozenset()) -> Path:
    """``folder/stem.ext``, or ``stem_2.ext``, ``stem_3.ext``... if that exists, is already queued or
    has an interrupted render's work folder."""
    candidate = folder / f"{stem}{ext}"
    n = 2
    while candidate.exists() or str(candidate) in taken or workdir.work_path(candidate).exists():
        candidate = folder / f"{stem}_{n}{ext}"
        n += 1
    return candidate


def default_folder(input_path: str) -> Path:
    """Where a job writes when no folder is set: next to the input, or the user's Videos folder when
    the input lies inside the application's own files (the bundled sample: a read-only install)."""
    from engine.resources import resources_dir
    src = Path(input_path).resolve()
    if src.is_relative_to(resources_dir().resolve()):
        return videos_dir()
    return src.parent


def default_output(input_path: str, size: tuple[int, int], folder: str, ext: str, taken: set[str]) -> Path:
    """``<clip>_savsr_<W>x<H><ext>`` in ``folder`` (``""``: :func:`default_folder`), colliding with
    no file, no path in ``taken`` (queued jobs' outputs) and no work folder."""
    src = Path(input_path)
    where = Path(folder).expanduser() if folder else default_folder(input_path)
    return unique_output(where, f"{src.stem}_savsr_{size[0]}x{size[1]}", ext, taken)


def kept_frames(job: RenderJob) -> int | None:
    """Frames in the finished segments of ``job``'s work folder (``None``: no work folder).

    Raises :class:`~engine.render.workdir.ResumeError` when the folder's manifest cannot be read.
    """
    return workdir.kept_frames(Path(job.output))


def discard_work_folder(job: RenderJob) -> bool:
    """Delete ``job``'s work folder (its kept segments) if it holds this job's render."""
    if not workdir.holds_render_of(job):  # never another render's segments (a CLI run to the same name)
        return False
    WorkFolder(Path(job.output)).discard()
    return True


class QueueStore:
    """``<data>/queue.json``: ``{"version": 1, "jobs": [...]}``."""

    def __init__(self, path: Path | None = None):
        self.file = StoredFile(path or data_dir() / "queue.json", QUEUE_VERSION)
        self.resumed: list[QueueEntry] = []    # interrupted jobs that :meth:`load` queued again

    @property
    def warning(self) -> str | None:
        return self.file.warning

    def load(self) -> list[QueueEntry]:
        doc = self.file.load() or {}
        entries = []
        self.resumed = []
        for item in doc.get("jobs", []):
            try:
                entries.append(QueueEntry.from_dict(item))
                if item.get("state") in (*ACTIVE, INTERRUPTED):
                    self.resumed.append(entries[-1])
            except (KeyError, TypeError, ValueError) as exc:
                self.file.warning = f"a job in {self.file.path.name} could not be read and was skipped ({exc})"
        return entries

    def save(self, entries: list[QueueEntry]) -> None:
        self.file.save({"jobs": [e.to_dict() for e in entries]})
