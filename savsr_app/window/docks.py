"""The window's docks besides the queue: the log, and the advanced dock that holds fine-tuning."""
from __future__ import annotations

import time

from ..qt import QDockWidget, QLabel, QMainWindow, QPlainTextEdit, QScrollArea, Qt, QVBoxLayout, QWidget, Signal, icon

MAX_LOG_LINES = 5000
LOG_HEIGHT = 220
TAB_ROOM = 56           # the dock's title bar and the tab bar under a tabbed dock, in pixels


def bring_forward(dock: QDockWidget, height: int) -> None:
    """``dock`` in front of the docks it is tabbed with, and its area ``height`` pixels tall, or as tall
    as the window's central part can give (it keeps its minimum size). View > Log and View > Advanced
    call this when they show their dock, so it never opens behind Queue."""
    dock.raise_()
    window = dock.parentWidget()
    if not isinstance(window, QMainWindow) or window.dockWidgetArea(dock) == Qt.DockWidgetArea.NoDockWidgetArea:
        return
    central = window.centralWidget()
    spare = central.height() - central.minimumSizeHint().height() if central is not None else 0
    window.resizeDocks([dock], [max(dock.height(), min(height, dock.height() + max(0, spare)))],
                       Qt.Orientation.Vertical)


def _shown_in_front(dock: QDockWidget, height) -> None:
    """The dock's View action brings it forward (``height()``: the height it wants) when it shows it."""
    dock.toggleViewAction().triggered.connect(lambda on: on and bring_forward(dock, height()))


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
        _shown_in_front(self, lambda: LOG_HEIGHT)

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
        _shown_in_front(self, self.wanted_height)
        self.toggleViewAction().triggered.connect(lambda on: on and self.show_start())

    def set_panel(self, widget: QWidget):
        """Put the fine-tuning panel in the dock (it replaces the heading-only panel)."""
        self.setWidget(widget)

    def wanted_height(self) -> int:
        """Tall enough for the panel down to its Start button (all of it when it has none)."""
        panel = self.widget()
        start = getattr(panel, "start_button", None)
        scroll = panel.findChild(QScrollArea)
        if start is None or scroll is None or scroll.widget() is None:
            return panel.sizeHint().height() + TAB_ROOM
        return start.mapTo(scroll.widget(), start.rect().bottomLeft()).y() + TAB_ROOM

    def show_start(self):
        """Scroll the panel, if it must, so its Start button shows (a short window)."""
        panel = self.widget()
        start, scroll = getattr(panel, "start_button", None), panel.findChild(QScrollArea)
        if start is not None and scroll is not None:
            scroll.ensureWidgetVisible(start, 0, 12)
