"""Puts the fine-tuning panel into the main window's advanced dock and connects it.

``mount_finetune_panel(window)`` is the one call the main window makes. "Use this model" sets
the model setting (saved), which reaches the preview controller and every job queued from then
on through ``window.apply_settings()``; renaming or deleting the active model keeps the setting
pointing at a file that exists. Closing the window stops a running fine-tune with a checkpoint,
so it can be resumed next time.
"""
from __future__ import annotations

from pathlib import Path

from .finetune_panel import FinetunePanel
from ..qt import QEvent, QObject
from ..settings_dialog import available_models
from ..storage import data_dir, models_dir


def library_dir() -> Path:
    return models_dir() / "finetuned"


def runs_dir() -> Path:
    return data_dir() / "finetune-runs"


class _CloseWatch(QObject):
    """Stops fine-tuning when the window gets its close event (the thread must not outlive it)."""

    def __init__(self, panel: FinetunePanel, parent):
        super().__init__(parent)
        self.panel = panel

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Close and self.panel.state != "idle":
            self.panel.message.emit("closing: fine-tuning stopped with a checkpoint; Resume continues it")
            self.panel.shutdown()
        return False


def mount_finetune_panel(window) -> FinetunePanel:
    """Create the panel for ``window`` (a MainWindow), put it in the advanced dock, wire it."""

    def base_models():
        out = available_models()
        active = window.settings.model
        if active and all(path != active for _label, path in out):
            out.append((f"{Path(active).stem} (active)", active))
        return out

    panel = FinetunePanel(library_dir(), runs_dir(), background=window.background,
                          open_clip=lambda: window.info.path if window.info is not None else None,
                          models=base_models, device=lambda: window.settings.device,
                          queue_runner=window.runner, parent=window)
    panel.form.fill_models(window.settings.model)
    panel.set_factors(window.scale_panel.s_w, window.scale_panel.s_h)
    window.scale_panel.scaleChanged.connect(panel.set_factors)
    window.advanced_dock.set_panel(panel)

    def set_model(path: str, note: str | None):
        window.settings.model = path
        window.save_settings()
        window.apply_settings()
        if note:
            window.notify(note, "info")
            window.log_dock.append(note)

    def use(path: str):
        set_model(path, f"Active model: {Path(path).stem} (previews and new queue jobs)")

    def renamed(old: str, new: str):
        if window.settings.model == old:
            set_model(new, None)

    def deleted(path: str):
        if window.settings.model == path:
            set_model("", "The active fine-tuned model was deleted; using the bundled model again.")

    panel.modelChosen.connect(use)
    panel.modelRenamed.connect(renamed)
    panel.modelDeleted.connect(deleted)
    panel.message.connect(window.log_dock.append)
    window.installEventFilter(_CloseWatch(panel, window))
    window.finetune_panel = panel
    return panel
