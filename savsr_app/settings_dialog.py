"""Preferences: device, precision, tiles, output defaults and the model (bundled, imported, fine-tuned)."""
from __future__ import annotations

import shutil
from pathlib import Path

from engine.devices import list_devices
from engine.render.job import PRECISIONS
from engine.resources import default_model_path

from .panels.codec_fields import CodecFields, select
from .qt import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                 QLineEdit, QMessageBox, QPushButton, QSpinBox, QToolButton, QVBoxLayout, icon)
from .settings import AppSettings
from .storage import models_dir

MODEL_SUFFIXES = ("*.safetensors", "*.pth", "*.pt")


def available_models() -> list[tuple[str, str]]:
    """``(label, path)`` for the bundled model (path ``""``) and every model in the data folder."""
    bundled = default_model_path()
    out = [("Bundled model" + ("" if bundled else " (not installed)"), "")]
    folder = models_dir()
    for pattern in MODEL_SUFFIXES:
        for p in sorted(folder.rglob(pattern)):
            kind = "fine-tuned" if "finetuned" in p.parts else "imported"
            out.append((f"{p.stem} ({kind})", str(p)))
    return out


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, background, parent=None):
        super().__init__(parent)
        self.background = background
        self.setWindowTitle("Settings")
        self.setMinimumWidth(480)
        self.settings = settings
        self.device = QComboBox()
        self.device.addItem("Automatic (first GPU, else CPU)", "auto")
        for dev_id, name in list_devices():
            self.device.addItem(name, dev_id)
        self.device.setToolTip("Where previews and renders run")
        self.device.currentIndexChanged.connect(lambda _i: self._device_changed())
        self.precision = QComboBox()
        for p in PRECISIONS:
            self.precision.addItem({"fp32": "FP32 (exact)", "fp16": "FP16 (GPU, faster)",
                                    "bf16": "BF16 (GPU, faster)"}[p], p)
        self.precision.setToolTip("Half precision runs faster on NVIDIA GPUs; the CPU always uses FP32")
        self.tile = QSpinBox()
        self.tile.setRange(0, 4096)
        self.tile.setSingleStep(64)
        self.tile.setSpecialValueText("Automatic")
        self.tile.setSuffix(" px")
        self.tile.setToolTip("Process frames in tiles of this many source pixels (0: automatic, fits free memory)")
        self.fields = CodecFields()
        self.codec, self.crf, self.container = self.fields.codec, self.fields.crf, self.fields.container
        self.crf.setToolTip("Default H.264/H.265 quality: 0 lossless, 18 visually lossless, 51 smallest")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("next to the input clip")
        browse = QToolButton()
        browse.setIcon(icon("mdi6.folder-open-outline"))
        browse.clicked.connect(self._browse)
        self.model = QComboBox()
        self.model.setToolTip("The network used for previews and new jobs")
        import_button = QPushButton(icon("mdi6.file-import-outline"), "Import model…")
        import_button.setToolTip("Copy a checkpoint (such as the authors' savsr_best.pth) into the app's model "
                                 "folder after checking that it loads")
        import_button.clicked.connect(self.import_model)
        self.model_note = QLabel()
        self.model_note.setWordWrap(True)
        self.model_note.hide()
        self._layout(browse, import_button)
        self._load(settings)

    def _layout(self, browse, import_button):
        compute = QFormLayout()
        compute.addRow("Device", self.device)
        compute.addRow("Precision", self.precision)
        compute.addRow("Tile size", self.tile)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(import_button)
        compute.addRow("Model", model_row)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        output = QFormLayout()
        output.addRow("Codec", self.codec)
        output.addRow("Quality (CRF)", self.crf)
        output.addRow("Container", self.container)
        output.addRow("Folder", folder_row)
        boxes = []
        for title, form in (("Processing", compute), ("Defaults for new jobs", output)):
            box = QGroupBox(title)
            box.setLayout(form)
            boxes.append(box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for b in boxes:
            layout.addWidget(b)
        boxes[0].layout().addRow(self.model_note)
        layout.addWidget(buttons)

    def _load(self, s: AppSettings):
        select(self.device, s.device)
        select(self.precision, s.precision)
        self.tile.setValue(s.tile)
        self.fields.set_values(s.codec, s.crf, s.container)
        self.folder.setText(s.output_dir)
        self._fill_models(s.model)

    def _device_changed(self):
        from engine.devices import resolve_device
        try:
            cpu = resolve_device(self.device.currentData() or "auto").type == "cpu"
        except ValueError:
            cpu = True
        if cpu:
            select(self.precision, "fp32")
        self.precision.setEnabled(not cpu)

    def _fill_models(self, selected: str):
        self.model.clear()
        for label, path in available_models():
            self.model.addItem(label, path)
        if selected and self.model.findData(selected) < 0:
            self.model.addItem(f"{Path(selected).name} (external)", selected)
        select(self.model, selected)

    def _browse(self):
        folder = QFileDialog.getExistingDirectory(self, "Output folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def import_model(self, path: str | None = None):
        """Check the file loads, copy it into the model folder and select it."""
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Import model", "", "Checkpoints (*.safetensors *.pth *.pt)")
            if not path:
                return
        from engine.checkpoint import read_checkpoint
        self._note(f"Checking {Path(path).name}…")
        done = lambda _r, p=path: self._imported(p)
        failed = lambda msg: (self._note(""), QMessageBox.warning(self, "Import model", msg))
        self.background.call(read_checkpoint, path, done=done, failed=failed)

    def _imported(self, path: str):
        target_dir = models_dir() / "imported"
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / Path(path).name
        if Path(path).resolve() != target.resolve():
            shutil.copy2(path, target)
        self._fill_models(str(target))
        self._note(f"Imported {Path(path).name}.")

    def _note(self, text: str):
        self.model_note.setText(text)
        self.model_note.setVisible(bool(text))

    def result_settings(self) -> AppSettings:
        s = self.settings
        s.device = self.device.currentData()
        s.precision = self.precision.currentData()
        s.tile = self.tile.value()
        s.codec = self.codec.currentData()
        s.crf = self.crf.value()
        s.container = self.fields.container_ext().lstrip(".")
        s.output_dir = self.folder.text().strip()
        s.model = self.model.currentData() or ""
        return s
