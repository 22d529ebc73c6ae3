"""A light live plot drawn with QPainter: training loss (left axis) and validation PSNR of the
model and of bicubic on the held-out frames (right axis), against the training step."""
from __future__ import annotations

import math

from ..qt import QColor, QPainter, QPalette, QPen, QPointF, QRectF, QSize, Qt, QWidget

LOSS_COLOUR = QColor("#3d8bfd")
MODEL_COLOUR = QColor("#2fb36b")
BICUBIC_COLOUR = QColor("#e0883b")
MAX_LOSS_POINTS = 4000
LEGEND = ((LOSS_COLOUR, Qt.PenStyle.SolidLine, "loss"),
          (MODEL_COLOUR, Qt.PenStyle.SolidLine, "fine-tuned dB"),
          (BICUBIC_COLOUR, Qt.PenStyle.DashLine, "bicubic dB"))


def nice_range(lo: float, hi: float) -> tuple[float, float]:
    """A little padding around ``[lo, hi]`` (a flat series gets a band around its value)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 1.0
    if hi - lo < 1e-9:
        pad = abs(hi) * 0.05 or 0.5
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


class LossPlot(QWidget):
    """``add_losses([(step, loss), ...])`` and ``add_validation(step, model_db, bicubic_db)``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.setMinimumSize(QSize(280, 170))
        self.setToolTip("Blue: training loss (left axis).\nGreen: fine-tuned model's PSNR on the held-out frames.\n"
                        "Orange: bicubic's PSNR on the same frames (right axis, dB).")
        self.losses: list[tuple[int, float]] = []
        self.validation: list[tuple[int, float, float]] = []

    # ---- data --------------------------------------------------------------------------------
    def clear(self):
        self.losses, self.validation = [], []
        self.update()

    def add_losses(self, points):
        self.losses.extend((int(s), float(v)) for s, v in points if math.isfinite(v))
        if len(self.losses) > MAX_LOSS_POINTS:       # keep the curve's shape, drop every other point
            self.losses = self.losses[::2]
        self.update()

    def add_validation(self, step: int, model_db: float, bicubic_db: float):
        self.validation = [v for v in self.validation if v[0] != step] + [(int(step), model_db, bicubic_db)]
        self.validation.sort()
        self.update()

    def smoothed(self, window: int = 9) -> list[tuple[int, float]]:
        """Running mean of the loss (centred window), so noise does not hide the trend."""
        if len(self.losses) < 3:
            return list(self.losses)
        half, vals, out = window // 2, [v for _, v in self.losses], []
        for i, (step, _) in enumerate(self.losses):
            part = vals[max(0, i - half): i + half + 1]
            out.append((step, sum(part) / len(part)))
        return out

    # ---- drawing -----------------------------------------------------------------------------
    def _x_range(self) -> tuple[float, float]:
        steps = [s for s, _ in self.losses] + [v[0] for v in self.validation]
        if not steps:
            return 0.0, 1.0
        return 0.0, float(max(max(steps), 1))

    def paintEvent(self, _event):
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        grid = QColor(text)
        grid.setAlpha(40)
        fm = p.fontMetrics()
        left, right, top, bottom = fm.horizontalAdvance("0.0000") + 10, fm.horizontalAdvance("00.0 dB") + 10, \
            fm.height() + 10, fm.height() + 8
        area = QRectF(left, top, max(10, self.width() - left - right), max(10, self.height() - top - bottom))
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        self._legend(p, QRectF(4, 2, self.width() - 8, fm.height()))
        p.setPen(QPen(grid, 1))
        for k in range(5):
            y = area.top() + area.height() * k / 4
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        p.setPen(QPen(text, 1))
        p.drawRect(area)
        x0, x1 = self._x_range()
        p.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), fm.height()),
                   Qt.AlignmentFlag.AlignRight, f"step {int(x1)}")
        p.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), fm.height()), Qt.AlignmentFlag.AlignLeft, "0")
        if not self.losses and not self.validation:
            p.drawText(area.adjusted(8, 0, -8, 0), int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                       "Loss and validation PSNR appear here while training")
            p.end()
            return

        def sx(step):
            return area.left() + area.width() * (step - x0) / (x1 - x0)

        if self.losses:
            curve = self.smoothed()
            lo, hi = nice_range(min(v for _, v in curve), max(v for _, v in curve))
            self._axis_labels(p, area, lo, hi, LOSS_COLOUR, left_side=True, fmt="{:.4f}")
            pts = [QPointF(sx(s), area.bottom() - area.height() * (v - lo) / (hi - lo)) for s, v in curve]
            p.setPen(QPen(LOSS_COLOUR, 1.5))
            p.drawPolyline(pts)
        if self.validation:
            vals = [v for row in self.validation for v in row[1:]]
            lo, hi = nice_range(min(vals), max(vals))
            self._axis_labels(p, area, lo, hi, MODEL_COLOUR, left_side=False, fmt="{:.1f} dB")
            for column, colour in ((1, MODEL_COLOUR), (2, BICUBIC_COLOUR)):
                pts = [QPointF(sx(row[0]), area.bottom() - area.height() * (row[column] - lo) / (hi - lo))
                       for row in self.validation]
                p.setPen(QPen(colour, 1.5, Qt.PenStyle.SolidLine if column == 1 else Qt.PenStyle.DashLine))
                if len(pts) > 1:
                    p.drawPolyline(pts)
                p.setBrush(colour)
                for pt in pts:
                    p.drawEllipse(pt, 3, 3)
        p.end()

    def _legend(self, p: QPainter, row: QRectF):
        """One row above the plot: a line sample and a name per series, left to right."""
        fm, x = p.fontMetrics(), row.left()
        for colour, style, label in LEGEND:
            if x + 22 + fm.horizontalAdvance(label) > row.right() + 4:
                break                                   # too narrow: the tooltip says the rest
            y = row.center().y()
            p.setPen(QPen(colour, 2, style))
            p.drawLine(QPointF(x, y), QPointF(x + 16, y))
            p.setPen(QPen(self.palette().color(QPalette.ColorRole.WindowText), 1))
            p.drawText(QRectF(x + 20, row.top(), fm.horizontalAdvance(label) + 2, row.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
            x += 20 + fm.horizontalAdvance(label) + 12

    def _axis_labels(self, p: QPainter, area: QRectF, lo: float, hi: float, colour: QColor, *, left_side: bool,
                     fmt: str):
        fm = p.fontMetrics()
        p.setPen(QPen(colour, 1))
        for value, y in ((hi, area.top()), (lo, area.bottom() - fm.height())):
            label = fmt.format(value)
            if left_side:
                rect = QRectF(0, y, area.left() - 4, fm.height())
                p.drawText(rect, Qt.AlignmentFlag.AlignRight, label)
            else:
                rect = QRectF(area.right() + 4, y, self.width() - area.right() - 4, fm.height())
                p.drawText(rect, Qt.AlignmentFlag.AlignLeft, label)
