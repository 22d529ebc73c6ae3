"""What the preview area shows before a clip is open: an invitation to act, not faint grey text.

``install_start_screen(window)`` lays a :class:`StartScreen` over the window's preview area until the
first clip opens (``state.clipChanged``). It offers **Open…** (Ctrl+O), **Open the sample clip** (the
bundled one, when this copy has it) and says that a video file can be dropped anywhere on the window
(the window takes the drop: this widget does not accept drops, so they reach it).
"""
from __future__ import annotations

from ..qt import QEvent, QFont, QLabel, QObject, QPalette, QPushButton, Qt, QVBoxLayout, QWidget, icon


class StartScreen(QWidget):
    """The start screen over ``area`` (it follows the area's size); ``open_clip`` and ``open_sample``
    are called by its buttons (``open_sample=None`` hides that button)."""

    def __init__(self, area: QWidget, open_clip, open_sample=None):
        super().__init__(area)
        self.setObjectName("startScreen")
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        art = QLabel()
        art.setPixmap(icon("mdi6.movie-open-outline").pixmap(72, 72))
        title = QLabel("Open a clip to start")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        title.setObjectName("startTitle")
        hint = QLabel("Drop a video file anywhere on this window, or:")
        hint.setObjectName("startHint")
        self.open_button = QPushButton(icon("mdi6.folder-open-outline"), "Open a clip…  (Ctrl+O)")
        self.open_button.setObjectName("startOpen")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(open_clip)
        self.sample_button = QPushButton(icon("mdi6.filmstrip"), "Open the sample clip")
        self.sample_button.setObjectName("startSample")
        self.sample_button.setToolTip("Big Buck Bunny, 3 s at 320 x 180 (CC BY 3.0): try the scale and the preview")
        self.sample_button.setVisible(open_sample is not None)
        if open_sample is not None:
            self.sample_button.clicked.connect(open_sample)
        lay = QVBoxLayout(self)
        lay.addStretch(1)
        for w in (art, title, hint, self.open_button, self.sample_button):
            lay.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.setSpacing(10)
        lay.addStretch(1)
        for button in (self.open_button, self.sample_button):
            button.setMinimumWidth(240)
            button.setMinimumHeight(34)
        area.installEventFilter(self)
        self.setGeometry(area.rect())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(watched.rect())
        return False


def install_start_screen(window) -> StartScreen:
    """Show a :class:`StartScreen` over ``window.preview`` until a clip is open."""
    from engine.resources import sample_clip_path
    sample = sample_clip_path()
    screen = StartScreen(window.preview, window.open_dialog,
                         (lambda: window.open_path(str(sample))) if sample else None)
    window.state.clipChanged.connect(lambda info: screen.setVisible(info is None))
    screen.setVisible(window.state.clip is None)
    screen.raise_()
    return screen
