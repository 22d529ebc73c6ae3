"""SMPTE timecode: ``HH:MM:SS:FF`` (non-drop) and ``HH:MM:SS;FF`` (drop-frame, 29.97 and 59.94 fps).

A clip's start timecode is what editing applications relink by. When only part of a clip is
rendered, or its frame rate changes (a field-rate deinterlace doubles it), the output's timecode
is the source's moved on by the same time: :func:`advance`.
"""
from __future__ import annotations

import re
from fractions import Fraction

_PATTERN = re.compile(r"^(\d{1,2})[:.](\d{2})[:.](\d{2})([:;.,])(\d{1,3})$")
DAY_SECONDS = 24 * 3600


class TimecodeError(ValueError):
    """Text that is not a timecode."""


def nominal(rate: Fraction) -> int:
    """Frames counted per timecode second: 25 for 25 fps, 30 for 29.97, 24 for 23.976."""
    return max(1, round(float(rate)))


def _drop_per_minute(rate: Fraction) -> int:
    """Frame numbers skipped at each minute but every tenth (0 for non-drop rates)."""
    return {30: 2, 60: 4}.get(nominal(rate), 0) if Fraction(rate).denominator == 1001 else 0


def parse(text: str, rate: Fraction) -> int:
    """The frame count of ``text`` since 00:00:00:00 at ``rate`` (drop-frame if written with ``;``)."""
    match = _PATTERN.match(text.strip())
    if not match:
        raise TimecodeError(f"{text!r} is not a timecode (HH:MM:SS:FF)")
    h, m, s, sep, f = match.groups()
    h, m, s, f = int(h), int(m), int(s), int(f)
    fps = nominal(rate)
    if m > 59 or s > 59 or f >= fps:
        raise TimecodeError(f"{text!r} is not a timecode at {fps} frames per second")
    count = (h * 3600 + m * 60 + s) * fps + f
    drop = _drop_per_minute(rate) if sep in ";," else 0
    minutes = h * 60 + m
    return count - drop * (minutes - minutes // 10)


def format_frames(count: int, rate: Fraction, drop: bool | None = None) -> str:
    """``count`` frames since midnight as a timecode at ``rate`` (wraps at 24 hours).

    ``drop`` defaults to drop-frame for 29.97 and 59.94 fps.
    """
    fps = nominal(rate)
    per_minute = _drop_per_minute(rate) if drop is not False else 0
    count %= DAY_SECONDS * fps - per_minute * (DAY_SECONDS // 60 - DAY_SECONDS // 600)
    if per_minute:
        ten_minutes = fps * 600 - per_minute * 9
        tens, rest = divmod(count, ten_minutes)
        count += per_minute * 9 * tens
        if rest > per_minute:
            count += per_minute * ((rest - per_minute) // (fps * 60 - per_minute))
    f = count % fps
    seconds = count // fps
    sep = ";" if per_minute else ":"
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{sep}{f:02d}"


def is_drop(text: str) -> bool:
    return ";" in text or "," in text


def advance(text: str, rate: Fraction, seconds: float, out_rate: Fraction | None = None) -> str:
    """The timecode ``seconds`` after ``text`` (at ``rate``), written at ``out_rate`` (default ``rate``)."""
    out_rate = Fraction(out_rate or rate)
    start = parse(text, rate)
    frames = Fraction(start) * out_rate / Fraction(rate) + round(Fraction(seconds) * out_rate)
    drop = is_drop(text) if _drop_per_minute(out_rate) else False
    return format_frames(int(frames), out_rate, drop)


def valid(text: str | None, rate: Fraction) -> bool:
    try:
        parse(text or "", rate)
        return True
    except TimecodeError:
        return False
