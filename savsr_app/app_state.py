"""What the main window's parts share, apart from its widgets: one :class:`AppState`.

The open clip, the scale factors, the render range, the output choice, and the model and device
to run them with. Panels write their part (``set_*``) and follow the rest through the change
signals; nothing here knows a widget, so the state is testable without a window. The main
window wires panels and state together. A queued job is this state frozen: :meth:`AppState.job`.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.render.job import RenderJob

from .qt import QObject, Signal


@dataclass(frozen=True)
class OutputChoice:
    """How new jobs write their file. ``extension`` is ``""`` for a PNG sequence; ``folder=""``
    means next to the input clip."""

    codec: str = "h264"
    crf: int = 18
    extension: str = ".mp4"
    folder: str = ""


@dataclass(frozen=True)
class ModelChoice:
    """The network and where it runs. ``path=""`` is the bundled model; ``tile=0`` lets the
    engine choose tiles."""

    path: str = ""
    device: str = "auto"
    precision: str = "fp32"
    tile: int = 0


class AppState(QObject):
    """Setters emit only on a change; every change then emits ``jobChanged`` too (the job the
    window would queue now is different), after the slots of the specific signal have run."""

    clipChanged = Signal(object)            # ClipInfo, or None
    scaleChanged = Signal(float, float)     # width factor, height factor
    rangeChanged = Signal(object, object)   # start, end seconds (None: the clip's start / end)
    outputChanged = Signal(object)          # OutputChoice
    modelChanged = Signal(object)           # ModelChoice
    jobChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.clip = None
        self.scale: tuple[float, float] = (2.0, 2.0)              # (width, height) factors
        self.range: tuple[float | None, float | None] = (None, None)
        self.output = OutputChoice()
        self.model = ModelChoice()

    # ---- writing -----------------------------------------------------------------------------
    def set_clip(self, info) -> None:
        """A newly opened clip (always a change: opening the same file again starts afresh); the
        render range goes back to the whole clip."""
        self.clip, self.range = info, (None, None)
        self.clipChanged.emit(info)
        self.jobChanged.emit()

    def set_scale(self, s_w: float, s_h: float) -> None:
        if (s_w, s_h) != self.scale:
            self.scale = (s_w, s_h)
            self.scaleChanged.emit(s_w, s_h)
            self.jobChanged.emit()

    def set_range(self, start: float | None, end: float | None) -> None:
        if (start, end) != self.range:
            self.range = (start, end)
            self.rangeChanged.emit(start, end)
            self.jobChanged.emit()

    def set_output(self, choice: OutputChoice) -> None:
        if choice != self.output:
            self.output = choice
            self.outputChanged.emit(choice)
            self.jobChanged.emit()

    def set_model(self, choice: ModelChoice) -> None:
        if choice != self.model:
            self.model = choice
            self.modelChanged.emit(choice)
            self.jobChanged.emit()

    # ---- reading -----------------------------------------------------------------------------
    @property
    def device(self) -> str:
        return self.model.device

    @property
    def clip_path(self) -> str | None:
        return self.clip.path if self.clip is not None else None

    def output_size(self) -> tuple[int, int] | None:
        """The output display size (w, h) the factors give, before codec rounding; ``None``
        without a clip."""
        if self.clip is None:
            return None
        w, h = self.clip.display_size
        return round(w * self.scale[0]), round(h * self.scale[1])

    def job(self, output: str) -> RenderJob:
        """Everything frozen into a render job writing ``output`` (a clip must be open)."""
        (s_w, s_h), (start, end), o, m = self.scale, self.range, self.output, self.model
        return RenderJob(input=self.clip.path, output=output, scale_w=s_w, scale_h=s_h, start=start, end=end,
                         codec=o.codec, crf=o.crf, model=m.path or None, device=m.device, precision=m.precision,
                         tile=m.tile)
