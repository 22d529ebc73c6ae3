"""numpy <-> QImage, in one place."""
from __future__ import annotations

import numpy as np

from ..qt import QImage


def qimage_from_rgb(array: np.ndarray) -> QImage:
    """A QImage that owns a copy of a contiguous ``uint8 (H, W, 3)`` RGB array."""
    array = np.ascontiguousarray(array)
    h, w, _ = array.shape
    return QImage(array.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def rgb_from_qimage(image: QImage) -> np.ndarray:
    """``uint8 (H, W, 3)`` copy of a QImage's pixels (for tests and screenshots)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return buf[:, :3 * w].reshape(h, w, 3).copy()
