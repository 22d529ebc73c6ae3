"""Scale: width and height factors, a link toggle, target size in pixels, presets, output size.

The factors are the application state's (:attr:`~savsr_app.state.app_state.AppState.scale`), held
at full precision (a typed 1920 px gives exactly 1920 / source width); the spin boxes show them
rounded. The pixel fields and the factors follow each other both ways.
"""
from __future__ import annotations

from engine.render.job import MAX_SCALE, MIN_SCALE
from engine.scale import Scale

from ..qt import (
    QAbstractSpinBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
    icon,
)
from ..state.app_state import fit_factors

PRESETS = (  # label, tooltip, kind, values
    ("2x", "Twice the width and height", "factors", (2.0, 2.0)),
    ("1080p", "1920 x 1080 for 16:9 sources; other shapes fit inside it, aspect kept", "size", (1920, 1080)),
    ("4K UHD", "3840 x 2160 for 16:9 sources; other shapes fit inside it, aspect kept", "size", (3840, 2160)),
    ("4:3 → 16:9", "Anamorphic: stretch the width 4/3 more than the height (4:3 frames become 16:9)",
     "anamorphic", (4 / 3, 1.0)),
)


TYPED_MAX = 999.0     # a factor field takes any number typed up to this; one outside the range is said and clamped


class FactorBox(QDoubleSpinBox):
    """A factor field that takes any number typed (so that 10 or 0 reach the panel, which says the
    range), while its arrows, keys and wheel step only within ``MIN_SCALE`` to ``MAX_SCALE``."""

    def stepEnabled(self):
        v, flags = self.value(), QAbstractSpinBox.StepEnabledFlag
        enabled = flags.StepNone
        if v < MAX_SCALE:
            enabled |= flags.StepUpEnabled
        if v > MIN_SCALE:
            enabled |= flags.StepDownEnabled
        return enabled

    def stepBy(self, steps: int):
        self.setValue(min(MAX_SCALE, max(MIN_SCALE, self.value() + steps * self.singleStep())))


def range_notice(typed: tuple[float, float], kept: tuple[float, float]) -> str:
    """What the user is told when a typed factor is outside the network's range: ``typed`` and the
    factors ``kept`` (clamped), width first; ``""`` when nothing was clamped."""
    clamped = [(axis, t, k) for axis, t, k in zip(("width", "height"), typed, kept, strict=True)
               if abs(t - k) > 1e-6]
    if not clamped:
        return ""
    if len(clamped) == 2 and clamped[0][1:] == clamped[1][1:]:      # linked: one number typed
        said = f"{clamped[0][1]:g} became {clamped[0][2]:g}"
    else:
        said = ", ".join(f"the {axis} factor {t:g} became {k:g}" for axis, t, k in clamped)
    return f"Factors go from {MIN_SCALE:g} to {MAX_SCALE:g}: {said}."


class ScalePanel(QWidget):
    """Edits write ``state``'s factors (an :class:`~savsr_app.state.app_state.AppState`); the panel shows
    them, and the output line of the job the state planned, whenever they change. A factor typed
    outside the network's range is clamped and said through ``notice`` (text, kind)."""

    notice = Signal(str, str)

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.source: tuple[float, float] | None = None  # (w, h) the factors multiply (set_source)
        self._updating = False
        self.w_factor = self._factor_box("Width factor: output width / source width")
        self.h_factor = self._factor_box("Height factor: output height / source height")
        self.w_px = self._px_box("Output width in pixels")
        self.h_px = self._px_box("Output height in pixels")
        self.link = QToolButton()
        self.link.setCheckable(True)
        self.link.setChecked(True)
        self.link.setAutoRaise(True)
        self.link.setToolTip("Link the factors (same factor for width and height)")
        self.link.toggled.connect(self._link_toggled)
        self.output_label = QLabel()
        self.output_label.setObjectName("outputSize")
        self.output_label.setWordWrap(True)
        self.note_label = QLabel()
        self.note_label.setObjectName("outputNote")
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("color: palette(mid);")
        self._layout()
        self.w_factor.valueChanged.connect(lambda v: self._factor_edited("w", v))
        self.h_factor.valueChanged.connect(lambda v: self._factor_edited("h", v))
        self.w_px.valueChanged.connect(lambda v: self._px_edited("w", v))
        self.h_px.valueChanged.connect(lambda v: self._px_edited("h", v))
        self._link_toggled(True)
        self.set_source(None)
        state.scaleChanged.connect(self._scale_changed)
        state.jobChanged.connect(self.show_plan)

    # ---- construction ------------------------------------------------------------------------
    def _factor_box(self, tip: str) -> FactorBox:
        box = FactorBox()
        box.setRange(0.0, TYPED_MAX)
        box.setDecimals(3)
        box.setSingleStep(0.05)
        box.setValue(2.0)
        box.setPrefix("× ")
        box.setKeyboardTracking(False)
        box.setToolTip(tip + f" ({MIN_SCALE:.2f} to {MAX_SCALE:.2f}; type any value)")
        box.setMinimumWidth(90)
        return box

    def _px_box(self, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(1, 65536)
        box.setSuffix(" px")
        box.setKeyboardTracking(False)
        box.setToolTip(tip + "; the factor follows")
        box.setMinimumWidth(90)
        return box

    def _layout(self):
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.addWidget(QLabel("Width"), 0, 0)
        grid.addWidget(self.w_factor, 0, 1)
        grid.addWidget(QLabel("↔"), 0, 2, alignment=Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(self.w_px, 0, 3)
        grid.addWidget(QLabel("Height"), 1, 0)
        grid.addWidget(self.h_factor, 1, 1)
        grid.addWidget(QLabel("↔"), 1, 2, alignment=Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(self.h_px, 1, 3)
        grid.addWidget(self.link, 0, 4, 2, 1, alignment=Qt.AlignmentFlag.AlignVCenter)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        presets = QHBoxLayout()
        presets.setSpacing(4)
        self.preset_buttons = {}
        for label, tip, kind, values in PRESETS:
            b = QPushButton(label)
            b.setToolTip(tip)
            b.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _c=False, k=kind, v=values: self.apply_preset(k, v))
            presets.addWidget(b)
            self.preset_buttons[label] = b
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addLayout(presets)
        layout.addWidget(self.output_label)
        layout.addWidget(self.note_label)

    # ---- state -------------------------------------------------------------------------------
    @property
    def linked(self) -> bool:
        return self.link.isChecked()

    def set_source(self, size: tuple[float, float] | None):
        """The size (w, h) the factors multiply, or ``None`` when no clip is open: the clip's display
        size, or its picture in square pixels for a non-square source made square
        (:meth:`~savsr_app.state.app_state.AppState.source_size`, as the engine plans it)."""
        self.source = size
        self._updating = True       # range changes clamp the pixel boxes: not user edits
        for w in (self.w_px, self.h_px, *self.preset_buttons.values()):
            w.setEnabled(size is not None)
        for box in (self.w_px, self.h_px):
            box.setSpecialValueText("" if size is not None else "–")
            if size is None:
                box.setRange(0, 0)
        if size is not None:
            self.w_px.setRange(max(1, round(size[0] * MIN_SCALE)), round(size[0] * MAX_SCALE))
            self.h_px.setRange(max(1, round(size[1] * MIN_SCALE)), round(size[1] * MAX_SCALE))
            for label, tip, kind, values in PRESETS:
                ok = self._preset_factors(kind, values) is not None
                self.preset_buttons[label].setEnabled(ok)
                self.preset_buttons[label].setToolTip(tip if ok else f"{tip} (needs a factor outside "
                                                      f"{MIN_SCALE:g} to {MAX_SCALE:g} for this clip)")
        self._updating = False
        self._show()

    def set_factors(self, s_w: float, s_h: float):
        """Set both factors (clamped to the network's range); different ones unlink them."""
        self._apply(s_w, s_h)

    def _scale_changed(self, scale: Scale):
        if self.linked and not scale.linked:
            self._updating = True
            self.link.setChecked(False)
            self._updating = False
        self._show()

    def output_size(self) -> tuple[int, int] | None:
        if self.source is None:
            return None
        h, w = self.state.scale.output_size(self.source[1], self.source[0])
        return w, h

    def set_output_text(self, text: str, note: str = ""):
        self.output_label.setText(text)
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))

    def show_plan(self):
        """The output line for the job the state would queue now, as it planned it: size, frames, and
        the engine's notes (rounding below, all of them in the tooltip) or why it refuses."""
        state = self.state
        if state.planned is None:
            return
        w, h = state.clip.display_size
        sw, sh = (round(v) for v in state.source_size())
        source = f"{w} × {h}" + (f", shown {sw} × {sh}" if (sw, sh) != (w, h) else "")
        p = state.planned.plan
        if p is None:
            ow, oh = state.output_size()
            self.set_output_text(f"Output: {ow} × {oh} (from {source})", str(state.planned.error))
            return
        ow, oh = p.display_out_size
        sizes = [n for n in p.notes if "rounded to" in n]
        cost = state.cost_text()
        self.set_output_text(f"Output: {ow} × {oh} (from {source}), {p.frame_count} frames"
                             + (f", {cost}" if cost else ""), "; ".join(sizes))
        self.output_label.setToolTip("\n".join(p.notes) or "No adjustments needed")

    # ---- edits -------------------------------------------------------------------------------
    def _factor_edited(self, which: str, value: float):
        if self._updating:
            return
        scale = self.state.scale
        s_w, s_h = (value, scale.h) if which == "w" else (scale.w, value)
        if self.linked:
            s_w = s_h = value
        self._apply(s_w, s_h)

    def _px_edited(self, which: str, value: int):
        if self._updating or self.source is None:
            return
        scale = self.state.scale
        if which == "w":
            s_w = value / self.source[0]
            s_h = s_w if self.linked else scale.h
        else:
            s_h = value / self.source[1]
            s_w = s_h if self.linked else scale.w
        self._apply(s_w, s_h)

    def _apply(self, s_w: float, s_h: float, target: tuple[int, int] | None = None):
        """Write the factors, clamped, to the state (which shows them here); the same ones show again.
        A clamped factor is said (``notice``). ``target``: the size a preset named, for other clips."""
        scale = Scale(min(MAX_SCALE, max(MIN_SCALE, float(s_w))), min(MAX_SCALE, max(MIN_SCALE, float(s_h))))
        said = range_notice((float(s_w), float(s_h)), (scale.w, scale.h))
        if said:
            self.notice.emit(said, "info")
        if scale != self.state.scale:
            self.state.set_scale(scale, target)
        else:
            self.state.target = target
            self._show()            # a clamped or rounded edit: the boxes go back to the state's factors

    def _link_toggled(self, on: bool):
        self.link.setIcon(icon("mdi6.link-variant" if on else "mdi6.link-variant-off"))
        scale = self.state.scale
        if on and not scale.linked and not self._updating:
            self._apply(scale.w, scale.w)

    def _preset_factors(self, kind: str, values) -> tuple[float, float] | None:
        if kind == "factors":
            return values
        if self.source is None:
            return None
        if kind == "size":
            s_w, s_h = fit_factors(values, self.source)     # other aspect: fit inside, keep the aspect
        else:
            s_h = self.state.scale.h
            s_w = s_h * values[0] / values[1]
        ok = MIN_SCALE - 1e-9 <= s_w <= MAX_SCALE + 1e-9 and MIN_SCALE - 1e-9 <= s_h <= MAX_SCALE + 1e-9
        return (s_w, s_h) if ok else None

    def follow_target(self):
        """A new clip or pixel shape while a size preset holds: the preset's size again, where the
        factors allow it (else the factors stay)."""
        target = self.state.target
        factors = self._preset_factors("size", target) if target is not None else None
        if factors is not None:
            self._apply(*factors, target)

    def apply_preset(self, kind: str, values):
        factors = self._preset_factors(kind, values)
        if factors is None:
            return
        s_w, s_h = factors
        self._updating = True
        self.link.setChecked(abs(s_w - s_h) < 1e-9)
        self._updating = False
        self._apply(s_w, s_h, tuple(values) if kind == "size" else None)

    def _show(self):
        self._updating = True
        try:
            self.w_factor.setValue(self.state.scale.w)
            self.h_factor.setValue(self.state.scale.h)
            size = self.output_size()
            if size is not None:
                self.w_px.setValue(size[0])
                self.h_px.setValue(size[1])
            else:
                self.set_output_text("Output: open a clip to see the output size")
        finally:
            self._updating = False
