"""The window's docks besides the queue: the log, and the advanced dock that holds fine-tuning."""
from __future__ import annotations

import time

from ..qt import QDockWidget, QLabel, QPlainTextEdit, Qt, QVBoxLayout, QWidget, Signal, icon

MAX_LOG_LINES = 5000


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
