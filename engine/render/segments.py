"""A render's output in segments, and the final file joined from them without re-encoding.

Frames are encoded into segments of a fixed number of frames, each a complete small file (or a
folder of PNG frames) in the work folder, closed at a frame boundary and recorded in the
manifest. Every render, resumed or not, cuts the same segments, so a resumed render's output
is the same file an uninterrupted one writes. The final file is the segments' video packets
remuxed with the input's audio and subtitles, written in the work folder and then renamed.
"""
from __future__ import annotations

import os
import shutil
from fractions import Fraction
from pathlib import Path

import av

from ..video import formats
from ..video.encode import PngSequenceWriter, VideoWriter, write_timestamps
from ..video.passthrough import StreamCopier

SEGMENT_SECONDS = 2.0  # of video per segment: the most a crash can cost
MIN_SEGMENT, MAX_SEGMENT = 8, 240


def default_segment_frames(fps: float | None) -> int:
    return int(min(MAX_SEGMENT, max(MIN_SEGMENT, round((fps or 25.0) * SEGMENT_SECONDS))))


def bounds(first: int, stop: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, stop)) for a in range(first, stop, size)]


def segment_format(codec: str) -> str:
    """MOV keeps every timestamp and decode order exactly; FFV1 goes to Matroska."""
    return "mov" if formats.container_accepts("mov", codec) else "matroska"


def timing(p) -> tuple[Fraction, int]:
    """``(output time base, input pts of the first output frame)``.

    A constant-rate clip whose frames sit one ``1/fps`` apart gets that exact time base (editors
    read it as CFR); anything else keeps the input's time base, so every timestamp survives.
    """
    info = p.info
    out_tb = info.time_base
    if not info.vfr and info.frame_rate and len(info.pts) >= 2:
        deltas = sorted(b - a for a, b in zip(info.pts, info.pts[1:]))
        step = deltas[len(deltas) // 2] * info.time_base
        if abs(step * info.frame_rate - 1) < 0.01:
            out_tb = 1 / Fraction(info.frame_rate)
    return out_tb, info.pts[p.first]


class SegmentWriter:
    """Takes finished frames in order (on one thread) and turns them into recorded segments."""

    def __init__(self, p, work):
        self.p, self.work = p, work
        self.bounds = bounds(p.first, p.stop, work.manifest["segment_frames"])
        self.out_tb, self.pts0 = timing(p)
        self.writer = self.span = self.part = None
        self.last_pts = None

    def write(self, index: int, rgb, pts: int):
        if self.writer is None:
            self._open(index)
        if self.p.container is None:
            self.writer.write(rgb, 0.0)
        else:
            self.writer.write(rgb, round((pts - self.pts0) * self.p.info.time_base / self.out_tb))
        if index == self.span[1] - 1:
            self._close()

    def _open(self, index: int):
        self.span = next(b for b in self.bounds if b[0] == index)
        n = len(self.work.segments)
        p = self.p
        if p.container is None:
            self.part = self.work.path / f"segment_{n:05d}.part"
            self.part.mkdir()
            self.writer = PngSequenceWriter(self.part, p.display_out_size, p.pix_fmt, number=index - p.first + 1)
            return
        fmt = segment_format(p.job.codec)
        self.part = self.work.path / f"segment_{n:05d}.{'mov' if fmt == 'mov' else 'mkv'}.part"
        info = p.info
        self.writer = VideoWriter(self.part, fmt, p.job.codec, size=p.out_size, pix_fmt=p.pix_fmt,
                                  time_base=self.out_tb, rate=info.frame_rate, crf=p.job.crf, preset=p.job.preset,
                                  rotation=info.rotation, faststart=False, sample_aspect=p.sample_aspect,
                                  tags=dict(matrix=p.matrix, primaries=p.primaries, transfer=p.transfer, range=p.range))
        self.writer.last_pts = self.last_pts  # timestamps keep rising across segments

    def _close(self):
        writer, self.writer = self.writer, None
        if isinstance(writer, VideoWriter):
            writer.close()
            self.last_pts = writer.last_pts
        self.work.add_segment(self.span[0], self.span[1], writer.frames, self.part, self.part.name[:-len(".part")])
        self.part = None

    def finish(self):
        """Close a last segment the input's early end left open."""
        if self.writer is not None:
            self._close()

    def abort(self):
        if self.writer is not None:
            self.writer.abort()
        if self.part is not None:
            shutil.rmtree(self.part, ignore_errors=True) if self.part.is_dir() else self.part.unlink(missing_ok=True)


# ---- the final output ----------------------------------------------------------------------

def copier(p, container, offset: float, note, fmt: str | None = None) -> StreamCopier | None:
    info = p.info
    if not (info.audio or info.subtitles):
        return None
    start = offset if p.first > 0 else float("-inf")
    end = float(info.pts[p.stop] * info.time_base) if p.stop < info.frame_count else None
    return StreamCopier(info, container, fmt or p.container, offset=offset, start=start, end=end, log=note)


def join(p, work, note) -> tuple[Path, int]:
    """Assemble the finished segments in the work folder; ``(assembled path, frames)``."""
    if p.container is None:
        return _join_png(p, work, note), work.frames_done
    out_tb, pts0 = timing(p)
    target = work.path / f"output{p.output.suffix}.part"
    options = {"movflags": "+faststart"} if p.container in ("mp4", "mov") else {"avoid_negative_ts": "disabled"}
    out = av.open(str(target), "w", format=p.container, options=options)
    if p.timecode:
        out.metadata["timecode"] = p.timecode  # MOV/MP4 write a timecode track, MXF and Matroska a tag
    stream = streams = None
    try:
        for seg in work.segments:
            with av.open(str(work.path / seg["file"])) as src:
                source = src.streams.video[0]
                if stream is None:
                    stream = _video_stream(p, out, source, out_tb)
                    streams = copier(p, out, float(pts0 * p.info.time_base), note)
                for packet in src.demux(source):
                    if packet.size == 0:
                        continue
                    packet.stream = stream
                    seconds = float(packet.pts * packet.time_base) if packet.pts is not None else None
                    out.mux(packet)
                    if streams and seconds is not None:
                        streams.pump(seconds, out)
        if streams:
            streams.finish(out)
            streams = None
        out.close()
    except BaseException:
        if streams:
            streams.close()
        try:
            out.close()
        except Exception:  # the file is deleted anyway
            pass
        target.unlink(missing_ok=True)
        raise
    return target, work.frames_done


def _video_stream(p, out, source, out_tb):
    stream = out.add_stream_from_template(source)
    stream.time_base = out_tb
    if p.container == "matroska":
        stream.codec_context.codec_tag = "\0\0\0\0"
    if p.info.rotation:
        stream.set_display_rotation(p.info.rotation)
    if p.sample_aspect:
        stream.codec_context.sample_aspect_ratio = p.sample_aspect
    if p.timecode or p.container == "mxf":  # a timecode track and MXF need the frame rate
        stream.codec_context.framerate = p.info.frame_rate
    return stream


def _join_png(p, work, note) -> Path:
    folder = work.path / "output.part"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for seg in work.segments:
        for frame in sorted((work.path / seg["file"]).iterdir()):
            _link_or_copy(frame, folder / frame.name)  # the segments stay whole until the output is in place
    info = p.info
    offset = float(info.pts[p.first] * info.time_base)
    if info.vfr:
        last = p.first + work.frames_done
        write_timestamps(folder / "timestamps.txt",
                         [float(t * info.time_base) - offset for t in info.pts[p.first:last]])
    if info.audio or info.subtitles:
        with av.open(str(folder / "audio.mka"), "w", format="matroska",
                     options={"avoid_negative_ts": "disabled"}) as container:
            copier(p, container, offset, note, "matroska").finish(container)
    return folder


def _link_or_copy(src: Path, dst: Path):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def move_into_place(assembled: Path, target: Path):
    if assembled.is_dir() and target.is_dir():
        target.rmdir()  # empty (checked by the plan); replaced by the finished folder
    os.replace(assembled, target)
