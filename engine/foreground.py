"""The preview comes first: background work (renders, fine-tunes) gives way while a preview computes.

The preview wraps its network calls in ``with foreground.active():``; a render calls
:func:`yield_to_foreground` between frames and tiles, which waits while a preview is computing (up
to ``limit`` seconds, so a preview that never ends cannot stall a render) and returns at once
otherwise. A render's network is also *preempted* (:class:`Preempted`, within one layer on torch,
within milliseconds on OpenVINO): its tile is dropped, the render waits, then computes that tile
again. Both sides share the CPU cores or the GPU, so the preview's first tile then costs what it
costs on an idle machine instead of sharing the cores with the rest of a render's tile. No Qt here.
"""
from __future__ import annotations

import contextlib
import threading
import time

GIVE_WAY_S = 30.0   # the longest a background frame waits for previews


class Preempted(Exception):
    """Background network work stopped part-way because a preview started: wait, then redo it."""


class Foreground:
    """Counts the foreground computations in progress; :meth:`wait` blocks while there are any."""

    def __init__(self):
        self._count = 0
        self._lock = threading.Condition()
        self.yielded = 0.0          # seconds background work spent waiting (for tests and logs)
        self._mirrors: list = []    # events set while busy: worker processes read them

    @contextlib.contextmanager
    def active(self):
        with self._lock:
            self._count += 1
            for event in self._mirrors:
                event.set()
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1
                if not self._count:
                    for event in self._mirrors:
                        event.clear()
                self._lock.notify_all()

    @contextlib.contextmanager
    def mirrored(self, event):
        """While active, ``event`` (a multiprocessing Event) is set whenever foreground work runs, so
        renders in worker processes give way to this process's previews too."""
        with self._lock:
            self._mirrors.append(event)
            event.set() if self._count else event.clear()
        try:
            yield event
        finally:
            with self._lock:
                self._mirrors.remove(event)

    @property
    def busy(self) -> bool:
        return self._count > 0

    def wait(self, limit: float = GIVE_WAY_S) -> float:
        """Wait while foreground work runs (at most ``limit`` s); the seconds waited."""
        if not self._count:
            return 0.0
        t0 = time.monotonic()
        with self._lock:
            self._lock.wait_for(lambda: self._count == 0, timeout=limit)
        waited = time.monotonic() - t0
        self.yielded += waited
        return waited


foreground = Foreground()


def wait_for_event_clear(event, limit: float = GIVE_WAY_S) -> float:
    """In a worker process: wait while the parent's foreground work runs (its mirrored ``event`` is
    set), at most ``limit`` seconds; the seconds waited."""
    if not event.is_set():
        return 0.0
    t0 = time.monotonic()
    while event.is_set() and time.monotonic() - t0 < limit:
        time.sleep(0.02)
    return time.monotonic() - t0


def yield_to_foreground(limit: float = GIVE_WAY_S) -> float:
    """Between two frames of background work: give way to a computing preview; seconds waited."""
    return foreground.wait(limit)


@contextlib.contextmanager
def interrupted(model, stop, error):
    """While active, every layer of ``model`` called on this thread first checks ``stop()`` and
    raises ``error()`` if it is true: the forward pass ends within one layer.
    Other threads (a backend tracing the same modules) are not checked."""
    owner = threading.get_ident()

    def check(_module, _inputs):
        if threading.get_ident() == owner and stop():
            raise error()

    check(model, ())
    handles = [m.register_forward_pre_hook(check) for m in model.modules()]
    try:
        yield
    finally:
        for h in handles:
            h.remove()
