"""The fine-tune panel's number fields: a value typed outside a field's range is clamped and the
range is said (in the panel and as the window's notification); the wheel over them changes nothing."""
from __future__ import annotations

from helpers.fields import type_number, wheel


def test_typed_values_outside_a_range_are_clamped_and_the_range_is_said(qtbot, window):
    window.advanced_dock.show()
    form = window.finetune_panel.form
    form.expert_button.setChecked(True)
    type_number(qtbot, form.scale_w, "10")
    assert form.scale_w.value() == 4.0
    assert window.notifier.text() == "Target factors go from 1 to 4: 10 became 4."
    assert form.notice_label.isVisible() and form.notice_label.text() == window.notifier.text()
    assert form.range_hi.value() == 4.0                # the training scales followed the clamped factor
    for box, typed, kept, said in (
            (form.patch, "300", 128, "The patch size goes from 8 to 128 px: 300 px became 128 px."),
            (form.batch, "1", 2, "The batch size goes from 2 to 64: 1 became 2."),
            (form.holdout, "90", 50, "The held-out part goes from 5 to 50 %: 90 % became 50 %."),
            (form.lr, "0.5", 0.01, "The learning rate goes from 0.000001 to 0.01: 0.5 became 0.01."),
            (form.range_lo, "0", 1.0, "Training scales go from 1 to 4: 0 became 1.")):
        type_number(qtbot, box, typed)
        assert box.value() == kept and window.notifier.text() == said
    assert form.settings().patch == 128 and form.settings().holdout == 0.5
    type_number(qtbot, form.batch, "8")               # a value inside the range: taken, the notice goes
    assert form.batch.value() == 8 and not form.notice_label.isVisible()
    form.patch.stepBy(5)                               # the arrows stay inside the range, quietly
    assert form.patch.value() == 128 and not form.notice_label.isVisible()


def test_the_wheel_over_the_unfocused_fine_tune_fields_changes_nothing(qtbot, window):
    window.advanced_dock.show()
    form = window.finetune_panel.form
    form.expert_button.setChecked(True)
    fields = [*form.number_fields(), form.base, form.budget_kind]
    before = [w.value() if hasattr(w, "value") else w.currentIndex() for w in fields]
    for w in fields:
        wheel(w, 3)
        wheel(w, -3)
    assert [w.value() if hasattr(w, "value") else w.currentIndex() for w in fields] == before
    form.patch.setFocus()                              # clicked into: the wheel edits it
    qtbot.waitUntil(form.patch.hasFocus, timeout=5000)
    wheel(form.patch, 1)
    assert form.patch.value() == before[7] + 4
