"""Compression degradations for training: what a camera, phone or website did to the footage.

A :class:`Degradation` turns clean LR windows (float RGB in [0, 1], ``(t, 3, h, w)``) into what a
decoder hands the network for real footage: optional mild sensor noise, 8-bit quantisation, the
4:2:0 chroma round trip, then a real H.264 or H.265 encode (libx264 / libx265 through PyAV, CRF and
preset drawn per sample) and decode. Every choice comes from the caller's ``torch.Generator`` and the
encoders run single-threaded. That alone does not make their output a function of their input:
libx264's macroblock-tree (every preset but ultrafast) reads memory it never wrote for many frame
widths, and libx265 does on frames at most one 64-pixel CTU high or wide, so the per-sample path below
draws the same settings and crops from a seed but not always the same pixels (measured: 29 of 30
batches of the compressed24 mix differed between two processes whose fresh heap memory held different
bytes). It is kept as it is, so that runs in progress see what they always saw; the chains of the
whole-frame mix (:func:`engine.train.codecs.chain_frames`) avoid both and are reproducible.

The encode needs frames large enough for macroblocks and motion search to matter, which is why the
sampler encodes an LR region twice the training patch per side and trains on one quadrant of it.

The whole-frame mix (issue 26, every option off by default): ``whole_frame`` makes the sampler cut its
windows from a reservoir of large encoded LR regions (:mod:`engine.train.reservoir`), and a drawn
:class:`~engine.train.codecs.Chain` may use VP9 (libvpx-vp9), a target bitrate (one pass with a VBV
cap, or two passes), a full-range (JPEG-range, ``yuvj420p``) source, and a web re-upload (downscale,
encode, upscale back with bicubic, encode again).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction

import av
import numpy as np
import torch

# the codec round trips live in .codecs; their names stay importable from here
from .codecs import (  # noqa: F401
    CHAIN_ENCODERS,
    DECODERS,
    ENCODERS,
    PRESETS,
    Chain,
    CodecSpec,
    chain_frames,
    codec_round_trip,
    crf_for_bits,
    degrade_frames,
    encode,
    resize_frames,
    run_chain,
)


@dataclass
class Degradation:
    """Which degradations training draws from, per sample.

    ``clean``: probability that a sample stays clean (float LR, as the benchmark); the rest are
    encoded with one of ``codecs`` (weights ``codec_weights``) at a CRF uniform in ``crf`` and one
    of ``presets``; ``noise``: probability of Gaussian noise before the encode, sigma uniform in
    ``[0, noise_sigma]`` (in 8-bit levels).

    The whole-frame mix (issue 26; every option below is off by default, and settings without them
    draw exactly the frames they always drew):

    * ``whole_frame``: windows are cut from a reservoir of encoded LR regions of up to ``region``
      pixels per side (0: the whole LR frame) and ``entry_frames`` frames, in ``groups`` groups of
      ``group_size`` regions that share a scale pair; one group is re-drawn every ``refresh_steps``
      steps, its regions built one at a time ahead of it (:mod:`engine.train.reservoir`).
    * ``codecs`` may name ``vp9`` (libvpx-vp9, CRF uniform in ``vp9_crf``, speed from the preset).
    * ``bitrate``: probability of a target bitrate instead of a CRF, ``bpp`` bits per pixel
      (log-uniform); ``two_pass`` of those are encoded in two passes (H.264/H.265), the others in one
      pass with a VBV peak of ``peak`` times the target (uniform) and a buffer of ``buffer_s`` seconds.
    * ``full_range``: probability of a full-range (JPEG-range, yuvj) source.
    * ``reupload``: probability of a web re-upload: downscale by a factor uniform in
      ``reupload_scale``, encode, upscale back with bicubic, encode again (a second draw).
    """

    clean: float = 0.25
    codecs: list = field(default_factory=lambda: ["h264", "h265"])
    codec_weights: list = field(default_factory=lambda: [0.7, 0.3])
    crf: list = field(default_factory=lambda: [18.0, 38.0])
    presets: list = field(default_factory=lambda: list(PRESETS))
    noise: float = 0.3
    noise_sigma: float = 2.0
    pix_fmt: str = "yuv420p"
    # the whole-frame mix (issue 26)
    whole_frame: bool = False
    region: int = 256
    entry_frames: int = 9
    groups: int = 8
    group_size: int = 8
    refresh_steps: int = 4
    vp9_crf: list = field(default_factory=lambda: [30.0, 50.0])
    bitrate: float = 0.0
    bpp: list = field(default_factory=lambda: [0.03, 0.3])
    two_pass: float = 0.0
    peak: list = field(default_factory=lambda: [1.0, 2.0])
    buffer_s: float = 1.0
    full_range: float = 0.0
    reupload: float = 0.0
    reupload_scale: list = field(default_factory=lambda: [0.5, 0.9])

    NEW_FIELDS = ("whole_frame", "region", "entry_frames", "groups", "group_size", "refresh_steps", "vp9_crf",
                  "bitrate", "bpp", "two_pass", "peak", "buffer_s", "full_range", "reupload", "reupload_scale")

    def __post_init__(self):
        if not 0 <= self.clean <= 1:
            raise ValueError(f"clean must be a probability, got {self.clean}")
        if any(c not in CHAIN_ENCODERS for c in self.codecs) or len(self.codecs) != len(self.codec_weights):
            raise ValueError(f"codecs must be among {sorted(CHAIN_ENCODERS)} with one weight each")
        for name in ("bitrate", "two_pass", "full_range", "reupload"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a probability, got {getattr(self, name)}")
        if not 0 < self.bpp[0] <= self.bpp[1]:
            raise ValueError(f"bpp must be a range of positive bits per pixel, got {self.bpp}")
        if not 0 < self.reupload_scale[0] <= self.reupload_scale[1] < 1:
            raise ValueError(f"reupload_scale must lie in (0, 1), got {self.reupload_scale}")
        if min(self.groups, self.group_size, self.refresh_steps, self.entry_frames) < 1 or self.region < 0:
            raise ValueError("groups, group_size, refresh_steps and entry_frames must be positive, region >= 0")

    def to_dict(self) -> dict:
        """The settings; the whole-frame options only where they differ from their defaults (so that the
        description of an older run reads as it always did)."""
        base = Degradation()
        return {k: v for k, v in asdict(self).items() if k not in self.NEW_FIELDS or v != getattr(base, k)}

    @property
    def extended(self) -> bool:
        """Whether any new chain option is on (``apply`` then draws a :class:`Chain`)."""
        return "vp9" in self.codecs or self.bitrate > 0 or self.full_range > 0 or self.reupload > 0

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

    def draw_spec(self, gen: torch.Generator) -> CodecSpec:
        """One encode of the mix: codec, CRF or target bitrate, preset, range."""
        u = torch.rand(8, generator=gen).tolist()
        weights = torch.tensor(self.codec_weights, dtype=torch.float64)
        codec = self.codecs[int(torch.multinomial(weights, 1, generator=gen))]
        low, high = self.vp9_crf if codec == "vp9" else self.crf
        spec = CodecSpec(codec, float(round(low + (high - low) * u[0])),
                         self.presets[min(int(u[1] * len(self.presets)), len(self.presets) - 1)])
        if u[2] < self.bitrate:
            spec.bpp = self.bpp[0] * (self.bpp[1] / self.bpp[0]) ** u[3]
            if u[4] < self.two_pass and codec in ENCODERS:
                spec.rate = "2pass"
            else:
                spec.rate = "vbv"
                spec.peak = self.peak[0] + (self.peak[1] - self.peak[0]) * u[5]
                spec.buffer_s = self.buffer_s
        spec.full_range = u[6] < self.full_range
        return spec

    def draw_chain(self, gen: torch.Generator) -> Chain:
        """One encoded clip's history (never clean): see :class:`Chain`."""
        u = torch.rand(4, generator=gen).tolist()
        sigma = self.noise_sigma * u[1] if u[0] < self.noise else 0.0
        specs = [self.draw_spec(gen)]
        resize = 1.0
        if u[2] < self.reupload:
            low, high = self.reupload_scale
            resize = low + (high - low) * u[3]
            specs.append(self.draw_spec(gen))
        return Chain(specs, sigma, resize)

    def degrade_chain(self, lr: torch.Tensor, chain: Chain, gen: torch.Generator) -> np.ndarray:
        """``(t, 3, h, w)`` float LR -> ``(t, h, w, 3)`` uint8 through ``chain`` (its noise from ``gen``)."""
        x = lr * 255.0
        if chain.sigma > 0:
            x = x + chain.sigma * torch.randn(x.shape, generator=gen)
        frames = x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
        return run_chain(frames, chain, self.pix_fmt)

    def apply(self, lr: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """``lr``: ``(t, 3, h, w)`` float in [0, 1] -> the same, degraded as drawn from ``gen``."""
        if self.extended:
            if torch.rand(1, generator=gen).item() < self.clean:
                return lr
            out = self.degrade_chain(lr, self.draw_chain(gen), gen)
            return torch.from_numpy(out).permute(0, 3, 1, 2).float() / 255.0
        spec, sigma = self.draw(gen)
        if spec is None:
            return lr
        x = lr * 255.0
        if sigma > 0:
            x = x + sigma * torch.randn(x.shape, generator=gen)
        frames = x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
        out = degrade_frames(frames, spec, self.pix_fmt)
        return torch.from_numpy(out).permute(0, 3, 1, 2).float() / 255.0


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
