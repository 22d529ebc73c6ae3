"""Audio and subtitle streams: copied packet for packet, or audio transcoded to AAC.

A stream is copied when the output muxer accepts it (asked of FFmpeg with a trial header in
memory); audio it refuses is transcoded to AAC with a note; subtitles it refuses are dropped
with a note. Packets are muxed interleaved with the video as it is written (:meth:`pump`), so
memory stays bounded. Timestamps are shifted by the same ``offset`` as the video, and a range
keeps the packets that overlap it.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction

import av

from .probe import ClipInfo, open_input


def muxer_accepts(container_format: str, stream) -> bool:
    """Whether ``container_format`` can hold a stream copied from ``stream`` unchanged."""
    try:
        with av.open(io.BytesIO(), "w", format=container_format) as trial:
            out = trial.add_stream_from_template(stream)
            out.codec_context.codec_tag = "\0\0\0\0"  # let the muxer pick its own tag
            trial.start_encoding()
        return True
    except (av.error.FFmpegError, ValueError, TypeError, NotImplementedError):
        return False


class _Copy:
    def __init__(self, src, out):
        self.src, self.out = src, out

    def packets(self, packet, shift):
        packet.stream = self.out
        if packet.pts is not None:
            packet.pts -= shift
        if packet.dts is not None:
            packet.dts -= shift
        return [packet]

    def flush(self):
        return []


class _ToAac:
    def __init__(self, src, container):
        cc = src.codec_context
        layout = cc.layout.name if cc.layout and cc.layout.nb_channels <= 8 else "stereo"
        rate = cc.sample_rate if cc.sample_rate in (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100,
                                                    48000, 64000, 88200, 96000) else 48000
        self.src = src
        self.out = container.add_stream("aac", rate=rate, layout=layout)
        self.out.bit_rate = 96000 * min(cc.channels or 2, 8)
        self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        self.samples, self.rate, self.started = 0, rate, False

    def packets(self, packet, shift):
        out = []
        for frame in self.src.codec_context.decode(packet):
            for chunk in self.resampler.resample(frame):
                out += self._encode(chunk, frame, shift)
        return out

    def _encode(self, chunk, frame, shift):
        if not self.started and frame.pts is not None:
            start = (frame.pts - shift) * frame.time_base
            self.samples, self.started = max(0, round(start * self.rate)), True
        chunk.pts, chunk.time_base = self.samples, Fraction(1, self.rate)
        self.samples += chunk.samples
        return self.out.encode(chunk)

    def flush(self):
        tail = []
        for chunk in self.resampler.resample(None):
            chunk.pts, chunk.time_base = self.samples, Fraction(1, self.rate)
            self.samples += chunk.samples
            tail += self.out.encode(chunk)
        return tail + self.out.encode(None)


class _ToPcm(_ToAac):
    """Audio for MXF, which holds only PCM: 48 kHz 16-bit, mono or stereo."""

    def __init__(self, src, container):
        cc = src.codec_context
        layout = "mono" if (cc.channels or 2) == 1 else "stereo"
        self.src, self.rate = src, 48000
        self.out = container.add_stream("pcm_s16le", rate=self.rate, layout=layout)
        self.resampler = av.AudioResampler(format="s16", layout=layout, rate=self.rate)
        self.samples, self.started = 0, False


SEEK_MARGIN = 2.0  # seconds before a range's start where demuxing begins
TEXT_SUBTITLES = {"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"}
_ASS_HEADER = (b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
               b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
               b"Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
               b"Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
               b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1\n\n"
               b"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n")


class _ToMovText:
    """Text subtitles (SRT, ASS, WebVTT) re-encoded as MP4/MOV timed text."""

    def __init__(self, src, container):
        self.src = src
        src.codec_context.open(strict=False)
        self.out = container.add_stream("mov_text")
        self.out.codec_context.subtitle_header = src.codec_context.subtitle_header or _ASS_HEADER
        if src.language:
            self.out.metadata["language"] = src.language

    def packets(self, packet, shift):
        subtitle = self.src.codec_context.decode2(packet)
        if subtitle is None:
            return []
        out = self.out.codec_context.encode_subtitle(subtitle)
        out.stream, out.time_base = self.out, packet.time_base
        out.pts = out.dts = (packet.pts if packet.pts is not None else packet.dts) - shift
        out.duration = packet.duration
        return [out]

    def flush(self):
        return []


class StreamCopier:
    """Carries the audio and subtitle streams of ``info`` into ``container``.

    ``offset`` (seconds) is subtracted from every timestamp; only packets overlapping
    ``[start, end)`` (input seconds) are kept. Call :meth:`pump` as video is written and
    :meth:`finish` at the end.
    """

    def __init__(self, info: ClipInfo, container, container_format: str, *, offset: float,
                 start: float, end: float | None, log: Callable[[str], None]):
        self.offset, self.start, self.end = offset, start, end
        self.input = open_input(info.path)
        self.routes = {}
        for src in list(self.input.streams.audio) + list(self.input.streams.subtitles):
            route = self._route(src, container, container_format, log)
            if route is not None:
                self.routes[src.index] = route
        streams = [self.input.streams[i] for i in self.routes]
        if streams and start > SEEK_MARGIN:  # a range deep in the file: skip what comes before it
            self.input.seek(int((start - SEEK_MARGIN) * 1_000_000), backward=True)
        self._packets = self.input.demux(*streams) if streams else iter(())
        self._pending = None

    def _route(self, src, container, fmt, log):
        name = src.codec_context.name if src.codec_context else "unknown"
        if muxer_accepts(fmt, src):
            out = container.add_stream_from_template(src)
            out.codec_context.codec_tag = "\0\0\0\0"  # let the muxer pick its own tag
            return _Copy(src, out)
        if src.type == "audio" and fmt == "mxf":
            log(f"audio stream {src.index} ({name}) written as 48 kHz 16-bit PCM (MXF holds only PCM)")
            return _ToPcm(src, container)
        if src.type == "audio":
            log(f"audio stream {src.index} ({name}) cannot be copied into {fmt}: transcoded to AAC")
            return _ToAac(src, container)
        if name in TEXT_SUBTITLES and fmt in ("mp4", "mov"):
            try:
                route = _ToMovText(src, container)
                log(f"subtitle stream {src.index} ({name}) converted to {fmt.upper()} timed text (mov_text)")
                return route
            except (av.error.FFmpegError, ValueError) as exc:
                log(f"subtitle stream {src.index} ({name}) could not be converted ({exc})")
        log(f"subtitle stream {src.index} ({name}) cannot be stored in {fmt}: not copied (use .mkv to keep it)")
        return None

    def _next(self):
        if self._pending is None:
            self._pending = next(self._packets, None)
        return self._pending

    def pump(self, until: float, container):
        """Mux every pending packet that starts before ``until`` output seconds."""
        while (packet := self._next()) is not None:
            stamp = packet.pts if packet.pts is not None else packet.dts
            time = float(stamp * packet.time_base) if stamp is not None else None
            if time is not None and time - self.offset > until:
                return
            self._pending = None
            self._mux(packet, time, container)

    def _mux(self, packet, time, container):
        if packet.size == 0 or time is None:
            return
        route = self.routes[packet.stream.index]
        duration = float((packet.duration or 0) * packet.time_base)
        if time + duration <= self.start and duration > 0 or time < self.start - 1e-6 and duration == 0:
            return
        if self.end is not None and time >= self.end:
            return
        shift = round(self.offset / packet.time_base)
        container.mux(route.packets(packet, shift))

    def finish(self, container):
        """Mux what is left of the range, flush transcoders and close the input."""
        try:
            self.pump(float("inf"), container)
            for route in self.routes.values():
                container.mux(route.flush())
        finally:
            self.input.close()

    def close(self):
        self.input.close()
