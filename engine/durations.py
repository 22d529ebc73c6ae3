"""Durations in words people read: one formatter for the command line, the app and the logs."""
from __future__ import annotations

import math


def format_duration(seconds: float | None, style: str = "words") -> str:
    """``words``: ``45 s``, ``12 min``, ``2 h 10 min`` (rounded as a person would say it: estimates, totals);
    ``clock``: ``02:05``, ``1:02:05`` (a counter that ticks: progress bars, ETAs). ``None``, NaN and
    infinity (nothing measured yet) read ``--:--`` in either style."""
    if seconds is None or math.isnan(seconds) or math.isinf(seconds):
        return "--:--"
    seconds = max(0.0, float(seconds))
    if style == "clock":
        h, rest = divmod(int(round(seconds)), 3600)
        m, s = divmod(rest, 60)
        return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
    if style != "words":
        raise ValueError(f"unknown duration style {style!r}: words or clock")
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    h, m = divmod(minutes, 60)
    return f"{h} h {m} min" if m else f"{h} h"
