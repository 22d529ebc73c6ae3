"""Non-modal notifications: a small panel in the window's corner that fades out by itself."""
from __future__ import annotations

from ..qt import QColor, QFrame, QHBoxLayout, QLabel, QPalette, Qt, QTimer, QToolButton, QWidget, icon

SHOW_MS = {"info": 5000, "error": 12000}


class Notifier(QFrame):
    """``show_message(text, kind)``; stays on top of its parent's corner, never takes focus."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("notification")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.icon_label = QLabel()
        self.text_label = QLabel()
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setIcon(icon("mdi6.close"))
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 6, 8)
        row.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.text_label, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.setFixedWidth(380)
        self._timer = QTimer(self, singleShot=True, timeout=self.hide)
        self.kind = "info"
        parent.installEventFilter(self)
        self.hide()

    def show_message(self, text: str, kind: str = "info"):
        self.kind = kind
        name, colour = ("mdi6.alert-circle", QColor(220, 80, 70)) if kind == "error" else \
            ("mdi6.information-outline", QColor(80, 150, 230))
        self.icon_label.setPixmap(icon(name, color=colour).pixmap(20, 20))
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, pal.color(QPalette.ColorRole.ToolTipBase))
        pal.setColor(QPalette.ColorRole.WindowText, pal.color(QPalette.ColorRole.ToolTipText))
        self.setPalette(pal)
        self.text_label.setText(text)
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()
        self._timer.start(SHOW_MS.get(kind, 6000))

    def text(self) -> str:
        return self.text_label.text() if self.isVisible() else ""

    def _place(self):
        parent = self.parentWidget()
        bottom = parent.height() - 16
        status = parent.statusBar() if hasattr(parent, "statusBar") else None
        if status is not None and status.isVisible():
            bottom -= status.height()
        self.move(parent.width() - self.width() - 16, bottom - self.height())

    def eventFilter(self, obj, event):
        if obj is self.parentWidget() and event.type() == event.Type.Resize and self.isVisible():
            self._place()
        return False


def ask_yes_no(parent: QWidget, title: str, question: str) -> bool:
    """A modal Yes/No question, No by default (for what stops or costs the user's work)."""
    from ..qt import QMessageBox
    yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
    return QMessageBox.question(parent, title, question, yes | no, no) == yes
