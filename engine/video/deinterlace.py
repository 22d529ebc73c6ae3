"""A deinterlaced clip: :func:`view` describes it (one frame per field, or per frame) as a
:class:`ClipInfo` whose timestamps are the output's; :class:`Deinterlacer` is the FFmpeg ``bwdif``
filter graph that :func:`engine.video.decode.iter_frames` runs for such a view.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import av

from .probe import ClipInfo


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
