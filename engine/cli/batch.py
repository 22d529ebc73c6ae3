"""Batches for ``savsr upscale IN [IN ...] -o FOLDER/``: which clips, where each one goes, how it went.

A folder given as input stands for its video files, sorted by name. The outputs are named from
the inputs as a single render names its default output; two inputs that would give the same
name (``a/clip.mp4`` and ``b/clip.mp4``) get ``_2``, ``_3`` ... so no output replaces another.
A clip that fails is reported in one line and the batch goes on; the exit status says whether
any failed. The loop that renders is ``engine.cli.upscale``'s (one render's options, console and
interruption): this module decides, names and counts, and never imports it.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SavsrError, folder_refusal
from .progress import format_duration, format_speed

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".m4v", ".avi", ".webm", ".mxf", ".mts", ".m2ts", ".ts",
                  ".mpg", ".mpeg", ".y4m")


@dataclass(frozen=True)
class Clip:
    """One input of a batch: the file, or the reason it cannot be one (a folder without videos)."""
    path: Path
    problem: str = ""


@dataclass(frozen=True)
class Batch:
    clips: tuple[Clip, ...]
    folder: Path | None            # where the outputs go; None: each next to its input
    create: bool = False           # the folder ends with a slash and does not exist yet


def ends_with_separator(path: str) -> bool:
    return path.endswith(("/", os.sep))


def video_files(folder: Path) -> list[Path]:
    """The video files in ``folder`` (not in its subfolders, not hidden), sorted by name."""
    return sorted((p for p in folder.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in VIDEO_SUFFIXES),
                  key=lambda p: (p.name.lower(), p.name))


def expand(inputs: list[str]) -> list[Clip]:
    """Every input as clips: a file as it is, a folder as its video files; each file once."""
    clips, seen = [], set()
    for text in inputs:
        path = Path(text)
        if not path.is_dir():
            found = [path]
        else:
            found = video_files(path)
            if not found:
                clips.append(Clip(path, f"no video files in the folder {path} "
                                        f"(looked for {', '.join(VIDEO_SUFFIXES)})"))
        for p in found:
            key = os.path.normcase(os.path.abspath(p))
            if key not in seen:
                seen.add(key)
                clips.append(Clip(p))
    return clips


def plan_batch(inputs: list[str], output: str | None, codec: str) -> Batch | None:
    """The batch ``inputs`` and ``-o output`` ask for, or None for one clip rendered as before
    (one file in, ``output`` a file name or absent, or a PNG folder of one clip's frames).

    Raises :class:`SavsrError` when several inputs are given one file as output."""
    several = len(inputs) > 1 or any(Path(p).is_dir() for p in inputs)
    into_folder = output is not None and (ends_with_separator(output) or Path(output).is_dir())
    if not several and (not into_folder or codec == "png"):
        return None
    if output is not None and not into_folder:
        if Path(output).suffix:
            what = "several inputs give" if len(inputs) > 1 else "a folder as input gives"
            raise SavsrError(f"{what} several files: give a folder as output (-o FOLDER/), not {output}")
        raise SavsrError(f"output folder does not exist: {output} (end it with / to have it created)")
    folder = Path(output) if output is not None else None
    return Batch(tuple(expand(inputs)), folder, create=folder is not None and not folder.is_dir())


def make_folder(folder: Path):
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SavsrError(folder_refusal(folder, exc, "create the output folder")) from None


class Names:
    """Output names handed out in this batch: a name already given gets ``_2``, ``_3`` ..."""

    def __init__(self):
        self._given: set[str] = set()

    def output_for(self, default: str, folder: Path | None) -> str:
        """The output of a clip whose single render would write ``default``: in ``folder`` (None: where
        ``default`` is), under a name no other clip of the batch got."""
        path = Path(default) if folder is None else folder / Path(default).name
        stem, suffix = (path.stem, path.suffix) if path.suffix else (path.name, "")
        candidate, n = path, 1
        while os.path.normcase(os.path.abspath(candidate)) in self._given:
            n += 1
            candidate = path.with_name(f"{stem}_{n}{suffix}")
        self._given.add(os.path.normcase(os.path.abspath(candidate)))
        return str(candidate)


@dataclass
class Tally:
    """What the batch did so far: its lines, the total line and the exit status."""
    total: int
    written: int = 0
    kept: int = 0
    failed: list[str] = field(default_factory=list)
    frames: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def status(self) -> int:
        return 1 if self.failed else 0

    def wrote_line(self, result, codec: str, unit: str | None) -> str:
        """A clip written (``result``: a :class:`~engine.render.renderer.RenderResult`), as a single render says it."""
        self.written, self.frames = self.written + 1, self.frames + result.frames
        w, h = result.size
        return (f"wrote {result.output}  ({w}x{h}, {result.frames} frame{'s' if result.frames != 1 else ''}, "
                f"{codec}) in {format_duration(result.seconds)} ({format_speed(result.fps, unit)})")

    def kept_line(self, output: str) -> str:
        self.kept += 1
        return f"kept {output}  (written by an earlier run)"

    def skipped_line(self, clip: Path, error: Exception, resumable: bool = False) -> str:
        self.failed.append(str(clip))
        resume = ": run the same command with --resume to continue" if resumable else ""
        return f"savsr: error: skipped {clip}: {error}{resume}"

    def line(self) -> str:
        """``3 clips: 2 written (50 frames), 1 skipped (see above), in 01:02``."""
        parts = [f"{self.written} written ({self.frames} frame{'s' if self.frames != 1 else ''})"]
        if self.kept:
            parts.append(f"{self.kept} already done")
        if self.failed:
            parts.append(f"{len(self.failed)} skipped (see above)")
        return (f"{self.total} clip{'s' if self.total != 1 else ''}: {', '.join(parts)}, "
                f"in {format_duration(time.monotonic() - self.started)}")


def stopped_line(how: str, number: int, tally: Tally, clip: Path, kept: str) -> str:
    """The one line of a batch stopped by Ctrl+C or a signal during clip ``number`` (for a batch
    of one, the line of a single render)."""
    if tally.total == 1:
        return f"savsr: {how}" + (f": {kept}" if kept else "")
    done = f"{tally.written} of {tally.total} clips written"
    return f"savsr: {how} during clip {number} ({clip}): {done}" + (f"; {clip.name}: {kept}" if kept else "")
