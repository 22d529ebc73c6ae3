"""What the main window's parts share, apart from its widgets: one :class:`AppState`.

The open clip, the scale factors, the render range, the output choice, and the model and device
to run them with. Panels write their part (``set_*``) and follow the rest through the change
signals; nothing here knows a widget, so the state is testable without a window. The main
window wires panels and state together. A queued job is this state frozen: :meth:`AppState.job`.
The engine plans that job once per change (:attr:`AppState.planned`, a :class:`PlannedJob`): the
preview, the output line and the source notes all read that one plan.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import SavsrError
from engine.models.choice import MODELS
from engine.render.job import RenderJob
from engine.scale import Scale, fit_factors  # noqa: F401 (fit_factors: the panels' import)

from ..qt import QObject, Signal
from .estimate import Calibration, Estimate, calibration_key, work_units


@dataclass(frozen=True)
class OutputChoice:
    """How new jobs write their file. ``extension`` is ``""`` for a PNG sequence; ``folder=""``
    means next to the input clip; ``pix_fmt=None``: the codec's choice for the clip (a delivery
    preset may name one)."""

    codec: str = "h264"
    crf: int = 18
    extension: str = ".mp4"
    folder: str = ""
    pix_fmt: str | None = None
    speed: str = "medium"


@dataclass(frozen=True)
class ArchiveChoice:
    """Interlace and pixel aspect for the open clip's jobs (the :class:`RenderJob` fields of the same
    names). ``pixel_aspect``: ``""`` reads the clip's tag, else a preset of :mod:`engine.video.aspect`
    or ``"N:M"``; ``square_pixels`` makes a non-square source square, factors in display terms."""

    deinterlace: str = "auto"
    pixel_aspect: str = ""
    square_pixels: bool = True


GRID_TILE = 192    # LR pixels: the app's render tiles on the CPU when the tile is automatic, so the
                   # preview can show the render's own pixels a tile at a time (a whole 1080p frame
                   # takes many seconds there); costs the render about 30% in overlap


@dataclass(frozen=True)
class ModelChoice:
    """The network and where it runs. ``path``: ``""`` (auto: the clip chooses between the bundled
    models), ``"clean"``, ``"compressed"`` or a model file; ``tile=0`` is automatic (:attr:`job_tile`);
    ``backend``: auto, torch, openvino or onnxruntime (:mod:`engine.backends`)."""

    path: str = ""
    device: str = "auto"
    precision: str = "fp32"
    tile: int = 0
    backend: str = "auto"

    @property
    def spec(self) -> str:
        """What a job's ``model`` field takes: auto, clean, compressed or a path."""
        return self.path or "auto"

    def label(self, auto=None) -> str:
        """The model as the status bar, the queue and the log name it: ``compressed (auto: h264 at
        0.14 bits per pixel)``, ``clean``, ``my_tuned.safetensors``; ``auto`` is the engine's choice
        for the open clip, if known."""
        if not self.path:
            return auto.describe() if auto is not None else "auto"
        return self.path if self.path in MODELS else Path(self.path).name

    @property
    def job_tile(self) -> int:
        """The tile an app job runs with: the chosen one, else :data:`GRID_TILE` on the CPU, else 0
        (the engine fits tiles to the GPU's free memory)."""
        if self.tile:
            return self.tile
        from engine.devices import resolve_device
        try:
            return GRID_TILE if resolve_device(self.device).type == "cpu" else 0
        except (SavsrError, ValueError, RuntimeError):
            return 0


@dataclass(frozen=True)
class PlannedJob:
    """The job the window would queue for ``clip`` now, and what the engine makes of it: ``plan``
    (an :class:`engine.render.plan.RenderPlan`), or ``error`` when planning refuses the job."""

    clip: object                            # engine.video.ClipInfo
    job: RenderJob
    plan: object | None = None
    error: SavsrError | None = None


def clip_source_size(job: RenderJob, clip) -> tuple[float, float]:
    """The size (w, h) ``job``'s factors multiply for ``clip`` (a ClipInfo), as the engine plans it
    (:func:`engine.render.archive.factor_size`)."""
    from engine.render import archive
    return archive.factor_size(job, clip)


class AppState(QObject):
    """Setters emit only on a change. A change of the job plans it again (:attr:`planned` is
    current before any signal goes), emits its specific signal, then ``planChanged``, then
    ``jobChanged`` (also after a change of what the estimates know: the auto model, the calibration)."""

    clipChanged = Signal(object)            # ClipInfo, or None
    scaleChanged = Signal(object)           # engine.scale.Scale
    rangeChanged = Signal(object, object)   # start, end seconds (None: the clip's start / end)
    outputChanged = Signal(object)          # OutputChoice
    modelChanged = Signal(object)           # ModelChoice
    autoModelChanged = Signal(object)       # engine.models.choice.ModelChoice for the open clip, or None
    archiveChanged = Signal(object)         # ArchiveChoice
    planChanged = Signal(object)            # PlannedJob, or None without a clip
    jobChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.clip = None
        self.scale = Scale(2.0, 2.0)
        self.target: tuple[int, int] | None = None  # the output size a preset named (set_scale)
        self.range: tuple[float | None, float | None] = (None, None)
        self.output = OutputChoice()
        self.model = ModelChoice()
        self.archive = ArchiveChoice()
        self.auto_model = None                  # what ``auto`` picked for the open clip (found off the UI thread)
        self.calibration = Calibration()        # measured throughput (the window keeps it in the settings)
        self.device_name = "this CPU"           # where the chosen device runs, in words
        self.planned: PlannedJob | None = None  # the job of the open clip, planned (None without a clip)

    # ---- writing -----------------------------------------------------------------------------
    def set_clip(self, info) -> None:
        """A newly opened clip (always a change: opening the same file again starts afresh); the
        render range goes back to the whole clip, the pixel aspect to the clip's tag and square
        pixels on (the deinterlace mode stays)."""
        archive = ArchiveChoice(deinterlace=self.archive.deinterlace)
        self.clip, self.range, self.auto_model = info, (None, None), None
        changed, self.archive = archive != self.archive, archive
        self._plan()
        self.clipChanged.emit(info)
        if changed:
            self.archiveChanged.emit(archive)
        self._planned()

    def set_scale(self, scale: Scale, target: tuple[int, int] | None = None) -> None:
        """New factors; ``target``: the output size (w, h) a preset named, which every clip queued
        with these settings gets (:meth:`scale_for`), ``None`` when the factors themselves stay."""
        self.target = target
        if scale != self.scale:
            self.scale = scale
            self._plan()
            self.scaleChanged.emit(scale)
            self._planned()

    def set_range(self, start: float | None, end: float | None) -> None:
        if (start, end) != self.range:
            self.range = (start, end)
            self._plan()
            self.rangeChanged.emit(start, end)
            self._planned()

    def set_output(self, choice: OutputChoice) -> None:
        if choice != self.output:
            self.output = choice
            self._plan()
            self.outputChanged.emit(choice)
            self._planned()

    def set_model(self, choice: ModelChoice) -> None:
        if choice != self.model:
            self.model = choice
            self._plan()
            self.modelChanged.emit(choice)
            self._planned()

    def set_archive(self, choice: ArchiveChoice) -> None:
        if choice != self.archive:
            self.archive = choice
            self._plan()
            self.archiveChanged.emit(choice)
            self._planned()

    def set_auto_model(self, choice) -> None:
        """What ``auto`` chose for the open clip (an engine ``ModelChoice``)."""
        self.auto_model = choice
        self.autoModelChanged.emit(choice)
        self.jobChanged.emit()

    def calibrated(self) -> None:
        """The calibration learnt something: estimates change."""
        self.jobChanged.emit()

    def _plan(self) -> None:
        """Plan the job the window would queue now (the one ``plan()`` of a change)."""
        if self.clip is None:
            self.planned = None
            return
        from engine.render.plan import plan
        job = self.job(str(Path(self.clip.path).with_suffix(".out" + self.output.extension)))
        try:
            self.planned = PlannedJob(self.clip, job, plan=plan(job, self.clip, check_output=False))
        except (SavsrError, ValueError) as exc:
            self.planned = PlannedJob(self.clip, job, error=exc)

    def _planned(self) -> None:
        self.planChanged.emit(self.planned)
        self.jobChanged.emit()

    # ---- reading -----------------------------------------------------------------------------
    @property
    def model_label(self) -> str:
        return self.model.label(self.auto_model)

    @property
    def model_name(self) -> str:
        """The model's short name for calibration: clean, compressed or the file's stem."""
        if not self.model.path:
            return self.auto_model.name if self.auto_model is not None else "clean"
        return self.model.path if self.model.path in MODELS else Path(self.model.path).stem

    def cost_key(self, device: str) -> str:
        """The calibration key of the current model and backend on ``device`` (resolved: cpu, cuda:0)."""
        return calibration_key(self.model_name, self.model.backend, device)

    def estimate(self, device: str, scale: Scale | None = None,
                 frames: int | None = None, device_name: str | None = None) -> Estimate | None:
        """How long the job would take on ``device`` (resolved), at ``scale`` and over ``frames``
        (default: the current ones), named ``device_name`` in the text (default: the chosen
        device's); ``None`` without a clip."""
        if self.clip is None:
            return None
        frames = frames if frames is not None else self.frame_count()
        if self.archive.deinterlace == "field":
            frames *= 2                                 # one output frame per field
        scale, (w, h) = scale or self.scale, self.source_size()
        stored = (scale.w * w / self.clip.width, scale.h * h / self.clip.height)   # square pixels change the factors
        units = work_units((self.clip.width, self.clip.height), stored, frames)
        return self.calibration.estimate(self.cost_key(device), units, device_name or self.device_name)

    def cost_text(self) -> str:
        """``about 2 h 10 min on this CPU`` for the job as it stands ("" without a clip)."""
        from .costs import resolved_device
        est = self.estimate(resolved_device(self.device))
        return est.text() if est is not None else ""

    def frame_count(self) -> int:
        """Frames in the render range."""
        if self.clip is None:
            return 0
        start, end = self.range
        first = self.clip.index_at(start) if start is not None else 0
        stop = self.clip.index_at(end) if end is not None else self.clip.frame_count
        return max(0, stop - first)

    @property
    def device(self) -> str:
        return self.model.device

    @property
    def clip_path(self) -> str | None:
        return self.clip.path if self.clip is not None else None

    def source_size(self) -> tuple[float, float] | None:
        """The size (w, h) the factors multiply, as the engine plans it: the picture in square pixels
        when the job makes a non-square source square, else the display size; ``None`` without a clip."""
        if self.clip is None:
            return None
        return clip_source_size(self.job(self.clip.path + ".out.mkv"), self.clip)

    def scale_for(self, size: tuple[float, float]) -> Scale:
        """The factors for a clip whose factors multiply ``size`` (w, h): those of the :attr:`target`
        size when a preset named one (:func:`fit_factors`), else the current ones."""
        if self.target is None:
            return self.scale
        return Scale(*fit_factors(self.target, size))

    def output_size(self) -> tuple[int, int] | None:
        """The output display size (w, h) the factors give, before codec rounding; ``None``
        without a clip."""
        if self.clip is None:
            return None
        w, h = self.source_size()
        H, W = self.scale.output_size(h, w)
        return W, H

    def job(self, output: str) -> RenderJob:
        """Everything frozen into a render job writing ``output`` (without a clip: a template whose
        input is ``""``, as a timeline's pieces take it)."""
        scale, (start, end), o, m = self.scale, self.range, self.output, self.model
        source = self.clip.path if self.clip is not None else ""
        return RenderJob(input=source, output=output, scale_w=scale.w, scale_h=scale.h, start=start, end=end,
                         codec=o.codec, crf=o.crf, preset=o.speed, pix_fmt=o.pix_fmt, model=m.spec, device=m.device,
                         precision=m.precision, tile=m.job_tile, backend=m.backend,
                         deinterlace=self.archive.deinterlace, pixel_aspect=self.archive.pixel_aspect or None,
                         square_pixels=self.archive.square_pixels)
