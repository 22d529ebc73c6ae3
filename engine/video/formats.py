"""Output formats: which encoder, container and pixel format each ``--codec`` means.

Intermediate codecs carry the names editors know them by: ProRes 422 Proxy/LT/422/HQ/4444 and
Avid DNxHR LB/SQ/HQ/HQX/444, in MOV (and DNxHR also in MXF, as Avid Media Composer prefers).
"""
from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import av

CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".mxf": "mxf"}
PRORES_PROFILES = {"prores-proxy": "0", "prores-lt": "1", "prores-422": "2", "prores": "3", "prores4444": "4"}
DNXHR_PROFILES = {"dnxhr-lb": "dnxhr_lb", "dnxhr-sq": "dnxhr_sq", "dnxhr-hq": "dnxhr_hq",
                  "dnxhr-hqx": "dnxhr_hqx", "dnxhr-444": "dnxhr_444"}
DNXHR_PIX_FMTS = {"dnxhr-hqx": ("yuv422p10le",), "dnxhr-444": ("yuv444p10le", "gbrp10le")}  # others: 8-bit 4:2:2
DNXHR_MIN_SIZE = (256, 120)  # the encoder refuses smaller frames
ENCODERS = {"h264": "libx264", "h265": "libx265", **{c: "prores_ks" for c in PRORES_PROFILES},
            **{c: "dnxhd" for c in DNXHR_PROFILES}, "ffv1": "ffv1", "png": "png"}
LABELS = {"h264": "H.264", "h265": "H.265", "prores-proxy": "ProRes 422 Proxy", "prores-lt": "ProRes 422 LT",
          "prores-422": "ProRes 422", "prores": "ProRes 422 HQ", "prores4444": "ProRes 4444",
          "dnxhr-lb": "DNxHR LB", "dnxhr-sq": "DNxHR SQ", "dnxhr-hq": "DNxHR HQ", "dnxhr-hqx": "DNxHR HQX",
          "dnxhr-444": "DNxHR 444", "ffv1": "FFV1", "png": "PNG sequence"}
_MUXER_NAMES = {"h264": "h264", "h265": "hevc", **{c: "prores" for c in PRORES_PROFILES},
                **{c: "dnxhd" for c in DNXHR_PROFILES}, "ffv1": "ffv1"}
X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                "veryslow", "placebo")


@cache
def supported_codecs(container_format: str) -> frozenset:
    """Codec names the FFmpeg muxer ``container_format`` accepts (``avformat_query_codec``)."""
    with av.open(io.BytesIO(), "w", format=container_format) as probe_out:
        return frozenset(probe_out.supported_codecs)


def container_accepts(container_format: str, codec: str) -> bool:
    if container_format == "mxf":  # FFmpeg's MXF muxer lists no codecs; we write DNxHR there
        return codec in DNXHR_PROFILES
    return _MUXER_NAMES.get(codec, codec) in supported_codecs(container_format)


def encoder_pix_fmts(codec: str) -> list[str]:
    if codec in DNXHR_PROFILES:  # the profile fixes depth and chroma
        return list(DNXHR_PIX_FMTS.get(codec, ("yuv422p",)))
    return sorted(f.name for f in av.codec.Codec(ENCODERS[codec], "w").video_formats or ())


def chroma_subsampling(pix_fmt: str) -> tuple[int, int]:
    """``(horizontal, vertical)`` chroma subsampling factor of ``pix_fmt`` (1 or 2 each)."""
    fmt = av.VideoFormat(pix_fmt, 4, 4)
    if fmt.is_rgb or len(fmt.components) < 3:
        return 1, 1
    chroma = fmt.components[1]
    return 4 // max(chroma.width, 1), 4 // max(chroma.height, 1)


def bit_depth(pix_fmt: str) -> int:
    return max(c.bits for c in av.VideoFormat(pix_fmt, 4, 4).components)


def is_rgb(pix_fmt: str) -> bool:
    fmt = av.VideoFormat(pix_fmt, 4, 4)
    return fmt.is_rgb or fmt.name.startswith(("gray", "ya"))


def _layout(source_pix_fmt: str) -> str:
    """``420``, ``422`` or ``444``: the source's chroma layout (RGB counts as 444)."""
    h, v = chroma_subsampling(source_pix_fmt)
    return {(2, 2): "420", (2, 1): "422"}.get((h, v), "444")


def default_pix_fmt(codec: str, source_pix_fmt: str, source_depth: int) -> str:
    """The pixel format a demanding editor expects when none is asked for.

    H.264/H.265: 4:2:0 (plays everywhere), 10-bit when the source is deeper than 8 bits.
    ProRes: 10-bit 4:2:2 / 4:4:4. FFV1: the source's own chroma layout and depth (lossless
    archive). PNG: 8 or 16-bit RGB.
    """
    deep = source_depth > 8
    if codec in ("h264", "h265"):
        return "yuv420p10le" if deep else "yuv420p"
    if codec == "prores4444":
        return "yuv444p10le"
    if codec in PRORES_PROFILES:
        return "yuv422p10le"
    if codec in DNXHR_PROFILES:
        return encoder_pix_fmts(codec)[0]
    if codec == "ffv1":
        suffix = "" if not deep else ("10le" if source_depth <= 10 else "16le")
        return f"yuv{_layout(source_pix_fmt)}p{suffix}"
    return "rgb48be" if deep else "rgb24"


def container_for(output: str | Path) -> str | None:
    """FFmpeg muxer for ``output``'s extension (``None`` if it has none we write)."""
    return CONTAINERS.get(Path(output).suffix.lower())
