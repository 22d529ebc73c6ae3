"""Background work giving way to a computing preview: the check the render and fine-tune tests share."""
from __future__ import annotations

import time
from collections.abc import Callable

from engine.foreground import foreground


def held_during_a_preview(count: Callable[[], int], started: int = 1, settle: float = 0.4, hold: float = 0.8,
                          timeout: float = 120.0) -> int:
    """Once ``count()`` (units of background work finished: frames, tiles, steps) reaches ``started``,
    act as a computing preview (:meth:`foreground.active`): after ``settle`` seconds for the unit in
    flight, no further unit may finish during ``hold`` seconds. Returns the count it held at."""
    deadline = time.monotonic() + timeout
    while count() < started and time.monotonic() < deadline:
        time.sleep(0.005)
    with foreground.active():
        time.sleep(settle)                      # the unit in flight finishes
        held = count()
        time.sleep(hold)
        assert count() == held                  # no further unit meanwhile
    return held
