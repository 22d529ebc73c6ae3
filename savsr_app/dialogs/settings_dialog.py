"""Preferences: device, precision, backend, tiles, the model (auto, clean, compressed, imported,
fine-tuned), the theme and the output defaults.

Device-honest: what the chosen device or this installation cannot run (bf16 on a CPU without it,
a backend that is not installed, a bundled model that is missing) is listed but disabled, with a
tooltip saying why, from the moment the dialog opens.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from engine.backends import BACKENDS, installed_backends
from engine.devices import list_devices
from engine.render.job import PRECISIONS

from ..panels.codec_fields import CodecFields, select
from ..qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    Qt,
    QToolButton,
    QVBoxLayout,
    icon,
)
from ..state.model_catalog import available_models
from ..state.settings import AppSettings
from ..state.storage import models_dir
from ..window.theme import THEMES

PRECISION_LABELS = {"auto": "Automatic (the fastest this machine computes within 50 dB of FP32, measured once)",
                    "fp32": "FP32 (exact)", "bf16": "BF16 (CPUs with avx512_bf16 or AMX, GPUs; faster)",
                    "fp16": "FP16 (GPU, faster)",
                    "int8": "INT8 (OpenVINO on a CPU, quantized once per model: minutes; faster on some CPUs)"}
BACKEND_LABELS = {"auto": "Automatic (the fastest installed backend that matches PyTorch here)",
                  "torch": "PyTorch (the reference)", "openvino": "OpenVINO", "onnxruntime": "ONNX Runtime"}


def precision_refusal(precision: str, device_id: str) -> str:
    """Why ``precision`` cannot run on ``device_id`` (``auto``, ``cpu``, ``cuda:N``), or ``""``."""
    if precision in ("auto", "fp32"):
        return ""
    from engine.backends.precision import refusal
    from engine.devices import resolve_device
    try:
        device = resolve_device(device_id or "auto")
    except ValueError:
        return "the device is not available"
    return refusal(precision, device)


def backend_refusal(name: str) -> str:
    if name == "auto" or name in installed_backends():
        return ""
    return f"not installed: pip install \"savsr-studio[fast]\" (or {name})"


def set_item_enabled(combo: QComboBox, index: int, why: str):
    """Enable item ``index`` of ``combo``, or disable it with ``why`` as its tooltip."""
    item = combo.model().item(index)
    if item is not None:
        item.setEnabled(not why)
    combo.setItemData(index, why or None, Qt.ItemDataRole.ToolTipRole)


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
            self.precision.addItem(PRECISION_LABELS[p], p)
        self.precision.setToolTip("The arithmetic of the network: Automatic measures what this machine computes "
                                  "fastest within the accuracy gate (savsr info --system shows it)")
        self.backend = QComboBox()
        for name in BACKENDS:
            self.backend.addItem(BACKEND_LABELS.get(name, name), name)
            set_item_enabled(self.backend, self.backend.count() - 1, backend_refusal(name))
        self.backend.setToolTip("How the network is computed: the same result, at different speeds "
                                "(installed here: " + ", ".join(installed_backends()) + ")")
        self.workers, self.threads = QSpinBox(), QSpinBox()
        for box, most in ((self.workers, 64), (self.threads, 256)):
            box.setRange(0, most)
            box.setSpecialValueText("Automatic")
        self.workers.setToolTip("Worker processes rendering segments in parallel; a worker that crashes costs "
                                "only its segment (Automatic: one per GPU, else one)")
        self.threads.setToolTip("CPU threads per worker (Automatic: the cores shared between the workers)")
        self.devices = QComboBox()
        for label, value in (("The device above", ""), ("Every GPU (one worker each)", "all"), ("CPU", "cpu")):
            self.devices.addItem(label, value)
        self.devices.setToolTip("Where the render workers run; a render never mixes CPU and GPU workers")
        self.theme = QComboBox()
        for key, label in THEMES.items():
            self.theme.addItem(label, key)
        self.theme.setToolTip("Dark keeps the picture in front; the palette changes at once")
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
        self.model.setToolTip("The network used for previews and new jobs; auto looks at each clip (codec, bit "
                              "rate and compression artifacts) and picks the clean or the compressed model")
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
        compute.addRow("Backend", self.backend)
        compute.addRow("Tile size", self.tile)
        compute.addRow("Render workers", self.workers)
        compute.addRow("Threads per worker", self.threads)
        compute.addRow("Worker devices", self.devices)
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
        look = QFormLayout()
        look.addRow("Theme", self.theme)
        for title, form in (("Processing", compute), ("Defaults for new jobs", output), ("Appearance", look)):
            box = QGroupBox(title)
            box.setLayout(form)
            boxes.append(box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setIcon(icon("mdi6.check"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setIcon(icon("mdi6.close"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for b in boxes:
            layout.addWidget(b)
        boxes[0].layout().addRow(self.model_note)
        layout.addWidget(buttons)

    def _load(self, s: AppSettings):
        select(self.device, s.device)
        select(self.backend, s.backend if not backend_refusal(s.backend) else "auto")
        select(self.theme, s.theme)
        self._device_changed()                  # precisions this device cannot run: disabled from the start
        if not precision_refusal(s.precision, s.device):
            select(self.precision, s.precision)
        self.tile.setValue(s.tile)
        self.workers.setValue(s.workers)
        self.threads.setValue(s.threads)
        select(self.devices, s.devices)
        self.fields.set_values(s.codec, s.crf, s.container)
        self.folder.setText(s.output_dir)
        self._fill_models(s.model)

    def _device_changed(self):
        device = self.device.currentData() or "auto"
        for i in range(self.precision.count()):
            set_item_enabled(self.precision, i, precision_refusal(self.precision.itemData(i), device))
        if precision_refusal(self.precision.currentData(), device):
            select(self.precision, "auto")

    def _fill_models(self, selected: str):
        self.model.clear()
        for label, value, why in available_models():
            self.model.addItem(label, value)
            set_item_enabled(self.model, self.model.count() - 1, why)
        if selected and self.model.findData(selected) < 0:
            self.model.addItem(f"{Path(selected).name} (external)", selected)
        i = self.model.findData(selected)
        if i < 0 or not self.model.model().item(i).isEnabled():
            i = 0                               # a missing bundled model: auto
        self.model.setCurrentIndex(i)

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
        from engine.models.checkpoint import read_checkpoint
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
        s.backend = self.backend.currentData()
        s.theme = self.theme.currentData()
        s.tile = self.tile.value()
        s.workers, s.threads, s.devices = self.workers.value(), self.threads.value(), self.devices.currentData()
        s.codec = self.codec.currentData()
        s.crf = self.crf.value()
        s.container = self.fields.container_ext().lstrip(".")
        s.output_dir = self.folder.text().strip()
        s.model = self.model.currentData() or ""
        return s
