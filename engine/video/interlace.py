"""Interlaced input: whether a clip is interlaced, told by its flag and by how combed its frames look.

Flags lie both ways (progressive footage flagged interlaced by a camera preset, woven fields
in a file that says nothing), so :func:`detect` reads the flag *and* measures combing on a few
frames. :func:`combing` compares each line with the lines of the other field around it against
the lines of its own field, block by block, and reports the most combed blocks (the 90th
percentile): 0.6-0.8 on progressive footage, 1 to 3 where two moments are woven into one frame
and something moves. The deinterlaced clip itself is :mod:`.deinterlace`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .colour import luma
from .probe import ClipInfo, InputError

COMBED = 1.2            # a clip not flagged interlaced combs above this (progressive: 0.6-0.8)
FLAGGED_COMBED = 0.95   # the bar for a clip that is flagged interlaced
SAMPLES = 8             # frames measured, spread over the clip
BLOCK = 16              # pixels per side of a measured block
PERCENTILE = 90


def combing(y: np.ndarray) -> float:
    """How combed one frame's luma ``(H, W)`` looks: per block, the mean distance of each line from
    the mean of its two neighbours (the other field) over the same from the lines two above and
    below (its own field); the 90th percentile over the blocks. Flat frames measure 0."""
    y = np.asarray(y, dtype=np.float64)
    mid = y[2:-2]
    across = np.abs(mid - (y[1:-3] + y[3:-1]) / 2)
    within = np.abs(mid - (y[:-4] + y[4:]) / 2)
    b = min(BLOCK, *across.shape) if across.size else 0
    if b < 2:
        return 0.0
    h, w = across.shape[0] // b * b, across.shape[1] // b * b
    a = across[:h, :w].reshape(h // b, b, w // b, b).mean(axis=(1, 3))
    o = within[:h, :w].reshape(h // b, b, w // b, b).mean(axis=(1, 3))
    ratio = np.where(o > 1e-3, a / np.maximum(o, 1e-3), 0.0)
    return float(np.percentile(ratio, PERCENTILE))


def top_field_first(pairs: list[tuple[np.ndarray, np.ndarray]]) -> bool:
    """The field order that makes motion smoothest, from pairs of consecutive frames' luma: with
    the top field first, a bottom field is closer to the next frame's top field than a top field
    is to the next frame's bottom field."""
    forward = backward = 0.0
    for a, b in pairs:
        rows = min(a[0::2].shape[0], a[1::2].shape[0], b[0::2].shape[0], b[1::2].shape[0])
        forward += np.abs(a[1::2][:rows] - b[0::2][:rows]).mean()
        backward += np.abs(a[0::2][:rows] - b[1::2][:rows]).mean()
    return bool(forward <= backward)


@dataclass(frozen=True)
class Interlace:
    flagged: bool            # the stream or its frames say interlaced
    combing: float           # the most combed of the sampled frames
    top_field_first: bool    # from the flag when it says, else from the motion

    @property
    def combed(self) -> bool:
        return self.combing > (FLAGGED_COMBED if self.flagged else COMBED)


def detect(info: ClipInfo) -> Interlace:
    """The clip's interlace flag and how combed a few of its frames look (cached per file version)."""
    path = Path(info.path)
    st = path.stat()
    return _detect(info, st.st_size, st.st_mtime_ns)


def _sample(info: ClipInfo) -> tuple[list[int], list[np.ndarray]]:
    """Pairs of consecutive frames spread over the clip, as luma; for a damaged clip, the first
    frames that decode (a render upscales what decodes, so the measure must not fail first)."""
    from .decode import iter_frames, read_frames
    count = min(SAMPLES, info.frame_count)
    starts = sorted({round(k * (info.frame_count - 2) / max(1, count // 2 - 1)) for k in range(max(1, count // 2))})
    indices = sorted({i for s in starts for i in (s, s + 1) if 0 <= i < info.frame_count})
    try:
        return indices, [luma(rgb) for rgb in read_frames(info, indices)]
    except InputError:
        indices, frames = [], []
        try:
            for decoded in iter_frames(info, 0, count):
                indices.append(decoded.index)
                frames.append(luma(decoded.rgb))
        except InputError:
            pass
        return indices, frames


@lru_cache(maxsize=32)
def _detect(info: ClipInfo, _size: int, _mtime_ns: int) -> Interlace:
    indices, frames = _sample(info)
    scores = [combing(y) for y in frames]
    flagged = info.interlaced or info.field_order in ("tff", "bff")
    if info.field_order in ("tff", "bff"):
        tff = info.field_order == "tff"
    else:
        tff = top_field_first([(frames[k], frames[k + 1]) for k in range(len(indices) - 1)
                               if indices[k + 1] == indices[k] + 1])
    return Interlace(flagged, max(scores, default=0.0), tff)
