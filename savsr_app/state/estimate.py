"""What a render will cost on this machine: seconds from measured throughput. No Qt here.

SAVSR's cost grows with the *source* pixels: about 620 3x3-convolution equivalents per LR pixel
run before the upsampler, which adds only a small share per output pixel (the bundled model on an
idle 2-core CPU, 30-frame renders: ``LR pixels x (1 + 0.008 x s_w x s_h) + 4,600`` per frame fits
four sizes from 80x44 x4 to 320x180 x2.5x2 within 3.3 %).
So a render's *work* is ``frames x LR pixels x (1 + UPSAMPLER_SHARE x s_w x s_h)`` and its time is
``overhead + work / rate``, with ``rate`` and ``overhead`` measured on this machine per model,
backend and device (:class:`Calibration`, kept in the settings):

- a finished render gives both: ``rate`` from its steady speed (the last progress report's frames
  per second), ``overhead`` from the rest of its wall time (model loading, network preparation,
  joining segments);
- a preview gives ``rate`` only (one frame of a region), until a render of that key has finished.

Until anything is measured the rate is the one in docs/performance.md for a two-core CPU, and the
estimate says it is rough.

On a CPU, wall time depends on what else runs: a render measured while six other jobs compete for two
cores is three times slower than the same render on a quiet machine. So a CPU render is calibrated in
*CPU seconds* (the process's user + system time, children included), which the load hardly changes:
``cpu_rate`` (work units per CPU second) and ``cpu_overhead`` (CPU seconds). The estimate turns CPU
seconds into wall time with the share of the cores the render can expect *now* (:func:`cpu_share`, from
the load average, the cores and torch's threads), times ``share_factor``, the ratio of the share each
finished render really got to the share predicted for it (what the fair-share model misses).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

from engine.durations import format_duration

UPSAMPLER_SHARE = 0.008           # work of one output pixel relative to one LR pixel
FRAME_UNITS = 4600.0              # work every frame costs whatever its size, in LR-pixel units (see below)
DEFAULT_RATE = {"cpu": 30000.0, "cuda": 3000000.0}  # work units per second before any measurement
DEFAULT_OVERHEAD = {"cpu": 6.0, "cuda": 4.0}       # seconds per render before any measurement
SMOOTHING = 0.5                   # weight of a new measurement (the machine's load changes)
LONG_CPU_RENDER = 3600.0          # ask before queueing a CPU render estimated above this


def work_units(lr_size: tuple[int, int], scale: tuple[float, float], frames: int) -> float:
    """The work of upscaling ``frames`` frames of ``lr_size`` (w, h) by ``scale`` (s_w, s_h).

    Besides the pixels, each frame costs as much as about 4,600 LR pixels whatever its size (the
    network's per-call work: its scale-adaptive layers, the window's bookkeeping, decoding and
    encoding). Fitted on 30-frame renders of the bundled clean model on an idle 2-core CPU (AMD EPYC):
    160x90 x2, 80x44 x4, 224x126 x1.5 and 320x180 x2.5x2 took 0.72, 0.30, 1.15 and 2.32 CPU seconds
    per frame, within 3.3 % of the formula (an earlier fit on a machine loaded five times over, from
    renders of 2-8 frames that were mostly warm-up, gave 19,000 and 0.0146); negligible from about
    640x360 up, it is what makes small clips cost more per pixel.
    """
    (w, h), (s_w, s_h) = lr_size, scale
    return frames * (w * h * (1.0 + UPSAMPLER_SHARE * s_w * s_h) + FRAME_UNITS)


def process_cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (worker processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def machine_load() -> float:
    """Runnable tasks on the machine, averaged over the last minute (0 where the OS has no load average)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def cpu_share(load: float, cores: int | None = None, threads: int | None = None) -> float:
    """CPU seconds per wall second a render of ``threads`` threads gets while ``load`` other runnable
    tasks compete for ``cores`` (fair scheduling: every runnable thread gets an equal slice)."""
    cores = cores or os.cpu_count() or 1
    threads = threads or cores
    others = max(0.0, load)
    if others + threads <= cores:
        return float(threads)
    return max(0.05, cores * threads / (others + threads))


def others_load(load_before: float, load_after: float, threads: int | None = None) -> float:
    """The other tasks' load during a render: the mean of the load average before it and after it,
    less the render's own ``threads`` in the latter (the 1-minute average lags behind both)."""
    threads = threads or os.cpu_count() or 1
    return max(0.0, (load_before + max(0.0, load_after - threads)) / 2)


def own_load(threads: int | None, running: bool, seconds_since_end: float | None) -> float:
    """What this process's own renders still add to the 1-minute load average: all their ``threads``
    while one runs, fading as ``e^(-t/60)`` after one ended (the kernel's average has that memory)."""
    threads = threads or os.cpu_count() or 1
    if running:
        return float(threads)
    if seconds_since_end is None:
        return 0.0
    return threads * math.exp(-max(0.0, seconds_since_end) / 60.0)


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
        self.own_load = lambda: 0.0       # the app's own renders in the load average (CostTracker sets it)

    def others_now(self) -> float:
        """The other tasks' load now: the machine's, less what this app's own renders put there."""
        return max(0.0, machine_load() - self.own_load())

    def to_dict(self) -> dict:
        return {k: dict(v) for k, v in self.table.items()}

    def _entry(self, key: str) -> dict:
        kind = device_kind(key.rsplit("|", 1)[-1])
        return self.table.setdefault(key, {"rate": DEFAULT_RATE[kind], "overhead": DEFAULT_OVERHEAD[kind],
                                           "renders": 0, "previews": 0})

    @staticmethod
    def _blend(old: float, new: float, first: bool) -> float:
        return new if first else (1 - SMOOTHING) * old + SMOOTHING * new

    def record_render(self, key: str, units_per_frame: float, frames: int, fps: float, wall_seconds: float,
                      cpu_seconds: float | None = None, load: float | None = None):
        """A finished render: its steady speed ``fps``, its whole ``wall_seconds`` and, on a CPU, the
        ``cpu_seconds`` it used while the machine's ``load`` (others' runnable tasks) was as given."""
        if fps <= 0 or frames <= 0 or wall_seconds <= 0:
            return
        e = self._entry(key)
        first = e["renders"] == 0
        e["rate"] = self._blend(e["rate"], units_per_frame * fps, first)
        e["overhead"] = self._blend(e["overhead"], max(0.0, wall_seconds - frames / fps), first)
        if cpu_seconds and cpu_seconds > 0 and device_kind(key.rsplit("|", 1)[-1]) == "cpu":
            share = cpu_seconds / wall_seconds          # what the render really got, assumed steady
            first_cpu = "cpu_rate" not in e or not e.get("cpu_renders")
            e["cpu_rate"] = self._blend(e.get("cpu_rate", 0.0), units_per_frame * fps / share, first_cpu)
            e["cpu_overhead"] = self._blend(e.get("cpu_overhead", 0.0),
                                            max(0.0, wall_seconds - frames / fps) * share, first_cpu)
            factor = share / cpu_share(machine_load() if load is None else load)
            e["share_factor"] = self._blend(e.get("share_factor", 1.0), factor, first_cpu)
            e["cpu_renders"] = e.get("cpu_renders", 0) + 1
        e["renders"] += 1

    def record_preview(self, key: str, units: float, seconds: float, load: float | None = None):
        """A preview of ``units`` work took ``seconds``; it sets the rate only while no render did."""
        if units <= 0 or seconds <= 0:
            return
        e = self._entry(key)
        if e["renders"] == 0:
            e["rate"] = self._blend(e["rate"], units / seconds, e["previews"] == 0)
            if device_kind(key.rsplit("|", 1)[-1]) == "cpu":       # CPU seconds from the share it could get
                share = cpu_share(self.others_now() if load is None else load)
                e["cpu_rate"] = self._blend(e.get("cpu_rate", 0.0), units / (seconds * share), e["previews"] == 0)
        e["previews"] += 1

    def estimate(self, key: str, units: float, where: str, load: float | None = None) -> Estimate:
        """Seconds for ``units`` of work; a CPU key measured in CPU seconds uses the ``load`` now (default:
        the machine's load average)."""
        kind = device_kind(key.rsplit("|", 1)[-1])
        e = self.table.get(key)
        if e is None:
            return Estimate(DEFAULT_OVERHEAD[kind] + units / DEFAULT_RATE[kind], False, where)
        measured = bool(e["renders"] or e["previews"])
        if kind == "cpu" and e.get("cpu_rate"):
            threads = os.cpu_count() or 1          # no render gets more CPU seconds per second than its threads
            share = min(float(threads), cpu_share(self.others_now() if load is None else load)
                        * e.get("share_factor", 1.0))
            return Estimate((e.get("cpu_overhead", 0.0) + units / e["cpu_rate"]) / share, measured, where)
        return Estimate(e["overhead"] + units / e["rate"], measured, where)
