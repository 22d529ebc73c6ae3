"""Output settings for new jobs: codec, quality, container, folder, and the Add to queue button.

A delivery preset (:mod:`savsr_app.panels.delivery_presets`) fills the same fields, and may name a
pixel format and an x264/x265 speed, which the panel keeps and new jobs get while the codec takes them.
"""
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
        self.pix_fmt: str | None = None     # None: the codec's choice for each clip
        self.speed = "medium"
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
        self.form = form = QFormLayout()
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

    def set_fields(self, codec: str, crf: int | None, container: str, pix_fmt: str | None, speed: str):
        """Show a preset's fields (``crf=None`` keeps the CRF field as it is); ``changed`` once."""
        from .codec_fields import select
        quiet, self.fields.on_change = self.fields.on_change, lambda: None
        try:
            select(self.codec, codec)                   # the container list follows the codec
            if crf is not None:
                self.crf.setValue(crf)
            select(self.container, container)
        finally:
            self.fields.on_change = quiet
        self.pix_fmt, self.speed = pix_fmt, speed
        self.changed.emit()

    def job_pix_fmt(self) -> str | None:
        """The pixel format new jobs get: the one a preset named while the codec can write it."""
        from engine.video.formats import encoder_pix_fmts
        codec = self.current_codec()
        return self.pix_fmt if self.pix_fmt and codec != "png" and self.pix_fmt in encoder_pix_fmts(codec) else None

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
                            folder=self.folder.text().strip(), pix_fmt=self.job_pix_fmt(), speed=self.speed)
