"""Pixel aspect: the shape of a stored pixel, and presets for the usual SD and DV sources.

SD video stores a 4:3 or 16:9 picture in 720 pixels per line, so its pixels are not square: a
16:9 PAL frame is 720x576 with a sample aspect ratio of 64:45 (shown 1024x576). Files often say
nothing or the wrong thing (DV in AVI, DVD rips), so a preset names the source instead. Presets
take the whole stored width as the picture, as DVDs and most files tag it.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Preset:
    label: str
    size: tuple[int, int]        # stored (w, h)
    picture: Fraction            # display aspect ratio

    def sample_aspect(self, width: int, height: int) -> Fraction:
        return self.picture * height / width


PRESETS = {
    "pal": Preset("PAL 4:3 (720x576)", (720, 576), Fraction(4, 3)),
    "pal-wide": Preset("PAL 16:9 (720x576)", (720, 576), Fraction(16, 9)),
    "ntsc": Preset("NTSC 4:3 (720x486)", (720, 486), Fraction(4, 3)),
    "ntsc-wide": Preset("NTSC 16:9 (720x486)", (720, 486), Fraction(16, 9)),
    "ntsc-dv": Preset("NTSC DV/DVD 4:3 (720x480)", (720, 480), Fraction(4, 3)),
    "ntsc-dv-wide": Preset("NTSC DV/DVD 16:9 (720x480)", (720, 480), Fraction(16, 9)),
}
WIDTHS = (720, 704)  # 704 is the same picture without the blanking at the line's ends


class AspectError(ValueError):
    """A pixel aspect that is not a preset or a ratio, or a preset for another frame size."""


def sample_aspect(text: str, width: int, height: int) -> Fraction:
    """The sample aspect ratio ``text`` (a preset name or ``N:M``) means for a ``width``x``height`` clip."""
    key = text.strip().lower()
    if key in PRESETS:
        preset = PRESETS[key]
        if width not in WIDTHS or height != preset.size[1]:
            raise AspectError(f"pixel aspect preset {key} is for {preset.label} frames; this clip is "
                              f"{width}x{height}")
        return preset.sample_aspect(width, height)
    try:
        num, den = (int(v) for v in key.replace("/", ":").split(":"))
    except ValueError:
        raise AspectError(f"pixel aspect {text!r} is neither a ratio such as 64:45 nor one of the presets "
                          f"{', '.join(PRESETS)}") from None
    if num <= 0 or den <= 0 or not 0.25 <= num / den <= 4:
        raise AspectError(f"pixel aspect {text!r} is out of range (a pixel between 1:4 and 4:1)")
    return Fraction(num, den)


def ratio(value: Fraction) -> str:
    return f"{value.numerator}:{value.denominator}"


def picture(value: Fraction) -> str:
    """A display aspect in words: ``16:9``, ``4:3`` or ``1.85:1``."""
    for known in (Fraction(16, 9), Fraction(4, 3), Fraction(1), Fraction(21, 9)):
        if abs(value / known - 1) < 0.005:
            return ratio(known)
    return f"{float(value):.3g}:1"
