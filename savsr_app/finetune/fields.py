"""Number fields that say their range: a value typed outside it is clamped and the field says so.

A plain spin box refuses the keystroke that leaves its range (typing 10 into a 1-4 field leaves 1)
or reverts on Enter, without a word. These fields take any number typed; on Enter or when the focus
leaves, one outside the range is replaced by the nearest end and :attr:`clamped` carries the
sentence (``Target factors go from 1 to 4: 10 became 4.``), as the scale panel says it. Arrows, keys
and the wheel step within the range, and a value set by the program is clamped quietly.
"""
from __future__ import annotations

from ..qt import QAbstractSpinBox, QDoubleSpinBox, QSpinBox, Qt, Signal

ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def number_text(value: float, decimals: int = 6) -> str:
    """``4.0`` -> ``4``, ``1e-06`` -> ``0.000001``, ``2.25`` -> ``2.25``."""
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class _Ranged:
    """What both field kinds share; ``lo``/``hi`` is the range, the box's own range only bounds typing."""

    lo: float
    hi: float
    what: str           # the sentence's subject: "Target factors go", "The patch size goes"
    unit: str

    def _init_range(self, lo, hi, value, step, what: str, unit: str, typed_max, tip: str):
        self.lo, self.hi, self.what, self.unit = lo, hi, what, unit
        super().setRange(type(lo)(0), typed_max)
        self.setKeyboardTracking(False)    # a typed number counts on Enter or when the focus leaves
        self.setSingleStep(step)
        self.setValue(value)
        if unit:
            self.setSuffix(f" {unit}")
        self.setToolTip(f"{tip} ({self.range_text()})" if tip else self.range_text())

    def range_text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{number_text(self.lo)} to {number_text(self.hi)}{unit}"

    def setValue(self, value):
        super().setValue(min(self.hi, max(self.lo, value)))

    def stepEnabled(self):
        v, flags = self.value(), QAbstractSpinBox.StepEnabledFlag
        enabled = flags.StepNone
        if v < self.hi:
            enabled |= flags.StepUpEnabled
        if v > self.lo:
            enabled |= flags.StepDownEnabled
        return enabled

    def stepBy(self, steps: int):
        self.setValue(self.value() + steps * self.singleStep())

    def _clamp_typed(self):
        """Before the box reads its text: an out-of-range number becomes the nearest end, and is said."""
        typed, ok = self.locale().toDouble(self.cleanText())
        if not ok:
            return          # not a number: the box itself reverts it
        kept = type(self.lo)(min(self.hi, max(self.lo, typed)))
        if kept == typed:
            return
        self.lineEdit().setText(self.textFromValue(kept))
        self.interpretText()
        unit = f" {self.unit}" if self.unit else ""
        self.clamped.emit(f"{self.what} from {self.range_text()}: {number_text(typed)}{unit} became "
                          f"{number_text(kept)}{unit}.")

    def keyPressEvent(self, event):
        if event.key() in ENTER:
            self._clamp_typed()
        super().keyPressEvent(event)

    def focusOutEvent(self, event):
        self._clamp_typed()
        super().focusOutEvent(event)


class RangedSpin(_Ranged, QDoubleSpinBox):
    clamped = Signal(str)

    def __init__(self, lo: float, hi: float, value: float, step: float, *, what: str, unit: str = "",
                 decimals: int = 2, typed_max: float | None = None, tip: str = ""):
        super().__init__()
        self.setDecimals(decimals)      # before the range and value, which it rounds
        self._init_range(float(lo), float(hi), value, step, what, unit, typed_max or max(999.0, hi * 10), tip)


class RangedIntSpin(_Ranged, QSpinBox):
    clamped = Signal(str)

    def __init__(self, lo: int, hi: int, value: int, step: int = 1, *, what: str, unit: str = "",
                 typed_max: int | None = None, tip: str = ""):
        super().__init__()
        self._init_range(int(lo), int(hi), value, step, what, unit, typed_max or max(999, hi * 10), tip)
