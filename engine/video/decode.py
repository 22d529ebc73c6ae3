"""Decoding to RGB: streaming (``iter_frames``) and random access (``read_frames``).

Frames are converted with the clip's own matrix and range (see :mod:`.colour`); clips deeper than
8 bits go through 16-bit RGB so no precision is lost. Arrays are ``float32`` ``(H, W, 3)`` RGB in
[0, 1], as stored (rotation is metadata and is not applied).
"""
from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import Interpolation

from . import colour, deinterlace
from .probe import ClipInfo, InputError, open_input, probe

_FLAGS = Interpolation.BICUBIC | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT


class DecodeError(InputError):
    """The video stream broke off or is damaged mid-clip."""


@dataclass
class DecodedFrame:
    index: int     # position in the clip (0-based, presentation order)
    pts: int       # timestamp in the clip's time base
    rgb: np.ndarray  # float32 (H, W, 3), [0, 1]


def to_rgb(frame: av.VideoFrame, info: ClipInfo) -> np.ndarray:
    """``frame`` as float32 ``(H, W, 3)`` RGB in [0, 1], converted with the clip's matrix and range."""
    deep = info.bit_depth > 8
    rgb = frame.reformat(format="rgb48le" if deep else "rgb24",
                         src_colorspace=colour.sws_matrix(info.rgb_matrix),
                         src_color_range=colour.sws_range(info.rgb_range),
                         dst_color_range=2, interpolation=_FLAGS)
    array = rgb.to_ndarray()
    return array.astype(np.float32) * np.float32(1 / (65535 if deep else 255))


def _seek(container, stream, info: ClipInfo, index: int):
    """Seek to the keyframe at or before frame ``index`` (no-op for the clip's start)."""
    if index > 0 and not info.synthetic_pts:  # a raw stream cannot seek by timestamp: decode from its start
        container.seek(info.pts[index], stream=stream, backward=True, any_frame=False)


def iter_frames(info: ClipInfo, start: int = 0, stop: int | None = None) -> Iterator[DecodedFrame]:
    """Decode frames ``start .. stop-1`` in order, one at a time (memory stays bounded).

    Frames are numbered by their timestamp's position in ``info.pts``; a frame whose timestamp
    is unknown takes the next number. Raises :class:`DecodeError` if the stream is damaged.
    A deinterlaced view (:func:`engine.video.deinterlace.view`) is decoded through its filter.
    """
    stop = info.frame_count if stop is None else min(stop, info.frame_count)
    if start >= stop:
        return
    if info.deinterlace:
        yield from _iter_deinterlaced(info, start, stop)
        return
    with open_input(info.path) as container:
        stream = container.streams.video[info.video_index]
        stream.thread_type = "AUTO"
        _seek(container, stream, info, start)
        expected = start
        for frame in _decode(container, stream, info):
            index = _position(info, frame.pts, expected)
            if index < start:
                continue
            if index >= stop:
                return
            expected = index + 1
            yield DecodedFrame(index, info.pts[index], to_rgb(frame, info))


def _position(info: ClipInfo, pts: int | None, expected: int, table: tuple[int, ...] | None = None) -> int:
    """The frame's index from its timestamp in ``table`` (default ``info.pts``); ``expected`` when
    it has none or an unknown one."""
    table = info.pts if table is None else table
    if pts is None or info.synthetic_pts:
        return expected
    i = bisect.bisect_left(table, pts)
    return i if i < len(table) and table[i] == pts else expected


def _iter_deinterlaced(info: ClipInfo, start: int, stop: int) -> Iterator[DecodedFrame]:
    """Output frames ``start .. stop-1`` of a deinterlaced view. Decoding starts two input frames
    early, so every output frame has the fields around it that it would have in a whole-clip run."""
    table, _tb = deinterlace.source_pts(info)
    per = 2 if info.deinterlace == "field" else 1
    first = max(0, deinterlace.source_index(info, start) - 2)
    with open_input(info.path) as container:
        stream = container.streams.video[info.video_index]
        stream.thread_type = "AUTO"
        if first > 0 and not info.synthetic_pts:
            container.seek(table[first], stream=stream, backward=True, any_frame=False)
        deinterlacer = deinterlace.Deinterlacer(stream, info)
        expected, index = first, None
        for frame in _decode(container, stream, info):
            source = _position(info, frame.pts, expected, table)
            if source < first:
                continue
            expected = source + 1
            index = source * per if index is None else index
            for out in deinterlacer.push(frame):
                if start <= index < stop:
                    yield DecodedFrame(index, info.pts[index], to_rgb(out, info))
                index += 1
                if index >= stop:
                    return
        for out in deinterlacer.push(None) if index is not None else ():
            if start <= index < stop:
                yield DecodedFrame(index, info.pts[index], to_rgb(out, info))
            index += 1


def _decode(container, stream, info: ClipInfo):
    try:
        yield from container.decode(stream)
    except av.error.FFmpegError as exc:
        raise DecodeError(f"{Path(info.path).name}: the video stream is damaged and could not be "
                          f"decoded further ({exc.strerror or exc})") from None


def read_frames(path_or_info, indices) -> list[np.ndarray]:
    """Random access: the frames at ``indices`` (any order, repeats allowed) as float32 RGB arrays.

    For previews: each run of requested frames costs one seek to the keyframe before it.
    ``path_or_info`` is a path or a :class:`ClipInfo` from :func:`probe` (saves a probe).
    """
    info = path_or_info if isinstance(path_or_info, ClipInfo) else probe(path_or_info)
    wanted = sorted(set(int(i) for i in indices))
    for i in wanted:
        if not 0 <= i < info.frame_count:
            raise IndexError(f"frame {i} is outside the clip (0..{info.frame_count - 1})")
    found: dict[int, np.ndarray] = {}
    run_start = 0
    while run_start < len(wanted):
        run_end = run_start
        while run_end + 1 < len(wanted) and wanted[run_end + 1] - wanted[run_end] <= 30:
            run_end += 1
        members = set(wanted[run_start:run_end + 1])
        for decoded in iter_frames(info, wanted[run_start], wanted[run_end] + 1):
            if decoded.index in members:
                found[decoded.index] = decoded.rgb
        run_start = run_end + 1
    missing = [i for i in wanted if i not in found]
    if missing:
        raise DecodeError(f"{Path(info.path).name}: frame {missing[0]} could not be decoded")
    return [found[int(i)] for i in indices]
