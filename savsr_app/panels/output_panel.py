"""Output settings for new jobs: codec, quality, container, folder, and the Add to queue button."""
from __future__ import annotations

from ..qt import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
    icon,
)
from ..state.app_state import OutputChoice
from .codec_fields import CodecFields


class OutputPanel(QWidget):
    """Codec, quality, container and folder; ``changed`` follows any edit, :meth:`choice` reads them.
    ``add_button`` is placed by the window (always visible)."""

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
        self.estimate_label = QLabel()
        self.estimate_label.setObjectName("addEstimate")
        self.estimate_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.estimate_label.hide()
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

    def set_estimate(self, estimate):
        """Show what the next job would cost (an :class:`~savsr_app.state.estimate.Estimate`, or ``None``)."""
        self.estimate_label.setText(f"Render time: {estimate.text()}" if estimate else "")
        self.estimate_label.setVisible(estimate is not None)

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

    def choice(self) -> OutputChoice:
        return OutputChoice(codec=self.current_codec(), crf=self.crf.value(), extension=self.extension(),
                            folder=self.folder.text().strip())
