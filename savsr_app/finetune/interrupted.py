"""The advanced panel's interrupted fine-tunes: those stopped, or cut short by closing the app, listed
to resume or discard (the runs on disk: :class:`engine.train.finetune_store.RunStore`)."""
from __future__ import annotations

from ..qt import QComboBox, QGroupBox, QHBoxLayout, Signal, push_button


class InterruptedRuns(QGroupBox):
    """``resumeRequested``: Resume was pressed for :meth:`current`; ``selected(run)`` follows a choice
    (the panel offers the rest of its budget). Discard removes the run from ``runs`` here. The buttons
    work only while no fine-tune runs (:meth:`set_idle`); the box hides while the list is empty."""

    resumeRequested = Signal()
    selected = Signal(object)           # the run chosen (engine.train.finetune_store.Run)

    def __init__(self, runs, parent=None):
        super().__init__("Interrupted fine-tunes", parent)
        self.runs = runs
        self.idle = True
        self.combo = QComboBox()
        self.combo.setToolTip("Fine-tunes that were stopped or interrupted by closing the app")
        self.resume_button = push_button("mdi6.play-pause", "Resume",
                                         "Continue from the last checkpoint, for the time or steps set above")
        self.discard_button = push_button("mdi6.delete-outline", "",
                                          "Discard this interrupted fine-tune and its checkpoint")
        row = QHBoxLayout(self)
        row.addWidget(self.combo, 1)
        row.addWidget(self.resume_button)
        row.addWidget(self.discard_button)
        self.resume_button.clicked.connect(self.resumeRequested)
        self.discard_button.clicked.connect(self.discard)
        self.combo.currentIndexChanged.connect(lambda _i: self._selected())

    def current(self):
        """The run chosen in the list, or ``None``."""
        return self.runs.get(self.combo.currentData() or "")

    def refresh(self, select: str | None = None):
        """Read the interrupted runs again; ``select`` (a run id) becomes the chosen one."""
        self.combo.blockSignals(True)
        self.combo.clear()
        for run in self.runs.interrupted():
            when = run.doc.get("created", "")[:16].replace("T", " ")
            self.combo.addItem(f"{run.name} — step {run.doc.get('step', 0)}, {when}", run.id)
        if select is not None:
            self.combo.setCurrentIndex(max(0, self.combo.findData(select)))
        self.combo.blockSignals(False)
        self.setVisible(self.combo.count() > 0)
        self._selected()
        self.set_idle(self.idle)

    def set_idle(self, idle: bool):
        self.idle = idle
        for button in (self.resume_button, self.discard_button):
            button.setEnabled(idle and self.combo.count() > 0)

    def discard(self):
        run = self.current()
        if run is not None and self.idle:
            self.runs.remove(run)
            self.refresh()

    def _selected(self):
        run = self.current()
        if run is not None and self.idle:
            self.selected.emit(run)
