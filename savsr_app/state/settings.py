"""The user's settings: a typed record, saved as versioned JSON in the platform's config folder."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from .storage import StoredFile, config_dir

SETTINGS_VERSION = 3
MAX_RECENT = 10


@dataclass
class AppSettings:
    """Everything the app remembers between runs. ``model``: ``""`` (auto: the clip chooses between
    the bundled models), ``"clean"``, ``"compressed"`` or a model file; ``output_dir=""`` means next
    to the input clip (or the Videos folder for the bundled sample). ``calibration``: measured render
    throughput (:class:`~savsr_app.state.estimate.Calibration`)."""

    device: str = "auto"
    precision: str = "auto"        # auto (measured once per machine and model), fp32, bf16, fp16
    tile: int = 0
    backend: str = "auto"
    workers: int = 0                # render worker processes (0: automatic, see engine.render.placement)
    threads: int = 0                # torch threads per worker (0: the cores shared out)
    devices: str = ""               # "" (the device above), "all" (every GPU) or "cpu"
    theme: str = "dark"
    codec: str = "h264"
    crf: int = 18
    container: str = "mp4"
    output_dir: str = ""
    pix_fmt: str = ""               # "" : the codec's choice for each clip (a delivery preset may name one)
    speed: str = "medium"           # x264/x265 speed preset (a delivery preset may name one)
    delivery: str = ""              # the delivery preset last chosen ("" none)
    size_rule: str = ""             # the output size a size or delivery preset named, "1920x1080" ("" factors)
    model: str = ""
    recent_files: list = field(default_factory=list)
    show_advanced: bool = False
    preview_mode: str = "side"
    window_state: str = ""
    window_geometry: str = ""
    calibration: dict = field(default_factory=dict)

    def add_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        self.recent_files = [path] + [p for p in self.recent_files if p != path][:MAX_RECENT - 1]

    @property
    def model_path(self) -> str | None:
        """The model file (``None``: auto, or a bundled model that is not installed)."""
        from engine.models.choice import MODELS, bundled_model
        if self.model in MODELS:
            path = bundled_model(self.model)
            return str(path) if path else None
        return self.model or None

    def placement(self):
        """Where queued renders compute (:class:`engine.render.placement.Placement`): always in worker
        processes, one by default, so a crash in FFmpeg, a runtime or torch costs a segment, not the window."""
        from engine.render.placement import Placement
        return Placement(self.workers or None, self.threads, self.devices, isolated=True)


def _migrate(doc: dict) -> dict:
    """Bring an older document up to :data:`SETTINGS_VERSION`.

    1 -> 2: ``model=""`` meant the one bundled model and now means auto (which picks between the
    bundled clean and compressed models): kept as it is. New fields (theme, backend, calibration,
    workers, threads, devices) take their defaults.
    2 -> 3: ``precision`` gained ``auto``, the new default; a saved ``fp32`` was the old default (the
    only choice a CPU had) and becomes ``auto``; fp16 and bf16 were chosen and are kept.
    """
    if doc.get("version", SETTINGS_VERSION) < 3 and doc.get("precision") == "fp32":
        doc = {**doc, "precision": "auto"}
    return doc


class SettingsStore:
    """Loads and saves :class:`AppSettings` at ``<config>/settings.json``."""

    def __init__(self, path: Path | None = None):
        self.file = StoredFile(path or config_dir() / "settings.json", SETTINGS_VERSION)

    @property
    def warning(self) -> str | None:
        return self.file.warning

    def load(self) -> AppSettings:
        doc = self.file.load()
        if doc is None:
            return AppSettings()
        doc = _migrate(doc)
        names = [f.name for f in dataclasses.fields(AppSettings)]
        defaults = AppSettings()
        values = {}
        for key in names:
            value = doc.get(key, getattr(defaults, key))
            wanted = type(getattr(defaults, key))
            values[key] = value if isinstance(value, wanted) else getattr(defaults, key)
        return AppSettings(**values)

    def save(self, settings: AppSettings) -> None:
        self.file.save(dataclasses.asdict(settings))
