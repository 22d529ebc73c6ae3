"""What a clip is: ``probe(path) -> ClipInfo``.

``probe`` opens the file with FFmpeg (through PyAV), reads every video packet's timestamp
(demuxing only, no decoding) to count frames exactly and detect variable frame rate, and
decodes the first frame to learn its rotation and colour tags. Anything that is not a usable
video raises :class:`~engine.errors.SavsrError` with a sentence the user can act on.
"""
from __future__ import annotations

import bisect
import math
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

from ..errors import SavsrError
from . import colour

IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "bmp_pipe", "tiff_pipe", "webp_pipe", "gif",
                 "psd_pipe", "qoi_pipe", "pgm_pipe", "ppm_pipe", "dpx_pipe", "exr_pipe", "j2k_pipe",
                 "jpegxl_pipe", "svg_pipe", "pgmyuv_pipe", "sgi_pipe", "xbm_pipe", "webp", "apng"}
ANIMATED_FORMATS = {"gif", "apng"}   # image formats that may hold a clip: one with two frames or more is a video


class InputError(SavsrError, ValueError):
    """The input is missing, unreadable or not a usable video."""


@dataclass(frozen=True)
class AudioInfo:
    index: int
    codec: str
    sample_rate: int
    channels: int
    layout: str
    duration: float | None
    language: str | None = None


@dataclass(frozen=True)
class SubtitleInfo:
    index: int
    codec: str
    language: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class ClipInfo:
    """A video file's facts. Sizes are as stored (before rotation); ``rotation`` is the
    counter-clockwise display rotation in degrees. ``pts`` holds every frame's timestamp in
    ``time_base`` units, in presentation order (``frame_count`` entries)."""

    path: str
    container: str
    width: int
    height: int
    fps: float
    frame_rate: Fraction
    frame_count: int
    duration: float
    codec: str
    pix_fmt: str
    bit_depth: int
    matrix: str
    primaries: str
    transfer: str
    range: str
    rotation: int
    vfr: bool
    interlaced: bool
    time_base: Fraction
    start_time: float
    audio: tuple[AudioInfo, ...] = ()
    subtitles: tuple[SubtitleInfo, ...] = ()
    video_index: int = 0
    declared_duration: float | None = None  # what the container's header says, if it says
    pts: tuple[int, ...] = field(default=(), repr=False, compare=False)
    synthetic_pts: bool = False  # the file has no timestamps (raw stream): ``pts`` are nominal
    sample_aspect: Fraction = Fraction(1)  # a pixel's width over its height (1 when untagged)
    field_order: str = "progressive"       # the stream's flag: progressive, tff, bff or unknown
    timecode: str | None = None            # start timecode ``HH:MM:SS:FF`` (``;`` before FF: drop-frame)
    deinterlace: str = ""                  # set on a deinterlaced view (:mod:`.interlace`): frame or field
    top_field_first: bool = True           # the field order a deinterlaced view decodes with

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)

    @property
    def cut_short(self) -> bool:
        """The header promises much more than the streams hold (an interrupted copy or download)."""
        if not self.declared_duration:
            return False
        ends = [self.duration] + [a.duration for a in self.audio if a.duration]
        return self.declared_duration - max(ends) > max(1.0, 0.1 * self.declared_duration)

    @property
    def display_size(self) -> tuple[int, int]:
        """``(width, height)`` as a player shows it, after rotation."""
        return (self.height, self.width) if self.rotation % 180 else (self.width, self.height)

    @property
    def display_aspect(self) -> Fraction:
        """The picture's shape, width over height as stored (pixel aspect included, rotation not)."""
        return Fraction(self.width, self.height) * self.sample_aspect

    @property
    def rgb_matrix(self) -> str:
        """The matrix used to convert to RGB (tagged, or guessed from the frame size)."""
        return colour.effective_matrix(self.matrix, self.width, self.height)

    @property
    def rgb_range(self) -> str:
        return colour.effective_range(self.range, self.pix_fmt)

    def frame_time(self, index: int) -> float:
        """Seconds from the clip's start to frame ``index``."""
        return float((self.pts[index] - self.pts[0]) * self.time_base)

    def index_at(self, seconds: float) -> int:
        """The first frame shown at or after ``seconds`` from the clip's start."""
        target = self.pts[0] + Fraction(seconds).limit_denominator(10 ** 9) / self.time_base
        return bisect.bisect_left(self.pts, math.ceil(target - Fraction(1, 10 ** 6)))


def open_input(path):
    """``av.open`` with every failure turned into one readable sentence."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"input file not found: {path}")
    if path.is_dir():
        raise InputError(f"input is a folder, not a video file: {path}")
    if not os.access(path, os.R_OK):
        raise InputError(f"cannot read input file (permission denied): {path}")
    if path.stat().st_size == 0:
        raise InputError(f"input file is empty: {path}")
    try:
        return av.open(str(path), metadata_errors="replace")
    except av.error.EOFError:
        raise InputError(f"{path.name} has no video frames: it ends before the first one "
                         "(an empty or unfinished recording?)") from None
    except av.error.FFmpegError as exc:
        raise InputError(f"cannot read {path.name}: not a video, or a damaged or incomplete file "
                         f"({_reason(exc)})") from None
    except (OSError, UnicodeError) as exc:
        raise InputError(f"cannot open {path.name}: {exc}") from None


def _reason(exc) -> str:
    return getattr(exc, "strerror", None) or str(exc).split(":")[-1].strip() or type(exc).__name__


def video_stream(container, path):
    """The main video stream (cover art excluded), or a clear error."""
    streams = [s for s in container.streams.video if not (s.disposition & av.stream.Disposition.attached_pic)]
    if not streams:
        kinds = ", ".join(sorted({s.type for s in container.streams}))
        if not kinds:
            raise InputError(f"{Path(path).name} has no video frames (it holds no streams at all: "
                             "an empty or unfinished recording?)")
        raise InputError(f"{Path(path).name} has no video stream (it holds only {kinds})")
    if container.format.name in ANIMATED_FORMATS:
        return streams[0]       # probe() refuses one with a single frame
    if (container.format.name in IMAGE_FORMATS
            or streams[0].codec_context.name in ("png", "mjpeg", "bmp", "tiff", "webp")
            and container.format.name.endswith("_pipe")):
        if _animated_webp(path):
            raise InputError(f"{Path(path).name} is an animated WebP, which FFmpeg cannot decode: "
                             "convert it to a GIF or a video file first")
        raise InputError(f"{Path(path).name} is a still image, not a video")
    return streams[0]


def _animated_webp(path) -> bool:
    """Whether ``path`` is a WebP file whose extended header has the animation flag."""
    try:
        with open(path, "rb") as f:
            head = f.read(21)
    except OSError:
        return False
    return len(head) == 21 and head[:4] == b"RIFF" and head[8:16] == b"WEBPVP8X" and bool(head[20] & 0x02)


def _scan(container, stream) -> tuple[list[int], int, dict[int, float], bool]:
    """Demux once: every video pts (dts if missing) in presentation order, the last video
    packet's duration, each audio stream's duration from its packets' spans, and whether the
    timestamps had to be made up (a raw stream has none)."""
    times, last, spans, untimed = [], (None, 0), {}, 0
    audio = list(container.streams.audio)
    try:
        for packet in container.demux(stream, *audio):
            if packet.size == 0:
                continue
            t = packet.pts if packet.pts is not None else packet.dts
            if t is None:
                untimed += packet.stream.index == stream.index
                continue
            if packet.stream.index != stream.index:
                a, b = float(t * packet.time_base), float((t + (packet.duration or 0)) * packet.time_base)
                lo, hi = spans.get(packet.stream.index, (a, b))
                spans[packet.stream.index] = (min(lo, a), max(hi, b))
                continue
            times.append(t)
            if last[0] is None or t > last[0]:
                last = (t, packet.duration or 0)
    except av.error.FFmpegError:
        pass  # a truncated tail: keep what was readable; decoding reports real damage
    synthetic = not times and untimed > 0
    if synthetic:  # a raw elementary stream: frames at the nominal rate
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
        step = max(1, round(1 / (rate * stream.time_base)))
        times, last = [i * step for i in range(untimed)], (None, step)
    return sorted(times), last[1], {i: hi - max(0.0, lo) for i, (lo, hi) in spans.items()}, synthetic


def _is_vfr(pts: list[int]) -> bool:
    deltas = sorted(b - a for a, b in zip(pts, pts[1:]))
    if len(deltas) < 2:
        return False
    median = deltas[len(deltas) // 2]
    tolerance = max(1.5, 0.02 * median)  # 29.97 fps in a 1/1000 time base alternates 33/34
    return any(abs(d - median) > tolerance for d in deltas)


def _first_frame(path, index):
    """The first decodable frame of video stream ``index`` (rotation, colour and interlace flags)."""
    with open_input(path) as container:
        stream = container.streams.video[index]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                return frame
        except av.error.FFmpegError as exc:
            raise InputError(f"{Path(path).name}: the video stream is corrupt ({_reason(exc)})") from None
    return None


def _audio(container, durations: dict[int, float]) -> tuple[AudioInfo, ...]:
    out = []
    for s in container.streams.audio:
        cc = s.codec_context
        duration = durations.get(s.index)
        if duration is None and s.duration and s.time_base:
            duration = float(s.duration * s.time_base)
        out.append(AudioInfo(s.index, cc.name, cc.sample_rate or 0, cc.channels or 0,
                             getattr(cc.layout, "name", "") or "", duration, s.language))
    return tuple(out)


def _subtitles(container) -> tuple[SubtitleInfo, ...]:
    return tuple(SubtitleInfo(s.index, s.codec_context.name if s.codec_context else "unknown",
                              s.language, s.metadata.get("title")) for s in container.streams.subtitles)


def _rotation(frame, stream) -> int:
    degrees = frame.rotation if frame is not None else 0
    if not degrees:
        try:
            degrees = -int(float(stream.metadata.get("rotate", 0)))  # old files: clockwise tag
        except ValueError:
            degrees = 0
    return int(round(degrees)) % 360


# AVFieldOrder: the order fields are shown in (TB: top coded first, bottom shown first)
FIELD_ORDERS = {1: "progressive", 2: "tff", 3: "bff", 4: "bff", 5: "tff"}


def _sample_aspect(stream) -> Fraction:
    sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    return Fraction(sar) if sar and sar > 0 else Fraction(1)


def _timecode(container, stream) -> str | None:
    """The start timecode: the video stream's tag, a timecode track's (MOV ``tmcd``), or the file's."""
    tagged = [stream.metadata] + [s.metadata for s in container.streams if s.type == "data"] + [container.metadata]
    for tags in tagged:
        for key, value in tags.items():
            if key.lower() == "timecode" and value:
                return str(value).strip()
    return None


def _timing(pts, last_duration, stream) -> tuple[float, Fraction, float]:
    """``(duration seconds, frame rate, fps)``; the last frame lasts its packet's duration."""
    tb = stream.time_base
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
    if len(pts) >= 2:
        deltas = sorted(b - a for a, b in zip(pts, pts[1:]))
        last = last_duration or deltas[len(deltas) // 2]
        duration = float((pts[-1] - pts[0] + last) * tb)
    elif stream.duration:
        duration = float(stream.duration * tb)
    else:
        duration = float(1 / rate) if pts else 0.0
    fps = len(pts) / duration if (duration > 0 and len(pts) >= 2) else float(rate)
    return duration, Fraction(rate), fps


def probe(path) -> ClipInfo:
    """Facts about the video file at ``path``; raises :class:`InputError` for anything unusable."""
    path = Path(path)
    with open_input(path) as container:
        stream = video_stream(container, path)
        cc = stream.codec_context
        pts, last_duration, audio_durations, synthetic = _scan(container, stream)
        audio, subtitles = _audio(container, audio_durations), _subtitles(container)
        fmt_name = container.format.name
        duration, rate, fps = _timing(pts, last_duration, stream)
        tb, index = stream.time_base, stream.index
        codec = cc.name
        declared = container.duration / 1_000_000 if container.duration else None
        sar, timecode = _sample_aspect(stream), _timecode(container, stream)
        field_order = FIELD_ORDERS.get(cc.field_order or 0, "unknown")
    if not pts:
        raise InputError(f"{path.name} has a video stream but no frames")
    if fmt_name in ANIMATED_FORMATS and len(pts) < 2:
        raise InputError(f"{path.name} is a still image, not a video")
    frame = _first_frame(path, index)
    if frame is None:
        raise InputError(f"{path.name}: no frame of the video stream could be decoded (corrupt or empty)")
    pix_fmt = frame.format.name
    vfr = _is_vfr(pts)
    return ClipInfo(
        path=str(path), container=fmt_name, width=frame.width, height=frame.height,
        fps=fps if vfr else float(rate), frame_rate=rate, frame_count=len(pts), duration=duration,
        codec=codec, pix_fmt=pix_fmt, bit_depth=max(c.bits for c in frame.format.components),
        matrix=colour.name(colour.MATRICES, frame.colorspace),
        primaries=colour.name(colour.PRIMARIES, frame.color_primaries),
        transfer=colour.name(colour.TRANSFERS, frame.color_trc),
        range=colour.name(colour.RANGES, frame.color_range),
        rotation=_rotation(frame, stream), vfr=vfr, interlaced=bool(frame.interlaced_frame),
        time_base=Fraction(tb), start_time=float(pts[0] * tb), audio=audio, subtitles=subtitles,
        video_index=index, declared_duration=declared, pts=tuple(pts), synthetic_pts=synthetic,
        sample_aspect=sar, field_order=field_order, timecode=timecode)
