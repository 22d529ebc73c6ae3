"""Short real clips for the video tests, cut from the bundled sample (Big Buck Bunny, CC BY 3.0).

``footage_dir()`` holds the sample's 75 frames as ``001.png``... (320x180 RGB), decoded once into a
cache folder so that every test reads the same real frames without anything outside the repository.
Frames are area-downscaled to tiny sizes so the pipeline tests stay fast on two cores; clips are
written with PyAV with an optional tone as audio, subtitles, rotation flag, colour tags and
explicit (possibly variable) timestamps.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
import numpy as np

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample" / "big_buck_bunny_320x180.mp4"


@lru_cache(maxsize=1)
def footage_dir() -> Path:
    """The bundled sample's frames as numbered PNGs, in a cache folder named after the sample's hash.

    Written to a scratch folder and renamed into place, so test runs that start together never
    read a half-written folder.
    """
    digest = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"savsr-test-footage-{digest}"
    if folder.is_dir():
        return folder
    scratch = Path(tempfile.mkdtemp(prefix=f"{folder.name}-", dir=folder.parent))
    with av.open(str(SAMPLE)) as src, av.open(str(scratch / "%03d.png"), "w", format="image2") as out:
        stream = out.add_stream("png", rate=25)
        stream.width, stream.height, stream.pix_fmt = src.streams.video[0].width, src.streams.video[0].height, "rgb24"
        for frame in src.decode(video=0):
            rgb = frame.reformat(format="rgb24", src_colorspace="itu709", src_color_range=1)
            rgb.pts = None
            out.mux(stream.encode(rgb))
        out.mux(stream.encode(None))
    try:
        os.rename(scratch, folder)
    except OSError:                      # another run got there first
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


@lru_cache(maxsize=4)
def footage(width: int, height: int, count: int) -> tuple[np.ndarray, ...]:
    """``count`` consecutive real frames, uint8 RGB ``(height, width, 3)``."""
    names = sorted(footage_dir().glob("*.png"))[:count]
    frames = []
    for name in names:
        with av.open(str(name)) as c:
            frame = next(c.decode(video=0))
        frames.append(frame.reformat(width=width, height=height, format="rgb24",
                                     interpolation="AREA").to_ndarray())
    return tuple(frames)


def _add_audio(container, codec: str, rate: int = 48000):
    layout = "stereo"
    options = {"strict": "experimental"} if codec == "vorbis" else None
    stream = container.add_stream(codec, rate=rate, layout=layout, options=options)
    return stream


def _audio_frames(stream, seconds: float, rate: int = 48000):
    """A 440 Hz tone of ``seconds``, as frames sized for ``stream``'s encoder."""
    total = int(round(seconds * rate))
    size = stream.codec_context.frame_size or 1024
    fmt = stream.codec_context.format.name
    t = np.arange(total) / rate
    tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for k in range(0, total, size):
        chunk = np.stack([tone[k:k + size]] * 2)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = rate, k, Fraction(1, rate)
        if fmt != "fltp":
            frame = av.AudioResampler(format=fmt, layout="stereo", rate=rate).resample(frame)[0]
            frame.pts = k
        yield frame


def make_clip(path, count: int = 5, size=(32, 24), fps: int = 25, codec: str = "libx264",
              pix_fmt: str = "yuv420p", audio: str | None = "aac", pts: list[int] | None = None,
              time_base: Fraction | None = None, rotation: int = 0, tags: dict | None = None,
              subtitles: list[tuple[float, float, str]] | None = None) -> Path:
    """Write a clip; ``pts`` (in ``time_base``) makes it variable frame rate. Returns ``path``."""
    path = Path(path)
    frames = footage(size[0], size[1], count)
    tb = time_base or Fraction(1, fps)
    pts = pts or list(range(count))
    with av.open(str(path), "w") as out:
        v = out.add_stream(codec, rate=fps)
        v.width, v.height, v.pix_fmt = size[0], size[1], pix_fmt
        v.codec_context.time_base = tb
        if codec == "libx265":
            v.codec_context.options = {"x265-params": "log-level=error"}
        for key, value in (tags or {}).items():
            setattr(v.codec_context, key, value)
        if rotation:
            v.set_display_rotation(rotation)
        a = _add_audio(out, audio) if audio else None
        s = out.add_mux_stream("subrip") if subtitles else None
        if s is not None:
            s.time_base = Fraction(1, 1000)
        for frame_rgb, p in zip(frames, pts):
            frame = av.VideoFrame.from_ndarray(frame_rgb, format="rgb24")
            frame = frame.reformat(format=pix_fmt, dst_colorspace=_sws(tags), dst_color_range=_range(tags))
            for key, value in (tags or {}).items():
                setattr(frame, key, value)
            frame.pts, frame.time_base = p, tb
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        if a is not None:
            seconds = float((pts[-1] + (pts[-1] - pts[-2] if len(pts) > 1 else 1)) * tb)
            for frame in _audio_frames(a, seconds):
                out.mux(a.encode(frame))
            out.mux(a.encode(None))
        for start, end, text in subtitles or ():
            packet = av.Packet(text.encode())
            packet.stream = s
            packet.pts = packet.dts = int(start * 1000)
            packet.duration = int((end - start) * 1000)
            packet.time_base = Fraction(1, 1000)
            out.mux(packet)
    return path


def _sws(tags):
    return "itu709" if (tags or {}).get("colorspace") == 1 else "itu601"


def _range(tags):
    return 2 if (tags or {}).get("color_range") == 2 else 1


def file_hash(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def video_timestamps(path) -> list[float]:
    """Presentation times (seconds) of every video frame, from the packets."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        times = sorted(float(p.pts * p.time_base) for p in c.demux(s) if p.size and p.pts is not None)
    return times


def audio_duration(path) -> float:
    """Seconds of audio: the span from the first packet's start to the last packet's end."""
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        spans = [(float(p.pts * p.time_base), float((p.pts + p.duration) * p.time_base))
                 for p in c.demux(s) if p.size and p.pts is not None]
    return max(e for _s, e in spans) - max(0.0, min(s for s, _e in spans))


def decoded_frames(path) -> list:
    with av.open(str(path)) as c:
        return list(c.decode(video=0))


# ---- files that are not (usable) videos ------------------------------------------------------

def write_random_bytes(path, size: int = 5000, seed: int = 1) -> Path:
    """``size`` random bytes: a file named like a video that is not one."""
    path = Path(path)
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def write_damaged_stream(path, count: int = 6, size=(64, 48)) -> Path:
    """A clip that opens and probes, but whose video stream breaks off early (bytes of its middle
    third scrambled): decoding fails within the first frames."""
    path = Path(path)
    source = make_clip(path.with_name(f"{path.stem}-source.mp4"), count=count, size=size)
    data = bytearray(source.read_bytes())
    source.unlink()
    for k in range(len(data) // 3, len(data) * 2 // 3, 7):
        data[k] = (data[k] * 31 + 7) % 256
    path.write_bytes(bytes(data))
    return path


def write_audio_only(path) -> Path:
    """A file with one short silent AAC stream and no video."""
    path = Path(path)
    with av.open(str(path), "w") as c:
        a = c.add_stream("aac", rate=48000, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = 48000, 0
        c.mux(a.encode(frame))
        c.mux(a.encode(None))
    return path


def write_no_frames(path, flush: bool = False, audio: bool = False) -> Path:
    """A video file whose H.264 stream never got a frame (a recording stopped at once).

    ``flush`` also flushes the empty encoder; ``audio`` adds an empty AAC stream.
    """
    path = Path(path)
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 32, 24, "yuv420p"
        if audio:
            c.add_stream("aac", rate=48000)
        c.start_encoding()
        if flush:
            c.mux(v.encode(None))
    return path


# ---- archive footage: woven fields, pixel aspect, timecode -------------------------------------

def weave(first: np.ndarray, second: np.ndarray, tff: bool = True) -> np.ndarray:
    """One interlaced frame: ``first``'s lines in the first field, ``second``'s in the other."""
    out = first.copy()
    rows = slice(1, None, 2) if tff else slice(0, None, 2)
    out[rows] = second[rows]
    return out


MOTION = 34  # the sample's frames 34-47 move the most (a butterfly flies past)


def make_woven_clip(path, count: int = 6, size=(320, 180), fps: int = 25, tff: bool = True, flagged: bool = True,
                    container: str | None = None, first: int = MOTION) -> Path:
    """``count`` interlaced frames woven from ``2 * count`` consecutive real frames from ``first``
    (frame ``2k`` in the first field, ``2k + 1`` in the second), H.264 nearly lossless; ``flagged``
    codes it as interlaced (the decoder then says so), else the file looks progressive."""
    path = Path(path)
    frames = footage(size[0], size[1], first + 2 * count)[first:]
    with av.open(str(path), "w", format=container) as out:
        params = "log-level=none" + (f":{'tff' if tff else 'bff'}=1" if flagged else "")
        v = out.add_stream("libx264", rate=fps, options={"crf": "4", "x264-params": params})
        v.width, v.height, v.pix_fmt = size[0], size[1], "yuv420p"
        v.codec_context.time_base = Fraction(1, fps)
        for k in range(count):
            rgb = weave(frames[2 * k], frames[2 * k + 1], tff)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = k, Fraction(1, fps)
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
    return path


def make_tagged_clip(path, count: int = 3, size=(72, 48), fps: int = 25, sample_aspect: Fraction | None = None,
                     timecode: str | None = None, codec: str = "libx264", pix_fmt: str = "yuv420p",
                     frames: list[np.ndarray] | None = None) -> Path:
    """A clip of real frames (or ``frames``) tagged with a pixel aspect and a start timecode."""
    path = Path(path)
    frames = frames if frames is not None else footage(size[0], size[1], count)
    with av.open(str(path), "w") as out:
        if timecode:
            out.metadata["timecode"] = timecode
        v = out.add_stream(codec, rate=fps, options={"crf": "8"} if codec == "libx264" else {})
        v.width, v.height, v.pix_fmt = frames[0].shape[1], frames[0].shape[0], pix_fmt
        v.codec_context.time_base = Fraction(1, fps)
        if sample_aspect:
            v.codec_context.sample_aspect_ratio = sample_aspect
        for k, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format=pix_fmt)
            frame.pts, frame.time_base = k, Fraction(1, fps)
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
    return path



def make_long_clip(path, seconds: float, size=(32, 24), fps: int = 10, timecode: str | None = None) -> Path:
    """A clip of ``seconds``: the sample's real frames played forward and back as often as needed."""
    frames = footage(size[0], size[1], 75)
    cycle = list(frames) + list(frames[-2:0:-1])
    count = round(seconds * fps)
    return make_tagged_clip(path, size=size, fps=fps, timecode=timecode,
                            frames=[cycle[k % len(cycle)] for k in range(count)])
