"""The codec round trips of training: encode RGB frames with libx264, libx265 or libvpx-vp9 through
PyAV and decode them again.

:class:`CodecSpec` is one encode (codec, CRF or target bitrate, preset, range). A *plain* spec (H.264 or
H.265 at a CRF, limited range) is encoded exactly as the per-sample degradation always encoded it.
The whole-frame mix (issue 26) adds VP9, target bitrates (one pass with a VBV cap, or two passes),
full-range sources and web re-uploads (:class:`Chain`), and encodes every chain so that its output is
a function of its input (:func:`chain_frames`: single threads are not enough, see there).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from fractions import Fraction

import av
import numpy as np
import torch

from ..errors import SavsrError

ENCODERS = {"h264": "libx264", "h265": "libx265"}
DECODERS = {"h264": "h264", "h265": "hevc"}
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")
# training chains may also use VP9 (what web platforms serve); CodecSpec.parse keeps to H.264/H.265
CHAIN_ENCODERS = {**ENCODERS, "vp9": "libvpx-vp9"}
CHAIN_DECODERS = {**DECODERS, "vp9": "vp9"}
# libvpx's speed (cpu-used) for the x264-style preset names, so one preset list serves every codec
VP9_SPEED = {"ultrafast": 8, "superfast": 7, "veryfast": 6, "faster": 5, "fast": 4, "medium": 4, "slow": 3,
             "slower": 2, "veryslow": 1}
FPS = 25


@dataclass
class CodecSpec:
    """One codec setting: ``h264:28`` style text, or a codec name with a CRF."""

    codec: str
    crf: float
    preset: str = "medium"
    # rate control: 'crf' (constant quality), 'vbv' (one pass at a target bitrate, peak and buffer capped
    # as phones and cameras do) or '2pass' (two passes at a target bitrate; x264/x265 only)
    rate: str = "crf"
    bpp: float = 0.0              # target bits per pixel (vbv, 2pass): bitrate = bpp * w * h * 25
    peak: float = 0.0             # vbv: peak rate as a multiple of the target (0: no cap)
    buffer_s: float = 1.0         # vbv: decoder buffer in seconds of the peak rate
    full_range: bool = False      # JPEG-range YUV (what yuvj420p means), flagged in the stream
    # reproducible: libx264's macroblock-tree reads memory it never wrote for many frame widths (its
    # output then varies from run to run), so chains encode with it off (as hardware encoders do)
    reproducible: bool = False

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

    @property
    def plain(self) -> bool:
        """The original setting: H.264/H.265 at a CRF, limited range (encoded exactly as before)."""
        return self.codec in ENCODERS and self.rate == "crf" and not self.full_range and not self.reproducible

    def __str__(self) -> str:
        if self.plain:
            return f"{self.codec}:{self.crf:g}"
        rate = f"{self.crf:g}" if self.rate == "crf" else f"{self.rate}@{self.bpp:.3f}bpp"
        if self.rate == "vbv" and self.peak:
            rate += f"x{self.peak:.2f}"
        return f"{self.codec}:{rate}:{self.preset}" + (":full" if self.full_range else "")


def _plain_options(spec: CodecSpec) -> dict:
    options = {"crf": f"{spec.crf:g}", "preset": spec.preset}
    if spec.codec == "h264":
        options["threads"] = "1"
    else:
        options["x265-params"] = "log-level=none:pools=none:frame-threads=1"
    return options


def _open_encoder(spec: CodecSpec, w: int, h: int, pix_fmt: str, stats: str | None = None, pass_no: int = 0):
    """A single-threaded encoder for ``spec`` (PyAV opens it at the first frame)."""
    enc = av.CodecContext.create(CHAIN_ENCODERS[spec.codec], "w")
    enc.width, enc.height, enc.pix_fmt = w, h, pix_fmt
    enc.time_base = Fraction(1, FPS)
    enc.framerate = Fraction(FPS, 1)
    if spec.plain:
        enc.options = _plain_options(spec)
        return enc
    if spec.full_range:
        enc.color_range = 2                      # AVCOL_RANGE_JPEG: flagged in the stream
    target = max(4000, int(round(spec.bpp * w * h * FPS))) if spec.rate != "crf" else 0   # bit/s
    if spec.codec == "vp9":
        options = {"cpu-used": str(VP9_SPEED.get(spec.preset, 4)), "deadline": "good", "threads": "1",
                   "row-mt": "0"}
        if spec.rate == "crf":
            enc.bit_rate = 0                     # constant quality
            options["crf"] = f"{spec.crf:g}"
    else:
        options = {"preset": spec.preset}
        x265 = "log-level=none:pools=none:frame-threads=1"
        if spec.rate == "crf":
            options["crf"] = f"{spec.crf:g}"
        if spec.codec == "h264":
            options["threads"] = "1"
            if spec.reproducible:
                options["x264-params"] = "mbtree=0"
            if pass_no:
                options["flags"] = f"+pass{pass_no}"
                options["stats"] = stats
        else:
            if pass_no:
                x265 += f":pass={pass_no}:stats={stats}"
            if spec.rate == "vbv" and spec.peak:
                peak = target * spec.peak / 1000           # kbit/s
                x265 += f":vbv-maxrate={max(1, round(peak))}:vbv-bufsize={max(1, round(peak * spec.buffer_s))}"
            options["x265-params"] = x265
    if target:
        enc.bit_rate = target
        if spec.rate == "vbv" and spec.peak and spec.codec != "h265":
            peak = int(round(target * spec.peak))
            options["maxrate"] = str(peak)
            options["bufsize"] = str(int(round(peak * spec.buffer_s)))
    enc.options = options
    return enc


def _encode_pass(frames: np.ndarray, spec: CodecSpec, pix_fmt: str, stats: str | None = None,
                 pass_no: int = 0) -> list:
    t, h, w, _ = frames.shape
    enc = _open_encoder(spec, w, h, pix_fmt, stats, pass_no)
    full = spec.full_range and not spec.plain and not pix_fmt.startswith("yuvj")
    packets = []
    for i, rgb in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        if full:
            frame = frame.reformat(format=pix_fmt, dst_color_range=2)
            frame.color_range = 2
        else:
            frame = frame.reformat(format=pix_fmt)
        frame.pts = i
        packets += enc.encode(frame)
    packets += enc.encode(None)
    return packets


def encode(frames: np.ndarray, spec: CodecSpec, pix_fmt: str = "yuv420p") -> list:
    """``(t, h, w, 3)`` uint8 RGB frames encoded with ``spec`` as one short clip: packets."""
    t, h, w, _ = frames.shape
    if h % 2 or w % 2:
        raise ValueError(f"codec round trip needs even frame sizes, got {w}x{h}")
    if spec.rate == "2pass" and spec.codec in ENCODERS:
        with tempfile.TemporaryDirectory(prefix="savsr-2pass-") as folder:
            stats = os.path.join(folder, "stats.log")
            for _ in range(8):
                try:
                    _encode_pass(frames, spec, pix_fmt, stats, 1)
                    return _encode_pass(frames, spec, pix_fmt, stats, 2)
                except av.error.ExternalError:
                    # x264 refuses a second pass below the bitrate its first pass found necessary, and
                    # any pass below 1 kbit/s (tiny frames at a low bpp): the same encode at twice the rate
                    spec = replace(spec, bpp=spec.bpp * 2)
            raise RuntimeError(f"two-pass {spec.codec} encode of {w}x{h} frames failed")
    return _encode_pass(frames, spec, pix_fmt)


def codec_round_trip(frames: np.ndarray, spec: CodecSpec, pix_fmt: str = "yuv420p") -> np.ndarray:
    """Encode ``(t, h, w, 3)`` uint8 RGB frames with ``spec`` and decode them again (same shape).

    ``h`` and ``w`` must be even (4:2:0). The frames are one short clip: an I frame, then P/B frames.
    """
    t = frames.shape[0]
    packets = encode(frames, spec, pix_fmt)
    dec = av.CodecContext.create(CHAIN_DECODERS[spec.codec], "r")
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
class Chain:
    """What one encoded clip went through: noise (sigma in 8-bit levels), then ``specs[0]``; for a web
    re-upload (``resize`` < 1) the frames are first downscaled by ``resize`` (antialiased bicubic),
    encoded with ``specs[0]``, upscaled back with bicubic and encoded again with ``specs[1]``."""

    specs: list
    sigma: float = 0.0
    resize: float = 1.0

    def __str__(self) -> str:
        text = str(self.specs[0])
        if self.resize < 1:
            text = f"x{self.resize:.2f} {text} -> up -> {self.specs[1]}"
        return text + (f" +noise {self.sigma:.2f}" if self.sigma > 0 else "")


def resize_frames(frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(t, h, w, 3)`` uint8 RGB to ``size`` (h, w): antialiased bicubic down, plain bicubic up."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0
    down = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    y = torch.nn.functional.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=down)
    return (y.clamp(0, 1) * 255.0).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()


# libx265 is not deterministic on frames at most one 64-pixel CTU high or wide (it reads memory it has
# not written; 16x16 frames even corrupted the heap): chains pad such frames by edge replication
X265_MIN_SIDE = 72
VP9_PIX_FMTS = ("yuv420p", "yuv422p", "yuv440p", "yuv444p")


def chain_frames(frames: np.ndarray, spec: CodecSpec, pix_fmt: str = "yuv420p") -> np.ndarray:
    """:func:`degrade_frames` for a chain, made a function of its input: H.264 without the
    macroblock-tree (``CodecSpec.reproducible``); H.265 frames of a side <= 64 encoded padded to
    ``X265_MIN_SIDE`` (edge replication) and cropped back."""
    spec = replace(spec, reproducible=True)
    if spec.codec == "vp9" and pix_fmt not in VP9_PIX_FMTS:     # this libvpx has no high bit depth
        pix_fmt = "yuv420p"
    t, h, w, _ = frames.shape
    if spec.codec != "h265" or min(h, w) > 64:
        return degrade_frames(frames, spec, pix_fmt)
    pad = ((0, 0), (0, max(0, X265_MIN_SIDE - h)), (0, max(0, X265_MIN_SIDE - w)), (0, 0))
    return degrade_frames(np.pad(frames, pad, mode="edge"), spec, pix_fmt)[:, :h, :w]


def run_chain(frames: np.ndarray, chain: Chain, pix_fmt: str = "yuv420p") -> np.ndarray:
    """``(t, h, w, 3)`` uint8 RGB through the codecs of ``chain`` (noise is the caller's): same shape."""
    if chain.resize >= 1:
        return chain_frames(frames, chain.specs[0], pix_fmt)
    h, w = frames.shape[1:3]
    small = (max(2, round(h * chain.resize / 2) * 2), max(2, round(w * chain.resize / 2) * 2))
    web = chain_frames(resize_frames(frames, small), chain.specs[0], pix_fmt)
    return chain_frames(resize_frames(web, (h, w)), chain.specs[1], pix_fmt)


def degrade_frames(frames: np.ndarray, spec: CodecSpec | None, pix_fmt: str = "yuv420p") -> np.ndarray:
    """``(t, h, w, 3)`` uint8 through ``spec`` (None: unchanged); odd sizes are padded by edge
    replication for the encode and cropped back."""
    if spec is None:
        return frames
    t, h, w, _ = frames.shape
    ph, pw = h % 2, w % 2
    padded = np.pad(frames, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="edge") if ph or pw else frames
    return codec_round_trip(padded, spec, pix_fmt)[:, :h, :w]
