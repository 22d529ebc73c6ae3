"""A progress bar on stderr: redrawn in place on a terminal, a line per 10 % otherwise."""
from __future__ import annotations

import sys
import time

from ..durations import format_duration

ESTIMATING = "estimating..."    # the ETA until frames after the first are timed (ProgressMeter.eta)


def speed_unit(fps: float) -> str:
    """``fps``, or ``s/frame`` when slower than one frame in ten seconds."""
    return "fps" if fps >= 0.1 else "s/frame"


def format_speed(fps: float, unit: str | None = None) -> str:
    """``12.3 fps`` or ``45 s/frame`` (``unit``: that one, else :func:`speed_unit`'s)."""
    unit = unit or speed_unit(fps or 1.0)
    if not fps:
        return f"-- {unit}"
    return f"{fps:.2f} fps" if unit == "fps" else f"{1 / fps:.1f} s/frame"


class ProgressBar:
    """Callable taking :class:`engine.render.control.Progress` reports."""

    def __init__(self, label: str = "", stream=None, width: int = 28):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.label, self.width = label, width
        self._last_decile, self._drawn = -1, False
        self.unit: str | None = None     # chosen at the first measured speed, then kept for the render
        self._start = time.monotonic()

    def line(self, p) -> str:
        frac = p.done / p.total if p.total else 0.0
        filled = int(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        if self.unit is None and p.fps:
            self.unit = speed_unit(p.fps)
        fps = format_speed(p.fps, self.unit)
        eta = ESTIMATING if p.eta_seconds is None else format_duration(p.eta_seconds, 'clock')
        return f"{self.label}[{bar}] {frac * 100:5.1f}%  {p.done}/{p.total} frames  {fps}  ETA {eta}"

    def __call__(self, p):
        if self.tty:
            self.stream.write("\r" + self.line(p) + "\033[K")
            self._drawn = True
        else:
            decile = int(10 * p.done / p.total) if p.total else 0
            if decile == self._last_decile:
                return
            self._last_decile = decile
            self.stream.write(self.line(p) + "\n")
        self.stream.flush()

    def close(self):
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
        self._drawn = False


def parse_time(text: str) -> float:
    """Seconds from ``90``, ``90.5``, ``1:30`` or ``0:01:30.5``; raises ``ValueError``."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or any(p == "" for p in parts):
        raise ValueError(text)
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    if seconds < 0 or seconds != seconds:
        raise ValueError(text)
    return seconds


def set_threads(n: int | None):
    """``--threads``: torch's CPU threads (None: leave torch's default)."""
    if n:
        import torch
        torch.set_num_threads(n)


def training_printer(quiet: bool):
    """A progress callback printing training steps, validations and checkpoints to stdout."""
    def show(event):
        if quiet:
            return
        kind = event["kind"]
        if kind == "train" and event["step"] % 10 == 0:
            print(f"step {event['step']}/{event['total_steps']}  loss {event['loss']:.5f}  lr {event['lr']:.2e}  "
                  f"{event['elapsed_s'] / 60:.1f} min", flush=True)
        elif kind == "val":
            s = event["summary"]
            print(f"validation @ {event['step']}: model {s['psnr']:.2f} dB, bicubic {s['bicubic']:.2f} dB, "
                  f"gain {s['gain']:+.2f} dB (worst scale {s['min_gain']:+.2f})", flush=True)
        elif kind == "note":
            print(event["text"], flush=True)
        elif kind == "checkpoint":
            print(f"checkpoint @ {event['step']}: {event['path']}", flush=True)
    return show
