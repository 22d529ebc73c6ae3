"""Colour tags: FFmpeg's enum values, their names, and what to assume when a file says nothing.

A clip's matrix and range decide how YUV becomes RGB. Files often leave them unspecified; FFmpeg's
scaler then falls back to BT.601, which shifts the colours of HD footage. We guess the way players
and editors do: BT.709 for HD-sized frames, BT.601 below, limited ("tv") range for YUV.
"""
from __future__ import annotations

import numpy as np

# AVColorSpace
MATRICES = {0: "rgb", 1: "bt709", 2: "unknown", 4: "fcc", 5: "bt470bg", 6: "smpte170m",
            7: "smpte240m", 8: "ycgco", 9: "bt2020nc", 10: "bt2020c", 14: "ictcp"}
# AVColorPrimaries
PRIMARIES = {1: "bt709", 2: "unknown", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
             8: "film", 9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}
# AVColorTransferCharacteristic
TRANSFERS = {1: "bt709", 2: "unknown", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m",
             8: "linear", 9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e",
             13: "iec61966-2-1", 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 17: "smpte428",
             18: "arib-std-b67"}
# AVColorRange
RANGES = {0: "unknown", 1: "tv", 2: "pc"}

# swscale's matrix names (PyAV ``Colorspace``) for each AVColorSpace name
_SWS_MATRIX = {"bt709": "itu709", "fcc": "fcc", "bt470bg": "itu601", "smpte170m": "smpte170m",
               "smpte240m": "smpte240m", "bt2020nc": "bt2020", "bt2020c": "bt2020"}

HD_HEIGHT = 720  # at or above this height an untagged clip is taken to be BT.709


def name(table: dict, value) -> str:
    return table.get(int(value or 0) if value is not None else 2, "unknown")


def code(table: dict, label: str) -> int:
    """The FFmpeg enum value of ``label`` in ``table`` (unspecified if unknown)."""
    for value, text in table.items():
        if text == label:
            return value
    return 0 if table is RANGES else 2


def effective_matrix(matrix: str, width: int, height: int) -> str:
    """The matrix to convert with: the tagged one, or the HD/SD guess when untagged."""
    if matrix in _SWS_MATRIX:
        return matrix
    return "bt709" if height >= HD_HEIGHT or width >= 1280 else "smpte170m"


def effective_range(colour_range: str, pix_fmt: str) -> str:
    """``tv`` or ``pc``: the tagged range, else full range for RGB and ``yuvj`` formats, else tv."""
    if colour_range in ("tv", "pc"):
        return colour_range
    fmt = pix_fmt or ""
    full_range = ("yuvj", "rgb", "bgr", "gbr", "gray", "pal", "argb", "abgr", "rgba", "bgra")
    return "pc" if fmt.startswith(full_range) else "tv"


def sws_matrix(matrix: str) -> str:
    return _SWS_MATRIX.get(matrix, "itu601")


def sws_range(colour_range: str) -> int:
    """PyAV ``ColorRange`` value: 1 limited (MPEG), 2 full (JPEG)."""
    return 2 if colour_range == "pc" else 1


def luma(rgb, peak: float = 1.0) -> np.ndarray:
    """BT.601 luma ``(..., h, w)`` of ``(..., h, w, 3)`` RGB as float32, divided by ``peak``
    (255 turns 8-bit frames into [0, 1])."""
    rgb = np.asarray(rgb, dtype=np.float32)
    if peak != 1.0:
        rgb = rgb / peak
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
