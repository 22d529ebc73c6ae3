"""Which model upscales a clip: the bundled ``clean`` and ``compressed`` models by name, a file, or
``auto``, which looks at the clip.

``auto`` decides from the decoded pixels (:func:`engine.models.artifacts.compression_score` on a few
frames spread over the clip); the codec and its bits per pixel are hints: a delivery codec (H.264,
H.265, VP9, AV1, ...) at a low bit rate is compressed footage whatever the pixels say, while an
intermediate or lossless file (ProRes, DNxHR, FFV1, PNG) is judged by its pixels alone, since an
editor's ProRes transcode of phone video still carries the phone's artifacts. A file made by x264
says how it was encoded (its settings travel in the stream), and its CRF or QP is the best hint of
all: the bits a CRF spends depend on the content (an animation at CRF 12 can cost fewer bits per
pixel than a forest at CRF 18), so a CRF of 15 or more means compressed, below means clean.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ..errors import SavsrError

MODELS = {
    "clean": ("savsr_studio_default.safetensors", "clean sources: lossless, intermediate codecs, high bitrate"),
    "compressed": ("savsr_studio_compressed.safetensors", "camera, phone and web video"),
}
MODEL_CHOICES = ("auto", *MODELS)
DELIVERY_CODECS = {"h264", "hevc", "h265", "vp8", "vp9", "av1", "mpeg4", "mpeg2video", "mpeg1video", "msmpeg4v3",
                   "wmv3", "vc1", "theora", "h263", "mjpeg"}
LOW_BPP = 0.8         # below this a delivery codec has quantised the pictures (DAVIS 854x480,
                      # x264 medium: CRF 12 1.0-1.6, CRF 18 0.5-0.7, CRF 28 0.1-0.15)
PIXEL_THRESHOLD = 0.5  # detector score from which the pictures count as compressed


@dataclass(frozen=True)
class ModelChoice:
    path: Path
    name: str             # clean, compressed, or the file's name
    reason: str = ""      # why auto chose it ("" when the user named it)

    def describe(self) -> str:
        """``compressed (auto: h264 at 0.14 bits per pixel)``."""
        return f"{self.name} ({self.reason})" if self.reason else self.name


def bundled_model(name: str) -> Path | None:
    from ..resources import resources_dir
    path = resources_dir() / "models" / MODELS[name][0]
    return path if path.is_file() else None


X264_CLEAN_CRF = 15  # x264/x265 at a lower CRF or QP than this is treated as a clean master


ENCODER_TAGS = (b"x264 - core", b"x265 (build")


def encoder_settings(info, max_bytes: int = 1 << 20) -> dict[str, str]:
    """The settings x264 or x265 wrote into the stream (``{'encoder': 'x264', 'rc': 'crf',
    'crf': '18.0', ...}``), or ``{}`` for a stream neither made."""
    seen = b""
    try:
        with av.open(info.path) as container:
            stream = container.streams.video[info.video_index]
            seen = bytes(stream.codec_context.extradata or b"")  # MKV/MP4 keep x265's notes here
            for packet in container.demux(stream):
                seen += bytes(packet)
                if any(tag in seen for tag in ENCODER_TAGS) or len(seen) > max_bytes:
                    break
    except (av.error.FFmpegError, OSError):
        return {}
    for tag in ENCODER_TAGS:
        start = seen.find(tag)
        if start >= 0:
            text = seen[start:start + 8192].split(b"\x00")[0].decode("ascii", "replace")
            options = dict(item.split("=", 1) for item in text.split() if "=" in item)
            return {"encoder": tag[:4].decode(), **options}
    return {}


def bits_per_pixel(info) -> float | None:
    """The video stream's bits per pixel per frame, from its bit rate or its packet sizes."""
    try:
        with av.open(info.path) as container:
            stream = container.streams.video[info.video_index]
            rate = stream.bit_rate or None
            if rate is None:
                total = count = 0
                for packet in container.demux(stream):
                    if packet.size:
                        total += packet.size
                        count += 1
                    if count >= 250:
                        break
                return total * 8 / (count * info.width * info.height) if count else None
    except (av.error.FFmpegError, OSError):
        return None
    return rate / (info.fps * info.width * info.height) if info.fps else None


def sample_frames(info, count: int = 6) -> np.ndarray:
    """``count`` decoded frames (uint8 RGB, as stored) in pairs at 20 %, 50 % and 80 % of the clip."""
    from ..video import read_frames
    n = info.frame_count
    picks = sorted({min(n - 1, max(0, round(n * f) + k)) for f in (0.2, 0.5, 0.8) for k in range(count // 3)})
    frames = read_frames(info, picks)
    return np.stack([(f * 255.0).round().clip(0, 255).astype(np.uint8) for f in frames])


def auto_choice(info) -> ModelChoice:
    """``auto`` for one clip: see the module's docstring."""
    compressed_model, clean_model = bundled_model("compressed"), bundled_model("clean")
    if compressed_model is None or clean_model is None:
        path = compressed_model or clean_model
        if path is None:
            raise SavsrError("no bundled model installed: pass a model file with --model")
        name = "compressed" if compressed_model else "clean"
        missing = "clean" if compressed_model else "compressed"
        return ModelChoice(path, name, f"auto: the only bundled model; the {missing} model is not installed")
    compressed, why = compression_evidence(info)
    return ModelChoice(compressed_model if compressed else clean_model, "compressed" if compressed else "clean",
                       f"auto: {why}")


def compression_evidence(info) -> tuple[bool, str]:
    """Whether a clip's pictures carry a lossy codec's damage, and why in words (``h264 at 0.14 bits per
    pixel``): the encoder's own CRF or QP when it wrote them, a delivery codec's bits per pixel, then
    the artifact detector's score on a few frames (the codec alone without a detector)."""
    from .artifacts import compression_score, detector_path
    codec = (info.codec or "").lower()
    bpp = bits_per_pixel(info) if codec in DELIVERY_CODECS else None
    enc = encoder_settings(info) if codec in ("h264", "hevc") else {}
    rc = enc.get("rc", "crf" if "crf" in enc else None)
    level = enc.get("crf") if rc == "crf" else enc.get("qp") if rc == "cqp" else None
    if level is not None:
        what = f"{enc['encoder']} at {'CRF' if rc == 'crf' else 'QP'} {float(level):g}"
        if float(level) >= X264_CLEAN_CRF:
            return True, f"{codec} ({what})"
        return False, f"{codec} ({what}, a high-quality master)"
    if bpp is not None and bpp < LOW_BPP:
        return True, f"{codec} at {bpp:.2f} bits per pixel"
    score = compression_score(sample_frames(info)) if detector_path() else None
    rate = f" at {bpp:.2f} bits per pixel" if bpp is not None else ""
    if score is None:  # no detector installed: the codec alone decides
        return codec in DELIVERY_CODECS, f"{codec}{rate}"
    if score >= PIXEL_THRESHOLD:
        return True, f"{codec}{rate}; the pictures show compression artifacts ({score:.2f})"
    return False, f"{codec}{rate}; no compression artifacts in the pictures ({score:.2f})"


def choose_model(spec: str | Path | None, info=None) -> ModelChoice:
    """A model for ``spec``: ``None``/``"auto"`` (needs ``info``, the clip's :class:`ClipInfo`;
    without it ``auto`` means ``clean``), ``"clean"``, ``"compressed"`` or a file path."""
    spec = "auto" if spec is None else spec
    if isinstance(spec, str) and spec.lower() in MODEL_CHOICES:
        name = spec.lower()
        if name == "auto":
            if info is not None:
                return auto_choice(info)
            name = "clean"
        path = bundled_model(name)
        if path is None:
            raise SavsrError(f"the bundled {name} model is not installed: pass a model file with --model")
        return ModelChoice(path, name)
    path = Path(spec)
    if not path.is_file():
        raise SavsrError(f"model not found: {path} (use auto, clean, compressed or a model file)")
    return ModelChoice(path, path.name)
