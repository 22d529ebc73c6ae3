"""The preview: two synchronised panes side by side, or one pane with a split line, and its tools."""
from __future__ import annotations

import time

from ..qt import (
    QApplication,
    QButtonGroup,
    QComboBox,
    QEvent,
    QHBoxLayout,
    QImage,
    QLabel,
    QObject,
    QPointF,
    QRect,
    QSize,
    QStackedWidget,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
    icon,
)
from .before_after import PreviewImages
from .pane import ImagePane
from .viewport import Viewport

HOLD_S = 0.3        # the flip key held longer than this flips back on release (press and hold to compare)


def _tool(text: str, icon_name: str, tip: str, checkable: bool = False) -> QToolButton:
    b = QToolButton()
    if icon_name:
        b.setIcon(icon(icon_name))
    b.setText(text)
    b.setToolTip(tip)
    b.setCheckable(checkable)
    b.setAutoRaise(True)
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon if text else Qt.ToolButtonStyle.ToolButtonIconOnly)
    return b


class FlipHold(QObject):
    """Watches the flip key's release: a key held down flips back when let go."""

    def __init__(self, area: PreviewArea):
        super().__init__(area)
        self.area = area
        self.pressed_at: float | None = None

    def eventFilter(self, obj, event):
        if (event.type() == QEvent.Type.KeyRelease and event.key() == Qt.Key.Key_Backslash
                and not event.isAutoRepeat() and self.pressed_at is not None):
            if time.perf_counter() - self.pressed_at > HOLD_S:
                self.area.flip()
            self.pressed_at = None
        return False


class PreviewArea(QWidget):
    """Emits ``regionChanged`` with the part of the output the SAVSR pane shows (output pixels)."""

    regionChanged = Signal(QRect)
    modeChanged = Signal(str)
    methodChanged = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.viewport = Viewport(self)
        self.images = PreviewImages(self)
        self.before_pane = ImagePane("before", self.viewport, self.images)
        self.after_pane = ImagePane("after", self.viewport, self.images)
        self.split_pane = ImagePane("split", self.viewport, self.images)
        self.before_pane.setObjectName("beforePane")
        self.after_pane.setObjectName("afterPane")
        self.split_pane.setObjectName("splitPane")
        self.stack = QStackedWidget()
        side = QWidget()
        row = QHBoxLayout(side)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self.before_pane)
        row.addWidget(self.after_pane)
        self.stack.addWidget(side)
        self.stack.addWidget(self.split_pane)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.stack, 1)
        layout.addLayout(self._tools())
        self.viewport.changed.connect(self._viewport_changed)
        for pane in (self.before_pane, self.after_pane, self.split_pane):
            pane.doubleClicked.connect(self.toggle_fit)
        self.split_pane.splitMoved.connect(lambda _f: self._viewport_changed())
        self.setMinimumSize(QSize(420, 260))
        self._hold = FlipHold(self)
        if QApplication.instance() is not None:
            QApplication.instance().installEventFilter(self._hold)

    def _tools(self) -> QHBoxLayout:
        self.side_button = _tool("Side by side", "mdi6.view-split-vertical", "Before and after in two panes", True)
        self.split_button = _tool("Split", "mdi6.compare-horizontal",
                                  "One pane with a draggable split line: before left, after right", True)
        self.side_button.setChecked(True)
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.side_button)
        group.addButton(self.split_button)
        self.side_button.toggled.connect(lambda on: on and self.set_mode("side"))
        self.split_button.toggled.connect(lambda on: on and self.set_mode("split"))
        self.fit_button = _tool("Fit", "mdi6.fit-to-screen-outline", "Fit the frame in the pane (Ctrl+0)")
        self.actual_button = _tool("100%", "mdi6.magnify-scan", "One output pixel per screen pixel (Ctrl+1)")
        self.zoom_out_button = _tool("", "mdi6.magnify-minus-outline", "Zoom out (Ctrl+-)")
        self.zoom_in_button = _tool("", "mdi6.magnify-plus-outline", "Zoom in (Ctrl++)")
        self.zoom200_button = _tool("200%", "", "Two screen pixels per output pixel, unsmoothed (Alt+2)")
        self.zoom400_button = _tool("400%", "", "Four screen pixels per output pixel, unsmoothed (Alt+4)")
        self.zoom200_button.clicked.connect(lambda: self.zoom_to(2))
        self.zoom400_button.clicked.connect(lambda: self.zoom_to(4))
        self.flip_button = _tool("Flip", "mdi6.flip-horizontal", "Swap before and after in the panes (\\; hold to "
                                 "compare, release to return)", True)
        self.flip_button.toggled.connect(self._flip_toggled)
        self.fit_button.clicked.connect(self.viewport.fit)
        self.actual_button.clicked.connect(self.viewport.actual_size)
        self.zoom_out_button.clicked.connect(lambda: self.zoom_by(1 / 1.25))
        self.zoom_in_button.clicked.connect(lambda: self.zoom_by(1.25))
        self.zoom_label = QLabel("100%")
        self.zoom_label.setMinimumWidth(80)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_label.setToolTip("Zoom of the output frame; wheel to zoom, drag to pan, double-click to fit")
        self.method_combo = QComboBox()
        self.method_combo.addItem("Bicubic", "bicubic")
        self.method_combo.addItem("Nearest", "nearest")
        self.method_combo.setToolTip("How the BEFORE pane enlarges the source to the output size")
        self.method_combo.currentIndexChanged.connect(lambda _i: self._method_changed())
        row = QHBoxLayout()
        row.setContentsMargins(4, 0, 4, 0)
        for w in (self.side_button, self.split_button):
            row.addWidget(w)
        row.addSpacing(12)
        row.addWidget(QLabel("Before:"))
        row.addWidget(self.method_combo)
        row.addStretch(1)
        row.addWidget(self.flip_button)
        for w in (self.fit_button, self.actual_button, self.zoom200_button, self.zoom400_button, self.zoom_out_button,
                  self.zoom_label, self.zoom_in_button):
            row.addWidget(w)
        return row

    def showEvent(self, event):
        self.viewport.pixel_ratio = self.devicePixelRatioF()
        super().showEvent(event)

    # ---- modes and zoom ----------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return "split" if self.stack.currentIndex() == 1 else "side"

    def set_mode(self, mode: str):
        self.stack.setCurrentIndex(1 if mode == "split" else 0)
        (self.split_button if mode == "split" else self.side_button).setChecked(True)
        pane = self.split_pane if mode == "split" else self.after_pane
        if pane.width() > 0:
            self.viewport.set_pane_size(pane.size())
        self.modeChanged.emit(self.mode)
        self._viewport_changed()

    def zoom_by(self, factor: float):
        self.viewport.set_zoom(self.viewport.zoom * factor)

    def zoom_to(self, factor: float):
        """``factor`` screen pixels per output pixel (2: 200%); from 100% up pixels are not smoothed."""
        self.viewport.set_zoom(factor / self.viewport.pixel_ratio)

    def flip(self):
        """Swap before and after (the flip key: press to toggle, hold to compare)."""
        self.flip_button.toggle()

    def flip_pressed(self):
        """The flip key went down: flip now; :class:`FlipHold` flips back if it is held."""
        self._hold.pressed_at = time.perf_counter()
        self.flip()

    def _flip_toggled(self, on: bool):
        self.images.set_flipped(on)

    def toggle_fit(self):
        if self.viewport.fitted:
            self.viewport.actual_size()
        else:
            self.viewport.fit()

    def _method_changed(self):
        method = self.method_combo.currentData()
        self.images.before_label = method
        self.methodChanged.emit(method)

    def method(self) -> str:
        return self.method_combo.currentData()

    # ---- images ------------------------------------------------------------------------------
    def set_before(self, image: QImage):
        self.images.set_before(image)
        self.viewport.set_image_size(image.size())

    def clear(self):
        self.images.clear()
        self.viewport.set_image_size(QSize(0, 0))

    def visible_region(self) -> QRect:
        """The output pixels the SAVSR side shows: the after pane, or right of the split line."""
        region = self.viewport.visible_region()
        if self.mode == "split":
            left = int(self.viewport.to_image(QPointF(self.split_pane.width() * self.split_pane.split, 0)).x())
            region.setLeft(max(region.left(), left))
        return region

    def _viewport_changed(self):
        self.zoom_label.setText(f"Zoom {self.viewport.percent:.0f}%")
        if not self.viewport.image_size.isEmpty():
            self.regionChanged.emit(self.visible_region())
