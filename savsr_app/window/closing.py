"""What closing the main window does while work runs: one decision, made in one place.

Closing would stop a render (the queue runner is busy) and a fine-tune (running, or waiting for
the render's device). With neither, the window closes at once. Otherwise :class:`CloseGuard`
asks once, naming each thing that would stop:

- **No**: nothing changes. The render and the fine-tune go on (a waiting fine-tune keeps
  waiting), nothing is dropped, the queue is as it was.
- **Yes**: the render stops with its finished segments kept (the queue resumes it at the next
  start) and the fine-tune stops with a checkpoint (Resume continues it; one still waiting had not
  started, so there is nothing to keep). The window closes once the render has stopped.

A fine-tune the user already stopped is not asked about: the window waits for its checkpoint.
"""
from __future__ import annotations

from collections.abc import Callable

from engine.errors import SavsrError

from ..finetune.run_states import RUNNING, WAITING
from ..qt import QObject, Signal
from ..queue.jobs import kept_frames


class CloseGuard(QObject):
    """``runner``: the queue runner; ``finetune``: the fine-tune panel; ``confirm(question)`` asks
    the user and returns whether to stop and quit. The window calls :meth:`may_close` from its
    ``closeEvent`` and closes again on ``readyToClose``."""

    readyToClose = Signal()     # the render stopped after a Yes: close now
    stopping = Signal(str)      # what is being stopped, for the status bar and the log

    def __init__(self, runner, finetune, confirm: Callable[[str], bool], parent=None):
        super().__init__(parent)
        self.runner, self.finetune, self.confirm = runner, finetune, confirm
        self.confirmed = False
        runner.stopped.connect(self._render_stopped)

    def work(self) -> list[str]:
        """What closing now would stop, one line each (empty: nothing)."""
        out = []
        if self.runner.busy:
            out.append(self._render_line(self.runner.model.entry(self.runner.current)))
        if self.finetune.state == RUNNING:
            out.append(f"fine-tuning “{self.finetune.run_name}”: a checkpoint is saved, and Resume in the "
                       "advanced panel continues it")
        elif self.finetune.state == WAITING:
            out.append(f"the fine-tune “{self.finetune.run_name}” waiting for the render: it has not started, "
                       "so nothing of it is kept")
        return out

    @staticmethod
    def _render_line(entry) -> str:
        """What a stop keeps of the running render, as it will be: its finished segments (the frames of
        the segment in progress are rendered again)."""
        if entry is None:
            return "a render: its finished segments are kept, and it continues from them the next time the queue runs"
        try:
            kept = kept_frames(entry.job) or 0
        except SavsrError:
            kept = 0
        redo = max(0, entry.done - kept)
        line = (f"the render of {entry.name}: {kept} of {entry.frames} frames are in finished segments and are kept; "
                "it continues from them the next time the queue runs")
        if redo:
            line += f" (the {redo} frame{'s' if redo != 1 else ''} of the segment in progress are rendered again)"
        return line

    @staticmethod
    def question(work: list[str]) -> str:
        both = " both" if len(work) > 1 else ""
        return "Quitting now stops:\n\n" + "\n".join(f"• {w}" for w in work) + f"\n\nStop{both} and quit?"

    def may_close(self) -> bool:
        """Whether the window may close now; asks first when work would stop. After a Yes it is
        ``False`` until the render has stopped (``readyToClose`` follows)."""
        if self.confirmed:
            return not self.runner.busy
        work = self.work()
        if work and not self.confirm(self.question(work)):
            return False
        self.confirmed = True
        if work:
            self._stop()
        return not self.runner.busy

    def _stop(self):
        if self.runner.busy:        # first: the render winds down while the fine-tune saves its checkpoint
            self.stopping.emit("Stopping the render…")
            self.runner.shutdown()
        if self.finetune.state in (RUNNING, WAITING):
            self.stopping.emit("closing: fine-tuning stopped with a checkpoint; Resume continues it"
                               if self.finetune.state == RUNNING else "closing: the waiting fine-tune is dropped")
            self.finetune.shutdown()

    def _render_stopped(self):
        if self.confirmed:
            self.readyToClose.emit()
