"""Scale factors: the grid step of a factor (where output and input pixel grids line up again)."""
from __future__ import annotations

STEPS = (1, 2, 5, 10, 20, 50)


def scale_step(s: float) -> int:
    for step in STEPS:
        if abs(step * s - round(step * s)) < 1e-6:
            return step
    return STEPS[-1]
