"""Keeps fine-tuning and the render queue from fighting over one device.

The rule the panel states to the user: a fine-tune never starts while a render runs on the
same device; it waits until that render ends (a render on another GPU does not make it wait).
While a fine-tune runs or waits, the queue is held so no new render starts: new jobs use the
device setting that fine-tuning uses too. The queue carries on by itself when fine-tuning ends.
"""
from __future__ import annotations

from ..qt import QObject, QTimer, Signal


def same_device(a: str, b: str) -> bool:
    """Whether two device settings (``auto``, ``cpu``, ``cuda:N``) name the same device."""
    from engine.devices import resolve_device
    try:
        return resolve_device(a) == resolve_device(b)
    except ValueError:
        return True     # unknown: assume they would collide


class QueueGate(QObject):
    """Wraps the app's queue runner (``busy``, ``running``, ``set_running``, ``current``,
    ``model.entry(id).job.device``, ``jobFinished``); ``idle`` fires when no render blocks."""

    idle = Signal()

    def __init__(self, runner=None, parent=None):
        super().__init__(parent)
        self.runner = runner
        self._held = False
        self._was_running = True
        if runner is not None:
            runner.jobFinished.connect(lambda *_: QTimer.singleShot(0, self._check))

    def render_device(self) -> str | None:
        """The device of the render running now, or ``None``."""
        r = self.runner
        if r is None or not r.busy:
            return None
        entry = r.model.entry(r.current)
        return entry.job.device if entry is not None else "auto"

    def blocks(self, device: str) -> bool:
        other = self.render_device()
        return other is not None and same_device(other, device)

    def hold(self):
        """No new render starts until :meth:`release`."""
        if self.runner is not None and not self._held:
            self._held, self._was_running = True, self.runner.running
            self.runner.set_running(False)

    def release(self):
        if self.runner is not None and self._held:
            self._held = False
            if self._was_running:
                self.runner.set_running(True)

    @property
    def held(self) -> bool:
        return self._held

    def _check(self):
        if self.runner is not None and not self.runner.busy:
            self.idle.emit()
