"""Encoding RGB frames: video files (H.264/H.265/ProRes/DNxHR/FFV1 in MP4/MOV/MKV/MXF) and PNG sequences.

Frames arrive as ``(3, H, W)`` float tensors in [0, 1] (or ``(H, W, 3)`` arrays) with their
output timestamp. They are quantised to 8 or 16-bit RGB and converted to the output pixel format
with the output's own matrix and range, which are also written as tags, with the rotation flag.
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import Interpolation

from . import colour, formats

_FLAGS = Interpolation.BICUBIC | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT


def quantise(rgb, bits: int) -> np.ndarray:
    """``(3, H, W)`` tensor or ``(H, W, 3)`` array in [0, 1] -> ``(H, W, 3)`` uint8/uint16."""
    if hasattr(rgb, "detach"):
        rgb = rgb.detach().float().permute(1, 2, 0).cpu().numpy()
    top = 255 if bits <= 8 else 65535
    out = np.clip(np.asarray(rgb, dtype=np.float32) * top + 0.5, 0, top)
    return out.astype(np.uint8 if bits <= 8 else np.uint16)


def _rgb_frame(rgb, deep: bool) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(quantise(rgb, 16 if deep else 8), format="rgb48le" if deep else "rgb24")


def codec_options(codec: str, crf: int, preset: str) -> dict:
    if codec == "h264":
        return {"crf": str(crf), "preset": preset}
    if codec == "h265":
        return {"crf": str(crf), "preset": preset, "x265-params": "log-level=error", "tag:v": "hvc1"}
    if codec in formats.PRORES_PROFILES:
        return {"profile": formats.PRORES_PROFILES[codec], "vendor": "apl0"}
    if codec in formats.DNXHR_PROFILES:
        return {"profile": formats.DNXHR_PROFILES[codec]}
    if codec == "ffv1":
        return {"level": "3", "slicecrc": "1", "g": "1"}
    return {}


class VideoWriter:
    """An open output file with one video stream; call :meth:`write` per frame, then :meth:`close`.

    Other streams (audio, subtitles) may be added to :attr:`container` before the first write.
    """

    def __init__(self, path: Path, container_format: str, codec: str, *, size: tuple[int, int],
                 pix_fmt: str, time_base: Fraction, rate: Fraction, crf: int = 18, preset: str = "medium",
                 tags: dict | None = None, rotation: int = 0, faststart: bool = True, sample_aspect=None):
        options = {"movflags": "+faststart"} if faststart and container_format in ("mp4", "mov") else {}
        if container_format == "matroska":
            options["avoid_negative_ts"] = "disabled"  # keep video at 0; audio priming stays negative
        self.container = av.open(str(path), "w", format=container_format, options=options)
        self.pix_fmt, self.deep = pix_fmt, formats.bit_depth(pix_fmt) > 8
        opts = codec_options(codec, crf, preset)
        tag = opts.pop("tag:v", None)
        stream = self.container.add_stream(formats.ENCODERS[codec], rate=rate, options=opts)
        stream.width, stream.height = size
        stream.pix_fmt = pix_fmt
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        if tag and container_format in ("mp4", "mov"):
            stream.codec_context.codec_tag = tag
        self.tags = dict(tags or {})
        self._tag_stream(stream.codec_context)
        if rotation:
            stream.set_display_rotation(rotation)
        if sample_aspect:
            stream.codec_context.sample_aspect_ratio = sample_aspect
        self.stream, self.time_base = stream, time_base
        self.frames, self.last_pts, self._dts = 0, None, None

    def _tag_stream(self, cc):
        t = self.tags
        cc.colorspace = colour.code(colour.MATRICES, t.get("matrix", "unknown"))
        cc.color_primaries = colour.code(colour.PRIMARIES, t.get("primaries", "unknown"))
        cc.color_trc = colour.code(colour.TRANSFERS, t.get("transfer", "unknown"))
        cc.color_range = colour.code(colour.RANGES, t.get("range", "tv"))

    def _convert(self, rgb) -> av.VideoFrame:
        frame = _rgb_frame(rgb, self.deep)
        matrix, rng = self.tags.get("matrix", "bt709"), self.tags.get("range", "tv")
        out = frame.reformat(format=self.pix_fmt, src_colorspace=colour.sws_matrix(matrix),
                             dst_colorspace=colour.sws_matrix(matrix), src_color_range=2,
                             dst_color_range=colour.sws_range(rng), interpolation=_FLAGS)
        out.color_primaries = self.stream.codec_context.color_primaries
        out.color_trc = self.stream.codec_context.color_trc
        out.colorspace = self.stream.codec_context.colorspace
        out.color_range = self.stream.codec_context.color_range
        return out

    def write(self, rgb, pts: int):
        """Encode one frame shown at ``pts`` (in :attr:`time_base` units)."""
        frame = self._convert(rgb)
        if self.last_pts is not None and pts <= self.last_pts:
            pts = self.last_pts + 1  # encoders need rising timestamps; rounding may have tied two
        self.last_pts = pts
        frame.pts, frame.time_base = pts, self.time_base
        self._mux(self.stream.encode(frame))
        self.frames += 1

    def close(self):
        """Flush the encoder and finish the file."""
        self._mux(self.stream.encode(None))
        self.container.close()

    def _mux(self, packets):
        """Mux ``packets``. libx265 gives a clip of one or two frames decoding times some 2**62 before
        their presentation (an unset reorder delay), which MOV and Matroska refuse ("Not yet implemented
        in FFmpeg"); such frames are not reordered, so each decodes when it is shown."""
        for packet in packets:
            if packet.dts is not None and packet.pts is not None and packet.pts - packet.dts > 2**40:
                packet.dts = packet.pts if self._dts is None or packet.pts > self._dts else self._dts + 1
            self._dts = packet.dts if packet.dts is not None else self._dts
            self.container.mux_one(packet)

    def abort(self):
        try:
            self.container.close()
        except Exception:  # the file is deleted anyway; closing a broken muxer may fail
            pass


def write_timestamps(path: Path, seconds) -> None:
    """Frame times in milliseconds, one per line (the Matroska v2 timecode format)."""
    lines = ["# timestamp format v2"] + [f"{t * 1000:.3f}" for t in seconds]
    path.write_text("\n".join(lines) + "\n")


class PngSequenceWriter:
    """Frames as ``frame_000001.png``, ``frame_000002.png``, ... in ``folder`` (8 or 16-bit RGB).

    ``number`` is the first frame's number (a resumed render continues the sequence); each file
    is flushed to disk and appears under its name only when complete.
    """

    def __init__(self, folder: Path, size: tuple[int, int], pix_fmt: str = "rgb24", number: int = 1):
        self.folder, self.pix_fmt, self.number = Path(folder), pix_fmt, number
        self.deep = formats.bit_depth(pix_fmt) > 8
        self.codec = av.CodecContext.create("png", "w")
        self.codec.width, self.codec.height = size
        self.codec.pix_fmt = pix_fmt
        self.codec.time_base = Fraction(1, 25)
        self.frames = 0
        self.timestamps: list[float] = []

    def write(self, rgb, seconds: float):
        frame = _rgb_frame(rgb, self.deep)
        if frame.format.name != self.pix_fmt:
            frame = frame.reformat(format=self.pix_fmt)
        frame.pts = self.frames
        data = b"".join(bytes(p) for p in self.codec.encode(frame))
        name = self.folder / f"frame_{self.number + self.frames:06d}.png"
        part = name.with_suffix(".png.part")
        with open(part, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(part, name)
        self.frames += 1
        self.timestamps.append(seconds)

    def close(self, vfr: bool):
        """Write ``timestamps.txt`` for VFR clips."""
        if vfr:
            write_timestamps(self.folder / "timestamps.txt", self.timestamps)

    def abort(self):
        pass
