"""The fine-tuning settings: name, base model, scales, budget and the expert fold."""
from __future__ import annotations

from dataclasses import asdict

from engine.scale import Scale
from engine.train.finetune import FinetuneSettings

from ..qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from .fields import RangedIntSpin, RangedSpin

MAX_SCALE = 4.0


def default_range(s_w: float, s_h: float) -> tuple[float, float]:
    """Training scales around the chosen factors: half a step below the smaller, above the larger."""
    lo, hi = min(s_w, s_h), max(s_w, s_h)
    return max(1.0, lo - 0.5), min(MAX_SCALE, hi + 0.5)


class FinetuneForm(QWidget):
    """A number typed outside a field's range is clamped, said under the fields and sent as ``notice``."""

    changed = Signal()
    notice = Signal(str)        # a typed value was clamped: the sentence says the range

    def __init__(self, models=None, parent=None):
        """``models()`` -> ``[(label, path)]`` of base models (path ``""``: the bundled model)."""
        super().__init__(parent)
        d = FinetuneSettings()
        self.models = models or (lambda: [("Bundled model", "")])
        self.name = QLineEdit()
        self.name.setPlaceholderText("name of the new model")
        self.name.setToolTip("The fine-tuned model is saved under this name in your model library")
        self.base = QComboBox()
        self.base.setToolTip("The model to start from: the bundled one, an imported one or an earlier fine-tune")
        factors = "Target factors go"
        self.scale_w = RangedSpin(1.0, MAX_SCALE, 2.0, 0.25, what=factors,
                                  tip="The width factor you will upscale by; validation uses it")
        self.scale_h = RangedSpin(1.0, MAX_SCALE, 2.0, 0.25, what=factors, tip="The height factor you will upscale by")
        scales = "Training scales go"
        self.range_lo = RangedSpin(1.0, MAX_SCALE, 1.5, 0.25, what=scales,
                                   tip="Smallest scale drawn during training (per axis)")
        self.range_hi = RangedSpin(1.0, MAX_SCALE, 2.5, 0.25, what=scales,
                                   tip="Largest scale drawn during training (per axis)")
        self.auto_range = True
        self.budget_kind = QComboBox()
        self.budget_kind.addItem("minutes", "minutes")
        self.budget_kind.addItem("steps", "steps")
        self.budget_kind.setToolTip("Train for a wall-clock time or for a number of optimiser steps")
        self.minutes = RangedSpin(0.5, 24 * 60, 5.0, 1.0, decimals=1, what="Minutes go",  # the unit is the list's
                                  typed_max=10 ** 6, tip="How long to train")
        self.steps = RangedIntSpin(1, 10 ** 6, 300, 50, what="Steps go", typed_max=10 ** 9,
                                   tip="How many optimiser steps to train")
        self.lr = RangedSpin(1e-6, 1e-2, d.lr, 1e-5, decimals=6, what="The learning rate goes",
                             tip="Learning rate. Lower is safer for a short fine-tune; the default suits a few minutes")
        self.patch = RangedIntSpin(8, 128, d.patch, 4, what="The patch size goes", unit="px",
                                   tip="Side of the low-resolution training crops. Larger sees more context but each "
                                       "step is slower; frames must be at least patch × highest scale on each side")
        self.batch = RangedIntSpin(2, 64, d.batch, 1, what="The batch size goes",
                                   tip="Crops per step (at least 2). Larger gives smoother steps and needs more memory")
        self.holdout = RangedIntSpin(5, 50, round(d.holdout * 100), 5, what="The held-out part goes", unit="%",
                                     tip="The last part of each clip kept out of training and used only to measure "
                                         "PSNR")
        self.notice_label = QLabel()
        self.notice_label.setObjectName("finetuneFieldNotice")
        self.notice_label.setWordWrap(True)
        self.notice_label.setStyleSheet("color: #e0a030;")
        self.notice_label.hide()
        self.train_bn = QCheckBox("Update BatchNorm layers")
        self.train_bn.setToolTip("Off (recommended): the normalisation statistics stay as in the base model, "
                                 "which keeps short fine-tunes stable")
        self.expert_button = QToolButton()
        self.expert_button.setText("Expert")
        self.expert_button.setCheckable(True)
        self.expert_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.expert_button.setArrowType(Qt.ArrowType.RightArrow)
        self.expert_button.setToolTip("Learning rate, patch and batch size, held-out part")
        self.expert = QWidget()
        self._layout()
        self.expert.setVisible(False)
        self.expert_button.toggled.connect(self._fold)
        self.budget_kind.currentIndexChanged.connect(lambda _i: self._budget_shown())
        for s in (self.scale_w, self.scale_h):
            s.valueChanged.connect(lambda _v: self._factors_edited())
        for s in (self.range_lo, self.range_hi):
            s.valueChanged.connect(lambda _v: self._range_edited())
        for w in (self.patch, self.range_hi, self.holdout, self.scale_w, self.scale_h):
            w.valueChanged.connect(lambda _v: self.changed.emit())
        self.base.currentIndexChanged.connect(lambda _i: self.changed.emit())
        for box in self.number_fields():
            box.valueChanged.connect(lambda _v: self.notice_label.hide())      # an edit after a notice
            box.clamped.connect(self._clamped)
        self._budget_shown()
        self.fill_models()

    def _layout(self):
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Name", self.name)
        form.addRow("Base model", self.base)
        factors = QHBoxLayout()
        factors.addWidget(QLabel("W"))
        factors.addWidget(self.scale_w)
        factors.addWidget(QLabel("H"))
        factors.addWidget(self.scale_h)
        form.addRow("Target factors", factors)
        rng = QHBoxLayout()
        rng.addWidget(self.range_lo)
        rng.addWidget(QLabel("to"))
        rng.addWidget(self.range_hi)
        form.addRow("Training scales", rng)
        budget = QHBoxLayout()
        budget.addWidget(self.minutes)
        budget.addWidget(self.steps)
        budget.addWidget(self.budget_kind)
        form.addRow("Train for", budget)
        expert = QFormLayout(self.expert)
        expert.setContentsMargins(16, 0, 0, 0)
        expert.addRow("Learning rate", self.lr)
        expert.addRow("Patch size", self.patch)
        expert.addRow("Batch size", self.batch)
        expert.addRow("Held out", self.holdout)
        expert.addRow(self.train_bn)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(form)
        lay.addWidget(self.expert_button)
        lay.addWidget(self.expert)
        lay.addWidget(self.notice_label)

    def number_fields(self) -> list:
        return [self.scale_w, self.scale_h, self.range_lo, self.range_hi, self.minutes, self.steps, self.lr,
                self.patch, self.batch, self.holdout]

    def _clamped(self, text: str):
        self.notice_label.setText(text)
        self.notice_label.show()
        self.notice.emit(text)

    def _fold(self, on: bool):
        self.expert.setVisible(on)
        self.expert_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def _budget_shown(self):
        by_steps = self.budget_kind.currentData() == "steps"
        self.steps.setVisible(by_steps)
        self.minutes.setVisible(not by_steps)

    def _factors_edited(self):
        if self.auto_range:
            lo, hi = default_range(self.scale_w.value(), self.scale_h.value())
            for spin, v in ((self.range_lo, lo), (self.range_hi, hi)):
                spin.blockSignals(True)
                spin.setValue(v)
                spin.blockSignals(False)
            self.changed.emit()

    def _range_edited(self):
        self.auto_range = False       # the user chose a range: factors no longer move it
        if self.range_lo.value() > self.range_hi.value():
            self.range_hi.setValue(self.range_lo.value())

    # ---- inputs from the window --------------------------------------------------------------
    def fill_models(self, selected: str | None = None):
        current = self.base.currentData() if selected is None else selected
        self.base.blockSignals(True)
        self.base.clear()
        for label, path in self.models():
            self.base.addItem(label, path)
        i = self.base.findData(current if current is not None else "")
        self.base.setCurrentIndex(max(0, i))
        self.base.blockSignals(False)

    def set_factors(self, s_w: float, s_h: float):
        self.scale_w.setValue(s_w)
        self.scale_h.setValue(s_h)

    # ---- what the panel reads ----------------------------------------------------------------
    def base_path(self) -> str | None:
        return self.base.currentData() or None

    def budget(self) -> tuple[float | None, int | None]:
        if self.budget_kind.currentData() == "steps":
            return None, self.steps.value()
        return self.minutes.value(), None

    def set_budget(self, minutes: float | None, steps: int | None):
        self.budget_kind.setCurrentIndex(1 if steps is not None else 0)
        if steps is not None:
            self.steps.setValue(steps)
        if minutes is not None:
            self.minutes.setValue(minutes)

    def settings(self) -> FinetuneSettings:
        return FinetuneSettings(scales=[list(Scale(self.scale_w.value(), self.scale_h.value()).network)],
                                scale_range=(self.range_lo.value(), self.range_hi.value()),
                                lr=self.lr.value(), patch=self.patch.value(), batch=self.batch.value(),
                                holdout=self.holdout.value() / 100.0, bn_eval=not self.train_bn.isChecked())


def settings_to_dict(s: FinetuneSettings) -> dict:
    d = asdict(s)
    d["scale_range"] = list(d["scale_range"]) if d["scale_range"] is not None else None
    return d


def settings_from_dict(d: dict) -> FinetuneSettings:
    d = dict(d)
    if d.get("scale_range") is not None:
        d["scale_range"] = tuple(d["scale_range"])
    return FinetuneSettings(**d)
