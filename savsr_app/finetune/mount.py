"""Puts the fine-tuning panel into the main window's advanced dock and connects it.

``mount_finetune_panel(window)`` is the one call the main window makes; it returns the panel.
The panel follows the window's :class:`~savsr_app.state.app_state.AppState` (the open clip, the scale
factors, the device). "Use this model" makes the model active through ``window.set_model``
(saved; it reaches the preview and every job queued from then on); renaming or deleting the
active model keeps the setting pointing at a file that exists. What closing the window does to
a running fine-tune is decided in :mod:`savsr_app.window.closing`.
"""
from __future__ import annotations

from pathlib import Path

from ..state.model_catalog import model_files
from ..state.storage import data_dir, models_dir
from .panel import FinetunePanel


def library_dir() -> Path:
    return models_dir() / "finetuned"


def runs_dir() -> Path:
    return data_dir() / "finetune-runs"


def mount_finetune_panel(window) -> FinetunePanel:
    """Create the panel for ``window`` (a MainWindow), put it in the advanced dock, wire it."""
    state = window.state

    def base_models():
        out = model_files()
        active = state.model.path
        if active and Path(active).is_file() and all(path != active for _label, path in out):
            out.append((f"{Path(active).stem} (active)", active))
        return out

    panel = FinetunePanel(library_dir(), runs_dir(), background=window.background, open_clip=lambda: state.clip_path,
                          models=base_models, device=lambda: state.device, queue_runner=window.runner,
                          parent=window)
    panel.form.fill_models(state.model.path)
    panel.set_factors(state.scale.w, state.scale.h)
    state.scaleChanged.connect(lambda scale: panel.set_factors(scale.w, scale.h))
    window.advanced_dock.set_panel(panel)

    def renamed(old: str, new: str):
        if state.model.path == old:
            window.set_model(new)

    def deleted(path: str):
        if state.model.path == path:
            window.set_model("", "The active fine-tuned model was deleted; using the bundled model again.")

    panel.modelChosen.connect(
        lambda path: window.set_model(path, f"Active model: {Path(path).stem} (previews and new queue jobs)"))
    panel.modelRenamed.connect(renamed)
    panel.modelDeleted.connect(deleted)
    panel.message.connect(window.log_dock.append)
    panel.form.notice.connect(lambda text: window.notify(text, "info"))    # a typed value clamped: its range
    return panel
