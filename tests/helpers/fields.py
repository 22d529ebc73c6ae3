"""Driving input fields as a user does: a wheel turn over a widget, a number typed and Enter."""
from __future__ import annotations

from savsr_app.qt import QApplication, QPoint, QPointF, Qt, QWheelEvent


def wheel(widget, steps: int = -3):
    """A wheel turn of ``steps`` notches over the middle of ``widget`` (negative: towards the user)."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre)), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(widget, event)


def type_number(qtbot, box, text: str):
    """Type ``text`` over the number in the spin box ``box`` and press Enter, as a user does."""
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)
