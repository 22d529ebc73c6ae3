"""One progress throttle for the app's workers (render and fine-tune). No Qt here.

Engine callbacks can fire hundreds of times a second; each signal they become is an event the
UI thread must handle. :class:`Throttle` gathers the reports and hands them on together at most
every ``interval`` seconds (about 10 Hz), so the UI stays fluid and no report is lost: the
render worker shows the newest of a batch, the fine-tune worker plots every loss in it.
"""
from __future__ import annotations

import time
from collections.abc import Callable

PROGRESS_INTERVAL = 0.1


class Throttle:
    """``add(item)`` gathers; ``send(batch)`` is called with the gathered items (oldest first) when
    ``interval`` seconds have passed since the last batch, at once for ``add(item, now=True)``,
    or on :meth:`flush`. The first item goes out at once."""

    def __init__(self, send: Callable[[list], None], interval: float = PROGRESS_INTERVAL,
                 clock: Callable[[], float] | None = None):
        self.send, self.interval, self.clock = send, interval, clock or time.monotonic
        self._items: list = []
        self._last = float("-inf")

    def add(self, item, now: bool = False) -> None:
        self._items.append(item)
        if now or self.clock() - self._last >= self.interval:
            self.flush()

    def flush(self) -> None:
        """Send what is gathered now (nothing if nothing is)."""
        if self._items:
            batch, self._items = self._items, []
            self._last = self.clock()
            self.send(batch)

    @property
    def pending(self) -> int:
        return len(self._items)
