"""One preview pane: paints the before image, the SAVSR patches, or both split by a line."""
from __future__ import annotations

from ..qt import QColor, QFont, QMouseEvent, QPainter, QPen, QPointF, QRectF, Qt, QTimer, QWheelEvent, QWidget, Signal
from .before_after import PreviewImages
from .viewport import Viewport

WHEEL_STEP = 1.25
HANDLE_GRAB = 6          # pixels either side of the split line that grab it
BACKGROUND = QColor(28, 28, 30)
TEXT = QColor(235, 235, 235)


class ImagePane(QWidget):
    """``kind``: ``before``, ``after`` or ``split`` (before left of the line, SAVSR right)."""

    splitMoved = Signal(float)
    doubleClicked = Signal()

    def __init__(self, kind: str, viewport: Viewport, images: PreviewImages, parent=None):
        super().__init__(parent)
        self.kind, self.viewport, self.images = kind, viewport, images
        self.split = 0.5
        self.empty_text = "Open a clip (Ctrl+O) or drop one here"
        self._drag: QPointF | None = None
        self._dragging_split = False
        self._spin = 0
        self._spinner = QTimer(self, interval=80, timeout=self._tick)
        self.setMinimumSize(160, 120)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        viewport.changed.connect(self.update)
        images.changed.connect(self._images_changed)

    def _images_changed(self):
        shows_after = self.kind != "before"
        if shows_after and self.images.busy and self.isVisible():
            self._spinner.start()
        else:
            self._spinner.stop()
        self.update()

    def _tick(self):
        self._spin = (self._spin + 30) % 360
        self.update()

    # ---- painting ----------------------------------------------------------------------------
    def paintEvent(self, _event):
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self.images.before is None:
            self._paint_empty(p)
            return
        smooth = self.viewport.percent < 100      # at 100% and closer, show the pixels as they are
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        left, right = (self._paint_after, self._paint_before) if self.images.flipped else (
            self._paint_before, self._paint_after)
        if self.kind == "before":
            left(p)
        elif self.kind == "after":
            right(p)
        else:
            x = round(self.width() * self.split)
            p.save()
            p.setClipRect(0, 0, x, self.height())
            left(p)
            p.restore()
            p.save()
            p.setClipRect(x, 0, self.width() - x, self.height())
            right(p)
            p.restore()
            self._paint_split_line(p, x)
        self._paint_labels(p)
        if self.kind != "before" and self.images.busy:
            self._paint_progress(p)

    def _paint_progress(self, p: QPainter):
        """A thin line along the bottom: tiles of the view on screen out of tiles in the view."""
        done, total = self.images.progress
        if total:
            p.fillRect(QRectF(0, self.height() - 3, self.width() * done / total, 3), QColor(80, 200, 120, 220))

    def _paint_before(self, p: QPainter):
        p.drawImage(self.viewport.image_rect_on_pane(), self.images.before)

    def _paint_after(self, p: QPainter):
        self._paint_before(p)
        z = self.viewport.zoom
        for image, rect in self.images.patches:
            top_left = self.viewport.to_pane(QPointF(rect.x(), rect.y()))
            p.drawImage(QRectF(top_left.x(), top_left.y(), rect.width() * z, rect.height() * z), image)

    def _paint_split_line(self, p: QPainter, x: int):
        p.setPen(QPen(QColor(255, 255, 255, 220), 2))
        p.drawLine(x, 0, x, self.height())
        p.setBrush(QColor(255, 255, 255, 220))
        p.drawEllipse(QPointF(x, self.height() / 2), 7, 7)

    def _badge(self, p: QPainter, text: str, right: bool = False, x_limit: int | None = None):
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, font.pointSizeF() * 0.92))
        p.setFont(font)
        fm = p.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 14, fm.height() + 6
        x = (x_limit if x_limit is not None else self.width()) - w - 8 if right else 8
        rect = QRectF(x, 8, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(rect, 4, 4)
        p.setPen(TEXT)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        return rect

    def _paint_labels(self, p: QPainter):
        before = f"BEFORE · {self.images.before_label}"
        after = ("AFTER · bicubic stand-in (not cached)" if self.images.standin
                 else f"AFTER · SAVSR{self._after_status()}")
        if self.images.flipped:
            before, after = f"{after}  [flipped \\]", f"{before}  [flipped \\]"
        if self.kind == "before":
            self._badge(p, before)
            return
        if self.kind == "split":
            self._badge(p, before)
        rect = self._badge(p, after, right=True)
        if self.images.busy:
            self._paint_spinner(p, QPointF(rect.left() - 12, rect.center().y()))
        if self.images.after_error:
            self._paint_error(p, self.images.after_error)

    def _after_status(self) -> str:
        if self.images.busy:
            done, total = self.images.progress
            return f"  {done}/{total} tiles…" if total > 1 else "  computing…"
        if self.images.seconds is not None and self.images.patches:
            return f"  {self.images.seconds:.2f} s"
        return ""

    def _paint_spinner(self, p: QPainter, centre: QPointF):
        p.setPen(QPen(QColor(90, 170, 255), 3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawArc(QRectF(centre.x() - 7, centre.y() - 7, 14, 14), -self._spin * 16, 270 * 16)

    def _paint_error(self, p: QPainter, message: str):
        rect = QRectF(16, self.height() - 80, self.width() - 32, 64)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(120, 30, 30, 200))
        p.drawRoundedRect(rect, 6, 6)
        p.setPen(TEXT)
        p.drawText(rect.adjusted(10, 6, -10, -6), Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap,
                   f"SAVSR preview unavailable: {message}")

    def _paint_empty(self, p: QPainter):
        p.setPen(QColor(160, 160, 160))
        text = self.empty_text if self.kind != "after" else "SAVSR result appears here"
        p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)

    # ---- interaction -------------------------------------------------------------------------
    def resizeEvent(self, event):
        if self.isVisible():   # hidden panes get resized too (e.g. by grab()); they do not set the view
            self.viewport.set_pane_size(event.size())
        super().resizeEvent(event)

    def showEvent(self, event):
        self.viewport.set_pane_size(self.size())
        super().showEvent(event)

    def wheelEvent(self, event: QWheelEvent):
        steps = event.angleDelta().y() / 120
        if steps:
            self.viewport.set_zoom(self.viewport.zoom * WHEEL_STEP ** steps, event.position())
        event.accept()

    def _near_split(self, x: float) -> bool:
        return self.kind == "split" and abs(x - self.width() * self.split) <= HANDLE_GRAB

    def mousePressEvent(self, event: QMouseEvent):
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging_split = self._near_split(event.position().x())
            self._drag = event.position()
            if not self._dragging_split:
                self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent):
        pos = event.position()
        if self._drag is None:
            cursor = Qt.CursorShape.SplitHCursor if self._near_split(pos.x()) else Qt.CursorShape.OpenHandCursor
            self.setCursor(cursor if self.images.before is not None else Qt.CursorShape.ArrowCursor)
            return
        if self._dragging_split:
            self.split = min(0.98, max(0.02, pos.x() / max(1, self.width())))
            self.splitMoved.emit(self.split)
            self.update()
        else:
            delta = pos - self._drag
            self.viewport.pan(delta.x(), delta.y())
        self._drag = pos

    def mouseReleaseEvent(self, _event):
        self._drag = None
        self._dragging_split = False
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    def mouseDoubleClickEvent(self, _event):
        self.doubleClicked.emit()
