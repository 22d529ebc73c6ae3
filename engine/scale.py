"""Scale factors: one value type, one size rule, and the grid step of a factor.

:class:`Scale` is the pair of factors that crosses the program from the scale panel to the
network. It has named fields (``w`` widens, ``h`` heightens), so nothing swaps a tuple by hand,
and the one rule for the output size: ``floor(n * s + 0.5)`` per side (half up), with the even
adjustment a codec's chroma subsampling asks for. The network itself takes ``(s_h, s_w)``
(:attr:`Scale.network`) and sizes its output with the authors' ``round()``
(:func:`engine.arch.upsampler.output_size`); :meth:`Scale.exact` gives the factors at which both
rules agree on a planned size, and those are what the render and the preview run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

STEPS = (1, 2, 5, 10, 20, 50)


def scale_step(s: float) -> int:
    for step in STEPS:
        if abs(step * s - round(step * s)) < 1e-6:
            return step
    return STEPS[-1]


def scaled(n: int, s: float) -> int:
    """``n`` pixels at factor ``s``: the nearest whole size, halves up (3 px at 1.5 -> 5)."""
    return math.floor(n * s + 0.5)


def even_size(exact: float, n: int, lo: int, hi: int) -> int:
    """The even size nearest ``exact`` within ``lo..hi`` (``n``: the odd rounded size; ties go up)."""
    candidates = [c for c in (n - 1, n + 1) if lo <= c <= hi] or [n + 1]
    return min(candidates, key=lambda c: (abs(c - exact), -c))


@dataclass(frozen=True)
class Scale:
    """Factors per axis: output width = ``w`` x input width, output height = ``h`` x input height."""
    w: float = 2.0
    h: float = 2.0

    @classmethod
    def of(cls, value) -> Scale:
        """A :class:`Scale` from a ``Scale``, one number (both sides) or a :meth:`network` tuple ``(s_h, s_w)``."""
        if isinstance(value, Scale):
            return value
        if isinstance(value, (int, float)):
            return cls(float(value), float(value))
        s_h, s_w = value
        return cls(float(s_w), float(s_h))

    @classmethod
    def exact(cls, in_hw: tuple[int, int], out_hw: tuple[int, int]) -> Scale:
        """The factors that take an ``in_hw`` frame to exactly ``out_hw`` (``(h, w)`` pairs)."""
        return cls(out_hw[1] / in_hw[1], out_hw[0] / in_hw[0])

    @property
    def network(self) -> tuple[float, float]:
        """``(s_h, s_w)``: the order the network, tiling and training take."""
        return self.h, self.w

    @property
    def linked(self) -> bool:
        return abs(self.w - self.h) < 1e-9

    def turned(self, rotation: int) -> Scale:
        """The same factors for frames turned by ``rotation`` degrees (a quarter turn swaps the axes)."""
        return Scale(self.h, self.w) if rotation % 180 else self

    def output_size(self, h: int, w: int, even: tuple[bool, bool] = (False, False),
                    limits: tuple[float, float] | None = None) -> tuple[int, int]:
        """``(H, W)`` for an ``h x w`` input; ``even = (height, width)`` moves an odd side to the
        nearest even size, within ``limits = (lowest, highest factor)`` when given."""
        out = [scaled(h, self.h), scaled(w, self.w)]
        for i, (n, s) in enumerate(((h, self.h), (w, self.w))):
            if even[i] and out[i] % 2:
                lo, hi = (math.ceil(n * limits[0]), math.floor(n * limits[1])) if limits else (2, out[i] + 1)
                out[i] = even_size(n * s, out[i], lo, hi)
        return out[0], out[1]

    def label(self) -> str:
        """``2.5 x 1.75`` (width first), or ``2`` when linked."""
        return f"{self.w:g}" if self.linked else f"{self.w:g} x {self.h:g}"


def fit_factors(target: tuple[int, int], size: tuple[float, float]) -> tuple[float, float]:
    """Factors (w, h) that make ``size`` the ``target`` size (both w, h); a source of another shape
    fits inside the target with its aspect kept (one factor for both)."""
    s_w, s_h = target[0] / size[0], target[1] / size[1]
    if abs(s_w - s_h) > 0.02 * max(s_w, s_h):
        s_w = s_h = min(s_w, s_h)
    return s_w, s_h
