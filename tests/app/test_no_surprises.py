"""No setting changes by accident: the wheel over unfocused fields, out-of-range factors said aloud."""
from __future__ import annotations

from helpers.app_clips import open_clip
from helpers.fields import type_number, wheel


def test_the_wheel_over_unfocused_fields_changes_nothing(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    window.advanced_dock.show()
    pixels, factor = window.clip_panel.pixel_aspect, window.finetune_panel.form.scale_w
    factor.setValue(2.25)
    before = (pixels.currentIndex(), pixels.currentText(), factor.value(), window.state.archive)
    assert pixels.count() > 1
    for widget in (pixels, factor, window.clip_panel.deinterlace, window.scale_panel.w_factor):
        wheel(widget)
    assert (pixels.currentIndex(), pixels.currentText(), factor.value(), window.state.archive) == before
    assert window.state.scale.w == 2.0
    factor.setFocus()                   # clicked into: the wheel edits it, as a user expects
    qtbot.waitUntil(factor.hasFocus, timeout=5000)
    wheel(factor, 1)
    assert factor.value() != 2.25


def test_out_of_range_factors_say_the_range(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    panel = window.scale_panel
    type_number(qtbot, panel.w_factor, "10")
    assert window.state.scale.w == 4.0 and panel.w_factor.value() == 4.0
    assert window.notifier.text() == "Factors go from 1 to 4: 10 became 4."
    panel.link.setChecked(False)
    type_number(qtbot, panel.h_factor, "0")
    assert (window.state.scale.w, window.state.scale.h) == (4.0, 1.0)
    assert window.notifier.text() == "Factors go from 1 to 4: the height factor 0 became 1."
    panel.h_factor.stepBy(-3)           # the arrows stay inside the range, quietly
    assert panel.h_factor.value() == 1.0
    type_number(qtbot, panel.w_factor, "3.5")
    assert window.state.scale.w == 3.5
