"""The flip key held past the keyboard's repeat delay is one press: flipped while held, back when let go."""
from __future__ import annotations

import time

from PySide6.QtTest import QTest

from savsr_app.preview.area import HOLD_S
from savsr_app.qt import QApplication, Qt

KEY, NONE = Qt.Key.Key_Backslash.value, Qt.KeyboardModifier.NoModifier


def key(widget, press: bool, repeat: bool = False):
    """The flip key going down or up as the window system reports it (``repeat``: the keyboard's auto-repeat)."""
    QTest.simulateEvent(widget, press, KEY, NONE, "\\", repeat)
    QApplication.processEvents()


def test_holding_the_flip_key_compares_and_auto_repeat_does_not_flip_again(qtbot, window):
    images, area = window.preview.images, window.preview
    key(area, True)
    assert images.flipped
    for _ in range(6):                      # the key held: the keyboard repeats it every 60 ms
        time.sleep(HOLD_S / 5)
        key(area, False, repeat=True)
        key(area, True, repeat=True)
        assert images.flipped
    key(area, False)                        # let go: back to how it was
    assert not images.flipped
    key(area, True)                         # a tap flips and stays
    key(area, False)
    assert images.flipped
