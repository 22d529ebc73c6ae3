"""How the main window is arranged, and how that arrangement is kept between sessions.

The preview and transport on the left, the titled panels in a scroll area on the right above the Add
button, the queue, log and advanced docks tabbed below; the window's geometry and dock state are
stored in the settings as base64 text. The functions take the widgets they arrange and know nothing
else of the window.
"""
from __future__ import annotations

from ..qt import QByteArray, QDockWidget, QGroupBox, QMainWindow, QScrollArea, QSplitter, Qt, QVBoxLayout, QWidget

SIDE_WIDTH = 340
FIRST_SIZE = (1280, 800)        # the window's size before any geometry was saved
QUEUE_HEIGHT = 190


def central_splitter(preview: QWidget, transport: QWidget, panels: list[tuple[str, QWidget]],
                     footer: list[QWidget]) -> QSplitter:
    """``preview`` over ``transport`` on the left; the ``(title, panel)`` boxes in a scroll area on
    the right, the ``footer`` widgets under it, the right side from ``SIDE_WIDTH`` to 120 pixels wider."""
    left = QWidget()
    lay = QVBoxLayout(left)
    lay.setContentsMargins(6, 6, 0, 4)
    lay.addWidget(preview, 1)
    lay.addWidget(transport)
    side = QWidget()
    side_lay = QVBoxLayout(side)
    side_lay.setContentsMargins(6, 6, 6, 6)
    for title, widget in panels:
        box = QGroupBox(title)
        QVBoxLayout(box).addWidget(widget)
        side_lay.addWidget(box)
    side_lay.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidget(side)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    right = QWidget()
    right_lay = QVBoxLayout(right)
    right_lay.setContentsMargins(0, 0, 0, 4)
    right_lay.addWidget(scroll, 1)
    footer_lay = QVBoxLayout()
    footer_lay.setContentsMargins(12, 0, 12, 0)
    for widget in footer:
        footer_lay.addWidget(widget)
    right_lay.addLayout(footer_lay)
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(left)
    splitter.addWidget(right)
    splitter.setStretchFactor(0, 1)
    splitter.setStretchFactor(1, 0)
    splitter.setChildrenCollapsible(False)
    right.setMinimumWidth(SIDE_WIDTH)
    right.setMaximumWidth(SIDE_WIDTH + 120)
    return splitter


def arrange_docks(window: QMainWindow, queue_dock: QDockWidget, log_dock: QDockWidget,
                  advanced_dock: QDockWidget) -> None:
    """The three docks tabbed at the bottom, the queue in front, the others hidden."""
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    window.addDockWidget(bottom, queue_dock)
    window.addDockWidget(bottom, log_dock)
    window.tabifyDockWidget(queue_dock, log_dock)
    queue_dock.raise_()
    log_dock.hide()
    window.addDockWidget(bottom, advanced_dock)
    window.tabifyDockWidget(log_dock, advanced_dock)     # tabs: the preview keeps its width at 1280x800
    advanced_dock.hide()
    window.resizeDocks([queue_dock], [QUEUE_HEIGHT], Qt.Orientation.Vertical)


def restore_layout(window: QMainWindow, settings) -> None:
    """The geometry and dock state saved in ``settings`` (an AppSettings); ``FIRST_SIZE`` if none."""
    if settings.window_geometry:
        window.restoreGeometry(QByteArray.fromBase64(settings.window_geometry.encode()))
    else:
        window.resize(*FIRST_SIZE)
    if settings.window_state:
        window.restoreState(QByteArray.fromBase64(settings.window_state.encode()))


def save_layout(window: QMainWindow, settings) -> None:
    """The window's geometry and dock state into ``settings``, for :func:`restore_layout`."""
    settings.window_geometry = bytes(window.saveGeometry().toBase64()).decode()
    settings.window_state = bytes(window.saveState().toBase64()).decode()
