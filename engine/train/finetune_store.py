"""Fine-tuned models and fine-tune runs on disk (no Qt), for the app's fine-tuning panel.

:class:`ModelLibrary` is a folder of finished fine-tuned models (``<name>.safetensors``); what a
model is (base, footage, scales, steps, PSNR before/after, date) is read from the metadata that
:func:`engine.train.finetune.finetune` stores in the file itself, so nothing can drift apart.
Renaming renames the file; deleting removes it. The library only ever touches files inside its
own folder, so the bundled model (which lives elsewhere) can never be renamed or deleted.

:class:`RunStore` keeps each fine-tune in progress in a folder of its own: ``run.json`` (what was
asked: footage, base, settings, budget, name, and the last checkpointed step), the model file
being written, its ``.train.pt`` state and ``.log.jsonl``. A run whose folder survives a closed
app is *interrupted* and can be resumed; a finished run's model moves into the library and its
folder is removed. The training state and logs never sit in the library folder, so model pickers
that scan that folder only see finished models.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import SavsrError
from ..resources import default_model_path

MODEL_SUFFIX = ".safetensors"
RUN_VERSION = 1


class LibraryError(SavsrError, ValueError):
    """A library operation that cannot be done; the message says why."""


def safe_name(name: str) -> str:
    """A file-name stem from a user's model name: characters no file system accepts become ``_``."""
    stem = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", name.strip()).strip(" .")
    return stem[:80] or "fine-tuned model"


def write_json(path: Path, doc: dict) -> None:
    """Atomic JSON write: temporary file in the same folder, then ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2, ensure_ascii=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_metadata(path) -> dict:
    """The metadata stored in a model file (cheap for safetensors: the header only)."""
    path = Path(path)
    if path.suffix == MODEL_SUFFIX:
        from safetensors import safe_open
        try:
            with safe_open(str(path), framework="pt") as f:
                return json.loads((f.metadata() or {}).get("metadata", "{}"))
        except Exception as exc:  # safetensors raises several error types for a bad header
            raise LibraryError(f"cannot read {path.name} ({exc})") from None
    from ..models.checkpoint import read_checkpoint
    return read_checkpoint(path)[2]


@dataclass
class LibraryModel:
    path: Path
    meta: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def psnr_before(self) -> float | None:
        return (self.meta.get("psnr_before") or {}).get("psnr")

    @property
    def psnr_after(self) -> float | None:
        return (self.meta.get("psnr_after") or {}).get("psnr")


class ModelLibrary:
    """The fine-tuned models in ``root`` (created on first use)."""

    def __init__(self, root):
        self.root = Path(root)

    def models(self) -> list[LibraryModel]:
        """Every readable model, newest first; unreadable files are listed with ``meta['error']``."""
        if not self.root.is_dir():
            return []
        out = []
        for p in self.root.glob("*" + MODEL_SUFFIX):
            try:
                meta = read_metadata(p)
            except SavsrError as exc:
                meta = {"error": str(exc)}
            out.append(LibraryModel(p, meta))
        return sorted(out, key=lambda m: (m.meta.get("date", ""), m.name), reverse=True)

    def unique_path(self, name: str, exclude: Path | None = None) -> Path:
        stem = safe_name(name)
        path, n = self.root / (stem + MODEL_SUFFIX), 2
        while path.exists() and path != exclude:
            path, n = self.root / f"{stem} ({n}){MODEL_SUFFIX}", n + 1
        return path

    def _own(self, path) -> Path:
        path = Path(path).resolve()
        bundled = default_model_path()
        if bundled is not None and path == bundled.resolve():
            raise LibraryError("the bundled model cannot be renamed or deleted")
        if path.parent != self.root.resolve() or path.suffix != MODEL_SUFFIX:
            raise LibraryError(f"{path.name} is not in the fine-tuned model library")
        if not path.is_file():
            raise LibraryError(f"{path.name} no longer exists")
        return path

    def add(self, model_file, name: str) -> Path:
        """Move a finished model file into the library as ``name`` (made unique); its new path."""
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.unique_path(name)
        shutil.move(str(model_file), str(target))
        return target

    def rename(self, path, new_name: str) -> Path:
        src = self._own(path)
        target = self.unique_path(new_name, exclude=src)
        if target != src:
            os.replace(src, target)
        return target

    def delete(self, path) -> None:
        self._own(path).unlink()


@dataclass
class Run:
    """One fine-tune in progress (or interrupted) and what was asked of it."""

    folder: Path
    doc: dict

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def name(self) -> str:
        return self.doc.get("name", self.id)

    @property
    def model_file(self) -> Path:
        return self.folder / (safe_name(self.name) + MODEL_SUFFIX)

    @property
    def state_file(self) -> Path:
        return self.model_file.with_name(self.model_file.name + ".train.pt")

    @property
    def log_file(self) -> Path:
        return self.model_file.with_name(self.model_file.name + ".log.jsonl")

    @property
    def resumable(self) -> bool:
        return self.state_file.is_file()

    def save(self) -> None:
        write_json(self.folder / "run.json", {**self.doc, "version": RUN_VERSION})

    def record_checkpoint(self, step: int, elapsed_s: float) -> None:
        self.doc.update(step=int(step), elapsed_s=float(elapsed_s))
        self.save()

    def remaining(self) -> tuple[float | None, int | None]:
        """``(minutes, steps)`` left of the budget first asked for (at least a little of either)."""
        minutes, steps = self.doc.get("minutes"), self.doc.get("steps")
        done_s, done = float(self.doc.get("elapsed_s", 0.0)), int(self.doc.get("step", 0))
        left_min = None if minutes is None else max(0.5, minutes - done_s / 60.0)
        left_steps = None if steps is None else max(1, steps - done)
        return left_min, left_steps

    def log(self) -> list[dict]:
        """The run's JSON-lines log (train and validation records); unreadable lines are skipped."""
        if not self.log_file.is_file():
            return []
        out = []
        for line in self.log_file.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


class RunStore:
    """Fine-tune runs under ``root``, one folder each."""

    def __init__(self, root):
        self.root = Path(root)

    def create(self, request: dict) -> Run:
        """A new run folder for ``request`` (footage, base, settings, minutes, steps, name)."""
        stamp = datetime.now(timezone.utc)
        folder = self.root / f"{stamp:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        folder.mkdir(parents=True)
        run = Run(folder, {**request, "created": stamp.isoformat(timespec="seconds"), "step": 0, "elapsed_s": 0.0})
        run.save()
        return run

    def get(self, run_id: str) -> Run | None:
        doc_path = self.root / run_id / "run.json"
        try:
            doc = json.loads(doc_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return Run(doc_path.parent, doc) if isinstance(doc, dict) else None

    def interrupted(self) -> list[Run]:
        """Runs with a training state to resume from, newest first."""
        if not self.root.is_dir():
            return []
        runs = [r for r in (self.get(p.name) for p in sorted(self.root.iterdir(), reverse=True) if p.is_dir())
                if r is not None and r.resumable]
        return runs

    def remove(self, run: Run) -> None:
        if run.folder.resolve().parent == self.root.resolve():
            shutil.rmtree(run.folder, ignore_errors=True)
