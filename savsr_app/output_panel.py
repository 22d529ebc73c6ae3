"""Output settings for new jobs: codec, quality, container, folder, and the Add to queue button."""
from __future__ import annotations

from pathlib import Path

from engine.video import formats
from engine.workdir import work_path

from .qt import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QToolButton,
                 QVBoxLayout, QWidget, Signal, icon)

CODEC_ORDER = ("h264", "h265", "prores", "prores4444", "ffv1", "png")
EXTENSIONS = (".mp4", ".mov", ".mkv")


def containers_for(codec: str) -> list[str]:
    """File extensions that can hold ``codec`` (none for a PNG sequence)."""
    if codec == "png":
        return []
    return [ext for ext in EXTENSIONS if formats.container_accepts(formats.CONTAINERS[ext], codec)]


def unique_output(folder: Path, stem: str, ext: str, taken: set[str] = frozenset()) -> Path:
    """``folder/stem.ext``, or ``stem_2.ext``, ``stem_3.ext``... if that exists, is already queued or
    has an interrupted render's work folder."""
    candidate = folder / f"{stem}{ext}"
    n = 2
    while candidate.exists() or str(candidate) in taken or work_path(candidate).exists():
        candidate = folder / f"{stem}_{n}{ext}"
        n += 1
    return candidate


class OutputPanel(QWidget):
    """Codec, quality, container and folder; ``add_button`` is placed by the window (always visible)."""

    addRequested = Signal()
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.codec = QComboBox()
        for codec in CODEC_ORDER:
            self.codec.addItem(formats.LABELS[codec], codec)
        self.codec.setToolTip("Video codec of the output (H.264 plays everywhere; ProRes and FFV1 for editing "
                              "and archiving; PNG writes one image per frame)")
        self.crf = QSpinBox()
        self.crf.setRange(0, 51)
        self.crf.setPrefix("CRF ")
        self.crf.setToolTip("Quality of H.264/H.265: 0 is lossless, 18 visually lossless, 23 the default, "
                            "51 the smallest file")
        self.container = QComboBox()
        self.container.setToolTip("File type of the output")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("next to the input clip")
        self.folder.setToolTip("Folder for rendered files; empty means the input clip's folder")
        self.folder.setClearButtonEnabled(True)
        browse = QToolButton()
        browse.setIcon(icon("mdi6.folder-open-outline"))
        browse.setToolTip("Choose the output folder")
        browse.clicked.connect(self._browse)
        self.add_button = QPushButton(icon("mdi6.playlist-plus"), "Add to queue")
        self.add_button.setObjectName("addToQueue")
        self.add_button.setToolTip("Freeze these settings into a render job (Ctrl+Enter)")
        self.add_button.setMinimumHeight(32)
        self.add_button.clicked.connect(self.addRequested)
        self.codec.currentIndexChanged.connect(lambda _i: self._codec_changed())
        for sig in (self.crf.valueChanged, self.container.currentIndexChanged, self.folder.textChanged):
            sig.connect(lambda *_: self.changed.emit())
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Codec", self.codec)
        form.addRow("Quality", self.crf)
        form.addRow("Container", self.container)
        form.addRow("Folder", folder_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        self._codec_changed()

    def apply_defaults(self, codec: str, crf: int, container: str, folder: str):
        """Start from the settings' defaults (the panel keeps the user's later changes)."""
        i = self.codec.findData(codec)
        self.codec.setCurrentIndex(max(0, i))
        self.crf.setValue(crf)
        j = self.container.findData("." + container.lstrip("."))
        if j >= 0:
            self.container.setCurrentIndex(j)
        self.folder.setText(folder)

    def _codec_changed(self):
        codec = self.current_codec()
        previous = self.container.currentData()
        self.container.blockSignals(True)
        self.container.clear()
        for ext in containers_for(codec):
            self.container.addItem(ext.lstrip(".").upper(), ext)
        self.container.blockSignals(False)
        j = self.container.findData(previous)
        self.container.setCurrentIndex(j if j >= 0 else 0)
        self.container.setEnabled(codec != "png")
        self.crf.setEnabled(codec in ("h264", "h265"))
        self.changed.emit()

    def _browse(self):
        folder = QFileDialog.getExistingDirectory(self, "Output folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def current_codec(self) -> str:
        return self.codec.currentData()

    def extension(self) -> str:
        return "" if self.current_codec() == "png" else (self.container.currentData() or ".mp4")

    def output_for(self, input_path: str, size: tuple[int, int], taken: set[str]) -> Path:
        """A default output path that collides with no file and no queued job."""
        src = Path(input_path)
        folder = Path(self.folder.text()).expanduser() if self.folder.text().strip() else src.parent
        stem = f"{src.stem}_savsr_{size[0]}x{size[1]}"
        return unique_output(folder, stem, self.extension(), taken)
