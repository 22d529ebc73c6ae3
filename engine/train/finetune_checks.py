"""What a fine-tune needs before it starts (no Qt): footage facts and the guard rails.

:func:`footage_facts` says how many frames a clip or frame folder has and how big they are,
without decoding it, and whether a video's pictures carry a lossy codec's damage.
:func:`check_request` turns a planned fine-tune into plain sentences that say what stops it (footage
too short or too small for the chosen scale, too little free disk); an empty list means it can start.
:func:`compressed_caution` is the warning for footage that can start but will teach the model its
codec's artifacts.
"""
from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import SavsrError
from .data import IMAGE_SUFFIXES, VIDEO_SUFFIXES

MIN_FRAMES = 3          # two to train on, one held out for validation
DISK_MARGIN = 200 * 2**20


@dataclass(frozen=True)
class FootageFacts:
    path: str
    name: str
    frames: int
    width: int
    height: int
    artifacts: str = ""     # why the pictures count as compressed (``h264 at 0.14 bits per pixel``); "" if clean

    @property
    def size_text(self) -> str:
        return f"{self.width}×{self.height}"


def footage_facts(path) -> FootageFacts:
    """Frames and size of a video file or a folder of image frames; raises :class:`SavsrError`."""
    path = Path(path)
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise SavsrError(f"{path.name} holds no image frames (expected PNG, JPEG, TIFF, BMP or WebP files)")
        import av
        try:
            with av.open(str(images[0])) as c:
                frame = next(c.decode(video=0))
        except (av.error.FFmpegError, StopIteration) as exc:
            raise SavsrError(f"cannot read {images[0].name} ({exc})") from None
        return FootageFacts(str(path), path.name, len(images), frame.width, frame.height)
    if not path.is_file():
        raise SavsrError(f"footage not found: {path}")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise SavsrError(f"{path.name} is not a video clip or frame folder "
                         f"(video files: {', '.join(sorted(VIDEO_SUFFIXES))})")
    from ..models.choice import compression_evidence
    from ..video import probe
    info = probe(path)
    compressed, why = compression_evidence(info)
    return FootageFacts(str(path), path.name, info.frame_count, info.width, info.height, why if compressed else "")


def compressed_caution(footage: list[FootageFacts]) -> str:
    """A plain warning when some footage is compressed (empty when none is). Its frames are the
    fine-tune's targets, so the model learns their blocking and smeared texture along with their
    content, and the held-out score (against those same frames) counts them as detail: measured in
    docs/finetune.md on a CRF 28 clip, +0.06 dB on the held-out frames, -0.14 dB against the originals."""
    damaged = [f for f in footage if f.artifacts]
    if not damaged:
        return ""
    first = damaged[0]
    if len(damaged) == 1:
        head, its = f"{first.name} is compressed: {first.artifacts}.", "its"
    else:
        head, its = f"{len(damaged)} of the clips are compressed ({first.name}: {first.artifacts}).", "their"
    return (f"{head} A fine-tune learns {its} codec artifacts along with {its} content, and the held-out "
            "score counts them as detail (on a CRF 28 test clip: +0.06 dB held out, -0.14 dB against the "
            "originals). If you have a cleaner master of the same camera or show, fine-tune on that; the "
            "bundled compressed model already handles such clips.")


def model_disk_need(base_file) -> int:
    """Bytes a fine-tune writes: the model, its training state (weights, EMA, two optimiser
    moments) and a margin; about six model files plus 200 MB."""
    try:
        size = Path(base_file).stat().st_size if base_file else 20 * 2**20
    except OSError:
        size = 20 * 2**20
    return 6 * size + DISK_MARGIN


def free_bytes(folder) -> int:
    folder = Path(folder)
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def check_request(footage: list[FootageFacts], *, patch: int, scale_high: float, holdout: float,
                  out_folder, base_file=None, max_frames: int | None = 200) -> list[str]:
    """Sentences saying why this fine-tune cannot start (empty: it can)."""
    problems = []
    if not footage:
        problems.append("Add at least one clip or frame folder to fine-tune on.")
    need_side = math.ceil(patch * scale_high)
    for f in footage:
        used = min(f.frames, max_frames) if max_frames else f.frames
        if used < MIN_FRAMES:
            problems.append(f"{f.name} is too short: {f.frames} frame(s). Fine-tuning needs at least {MIN_FRAMES} "
                            "(some to train on, the last part held out to measure the result).")
        elif used - max(1, round(used * holdout)) < 2:
            problems.append(f"{f.name}: holding out {holdout:.0%} of {used} frames leaves fewer than 2 to train on.")
        if min(f.width, f.height) < need_side:
            problems.append(f"{f.name} is too small for the chosen scale: its frames are {f.size_text}, but patch "
                            f"{patch} at up to ×{scale_high:g} needs {need_side} pixels on each side. Lower the "
                            "highest scale or the patch size (Expert).")
    free, need = free_bytes(out_folder), model_disk_need(base_file)
    if free < need:
        problems.append(f"Low disk space: {free / 2**20:.0f} MB free where fine-tuned models are kept, about "
                        f"{need / 2**20:.0f} MB needed. Free some space or delete older fine-tuned models.")
    return problems
