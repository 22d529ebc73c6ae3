"""What a render will cost on this machine: seconds from measured throughput. No Qt here.

SAVSR's cost grows with the *source* pixels: about 620 3x3-convolution equivalents per LR pixel
run before the upsampler, which adds only a small share per output pixel (docs/performance.md:
6.4 s for 90x160 at x2 and 30.0 s for 180x320 at x4 fit ``LR pixels x (1 + 0.0146 x s_w x s_h)``).
So a render's *work* is ``frames x LR pixels x (1 + UPSAMPLER_SHARE x s_w x s_h)`` and its time is
``overhead + work / rate``, with ``rate`` and ``overhead`` measured on this machine per model,
backend and device (:class:`Calibration`, kept in the settings):

- a finished render gives both: ``rate`` from its steady speed (the last progress report's frames
  per second), ``overhead`` from the rest of its wall time (model loading, network preparation,
  joining segments);
- a preview gives ``rate`` only (one frame of a region), until a render of that key has finished.

Until anything is measured the rate is the one in docs/performance.md for a two-core CPU, and the
estimate says it is rough.
"""
from __future__ import annotations

from dataclasses import dataclass

UPSAMPLER_SHARE = 0.0146          # work of one output pixel relative to one LR pixel
DEFAULT_RATE = {"cpu": 2400.0, "cuda": 240000.0}   # work units per second before any measurement
DEFAULT_OVERHEAD = {"cpu": 6.0, "cuda": 4.0}       # seconds per render before any measurement
SMOOTHING = 0.5                   # weight of a new measurement (the machine's load changes)
LONG_CPU_RENDER = 3600.0          # ask before queueing a CPU render estimated above this


def work_units(lr_size: tuple[int, int], scale: tuple[float, float], frames: int) -> float:
    """The work of upscaling ``frames`` frames of ``lr_size`` (w, h) by ``scale`` (s_w, s_h)."""
    (w, h), (s_w, s_h) = lr_size, scale
    return frames * w * h * (1.0 + UPSAMPLER_SHARE * s_w * s_h)


def calibration_key(model: str, backend: str, device: str) -> str:
    """``clean|torch|cpu``: what the throughput depends on (``cuda:1`` counts as its own device)."""
    return f"{model}|{backend}|{device}"


def device_kind(device: str) -> str:
    return "cuda" if device.startswith("cuda") else "cpu"


@dataclass(frozen=True)
class Estimate:
    seconds: float
    measured: bool        # from this machine's renders or previews, not the built-in guess
    where: str            # "this CPU", "NVIDIA RTX A5000"

    def text(self) -> str:
        """``about 2 h 10 min on this CPU`` (``roughly`` before anything was measured)."""
        return f"{'about' if self.measured else 'roughly'} {format_duration(self.seconds)} on {self.where}"


class Calibration:
    """Measured throughput per :func:`calibration_key`: ``{key: {"rate", "overhead", "renders",
    "previews"}}``, a plain dict the settings save as it is."""

    def __init__(self, table: dict | None = None):
        self.table: dict = {k: dict(v) for k, v in (table or {}).items() if isinstance(v, dict)}

    def to_dict(self) -> dict:
        return {k: dict(v) for k, v in self.table.items()}

    def _entry(self, key: str) -> dict:
        kind = device_kind(key.rsplit("|", 1)[-1])
        return self.table.setdefault(key, {"rate": DEFAULT_RATE[kind], "overhead": DEFAULT_OVERHEAD[kind],
                                           "renders": 0, "previews": 0})

    @staticmethod
    def _blend(old: float, new: float, first: bool) -> float:
        return new if first else (1 - SMOOTHING) * old + SMOOTHING * new

    def record_render(self, key: str, units_per_frame: float, frames: int, fps: float, wall_seconds: float):
        """A finished render: its steady speed ``fps`` and its whole ``wall_seconds``."""
        if fps <= 0 or frames <= 0 or wall_seconds <= 0:
            return
        e = self._entry(key)
        first = e["renders"] == 0
        e["rate"] = self._blend(e["rate"], units_per_frame * fps, first)
        e["overhead"] = self._blend(e["overhead"], max(0.0, wall_seconds - frames / fps), first)
        e["renders"] += 1

    def record_preview(self, key: str, units: float, seconds: float):
        """A preview of ``units`` work took ``seconds``; it sets the rate only while no render did."""
        if units <= 0 or seconds <= 0:
            return
        e = self._entry(key)
        if e["renders"] == 0:
            e["rate"] = self._blend(e["rate"], units / seconds, e["previews"] == 0)
        e["previews"] += 1

    def estimate(self, key: str, units: float, where: str) -> Estimate:
        kind = device_kind(key.rsplit("|", 1)[-1])
        e = self.table.get(key)
        if e is None:
            return Estimate(DEFAULT_OVERHEAD[kind] + units / DEFAULT_RATE[kind], False, where)
        return Estimate(e["overhead"] + units / e["rate"], bool(e["renders"] or e["previews"]), where)


def format_duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``2 h 10 min`` (rounded as a person would say it)."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    h, m = divmod(minutes, 60)
    return f"{h} h {m} min" if m else f"{h} h"
