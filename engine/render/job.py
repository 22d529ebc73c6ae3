"""A render, described as data.

:class:`RenderJob` is the one description of a render that the CLI, the GUI queue, the
queue's JSON persistence and the tests all share. It is frozen: the queue freezes the
user's settings into a job when it is added, and later edits never reach it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

MIN_SCALE, MAX_SCALE = 1.0, 4.0
CODECS = ("h264", "h265", "prores", "prores4444", "ffv1", "png", "prores-proxy", "prores-lt", "prores-422",
          "dnxhr-lb", "dnxhr-sq", "dnxhr-hq", "dnxhr-hqx", "dnxhr-444")
DEINTERLACE = ("auto", "off", "field", "frame")
PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")   # as engine.backends.precision.PRECISIONS


@dataclass(frozen=True)
class RenderJob:
    """One render: input, range, scale, output and how to compute it.

    Scale: ``scale_w``/``scale_h`` in [1, 4], or ``target_size=(W, H)`` from which the
    factors follow. ``start``/``end`` are seconds into the input (``None``: whole clip).
    ``model``: ``None`` or ``"auto"`` lets the clip choose between the bundled ``clean`` and
    ``compressed`` models (:mod:`engine.models.choice`); a bundled name or a file path picks one.
    ``tile=0`` means choose automatically. ``backend`` and ``precision`` ``auto``: what this machine
    computes fastest within the accuracy gate (:mod:`engine.backends.choice`); the renderer settles
    both before the first frame (:mod:`engine.render.compute`).
    ``overwrite=False`` (the default, as on the command line) refuses to replace an existing output file.
    ``deinterlace``: auto (when the frames show combing), off, field (one frame per field: 50p from
    50i) or frame (25p from 50i). ``pixel_aspect``: the input's pixel shape when its tag is missing
    or wrong (a preset name from :mod:`engine.video.aspect` or ``"N:M"``). ``square_pixels``: a
    non-square source is made square, with factors in display terms (off: pixels keep their shape).
    """

    input: str
    output: str
    scale_w: float | None = 2.0
    scale_h: float | None = 2.0
    target_size: tuple[int, int] | None = None
    start: float | None = None
    end: float | None = None
    codec: str = "h264"
    crf: int = 18
    preset: str = "medium"
    pix_fmt: str | None = None
    model: str | None = None
    device: str = "auto"
    precision: str = "auto"        # auto, fp32, bf16, fp16 (the network's LR stage)
    backend: str = "auto"          # engine.backends: auto, torch, openvino, onnxruntime
    tile: int = 0
    overwrite: bool = False        # as the CLI: an existing output is never replaced unasked
    deinterlace: str = "auto"
    pixel_aspect: str | None = None
    square_pixels: bool = True
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        if d["target_size"] is not None:
            d["target_size"] = list(d["target_size"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> RenderJob:
        names = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in d.items() if k in names}
        if d.get("target_size") is not None:
            d["target_size"] = tuple(d["target_size"])
        return cls(**d)

    def replace(self, **changes) -> RenderJob:
        return dataclasses.replace(self, **changes)

    @property
    def name(self) -> str:
        return Path(self.input).name
