"""The open clip's facts: size, frame rate, duration, frames, codec, audio, colour."""
from __future__ import annotations

from pathlib import Path

from ..qt import QFormLayout, QLabel, Qt, QWidget
from ..preview.transport import timecode

FIELDS = ("File", "Size", "Frame rate", "Duration", "Codec", "Audio", "Colour")


def describe(info) -> dict[str, str]:
    """Human-readable facts of a ``ClipInfo``."""
    w, h = info.display_size
    size = f"{w} × {h}" + (f" (rotated {info.rotation}°)" if info.rotation else "")
    fps = f"{info.fps:.3f}".rstrip("0").rstrip(".") + " fps" + (" (variable)" if info.vfr else "")
    codec = f"{info.codec}, {info.pix_fmt}" + (f", {info.bit_depth}-bit" if info.bit_depth > 8 else "")
    if info.audio:
        a = info.audio[0]
        audio = f"{a.codec}, {a.sample_rate / 1000:g} kHz, {a.layout or f'{a.channels} ch'}"
        if len(info.audio) > 1:
            audio += f" (+{len(info.audio) - 1} more)"
    else:
        audio = "none"
    colour = f"{info.matrix} / {info.primaries} / {info.transfer}, {info.range} range"
    if info.matrix == "unknown":
        colour = f"untagged (read as {info.rgb_matrix}, {info.rgb_range} range)"
    duration = f"{timecode(info.duration)} ({info.frame_count} frames)"
    if info.cut_short:
        duration += f" — cut short? header says {timecode(info.declared_duration)}"
    return {"File": Path(info.path).name, "Size": size, "Frame rate": fps, "Duration": duration, "Codec": codec,
            "Audio": audio, "Colour": colour}


class ClipPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(2)
        self.values: dict[str, QLabel] = {}
        for name in FIELDS:
            label = QLabel("–")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            self.values[name] = label
            form.addRow(name, label)

    def set_clip(self, info):
        facts = describe(info) if info is not None else {}
        for name, label in self.values.items():
            label.setText(facts.get(name, "–"))
        if info is not None:
            self.values["File"].setToolTip(info.path)
