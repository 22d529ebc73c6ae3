"""The work folder of a resumable render: ``.<output name>.savsr-work`` next to the output.

It holds the finished segments of the output and ``manifest.json``, which says which render they
belong to (the input file, the settings that change pixels, the model's hash) and which segments
are complete. Every write is atomic (a temporary name, then a rename), so a render killed at any
moment leaves either the old manifest or the new one, never half of one. A lock held while a
render runs keeps a second render of the same output from mixing into it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from functools import lru_cache
from pathlib import Path

from ..errors import SavsrError

MANIFEST = "manifest.json"
LOCK = "lock"
VERSION = 1
# job fields that change the output's pixels or timing; device and tile do not (within rounding)
SETTINGS = ("scale_w", "scale_h", "target_size", "start", "end", "codec", "crf", "preset", "pix_fmt", "precision",
            "deinterlace", "pixel_aspect", "square_pixels")
_WHAT = {"input": "the input file changed (or is another file)", "model": "another model",
         "plan": "the output size, range or format"}


class ResumeError(SavsrError):
    """A work folder that cannot be used for this render; the message says what to do."""


def work_path(output: Path) -> Path:
    output = Path(output)
    return output.parent / f".{output.name}.savsr-work"


@lru_cache(maxsize=8)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digest(path) -> str:
    st = os.stat(path)
    return _digest(os.path.abspath(path), st.st_size, st.st_mtime_ns)


def job_settings(job) -> dict:
    """The fields of ``job`` that change the output's pixels, as the manifest records them."""
    return {k: v for k, v in job.to_dict().items() if k in SETTINGS}


def kept_frames(output) -> int | None:
    """Frames in the finished segments kept for ``output`` (``None``: no interrupted render).

    Raises :class:`ResumeError` when the work folder's manifest cannot be read.
    """
    manifest = WorkFolder(output).read()
    if manifest is None:
        return None
    return sum(int(s.get("frames", 0)) for s in manifest["segments"] if isinstance(s, dict))


def holds_render_of(job) -> bool:
    """Whether the work folder of ``job.output`` holds a render of ``job`` (same input and settings)."""
    try:
        manifest = WorkFolder(job.output).read()
    except ResumeError:
        return False
    recorded = (manifest or {}).get("job") or {}
    return (bool(manifest) and (recorded.get("input") or {}).get("path") == os.path.abspath(job.input)
            and recorded.get("settings") == job_settings(job))


def fingerprint(plan, model_path) -> dict:
    """What a render's segments depend on, as plain JSON data."""
    job = plan.job
    st = os.stat(job.input)
    return {
        "input": {"path": os.path.abspath(job.input), "size": st.st_size, "mtime_ns": st.st_mtime_ns},
        "settings": job_settings(job),
        "model": file_digest(model_path),
        "plan": {"first": plan.first, "stop": plan.stop, "out_size": list(plan.out_size), "pix_fmt": plan.pix_fmt,
                 "container": plan.container},
    }


def differences(old: dict, new: dict) -> list[str]:
    """What differs between two fingerprints, in words."""
    out = []
    for key in ("input", "settings", "model", "plan"):
        if old.get(key) == new.get(key):
            continue
        if key == "settings":
            a, b = old.get(key) or {}, new[key]
            out.append("settings (" + ", ".join(k for k in SETTINGS if a.get(k) != b.get(k)) + ")")
        else:
            out.append(_WHAT[key])
    return out


def _write_json(path: Path, data: dict):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def durable_rename(src: Path, dst: Path):
    """Flush ``src`` to disk, then rename it: after a crash the name exists only with its data.

    A folder's files are flushed as they are written (PNG frames).
    """
    if not src.is_dir():
        with open(src, "rb+") as f:
            os.fsync(f.fileno())
    os.replace(src, dst)


def size_of(path: Path) -> int:
    """Bytes in a file, or in the files of a folder."""
    if path.is_dir():
        return sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    return path.stat().st_size


class WorkFolder:
    """One output's work folder; :meth:`lock` before writing into it."""

    def __init__(self, output: Path):
        self.output = Path(output)
        self.path = work_path(self.output)
        self.manifest: dict | None = None
        self._lock_file = None

    def exists(self) -> bool:
        return self.path.is_dir()

    def read(self) -> dict | None:
        """The manifest, ``None`` if there is none; a damaged one raises :class:`ResumeError`."""
        file = self.path / MANIFEST
        if not file.is_file():
            return None
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            if (not isinstance(data, dict) or data.get("version") != VERSION
                    or not isinstance(data.get("segments"), list)):
                raise ValueError("not a manifest of this version")
        except (OSError, ValueError) as exc:
            raise ResumeError(f"the work folder {self.path} has an unreadable manifest ({exc}): "
                              "delete the folder to start over") from None
        return data

    def create(self, job: dict, segment_frames: int, total: int):
        self.path.mkdir(exist_ok=True)
        self.lock()
        self.clear_partial()
        for old in self.path.glob("segment_*"):
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        self.manifest = {"version": VERSION, "job": job, "segment_frames": segment_frames, "total_frames": total,
                         "segments": []}
        self.save()

    def adopt(self, manifest: dict):
        self.lock()
        self.clear_partial()
        self.manifest = manifest

    def save(self):
        _write_json(self.path / MANIFEST, self.manifest)

    def lock(self):
        """Hold the folder's lock for this process (released on exit, even on SIGKILL)."""
        if self._lock_file is not None:
            return
        f = open(self.path / LOCK, "a+")
        try:
            _try_lock(f)
        except OSError:
            f.close()
            raise ResumeError(f"another render is writing {self.output} right now") from None
        self._lock_file = f

    def unlock(self):
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def clear_partial(self):
        """Remove files a killed render was writing when it died."""
        for part in list(self.path.glob("*.part")) + list(self.path.glob("*.tmp")):
            shutil.rmtree(part, ignore_errors=True) if part.is_dir() else part.unlink(missing_ok=True)

    # ---- segments ----------------------------------------------------------------------------
    @property
    def segments(self) -> list[dict]:
        return self.manifest["segments"] if self.manifest else []

    @property
    def frames_done(self) -> int:
        return sum(s["frames"] for s in self.segments)

    def valid_segments(self) -> list[dict]:
        """The recorded segments whose files are present with their recorded sizes, in order.

        A render on several workers finishes segments out of order, so there may be gaps.
        """
        return [seg for seg in self.segments
                if (self.path / seg["file"]).exists() and size_of(self.path / seg["file"]) == seg["bytes"]]

    def contiguous(self, first: int) -> bool:
        """Whether the recorded segments run without a gap from frame ``first``."""
        stops = [first] + [s["stop"] for s in self.segments]
        return all(s["first"] == stop for s, stop in zip(self.segments, stops))

    def record_segment(self, record: dict):
        """Record a segment a worker finished (its file is in place), keeping frame order."""
        self.segments.append(record)
        self.segments.sort(key=lambda s: s["first"])
        self.save()

    def add_segment(self, first: int, stop: int, frames: int, part: Path, name: str):
        durable_rename(part, self.path / name)
        self.segments.append({"first": first, "stop": stop, "frames": frames, "file": name,
                              "bytes": size_of(self.path / name)})
        self.save()

    def discard(self):
        self.unlock()
        shutil.rmtree(self.path, ignore_errors=True)


def _try_lock(f):
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def open_work(plan, model_path, resume: bool, segment_frames: int, note) -> WorkFolder:
    """The work folder for ``plan``: fresh, or the interrupted render to continue.

    ``resume`` continues a matching interrupted render (and starts fresh when there is none).
    Without it an existing work folder is discarded only when the job may overwrite; otherwise
    the user is told how to continue or start over. A work folder of a different render is
    never mixed in.
    """
    work = WorkFolder(plan.output)
    current = fingerprint(plan, model_path)
    if work.exists():
        old = work.read()
        if old is not None:
            changed = differences(old.get("job", {}), current)
            done = sum(s.get("frames", 0) for s in old["segments"])
            if not changed and resume:
                work.adopt(old)
                return work
            if done == 0:  # nothing finished: nothing to lose by starting over
                resume = False
                changed = []
            if changed and (resume or not plan.job.overwrite):
                raise ResumeError(f"{work.path} holds an interrupted render of something else "
                                  f"({'; '.join(changed)} differ): delete that folder to start over, "
                                  "or choose another output name")
            if not changed and not plan.job.overwrite and done:
                raise ResumeError(f"an interrupted render of this output is kept in {work.path} ({done} of "
                                  f"{old.get('total_frames', '?')} frames done): add --resume to continue it, "
                                  "or --overwrite to start over")
            if done:
                note(f"discarded an interrupted render of this output ({done} frames) to start over")
        elif any(p.name not in (LOCK,) and not p.name.endswith((".part", ".tmp")) for p in work.path.iterdir()):
            raise ResumeError(f"{work.path} exists but is not a SAVSR work folder: move it away")
    elif resume:
        note("nothing to resume for this output: rendering from the start")
    work.create(current, segment_frames, plan.frame_count)
    return work
