"""Status bar (device, model, memory, the running job) and the log dock."""
from __future__ import annotations

import os
import time

from ..qt import (
    QDockWidget,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QStatusBar,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
    icon,
)

MAX_LOG_LINES = 5000


def memory_text(device: str) -> str:
    """Memory this process uses (resident set), plus GPU memory on CUDA."""
    import psutil
    text = f"RAM {psutil.Process(os.getpid()).memory_info().rss / 2**30:.2f} GB"
    if device.startswith("cuda"):
        import torch
        if torch.cuda.is_available():
            text += f" · VRAM {torch.cuda.memory_allocated() / 2**30:.2f} GB"
    return text


class StatusBar(QStatusBar):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.job_label = QLabel()
        self.job_bar = QProgressBar()
        self.job_bar.setMaximumWidth(160)
        self.job_bar.setMaximumHeight(14)
        self.job_bar.setTextVisible(False)
        self.device_label = QLabel()
        self.device_label.setObjectName("deviceLabel")
        self.model_label = QLabel()
        self.model_label.setObjectName("modelLabel")
        self.memory_label = QLabel()
        self.memory_label.setObjectName("memoryLabel")
        self.memory_label.setToolTip("Memory in use by SAVSR Studio")
        for w in (self.job_label, self.job_bar):
            self.addWidget(w)
        for w in (self.device_label, self.model_label, self.memory_label):
            w.setStyleSheet("padding: 0 6px;")
            self.addPermanentWidget(w)
        self.set_job(None)
        self.device = "cpu"
        self._timer = QTimer(self, interval=2000, timeout=self.refresh_memory)
        self._timer.start()
        self.refresh_memory()

    def set_device(self, device_id: str, name: str):
        self.device = device_id
        self.device_label.setText(f"Device: {name}")

    def set_model(self, name: str):
        """``name`` as the queue and the log give it: ``compressed (auto: h264 at 0.14 bits per pixel)``."""
        short = name.split(" (", 1)[0]
        self.model_label.setText(f"Model: {short}" + (" (auto)" if "(auto" in name else ""))
        self.model_label.setToolTip(f"Model: {name}")

    def refresh_memory(self):
        self.memory_label.setText(memory_text(self.device))

    def set_job(self, text: str | None, fraction: float = 0.0):
        """The running job's progress, or nothing when idle."""
        self.job_label.setVisible(text is not None)
        self.job_bar.setVisible(text is not None)
        if text is not None:
            self.job_label.setText(text)
            self.job_bar.setRange(0, 1000)
            self.job_bar.setValue(int(fraction * 1000))


class LogDock(QDockWidget):
    """Engine and app messages with their time, newest last."""

    appended = Signal(str)

    def __init__(self, parent=None):
        super().__init__("Log", parent)
        self.setObjectName("logDock")
        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(MAX_LOG_LINES)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setWidget(self.view)
        self.toggleViewAction().setIcon(icon("mdi6.text-box-outline"))
        self.toggleViewAction().setShortcut("Ctrl+L")

    def has_recent(self, message: str, lines: int = 3) -> bool:
        """Whether ``message`` is in one of the last ``lines`` lines (the caller already logged it)."""
        doc = self.view.document()
        last = [doc.findBlockByNumber(doc.blockCount() - 1 - k).text() for k in range(min(lines, doc.blockCount()))]
        return any(message in line for line in last)

    def append(self, message: str):
        line = f"{time.strftime('%H:%M:%S')}  {message}"
        self.view.appendPlainText(line)
        self.appended.emit(line)


class AdvancedDock(QDockWidget):
    """The fine-tuning panel's dock: hidden until View > Advanced (Ctrl+Shift+A); the window
    remembers whether it is shown. Its content is set with :meth:`set_panel`."""

    def __init__(self, parent=None):
        super().__init__("Advanced: fine-tuning", parent)
        self.setObjectName("advancedDock")
        self.setAllowedAreas(Qt.DockWidgetArea.RightDockWidgetArea | Qt.DockWidgetArea.LeftDockWidgetArea
                             | Qt.DockWidgetArea.BottomDockWidgetArea)
        panel = QWidget()
        panel.setObjectName("advancedPanel")
        panel.setMinimumWidth(320)
        layout = QVBoxLayout(panel)
        heading = QLabel("Fine-tune the model on your own footage")
        heading.setStyleSheet("font-weight: 600;")
        layout.addWidget(heading)
        layout.addStretch(1)
        self.setWidget(panel)
        self.toggleViewAction().setText("Advanced")
        self.toggleViewAction().setIcon(icon("mdi6.tune-variant"))
        self.toggleViewAction().setShortcut("Ctrl+Shift+A")
        self.toggleViewAction().setToolTip("Show the fine-tuning panel (Ctrl+Shift+A)")

    def set_panel(self, widget: QWidget):
        """Put the fine-tuning panel in the dock (it replaces the heading-only panel)."""
        self.setWidget(widget)
