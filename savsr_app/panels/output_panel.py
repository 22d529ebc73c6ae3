"""Output settings for new jobs: codec, quality, container, folder, and the Add to queue button."""
from __future__ import annotations

from pathlib import Path

from engine.render.workdir import work_path

from .codec_fields import CodecFields
from ..qt import QFileDialog, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QToolButton, QVBoxLayout, QWidget, Signal, icon

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
        self.fields = CodecFields(lambda: self.changed.emit(), crf_prefix="CRF ")
        self.codec, self.crf, self.container = self.fields.codec, self.fields.crf, self.fields.container
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
        self.folder.textChanged.connect(lambda _t: self.changed.emit())
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

    def apply_defaults(self, codec: str, crf: int, container: str, folder: str):
        """Start from the settings' defaults (the panel keeps the user's later changes)."""
        self.fields.set_values(codec, crf, container)
        self.folder.setText(folder)

    def _browse(self):
        folder = QFileDialog.getExistingDirectory(self, "Output folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def current_codec(self) -> str:
        return self.codec.currentData()

    def extension(self) -> str:
        return "" if self.current_codec() == "png" else self.fields.container_ext()

    def output_for(self, input_path: str, size: tuple[int, int], taken: set[str]) -> Path:
        """A default output path that collides with no file and no queued job."""
        src = Path(input_path)
        folder = Path(self.folder.text()).expanduser() if self.folder.text().strip() else src.parent
        stem = f"{src.stem}_savsr_{size[0]}x{size[1]}"
        return unique_output(folder, stem, self.extension(), taken)
