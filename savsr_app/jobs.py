"""Queue entries as data, and the queue file (versioned JSON in the data folder). No Qt here."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from engine.job import RenderJob

from .storage import StoredFile, data_dir

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
                "state": self.state, "done": self.done, "message": self.message}

    @classmethod
    def from_dict(cls, d: dict) -> "QueueEntry":
        state = d.get("state", QUEUED)
        entry = cls(job=RenderJob.from_dict(d["job"]), out_size=tuple(d.get("out_size", (0, 0))),
                    frames=int(d.get("frames", 0)), id=str(d.get("id") or uuid.uuid4().hex[:12]),
                    state=state if state in STATES else QUEUED, done=int(d.get("done", 0)),
                    message=str(d.get("message", "")))
        if entry.state in ACTIVE:     # the app stopped while it ran
            entry.state = INTERRUPTED
            entry.message = "interrupted when the app closed: Retry to render it again"
        return entry


class QueueStore:
    """``<data>/queue.json``: ``{"version": 1, "jobs": [...]}``."""

    def __init__(self, path: Path | None = None):
        self.file = StoredFile(path or data_dir() / "queue.json", QUEUE_VERSION)

    @property
    def warning(self) -> str | None:
        return self.file.warning

    def load(self) -> list[QueueEntry]:
        doc = self.file.load() or {}
        entries = []
        for item in doc.get("jobs", []):
            try:
                entries.append(QueueEntry.from_dict(item))
            except (KeyError, TypeError, ValueError) as exc:
                self.file.warning = f"a job in {self.file.path.name} could not be read and was skipped ({exc})"
        return entries

    def save(self, entries: list[QueueEntry]) -> None:
        self.file.save({"jobs": [e.to_dict() for e in entries]})
