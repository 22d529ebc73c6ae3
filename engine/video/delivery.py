"""Delivery presets: a size rule, a codec, a container, a quality and a pixel format, under one name.

Five are built in (web H.265, H.264 high quality, ProRes 422 HQ master, DNxHR HQ for Avid, FFV1
archive); users save their own (:mod:`engine.video.delivery_store`). The CLI (``--preset``) and
the app's Delivery field read the same presets. A size rule is ``factors`` (keep the factors the
user chose), ``1080p``/``2160p`` (1920 x 1080 / 3840 x 2160; another shape fits inside with its
aspect kept, as the app's size presets) or ``WxH`` for any such box.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import SavsrError
from . import formats

SIZE_NAMES = {"1080p": (1920, 1080), "2160p": (3840, 2160)}
KEEP = "factors"
QUALITY_CODECS = ("h264", "h265")                       # the codecs a CRF applies to
CODECS = tuple(formats.ENCODERS)                        # h264 ... png, as RenderJob takes them


class PresetError(SavsrError):
    """A preset that does not exist, or whose fields do not fit together."""


def parse_size(rule: str) -> tuple[int, int] | None:
    """The box (w, h) a size rule fits outputs into, ``None`` for ``factors``; raises :class:`PresetError`."""
    text = str(rule).strip().lower()
    if text in (KEEP, ""):
        return None
    if text in SIZE_NAMES:
        return SIZE_NAMES[text]
    try:
        w, h = (int(v) for v in text.replace("*", "x").split("x"))
    except ValueError:
        raise PresetError(f"size rule {rule!r} is not one of factors, {', '.join(SIZE_NAMES)} or WxH "
                          "(e.g. 1280x720)") from None
    if w < 2 or h < 2 or w % 2 or h % 2:
        raise PresetError(f"size rule {rule!r} needs even sizes of at least 2 pixels")
    return w, h


def size_label(rule: str) -> str:
    """``keep factors``, ``1080p (fit 1920x1080)``, ``fit 1280x720``."""
    box = parse_size(rule)
    if box is None:
        return "keep factors"
    name = next((n for n, b in SIZE_NAMES.items() if b == box), "")
    return f"{name} (fit {box[0]}x{box[1]})" if name else f"fit {box[0]}x{box[1]}"


@dataclass(frozen=True)
class DeliveryPreset:
    """One delivery. ``container``: the file extension (``.mp4``; ``""`` for a PNG sequence);
    ``crf``: H.264/H.265 quality (``None`` for the others, whose profile is their quality);
    ``pix_fmt``: ``None`` lets the codec choose for the source (:func:`formats.default_pix_fmt`);
    ``speed``: the x264/x265 speed preset."""

    name: str
    codec: str
    container: str
    size: str = KEEP
    crf: int | None = None
    pix_fmt: str | None = None
    speed: str = "medium"
    builtin: bool = False

    @property
    def target(self) -> tuple[int, int] | None:
        """The box outputs fit into (w, h), or ``None`` when the chosen factors stay."""
        return parse_size(self.size)

    @property
    def quality(self) -> str:
        """``CRF 22``, ``lossless`` or the profile the codec's name carries (``profile``)."""
        if self.codec in QUALITY_CODECS:
            return f"CRF {self.crf}"
        return "lossless" if self.codec in ("ffv1", "png") else "profile"

    def describe(self) -> str:
        """``H.265 in MP4, CRF 22, 1080p (fit 1920x1080), yuv420p``: what choosing it sets."""
        where = f" in {self.container.lstrip('.').upper()}" if self.container else ""
        parts = [formats.LABELS[self.codec] + where]
        if self.codec in QUALITY_CODECS:
            parts.append(f"CRF {self.crf}")
        parts.append(size_label(self.size))
        parts.append(self.pix_fmt or "pixel format for the source")
        return ", ".join(parts)

    def matches(self, codec: str, container: str, crf: int | None, size: str) -> bool:
        """Whether fields showing ``codec``, ``container``, ``crf`` and the size rule ``size`` are this
        preset's (the CRF counts only for H.264/H.265, the size only for a preset that names one)."""
        return (codec == self.codec and container == self.container
                and (self.target is None or parse_size(size) == self.target)
                and (self.codec not in QUALITY_CODECS or crf == self.crf))

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        del d["builtin"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DeliveryPreset:
        """A user preset from its JSON fields, checked (:func:`checked`); raises :class:`PresetError`."""
        if not isinstance(d, dict):
            raise PresetError("a preset is not an object")
        names = {f.name for f in dataclasses.fields(cls)} - {"builtin"}
        try:
            preset = cls(**{k: v for k, v in d.items() if k in names})
        except TypeError as exc:
            raise PresetError(f"a preset lacks a field ({exc})") from None
        return checked(preset)


def checked(p: DeliveryPreset) -> DeliveryPreset:
    """``p`` when its fields fit together (container, CRF, pixel format, speed, size rule), else a
    one-line :class:`PresetError`. The container gets its dot and lower case; H.264/H.265 get CRF 18
    when none is given, other codecs none."""
    name = str(p.name).strip()
    if not name:
        raise PresetError("a preset needs a name")
    if p.codec not in CODECS:
        raise PresetError(f"unknown codec {p.codec!r}: use one of {', '.join(CODECS)}")
    container = "" if p.codec == "png" else "." + str(p.container or "").lower().lstrip(".")
    if p.codec != "png" and (container not in formats.CONTAINERS
                             or not formats.container_accepts(formats.CONTAINERS[container], p.codec)):
        fits = [e for e, f in formats.CONTAINERS.items() if e != ".m4v" and formats.container_accepts(f, p.codec)]
        raise PresetError(f"{formats.LABELS[p.codec]} cannot be stored in {container or 'no container'}: "
                          f"use {' or '.join(fits)}")
    crf = p.crf
    if p.codec in QUALITY_CODECS:
        crf = 18 if crf is None else crf
        if not isinstance(crf, int) or not 0 <= crf <= 51:
            raise PresetError(f"CRF must be a whole number from 0 to 51, got {crf!r}")
    else:
        crf = None
    if p.pix_fmt is not None and p.pix_fmt not in formats.encoder_pix_fmts(p.codec):
        raise PresetError(f"{formats.LABELS[p.codec]} cannot write pixel format {p.pix_fmt!r}: use one of "
                          f"{', '.join(formats.encoder_pix_fmts(p.codec))}")
    if p.speed not in formats.X26X_PRESETS:
        raise PresetError(f"unknown speed preset {p.speed!r}: use one of {', '.join(formats.X26X_PRESETS)}")
    parse_size(p.size)
    return dataclasses.replace(p, name=name, container=container, crf=crf, size=str(p.size).strip().lower() or KEEP)


BUILTIN = (
    DeliveryPreset("Web H.265", "h265", ".mp4", size="1080p", crf=22, pix_fmt="yuv420p", speed="medium",
                   builtin=True),
    DeliveryPreset("H.264 high quality", "h264", ".mp4", crf=16, pix_fmt="yuv420p", speed="slow", builtin=True),
    DeliveryPreset("ProRes 422 HQ master", "prores", ".mov", pix_fmt="yuv422p10le", builtin=True),
    DeliveryPreset("DNxHR HQ for Avid", "dnxhr-hq", ".mxf", pix_fmt="yuv422p", builtin=True),
    DeliveryPreset("FFV1 archive", "ffv1", ".mkv", builtin=True),
)


def key(name: str) -> str:
    """How names compare: case and surrounding spaces do not count."""
    return " ".join(str(name).split()).casefold()


def find(name: str, presets) -> DeliveryPreset:
    """The preset of ``presets`` called ``name`` (any case), or a one-line :class:`PresetError`
    naming the known ones."""
    for p in presets:
        if key(p.name) == key(name):
            return p
    raise PresetError(f"unknown preset {name!r}: known presets are {', '.join(repr(p.name) for p in presets)}")
