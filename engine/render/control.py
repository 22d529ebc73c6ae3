"""Talking to a running render: cooperative cancel/pause, and throttled progress reports."""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import SavsrError


class RenderCancelled(SavsrError):
    """The render was cancelled; nothing was left at the output path."""


class RenderStopped(RenderCancelled):
    """The render was stopped with its finished segments kept, to be resumed later."""


class ResumableError(SavsrError):
    """A render that failed with ``kept`` finished frames left in its work folder for a resume.

    The message says what happened and what is kept; the caller says how to continue, in its own
    words (the CLI: run the command again with ``--resume``; the app: Retry)."""

    def __init__(self, message: str, kept: int = 0):
        super().__init__(message + (f"; the {kept} finished frames are kept" if kept else ""))
        self.kept = kept


class RenderControl:
    """Cancel and pause a render from another thread (a GUI button, a signal handler).

    The render calls :meth:`checkpoint` between frames: it raises :class:`RenderCancelled`
    after :meth:`cancel` (the work is thrown away) or :class:`RenderStopped` after :meth:`stop`
    (the finished segments are kept for a resume), and blocks while paused.
    """

    def __init__(self):
        self._keep = False
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self):
        self._cancel.set()
        self._running.set()  # wake a paused render so it can stop

    def stop(self):
        """Cancel, keeping what is finished so that the render can resume later."""
        self._keep = True
        self.cancel()

    def pause(self):
        self._running.clear()

    def resume(self):
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def checkpoint(self) -> float:
        """Raise if cancelled; wait while paused. Returns the seconds spent paused."""
        waited = 0.0
        if self.paused and not self.cancelled:
            t0 = time.monotonic()
            while not self._running.wait(0.2):
                pass
            waited = time.monotonic() - t0
        if self.cancelled:
            if self._keep:
                raise RenderStopped("render stopped; the finished segments are kept for a resume")
            raise RenderCancelled("render cancelled")
        return waited


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    fps: float
    eta_seconds: float | None
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class ProgressMeter:
    """Turns "one more frame" into :class:`Progress` reports, at most ``rate`` per second.

    The speed is measured over the last ``window`` frames, so it follows changes (a tile
    size change, a busy machine); paused time does not count. The ETA waits for ``TIMED_FRAMES``
    frames timed after the first one of this run (which also pays for loading and preparing the
    network, and made a first ETA of 1:02:00 for a 9-minute job): until then it is ``None``
    ("estimating"), then it comes from those frames' speed alone.
    """

    TIMED_FRAMES = 2

    def __init__(self, total: int, callback: Callable[[Progress], None] | None, rate: float = 10.0,
                 window: int = 30, done: int = 0):
        self.total, self.callback, self.interval = total, callback, 1.0 / rate
        self.done, self._paused = done, 0.0   # ``done``: frames finished before (a resumed render)
        self._start = time.monotonic()
        self._times: deque = deque([(done, self._start)], maxlen=window + 1)
        self._timed: deque = deque(maxlen=window + 1)   # (done, time) from the first frame of this run on
        self._last_report = 0.0

    def paused(self, seconds: float):
        self._paused += seconds
        self._times = deque(((n, t + seconds) for n, t in self._times), maxlen=self._times.maxlen)
        self._timed = deque(((n, t + seconds) for n, t in self._timed), maxlen=self._timed.maxlen)

    def fps(self) -> float:
        (n0, t0), (n1, t1) = self._times[0], self._times[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 and n1 > n0 else 0.0

    def eta(self) -> float | None:
        """Seconds left at the speed of the frames after this run's first one; ``None`` until
        ``TIMED_FRAMES`` of them are timed."""
        if self.done >= self.total:
            return 0.0
        if len(self._timed) < 2:
            return None
        (n0, t0), (n1, t1) = self._timed[0], self._timed[-1]
        if n1 - n0 < self.TIMED_FRAMES or t1 <= t0:
            return None
        return (self.total - self.done) * (t1 - t0) / (n1 - n0)

    def elapsed(self) -> float:
        return time.monotonic() - self._start - self._paused

    def report(self, message: str = "", force: bool = False):
        now = time.monotonic()
        if self.callback is None or (not force and now - self._last_report < self.interval):
            return
        self._last_report = now
        self.callback(Progress(self.done, self.total, self.fps(), self.eta(), message))

    def step(self, message: str = ""):
        self.done += 1
        now = time.monotonic()
        self._times.append((self.done, now))
        self._timed.append((self.done, now))
        self.report(message, force=self.done == self.total)
