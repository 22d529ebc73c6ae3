"""Output formats: which encoder, container and pixel format each ``--codec`` means."""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import av

CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
ENCODERS = {"h264": "libx264", "h265": "libx265", "prores": "prores_ks", "prores4444": "prores_ks",
            "ffv1": "ffv1", "png": "png"}
LABELS = {"h264": "H.264", "h265": "H.265", "prores": "ProRes 422 HQ", "prores4444": "ProRes 4444",
          "ffv1": "FFV1", "png": "PNG sequence"}
_MUXER_NAMES = {"h264": "h264", "h265": "hevc", "prores": "prores", "prores4444": "prores", "ffv1": "ffv1"}
X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                "veryslow", "placebo")
PRORES_PROFILES = {"prores": "3", "prores4444": "4"}  # prores_ks: 3 = 422 HQ, 4 = 4444


@lru_cache(maxsize=None)
def supported_codecs(container_format: str) -> frozenset:
    """Codec names the FFmpeg muxer ``container_format`` accepts (``avformat_query_codec``)."""
    with av.open(io.BytesIO(), "w", format=container_format) as probe_out:
        return frozenset(probe_out.supported_codecs)


def container_accepts(container_format: str, codec: str) -> bool:
    return _MUXER_NAMES.get(codec, codec) in supported_codecs(container_format)


def encoder_pix_fmts(codec: str) -> list[str]:
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
    if codec == "prores":
        return "yuv422p10le"
    if codec == "prores4444":
        return "yuv444p10le"
    if codec == "ffv1":
        suffix = "" if not deep else ("10le" if source_depth <= 10 else "16le")
        return f"yuv{_layout(source_pix_fmt)}p{suffix}"
    return "rgb48be" if deep else "rgb24"


def container_for(output: str | Path) -> str | None:
    """FFmpeg muxer for ``output``'s extension (``None`` if it has none we write)."""
    return CONTAINERS.get(Path(output).suffix.lower())
