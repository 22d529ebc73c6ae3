"""The codec, quality and container fields, as the output panel and the settings dialog show them."""
from __future__ import annotations

from engine.video import formats

from ..qt import QComboBox, QSpinBox, Qt

CODEC_ORDER = ("h264", "h265", "prores-proxy", "prores-lt", "prores-422", "prores", "prores4444", "dnxhr-lb",
               "dnxhr-sq", "dnxhr-hq", "dnxhr-hqx", "dnxhr-444", "ffv1", "png")
EXTENSIONS = (".mp4", ".mov", ".mkv", ".mxf")
TIPS = {"dnxhr-hqx": "10-bit 4:2:2", "dnxhr-444": "10-bit 4:4:4", "dnxhr-lb": "8-bit 4:2:2, offline quality",
        "dnxhr-sq": "8-bit 4:2:2", "dnxhr-hq": "8-bit 4:2:2", "prores": "ProRes 422 HQ"}


def containers_for(codec: str) -> list[str]:
    """File extensions that can hold ``codec``, as the engine allows (none for a PNG sequence): DNxHR
    goes in MOV or MXF, ProRes in MOV or MKV."""
    if codec == "png":
        return []
    return [ext for ext in EXTENSIONS if formats.container_accepts(formats.CONTAINERS[ext], codec)]


def select(combo: QComboBox, value) -> bool:
    """Select the item whose data is ``value`` (else the first); whether it was there."""
    i = combo.findData(value)
    combo.setCurrentIndex(i if i >= 0 else 0)
    return i >= 0


class CodecFields:
    """``codec``, ``crf`` and ``container`` widgets; the container list follows the codec, and the
    CRF is enabled only for H.264/H.265. ``on_change`` is called after any of them changes."""

    def __init__(self, on_change=None, crf_prefix: str = ""):
        self.on_change = on_change or (lambda: None)
        self.codec = QComboBox()
        for codec in CODEC_ORDER:
            self.codec.addItem(formats.LABELS[codec], codec)
            if codec in TIPS:
                self.codec.setItemData(self.codec.count() - 1, TIPS[codec], Qt.ItemDataRole.ToolTipRole)
        self.codec.setToolTip("Video codec of the output (H.264 plays everywhere; ProRes and DNxHR for editing, "
                              "DNxHR in MXF for Avid; FFV1 for archiving; PNG writes one image per frame)")
        self.crf = QSpinBox()
        self.crf.setRange(0, 51)
        self.crf.setPrefix(crf_prefix)
        self.crf.setToolTip("Quality of H.264/H.265: 0 is lossless, 18 visually lossless, 23 the default, "
                            "51 the smallest file")
        self.container = QComboBox()
        self.container.setToolTip("File type of the output")
        self.codec.currentIndexChanged.connect(lambda _i: self.codec_changed())
        self.crf.valueChanged.connect(lambda _v: self.on_change())
        self.container.currentIndexChanged.connect(lambda _i: self.on_change())
        self.codec_changed()

    def codec_changed(self):
        codec = self.codec.currentData()
        previous = self.container.currentData()
        self.container.blockSignals(True)
        self.container.clear()
        for ext in containers_for(codec):
            self.container.addItem(ext.lstrip(".").upper(), ext)
        select(self.container, previous)
        self.container.blockSignals(False)
        self.container.setEnabled(self.container.count() > 0)
        self.crf.setEnabled(codec in ("h264", "h265"))
        self.on_change()

    def set_values(self, codec: str, crf: int, container: str):
        select(self.codec, codec)
        self.crf.setValue(crf)
        select(self.container, "." + container.lstrip("."))

    def container_ext(self) -> str:
        """The chosen extension (``.mp4`` when the codec has none, as for PNG)."""
        return self.container.currentData() or ".mp4"
