"""No setting changes by accident: the mouse wheel over a field that has no focus scrolls its panel.

Combo boxes, spin boxes and sliders take the wheel as an edit even when the pointer only passes over
them on the way down a scrolling panel. :func:`guard_wheel` installs one filter on every such widget
under a panel: an unfocused one lets the wheel go on to its parents (the scroll area), a focused one
(clicked or tabbed into) takes it as before.
"""
from __future__ import annotations

from ..qt import QAbstractSlider, QAbstractSpinBox, QComboBox, QEvent, QObject, Qt, QWidget

GUARDED = (QComboBox, QAbstractSpinBox, QAbstractSlider)


class WheelGuard(QObject):
    """The event filter: a wheel event on an unfocused widget is ignored, so Qt passes it to the parent."""

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Wheel and isinstance(obj, QWidget) and not obj.hasFocus():
            event.ignore()
            return True
        return False


def guard_wheel(root: QWidget, guard: WheelGuard) -> int:
    """Install ``guard`` on every combo box, spin box and slider under ``root`` (once each), and let
    the wheel no longer give them focus. Returns how many widgets were guarded."""
    widgets = [w for kind in GUARDED for w in root.findChildren(kind)]
    for w in widgets:
        if w.property("wheelGuarded"):
            continue
        w.setProperty("wheelGuarded", True)
        if w.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        w.installEventFilter(guard)
    return len(widgets)
