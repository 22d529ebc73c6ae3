"""Interlaced input: how combed a clip looks, and a deinterlaced view of it.

Flags lie both ways (progressive footage flagged interlaced by a camera preset, woven fields
in a file that says nothing), so :func:`detect` reads the flag *and* measures combing on a few
frames. :func:`combing` compares each line with the lines of the other field around it against
the lines of its own field, block by block, and reports the most combed blocks (the 90th
percentile): 0.6-0.8 on progressive footage, 1 to 3 where two moments are woven into one frame
and something moves. :func:`view` describes the deinterlaced clip (one frame per field, or per
frame) as a :class:`ClipInfo` whose timestamps are the output's; :class:`Deinterlacer` is the
FFmpeg ``bwdif`` filter graph that :func:`engine.video.decode.iter_frames` runs for such a view.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
import numpy as np

from .probe import ClipInfo

COMBED = 1.2            # a clip not flagged interlaced combs above this (progressive: 0.6-0.8)
FLAGGED_COMBED = 0.95   # the bar for a clip that is flagged interlaced
SAMPLES = 8             # frames measured, spread over the clip
BLOCK = 16              # pixels per side of a measured block
PERCENTILE = 90
MODES = ("field", "frame")


def luma(rgb: np.ndarray) -> np.ndarray:
    """``(H, W)`` BT.601 luma of an ``(H, W, 3)`` RGB array."""
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


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


@lru_cache(maxsize=32)
def _detect(info: ClipInfo, _size: int, _mtime_ns: int) -> Interlace:
    from .decode import read_frames
    count = min(SAMPLES, info.frame_count)
    starts = sorted({round(k * (info.frame_count - 2) / max(1, count // 2 - 1)) for k in range(max(1, count // 2))})
    indices = sorted({i for s in starts for i in (s, s + 1) if 0 <= i < info.frame_count})
    frames = [luma(rgb) for rgb in read_frames(info, indices)]
    scores = [combing(y) for y in frames]
    flagged = info.interlaced or info.field_order in ("tff", "bff")
    if info.field_order in ("tff", "bff"):
        tff = info.field_order == "tff"
    else:
        tff = top_field_first([(frames[k], frames[k + 1]) for k in range(len(indices) - 1)
                               if indices[k + 1] == indices[k] + 1])
    return Interlace(flagged, max(scores, default=0.0), tff)


def view(info: ClipInfo, mode: str, tff: bool) -> ClipInfo:
    """``info`` as the deinterlaced clip: ``frame`` keeps the frames and timestamps; ``field``
    makes one frame per field, at twice the rate, each field half a frame after the one before."""
    if mode == "frame":
        return dataclasses.replace(info, interlaced=False, field_order="progressive", deinterlace="frame",
                                   top_field_first=tff)
    tb = info.time_base / 2
    deltas = sorted(b - a for a, b in zip(info.pts, info.pts[1:]))
    step = deltas[len(deltas) // 2] if deltas else max(1, round(1 / (info.frame_rate * info.time_base)))
    ends = list(info.pts[1:]) + [info.pts[-1] + step]
    pts = tuple(t for a, b in zip(info.pts, ends) for t in (2 * a, a + b))
    return dataclasses.replace(info, interlaced=False, field_order="progressive", deinterlace="field",
                               top_field_first=tff, time_base=tb, pts=pts, frame_count=len(pts),
                               frame_rate=info.frame_rate * 2, fps=info.fps * 2)


def source_index(info: ClipInfo, index: int) -> int:
    """The input frame that output frame ``index`` of a view comes from."""
    return index // 2 if info.deinterlace == "field" else index


def source_pts(info: ClipInfo) -> tuple[tuple[int, ...], Fraction]:
    """``(pts, time base)`` of the input frames behind a view."""
    if info.deinterlace == "field":
        return tuple(t // 2 for t in info.pts[0::2]), info.time_base * 2
    return info.pts, info.time_base


class Deinterlacer:
    """FFmpeg's ``bwdif`` (yadif's successor: its interpolation also looks one field further on
    each side) on the frames of one decoder; every input frame gives one or two output frames."""

    def __init__(self, stream, info: ClipInfo):
        self.graph = av.filter.Graph()
        source = self.graph.add_buffer(template=stream)
        mode = "send_field" if info.deinterlace == "field" else "send_frame"
        parity = "tff" if info.top_field_first else "bff"
        bwdif = self.graph.add("bwdif", f"mode={mode}:parity={parity}:deint=all")
        sink = self.graph.add("buffersink")
        source.link_to(bwdif)
        bwdif.link_to(sink)
        self.graph.configure()

    def push(self, frame) -> list:
        """Feed one decoded frame (``None`` at the end); the frames ready so far."""
        self.graph.vpush(frame)
        out = []
        while True:
            try:
                out.append(self.graph.vpull())
            except (av.BlockingIOError, av.error.EOFError):
                return out
