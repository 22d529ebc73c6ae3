"""Compression degradations for training: what a camera, phone or website did to the footage.

A :class:`Degradation` turns clean LR windows (float RGB in [0, 1], ``(t, 3, h, w)``) into what a
decoder hands the network for real footage: optional mild sensor noise, 8-bit quantisation, the
4:2:0 chroma round trip, then a real H.264 or H.265 encode (libx264 / libx265 through PyAV, CRF and
preset drawn per sample) and decode. Every choice comes from the caller's ``torch.Generator``, so a
training run is reproducible and resumes exactly; the encoders run single-threaded, which makes
their output a function of their input.

The encode needs frames large enough for macroblocks and motion search to matter, which is why the
sampler encodes an LR region twice the training patch per side and trains on one quadrant of it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction

import av
import numpy as np
import torch

from ..errors import SavsrError

ENCODERS = {"h264": "libx264", "h265": "libx265"}
DECODERS = {"h264": "h264", "h265": "hevc"}
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")


@dataclass
class CodecSpec:
    """One codec setting: ``h264:28`` style text, or a codec name with a CRF."""

    codec: str
    crf: float
    preset: str = "medium"

    @classmethod
    def parse(cls, text: str) -> CodecSpec | None:
        """``none`` -> None; ``h264:28`` / ``h265:33`` / ``h264:28:fast``; one clear message otherwise."""
        parts = text.strip().lower().split(":")
        if parts == ["none"]:
            return None
        if parts[0] not in ENCODERS or len(parts) not in (2, 3):
            raise SavsrError(f"unknown degradation {text!r}: use none, h264:CRF or h265:CRF (e.g. h264:28)")
        try:
            crf = float(parts[1])
        except ValueError:
            raise SavsrError(f"unknown degradation {text!r}: the CRF must be a number (e.g. h264:28)") from None
        if not 0 <= crf <= 51:
            raise SavsrError(f"degradation {text!r}: the CRF must be between 0 and 51")
        preset = parts[2] if len(parts) == 3 else "medium"
        if preset not in PRESETS + ("slow", "slower", "veryslow"):
            raise SavsrError(f"degradation {text!r}: unknown preset {preset!r}")
        return cls(parts[0], crf, preset)

    def __str__(self) -> str:
        return f"{self.codec}:{self.crf:g}"


def encode(frames: np.ndarray, spec: CodecSpec, pix_fmt: str = "yuv420p") -> list:
    """``(t, h, w, 3)`` uint8 RGB frames encoded with ``spec`` as one short clip: packets."""
    t, h, w, _ = frames.shape
    if h % 2 or w % 2:
        raise ValueError(f"codec round trip needs even frame sizes, got {w}x{h}")
    enc = av.CodecContext.create(ENCODERS[spec.codec], "w")
    enc.width, enc.height, enc.pix_fmt = w, h, pix_fmt
    enc.time_base = Fraction(1, 25)
    enc.framerate = Fraction(25, 1)
    options = {"crf": f"{spec.crf:g}", "preset": spec.preset}
    if spec.codec == "h264":
        options["threads"] = "1"
    else:
        options["x265-params"] = "log-level=none:pools=none:frame-threads=1"
    enc.options = options
    packets = []
    for i, rgb in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format=pix_fmt)
        frame.pts = i
        packets += enc.encode(frame)
    packets += enc.encode(None)
    return packets


def codec_round_trip(frames: np.ndarray, spec: CodecSpec, pix_fmt: str = "yuv420p") -> np.ndarray:
    """Encode ``(t, h, w, 3)`` uint8 RGB frames with ``spec`` and decode them again (same shape).

    ``h`` and ``w`` must be even (4:2:0). The frames are one short clip: an I frame, then P/B frames.
    """
    t = frames.shape[0]
    packets = encode(frames, spec, pix_fmt)
    dec = av.CodecContext.create(DECODERS[spec.codec], "r")
    dec.thread_count = 1
    out = []
    for packet in packets:
        out += dec.decode(packet)
    out += dec.decode(None)
    if len(out) != t:
        raise RuntimeError(f"{spec.codec} round trip gave {len(out)} frames for {t}")
    out.sort(key=lambda f: f.pts)
    return np.stack([f.to_ndarray(format="rgb24") for f in out])


def crf_for_bits(frames: np.ndarray, codec: str, bpp: float, pix_fmt: str = "yuv420p") -> int:
    """The integer CRF at which ``codec`` spends about ``bpp`` bits per pixel on ``frames``."""
    h, w = frames.shape[1:3]

    def bits(crf: int) -> float:
        size = sum(p.size for p in encode(frames, CodecSpec(codec, float(crf)), pix_fmt))
        return size * 8 / (len(frames) * h * w)

    low, high = 0, 51               # bits fall as the CRF rises
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if bits(mid) > bpp else (low, mid)
    return high


@dataclass
class Degradation:
    """Which degradations training draws from, per sample.

    ``clean``: probability that a sample stays clean (float LR, as the benchmark); the rest are
    encoded with one of ``codecs`` (weights ``codec_weights``) at a CRF uniform in ``crf`` and one
    of ``presets``; ``noise``: probability of Gaussian noise before the encode, sigma uniform in
    ``[0, noise_sigma]`` (in 8-bit levels).
    """

    clean: float = 0.25
    codecs: list = field(default_factory=lambda: ["h264", "h265"])
    codec_weights: list = field(default_factory=lambda: [0.7, 0.3])
    crf: list = field(default_factory=lambda: [18.0, 38.0])
    presets: list = field(default_factory=lambda: list(PRESETS))
    noise: float = 0.3
    noise_sigma: float = 2.0
    pix_fmt: str = "yuv420p"

    def __post_init__(self):
        if not 0 <= self.clean <= 1:
            raise ValueError(f"clean must be a probability, got {self.clean}")
        if any(c not in ENCODERS for c in self.codecs) or len(self.codecs) != len(self.codec_weights):
            raise ValueError(f"codecs must be among {sorted(ENCODERS)} with one weight each")

    def to_dict(self) -> dict:
        return asdict(self)

    def draw(self, gen: torch.Generator) -> tuple[CodecSpec | None, float]:
        """``(codec spec or None for clean, noise sigma)`` for one sample."""
        u = torch.rand(5, generator=gen).tolist()
        if u[0] < self.clean:
            return None, 0.0
        weights = torch.tensor(self.codec_weights, dtype=torch.float64)
        codec = self.codecs[int(torch.multinomial(weights, 1, generator=gen))]
        crf = round(self.crf[0] + (self.crf[1] - self.crf[0]) * u[1])
        preset = self.presets[min(int(u[2] * len(self.presets)), len(self.presets) - 1)]
        sigma = self.noise_sigma * u[4] if u[3] < self.noise else 0.0
        return CodecSpec(codec, float(crf), preset), sigma

    def apply(self, lr: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """``lr``: ``(t, 3, h, w)`` float in [0, 1] -> the same, degraded as drawn from ``gen``."""
        spec, sigma = self.draw(gen)
        if spec is None:
            return lr
        x = lr * 255.0
        if sigma > 0:
            x = x + sigma * torch.randn(x.shape, generator=gen)
        frames = x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
        out = degrade_frames(frames, spec, self.pix_fmt)
        return torch.from_numpy(out).permute(0, 3, 1, 2).float() / 255.0


def degrade_frames(frames: np.ndarray, spec: CodecSpec | None, pix_fmt: str = "yuv420p") -> np.ndarray:
    """``(t, h, w, 3)`` uint8 through ``spec`` (None: unchanged); odd sizes are padded by edge
    replication for the encode and cropped back."""
    if spec is None:
        return frames
    t, h, w, _ = frames.shape
    ph, pw = h % 2, w % 2
    padded = np.pad(frames, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="edge") if ph or pw else frames
    return codec_round_trip(padded, spec, pix_fmt)[:, :h, :w]


def deblock_frames(frames: np.ndarray) -> np.ndarray:
    """``(t, h, w, 3)`` uint8 RGB through FFmpeg's ``deblock`` filter (strong, 8-pixel blocks) in
    YUV 4:4:4: the first remedy an engineer would try on blocky footage."""
    t, h, w, _ = frames.shape
    graph = av.filter.Graph()
    src = graph.add_buffer(width=w, height=h, format="yuv444p", time_base=Fraction(1, 25))
    filt = graph.add("deblock", "filter=strong:block=8")
    sink = graph.add("buffersink")
    src.link_to(filt)
    filt.link_to(sink)
    graph.configure()
    out = []
    for i, rgb in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format="yuv444p")
        frame.pts = i
        graph.push(frame)
        out.append(graph.pull().to_ndarray(format="rgb24"))
    return np.stack(out)


def _frames_of(x: torch.Tensor) -> np.ndarray:
    return (x.clamp(0, 1) * 255.0).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def _tensor_of(frames: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.0


def degrade_clip(lr: torch.Tensor, spec: CodecSpec | None) -> torch.Tensor:
    """``(t, 3, h, w)`` float LR through ``spec``'s codec as one clip, as 8-bit frames (``None``:
    unchanged, unrounded: the benchmark's float LR)."""
    return lr if spec is None else _tensor_of(degrade_frames(_frames_of(lr), spec))


def deblock_clip(lr: torch.Tensor) -> torch.Tensor:
    """``(t, 3, h, w)`` float frames through :func:`deblock_frames` (as 8-bit frames)."""
    return _tensor_of(deblock_frames(_frames_of(lr)))
