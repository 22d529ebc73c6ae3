"""The open clip's facts (size, pixel aspect, frame rate, field order, timecode, duration, codec,
audio, colour) and the choices that belong to the source: deinterlacing, its pixel aspect, and
whether the output is made of square pixels. The engine's note on what it does is shown below."""
from __future__ import annotations

from pathlib import Path

from engine.errors import SavsrError
from engine.video import aspect

from ..preview.transport import timecode
from ..qt import QCheckBox, QComboBox, QFormLayout, QLabel, Qt, QVBoxLayout, QWidget, Signal
from ..state.app_state import ArchiveChoice

FIELDS = ("File", "Size", "Pixel aspect", "Frame rate", "Field order", "Timecode", "Duration", "Codec", "Audio",
          "Colour")
FIELD_ORDERS = {"progressive": "progressive", "tff": "interlaced, top field first",
                "bff": "interlaced, bottom field first", "unknown": "unknown"}
DEINTERLACE = (  # mode, label, tooltip
    ("auto", "Auto", "Deinterlace (one frame per frame) when the frames show combing, whatever the flag says"),
    ("field", "Field rate", "One frame per field: 50p from 50i, 59.94p from 59.94i; twice the frames"),
    ("frame", "Frame rate", "One frame per frame: 25p from 50i, 29.97p from 59.94i; the source's frame count"),
    ("off", "Off", "Upscale the frames as stored (combing and all)"),
)
NOTE_WORDS = ("interlaced", "pixel aspect", "stretched")   # the engine's notes that concern the source


def _rate(fps: float) -> str:
    return f"{fps:.3f}".rstrip("0").rstrip(".")


def describe(info) -> dict[str, str]:
    """Human-readable facts of a ``ClipInfo``."""
    w, h = info.display_size
    size = f"{w} × {h}" + (f" (rotated {info.rotation}°)" if info.rotation else "")
    sar = info.sample_aspect
    if sar != 1:
        pw = round(info.width * sar)
        size += f", shown {pw} × {info.height}" if not info.rotation % 180 else f", shown {info.height} × {pw}"
    pixel = "square (1:1)" if sar == 1 else \
        f"{aspect.ratio(sar)} ({aspect.picture(info.display_aspect)} picture)"
    fps = _rate(info.fps) + " fps" + (" (variable)" if info.vfr else "")
    codec = f"{info.codec}, {info.pix_fmt}" + (f", {info.bit_depth}-bit" if info.bit_depth > 8 else "")
    if info.audio:
        a = info.audio[0]
        audio = f"{a.codec}, {a.sample_rate / 1000:g} kHz, {a.layout or f'{a.channels} ch'}"
        if len(info.audio) > 1:
            audio += f" (+{len(info.audio) - 1} more)"
    else:
        audio = "none"
    colour = f"{info.matrix} / {info.primaries} / {info.transfer}, {info.range} range"
    if info.matrix == "unknown":
        colour = f"untagged (read as {info.rgb_matrix}, {info.rgb_range} range)"
    duration = f"{timecode(info.duration)} ({info.frame_count} frames)"
    if info.cut_short:
        duration += f" — cut short? header says {timecode(info.declared_duration)}"
    order = FIELD_ORDERS.get(info.field_order, info.field_order)
    if info.interlaced and info.field_order == "progressive":
        order = "interlaced"
    return {"File": Path(info.path).name, "Size": size, "Pixel aspect": pixel, "Frame rate": fps,
            "Field order": order, "Timecode": info.timecode or "none", "Duration": duration, "Codec": codec,
            "Audio": audio, "Colour": colour}


def probe_clip(path: str):
    """The ``ClipInfo`` of ``path``, with its combing measured (for a background thread): the engine
    keeps the measure, so the plans made for the clip on the UI thread later never decode frames."""
    from engine.video import interlace, probe
    info = probe(path)
    try:
        interlace.detect(info)
    except (SavsrError, OSError, ValueError):
        pass                            # the plan says what is wrong with the clip
    return info


def preset_fits(key: str, info) -> bool:
    """Whether pixel-aspect preset ``key`` is for ``info``'s frame size (the engine refuses others)."""
    try:
        aspect.sample_aspect(key, info.width, info.height)
    except aspect.AspectError:
        return False
    return True


def source_notes(notes) -> list[str]:
    """The engine's notes about deinterlacing and pixel aspect, from a plan's notes."""
    return [n for n in notes if any(w in n for w in NOTE_WORDS)]


class ClipPanel(QWidget):
    """Facts of the open clip and the source choices; ``changed`` follows an edit of a choice,
    :meth:`choice` reads them as an :class:`~savsr_app.state.app_state.ArchiveChoice`."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.info = None
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(2)
        self.values: dict[str, QLabel] = {}
        for name in FIELDS:
            label = QLabel("–")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            self.values[name] = label
            form.addRow(name, label)
        self._build_choices(form)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.note_label)
        self.set_clip(None)

    def _build_choices(self, form: QFormLayout):
        self.deinterlace = QComboBox()
        self.deinterlace.setObjectName("deinterlace")
        for mode, label, tip in DEINTERLACE:
            self.deinterlace.addItem(label, mode)
            self.deinterlace.setItemData(self.deinterlace.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.deinterlace.setToolTip("Interlaced sources: deinterlace with FFmpeg's bwdif before upscaling")
        self.pixel_aspect = QComboBox()
        self.pixel_aspect.setObjectName("pixelAspect")
        self.pixel_aspect.setEditable(True)
        self.pixel_aspect.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.pixel_aspect.setToolTip("The shape of the source's pixels: as the file tags it, a preset for SD and DV "
                                     "sources whose tag is missing or wrong, or a ratio typed as 64:45")
        self.square = QCheckBox("Square pixels")
        self.square.setObjectName("squarePixels")
        self.square.setChecked(True)
        self.square.setToolTip("Make the output of square pixels: factors and sizes are of the picture as shown "
                               "(off: the output keeps the source's pixel shape, factors of stored pixels)")
        self.note_label = QLabel()
        self.note_label.setObjectName("sourceNote")
        self.note_label.setWordWrap(True)
        self.note_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note_label.setStyleSheet("color: palette(mid);")
        form.addRow("Deinterlace", self.deinterlace)
        form.addRow("Pixels", self.pixel_aspect)
        form.addRow("", self.square)
        self.deinterlace.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.pixel_aspect.activated.connect(lambda _i: self._aspect_edited())
        self.pixel_aspect.lineEdit().editingFinished.connect(self._aspect_edited)
        self.square.toggled.connect(lambda _on: self.changed.emit())

    # ---- showing -----------------------------------------------------------------------------
    def set_clip(self, info):
        self.info = info
        facts = describe(info) if info is not None else {}
        for name, label in self.values.items():
            label.setText(facts.get(name, "–"))
        if info is not None:
            self.values["File"].setToolTip(info.path)
        self._fill_presets()
        for w in (self.deinterlace, self.pixel_aspect, self.square):
            w.setEnabled(info is not None)
        self.show_notes([])

    def _fill_presets(self):
        combo, info = self.pixel_aspect, self.info
        combo.blockSignals(True)
        combo.clear()
        tag = f" ({aspect.ratio(info.sample_aspect)})" if info is not None else ""
        combo.addItem(f"As tagged{tag}", "")
        for key, preset in aspect.PRESETS.items():
            combo.addItem(preset.label, key)
            fits = info is not None and preset_fits(key, info)
            combo.model().item(combo.count() - 1).setEnabled(fits)
        combo.addItem("Square (1:1)", "1:1")
        combo.setCurrentIndex(0)
        combo.blockSignals(False)

    def set_choice(self, choice: ArchiveChoice):
        """Show ``choice`` (the state's), without emitting ``changed``."""
        for w in (self.deinterlace, self.pixel_aspect, self.square):
            w.blockSignals(True)
        self.deinterlace.setCurrentIndex(max(0, self.deinterlace.findData(choice.deinterlace)))
        i = self.pixel_aspect.findData(choice.pixel_aspect)
        if i >= 0:
            self.pixel_aspect.setCurrentIndex(i)
        else:
            self.pixel_aspect.setEditText(choice.pixel_aspect)
        self.square.setChecked(choice.square_pixels)
        for w in (self.deinterlace, self.pixel_aspect, self.square):
            w.blockSignals(False)
        self._square_enabled(choice)

    def _square_enabled(self, choice: ArchiveChoice):
        """The switch matters only for pixels that are not square (tagged so, or named so here)."""
        sar = self._sample_aspect(choice.pixel_aspect)
        self.square.setEnabled(self.info is not None and sar != 1)
        self.square.setToolTip(self.square.toolTip().split("\n")[0] + ("" if sar != 1 else
                               "\nThe source's pixels are square: there is nothing to change"))

    def _sample_aspect(self, text: str):
        if self.info is None:
            return 1
        try:
            return aspect.sample_aspect(text, self.info.width, self.info.height) if text else self.info.sample_aspect
        except aspect.AspectError:
            return self.info.sample_aspect

    def show_notes(self, notes):
        """The engine's notes on what it does with the source (deinterlacing, pixel aspect)."""
        self.note_label.setText("\n".join(notes))
        self.note_label.setVisible(bool(notes))

    def show_plan(self, planned):
        """The notes of the job the window would queue now (the state's ``PlannedJob``, or ``None``
        without a clip), or why the engine refuses the source choices."""
        from engine.render import archive
        if planned is None:
            return self.show_notes([])
        if planned.plan is None:        # a refusal of another setting: the scale panel says why
            return self.show_notes([str(planned.error)] if isinstance(planned.error, archive.ArchiveError) else [])
        self.show_notes(source_notes(planned.plan.notes))

    # ---- reading -----------------------------------------------------------------------------
    def _aspect_edited(self):
        combo = self.pixel_aspect
        i = combo.findText(combo.currentText())
        if i >= 0 and combo.currentIndex() != i:
            combo.setCurrentIndex(i)
        self.changed.emit()

    def choice(self) -> ArchiveChoice:
        combo = self.pixel_aspect
        i = combo.findText(combo.currentText())
        pixel = combo.itemData(i) if i >= 0 else combo.currentText().strip()
        return ArchiveChoice(deinterlace=self.deinterlace.currentData(), pixel_aspect=pixel or "",
                             square_pixels=self.square.isChecked())
