"""Shared zoom and pan of the preview panes (no painting here)."""
from __future__ import annotations

from ..qt import QObject, QPointF, QRect, QRectF, QSize, Signal

MIN_ZOOM, MAX_ZOOM = 0.05, 16.0


class Viewport(QObject):
    """Zoom factor and the image point shown at the panes' centre, for panes of ``pane_size``.

    All panes draw through one Viewport, so zoom and pan stay in step across them.
    """

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.zoom = 1.0
        self.center = QPointF(0, 0)
        self.image_size = QSize(0, 0)
        self.pane_size = QSize(1, 1)
        self.fitted = True
        self.pixel_ratio = 1.0      # device pixels per logical pixel (2 on a HiDPI screen)

    def set_image_size(self, size: QSize):
        if size != self.image_size:
            old = self.image_size
            self.image_size = QSize(size)
            if self.fitted or old.isEmpty():
                self.fit() if self.fitted else self.actual_size()
            elif old.width() and old.height():   # keep looking at the same part of the frame
                fx, fy = size.width() / old.width(), size.height() / old.height()
                self.center = QPointF(self.center.x() * fx, self.center.y() * fy)
                self.changed.emit()

    def show_new_image(self, size: QSize):
        """A new image of ``size`` (a newly opened clip), shown at 100% around its centre."""
        self.image_size = QSize(size)
        self.center = QPointF(size.width() / 2, size.height() / 2)
        self.actual_size()

    def set_pane_size(self, size: QSize):
        if size != self.pane_size and size.width() > 0 and size.height() > 0:
            self.pane_size = QSize(size)
            if self.fitted:
                self.fit()
            else:
                self.changed.emit()

    def fit_zoom(self) -> float:
        if self.image_size.isEmpty():
            return 1.0
        return max(MIN_ZOOM, min(self.pane_size.width() / self.image_size.width(),
                                 self.pane_size.height() / self.image_size.height()))

    def fit(self):
        self.fitted = True
        self.zoom = self.fit_zoom()
        self.center = QPointF(self.image_size.width() / 2, self.image_size.height() / 2)
        self.changed.emit()

    def actual_size(self):
        """One output pixel per device pixel (100%), also on HiDPI screens."""
        self.set_zoom(1.0 / self.pixel_ratio)

    @property
    def percent(self) -> float:
        """Zoom as shown to the user: output pixels per device pixel, in percent."""
        return self.zoom * self.pixel_ratio * 100

    def set_zoom(self, zoom: float, anchor: QPointF | None = None):
        """Zoom keeping the image point under ``anchor`` (pane coordinates) where it is."""
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if anchor is not None:
            before = self.to_image(anchor)
            self.zoom = zoom
            after = self.to_image(anchor)
            self.center += before - after
        else:
            self.zoom = zoom
        self.fitted = False
        self._clamp()
        self.changed.emit()

    def pan(self, dx: float, dy: float):
        """Move the view by ``dx, dy`` pane pixels (drag direction)."""
        self.center -= QPointF(dx / self.zoom, dy / self.zoom)
        self.fitted = False
        self._clamp()
        self.changed.emit()

    def _clamp(self):
        w, h = self.image_size.width(), self.image_size.height()
        self.center = QPointF(min(max(self.center.x(), 0), w), min(max(self.center.y(), 0), h))

    def to_image(self, p: QPointF) -> QPointF:
        half = QPointF(self.pane_size.width() / 2, self.pane_size.height() / 2)
        return (p - half) / self.zoom + self.center

    def to_pane(self, p: QPointF) -> QPointF:
        half = QPointF(self.pane_size.width() / 2, self.pane_size.height() / 2)
        return (p - self.center) * self.zoom + half

    def image_rect_on_pane(self) -> QRectF:
        """Where the whole image lands in pane coordinates."""
        top_left = self.to_pane(QPointF(0, 0))
        return QRectF(top_left.x(), top_left.y(), self.image_size.width() * self.zoom,
                      self.image_size.height() * self.zoom)

    def visible_region(self) -> QRect:
        """The part of the image a pane shows, in whole image pixels (clipped to the image)."""
        a = self.to_image(QPointF(0, 0))
        b = self.to_image(QPointF(self.pane_size.width(), self.pane_size.height()))
        x0, y0 = max(0, int(a.x())), max(0, int(a.y()))
        x1 = min(self.image_size.width(), int(b.x()) + 1)
        y1 = min(self.image_size.height(), int(b.y()) + 1)
        return QRect(x0, y0, max(0, x1 - x0), max(0, y1 - y0))
