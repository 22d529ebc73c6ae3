"""Draw the SAVSR Studio app icon with QPainter and write it as PNG, .ico and .icns.

Run from the repository root (no display needed):

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py

Writes ``resources/icons/``: PNGs at 16..1024 px (``savsr_studio_<size>.png``), ``savsr_studio.png``
(256 px, the window icon), ``savsr_studio.ico`` (Windows: 16..256 px, PNG-compressed entries) and
``savsr_studio.icns`` (macOS: 16..1024 px). The .ico and .icns containers are written here byte by
byte, so no image library beyond Qt is needed and the output is the same on every platform.

The drawing: a rounded blue tile; on it a small film frame (the input) grows into a larger one
that is stretched more to the side than upwards (the output), with a pixel grid in the small
frame and a smooth gradient in the large one -- "any width and height factor".
"""
from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QImage, QLinearGradient, QPainter, QPainterPath, QPen  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "resources" / "icons"
NAME = "savsr_studio"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns element types holding PNG data, by pixel size (retina "@2x" variants share the pixels)
ICNS_TYPES = ((b"icp4", 16), (b"icp5", 32), (b"ic11", 32), (b"icp6", 64), (b"ic12", 64), (b"ic07", 128),
              (b"ic08", 256), (b"ic13", 256), (b"ic09", 512), (b"ic14", 512), (b"ic10", 1024))

BLUE_TOP, BLUE_BOTTOM = QColor("#3d8bfd"), QColor("#1b4fb8")
INK = QColor("#ffffff")
ACCENT = QColor("#ffd166")


def draw(size: int) -> QImage:
    """The icon at ``size`` x ``size`` pixels (drawn on a 1024 grid and scaled by QPainter)."""
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 1024, size / 1024)

    tile = QRectF(64, 64, 896, 896)
    grad = QLinearGradient(tile.topLeft(), tile.bottomLeft())
    grad.setColorAt(0, BLUE_TOP)
    grad.setColorAt(1, BLUE_BOTTOM)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(grad))
    p.drawRoundedRect(tile, 200, 200)

    # the output frame: wide, stretched more horizontally than vertically
    big = QRectF(300, 300, 580, 440)
    fill = QLinearGradient(big.topLeft(), big.bottomRight())
    fill.setColorAt(0, QColor(255, 255, 255, 90))
    fill.setColorAt(1, QColor(255, 255, 255, 30))
    p.setBrush(QBrush(fill))
    p.setPen(QPen(INK, 36, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    p.drawRoundedRect(big, 48, 48)
    # film perforations along the top and bottom edge of the output frame (large sizes only)
    if size >= 48:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(INK)
        for i in range(5):
            x = big.left() + 70 + i * 110
            p.drawRoundedRect(QRectF(x, big.top() + 34, 50, 34), 10, 10)
            p.drawRoundedRect(QRectF(x, big.bottom() - 68, 50, 34), 10, 10)

    # the input frame: small, with a coarse pixel grid
    small = QRectF(150, 560, 260, 200)
    p.setPen(Qt.PenStyle.NoPen)
    cells = 4 if size >= 32 else 2
    cw, ch = small.width() / cells, small.height() / cells
    for r in range(cells):
        for c in range(cells):
            alpha = 255 if (r + c) % 2 == 0 else 170
            p.setBrush(QColor(ACCENT.red(), ACCENT.green(), ACCENT.blue(), alpha))
            p.drawRect(QRectF(small.left() + c * cw, small.top() + r * ch, cw + 0.5, ch + 0.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(INK, 28, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    p.drawRect(small)

    # the arrow from the small frame's corner out to the big frame's corner
    p.setPen(QPen(ACCENT, 44, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    start, tip = QPointF(440, 530), QPointF(700, 400)
    p.drawLine(start, tip)
    head = QPainterPath()
    head.moveTo(tip + QPointF(-150, -10))
    head.lineTo(tip)
    head.lineTo(tip + QPointF(-70, 130))
    p.drawPath(head)
    p.end()
    return img


def png_bytes(img: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not img.save(buf, "PNG"):
        raise RuntimeError("Qt could not encode a PNG")
    buf.close()
    return bytes(data)


def ico_bytes(images: dict[int, bytes]) -> bytes:
    """A Windows .ico holding one PNG-compressed image per size (supported since Windows Vista)."""
    sizes = sorted(images)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, blobs = b"", b""
    for s in sizes:
        data = images[s]
        dim = 0 if s >= 256 else s  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def icns_bytes(images: dict[int, bytes]) -> bytes:
    """A macOS .icns whose elements are PNG images (the format macOS 10.7+ reads)."""
    body = b"".join(kind + struct.pack(">I", 8 + len(images[px])) + images[px] for kind, px in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # QImage text/painting needs one
    OUT.mkdir(parents=True, exist_ok=True)
    pngs = {s: png_bytes(draw(s)) for s in PNG_SIZES}
    for s, data in pngs.items():
        (OUT / f"{NAME}_{s}.png").write_bytes(data)
    (OUT / f"{NAME}.png").write_bytes(pngs[256])
    (OUT / f"{NAME}.ico").write_bytes(ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    (OUT / f"{NAME}.icns").write_bytes(icns_bytes(pngs))
    for name in (f"{NAME}.png", f"{NAME}.ico", f"{NAME}.icns"):
        check = QImage(str(OUT / name))
        if check.isNull():
            print(f"make_icons: Qt cannot read back {name}", file=sys.stderr)
            return 1
    del app
    print(f"make_icons: wrote {len(pngs) + 3} files to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
