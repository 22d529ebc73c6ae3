"""Which bundled model ``auto`` picks for the open clip: :class:`AutoModel` asks the engine off the
UI thread when a clip opens (``choose_model("auto", info)`` decodes a few frames) and puts the
answer in the state."""
from __future__ import annotations

from ..qt import QObject, Signal


class AutoModel(QObject):
    """Finds ``auto``'s model for each opened clip; ``logged`` tells the log."""

    logged = Signal(str)

    def __init__(self, state, background, parent=None):
        super().__init__(parent)
        self.state, self.background = state, background
        state.clipChanged.connect(self._clip)

    def _clip(self, info):
        if info is None:
            return
        from engine.models.choice import choose_model
        self.background.call(choose_model, "auto", info, done=lambda c, i=info: self._chosen(i, c),
                             failed=lambda msg: self.logged.emit(f"auto model: {msg}"))

    def _chosen(self, info, choice):
        if self.state.clip is info:          # a newer clip opened meanwhile: its own answer follows
            self.state.set_auto_model(choice)
            self.logged.emit(f"auto model for {info.path}: {choice.describe()}")
