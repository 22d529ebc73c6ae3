"""The output panel's Delivery field: choose a delivery preset, save the fields as one, rename or delete yours.

Choosing a preset (:mod:`engine.video.delivery`) sets the codec, quality and container fields, the
pixel format and speed new jobs get, and its size rule: a target size gives the open clip, and each
clip opened or queued after it, that size (aspect kept), as the scale panel's size presets do; a
preset that keeps the factors leaves them. A field changed afterwards shows the preset as
``Web H.265 (modified)``; jobs always take what the fields show. The presets are the file the CLI
reads too (:class:`~engine.video.delivery_store.PresetStore`). The chosen preset, the fields, the
size rule and the output folder are kept in the settings, so they come back after a restart.

A missing output folder is offered to be created when a job is queued (:meth:`Delivery.ensure_folder`).
"""
from __future__ import annotations

from pathlib import Path

from engine.errors import SavsrError, folder_refusal
from engine.video.delivery import DeliveryPreset, parse_size
from engine.video.delivery_store import PresetStore

from ..qt import QComboBox, QHBoxLayout, QInputDialog, QLabel, QMenu, QObject, QToolButton, QWidget, Signal, icon

MODIFIED = " (modified)"
NONE = "None"


class PresetCombo(QComboBox):
    """A combo box that says when its list is about to open (``opening``), so it can be read again."""

    opening = Signal()

    def showPopup(self):
        self.opening.emit()
        super().showPopup()


class DeliveryField(QWidget):
    """The preset combo (``None`` first: the fields as they are) and a menu of what can be done with
    presets; under them, one line saying what the chosen preset sets."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.combo = PresetCombo()
        self.combo.setObjectName("deliveryPreset")
        self.combo.setToolTip("Delivery preset: sets the size rule, codec, container and quality together")
        self.menu = QMenu(self)
        self.save_action = self.menu.addAction("Save as preset…")
        self.rename_action = self.menu.addAction("Rename…")
        self.delete_action = self.menu.addAction("Delete")
        self.button = QToolButton()
        self.button.setIcon(icon("mdi6.dots-horizontal"))
        self.button.setToolTip("Save the fields as a preset; rename or delete your presets")
        self.button.setMenu(self.menu)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.description = QLabel()
        self.description.setObjectName("deliveryDescription")
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: palette(mid);")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.button)

    def fill(self, presets: list[DeliveryPreset], current: str):
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(NONE, "")
        for p in presets:
            self.combo.addItem(p.name, p.name)
            self.combo.setItemData(self.combo.count() - 1, p.describe() + ("" if p.builtin else " (yours)"),
                                   _TOOLTIP)
        i = self.combo.findData(current)
        self.combo.setCurrentIndex(max(i, 0))
        self.combo.blockSignals(False)

    def show_state(self, name: str, modified: bool, text: str):
        """The current item reads ``name`` or ``name (modified)``; ``text`` goes under the combo."""
        i = self.combo.currentIndex()
        if i > 0:
            self.combo.setItemText(i, name + (MODIFIED if modified else ""))
        self.description.setText(text)


_TOOLTIP = 3    # Qt.ItemDataRole.ToolTipRole


class Delivery(QObject):
    """Wires the field to ``window``'s output panel, state, scale panel and settings."""

    notice = Signal(str, str)       # text, kind

    def __init__(self, window):
        super().__init__(window)
        self.window, self.panel, self.state = window, window.output_panel, window.state
        self.notice.connect(window.notify)
        self.store = PresetStore()
        self.current: DeliveryPreset | None = None
        self._warned: str | None = None
        self.ask = lambda title, question: _ask(window, title, question)
        self.ask_name = lambda title, label, text: _ask_name(window, title, label, text)
        self.field = DeliveryField()
        self.panel.form.insertRow(0, "Delivery", self.field)
        self.panel.form.insertRow(1, "", self.field.description)
        self.field.combo.activated.connect(lambda _i: self.choose(self.field.combo.currentData()))
        self.field.combo.opening.connect(self._fill)        # presets saved meanwhile (savsr presets save)
        self.field.save_action.triggered.connect(self.save_as)
        self.field.rename_action.triggered.connect(self.rename)
        self.field.delete_action.triggered.connect(self.delete)
        self._restore(window.settings)
        self.panel.changed.connect(self._fields_changed)
        self.state.jobChanged.connect(self._job_changed)

    # ---- the presets -------------------------------------------------------------------------
    def presets(self) -> list[DeliveryPreset]:
        presets = self.store.all()
        if self.store.warning and self.store.warning != self._warned:    # once, not at each look
            self.notice.emit(f"Delivery presets: {self.store.warning}", "error")
        self._warned = self.store.warning
        return presets

    def _fill(self):
        self.field.fill(self.presets(), self.current.name if self.current else "")
        self._show()

    def _restore(self, settings):
        """The preset, its pixel format and speed, and the size rule of the last session."""
        self.panel.pix_fmt, self.panel.speed = settings.pix_fmt or None, settings.speed or "medium"
        try:
            target = parse_size(settings.size_rule) if settings.size_rule else None
        except SavsrError:
            target = None
        if target is not None:
            self.state.set_scale(self.state.scale, target)
        found = [p for p in self.presets() if p.name == settings.delivery]
        self.current = found[0] if found else None
        self.field.fill(self.store.all(), self.current.name if self.current else "")
        self._show()

    def choose(self, name: str):
        """The preset ``name`` sets the fields and the size rule (``""``: none, the fields stay)."""
        if not name:
            self.current = None
            self._remember()
            return
        try:
            preset = self.store.find(name)
        except SavsrError as exc:       # deleted meanwhile (savsr presets delete)
            self.notice.emit(str(exc), "error")
            self.current = None
            self._fill()
            return
        self.current = preset
        self.panel.set_fields(preset.codec, preset.crf, preset.container, preset.pix_fmt, preset.speed)
        self._apply_size(preset)
        self._fill()
        self._remember()

    def _apply_size(self, preset: DeliveryPreset):
        box = preset.target
        if box is None:
            return
        scale_panel = self.window.scale_panel
        if scale_panel.source is None:
            self.state.set_scale(self.state.scale, box)     # the next clip opened gets that size
            return
        scale_panel.apply_preset("size", box)
        if self.state.target != box:
            self.notice.emit(f"{preset.name}: {box[0]} x {box[1]} needs a factor outside 1 to 4 for this clip; "
                             "the factors stay as they are.", "info")

    # ---- what the fields show ----------------------------------------------------------------
    def size_rule(self) -> str:
        target = self.state.target
        return f"{target[0]}x{target[1]}" if target else ""

    def modified(self) -> bool:
        p, panel = self.current, self.panel
        if p is None:
            return False
        return not p.matches(panel.current_codec(), panel.extension(), panel.crf.value(), self.size_rule() or "factors")

    def _show(self):
        p = self.current
        if p is None:
            self.field.show_state("", False, "")
            self.field.rename_action.setEnabled(False)
            self.field.delete_action.setEnabled(False)
            return
        pix_fmt = self.panel.job_pix_fmt()
        speed = f", speed {self.panel.speed}" if self.panel.current_codec() in ("h264", "h265") else ""
        text = f"Pixel format: {pix_fmt or 'the codec’s choice for the clip'}{speed}"
        self.field.show_state(p.name, self.modified(), text)
        self.field.rename_action.setEnabled(not p.builtin)
        self.field.delete_action.setEnabled(not p.builtin)

    def _job_changed(self):
        self._show()
        if self.window.settings.size_rule != self.size_rule():     # factors typed, or a size preset
            self._remember()

    def _fields_changed(self):
        self._show()
        self._remember()

    def _remember(self):
        """The fields, the preset and the size rule into the settings, saved."""
        s, panel = self.window.settings, self.panel
        s.codec, s.crf = panel.current_codec(), panel.crf.value()
        if panel.current_codec() != "png":
            s.container = panel.extension().lstrip(".")
        s.output_dir = panel.folder.text().strip()
        s.pix_fmt, s.speed = panel.pix_fmt or "", panel.speed
        s.delivery = self.current.name if self.current else ""
        s.size_rule = self.size_rule()
        self.window.save_settings()

    # ---- the menu ----------------------------------------------------------------------------
    def fields_preset(self, name: str) -> DeliveryPreset:
        """The fields as they are, as a preset called ``name``."""
        panel = self.panel
        return DeliveryPreset(name=name, codec=panel.current_codec(), container=panel.extension(),
                              size=self.size_rule() or "factors", crf=panel.crf.value(),
                              pix_fmt=panel.job_pix_fmt(), speed=panel.speed)

    def save_as(self):
        name = self.ask_name("Save as preset", "Name of the new delivery preset:",
                             self.current.name if self.current and not self.current.builtin else "")
        if not name:
            return
        preset = self.fields_preset(name)
        try:
            try:
                saved = self.store.save(preset)
            except SavsrError as exc:
                if "exists already" not in str(exc) or not self.ask(
                        "Replace preset?", f"A preset named {name!r} exists already. Replace it with these fields?"):
                    raise
                saved = self.store.save(preset, replace=True)
        except SavsrError as exc:
            self.notice.emit(f"Not saved: {exc}", "error")
            return
        if self.store.warning:
            self.notice.emit(self.store.warning, "info")
        self.current = saved
        self._fill()
        self._remember()
        self.notice.emit(f"Saved the delivery preset {saved.name!r}.", "info")

    def rename(self):
        old = self.current
        if old is None or old.builtin:
            return
        name = self.ask_name("Rename preset", f"New name for {old.name!r}:", old.name)
        if not name or name == old.name:
            return
        try:
            self.current = self.store.rename(old.name, name)
        except SavsrError as exc:
            self.notice.emit(f"Not renamed: {exc}", "error")
            return
        self._fill()
        self._remember()

    def delete(self):
        old = self.current
        if old is None or old.builtin or not self.ask("Delete preset?", f"Delete the delivery preset {old.name!r}?"):
            return
        try:
            self.store.delete(old.name)
        except SavsrError as exc:
            self.notice.emit(f"Not deleted: {exc}", "error")
            return
        self.current = None
        self._fill()
        self._remember()

    # ---- the output folder -------------------------------------------------------------------
    def ensure_folder(self, folder: str) -> None:
        """Before a job is queued: a missing output ``folder`` is offered to be created (a question);
        one that cannot be is said in a sentence. Declined, the queue refuses the job as before."""
        if not folder or Path(folder).is_dir():
            return
        if not self.ask("Create the output folder?", f"The output folder {folder} does not exist. Create it?"):
            return
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.notice.emit(folder_refusal(folder, exc, "create the output folder").capitalize() + ".", "error")


def _ask(parent, title: str, question: str) -> bool:
    from ..window.notify import ask_yes_no
    return ask_yes_no(parent, title, question)


def _ask_name(parent, title: str, label: str, text: str) -> str:
    name, ok = QInputDialog.getText(parent, title, label, text=text)
    return " ".join(name.split()) if ok else ""


def mount_delivery(window) -> Delivery:
    """The Delivery field in ``window``'s output panel; a missing output folder asked about at queueing."""
    delivery = Delivery(window)
    window.queue_actions.ensure_folder = delivery.ensure_folder
    return delivery
