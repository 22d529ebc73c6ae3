"""One-off background calls (probe a clip, check a model file) on a short-lived ``QThread``."""
from __future__ import annotations

from typing import Callable

from engine.errors import SavsrError

from .qt import QObject, QThread, Signal, Slot


class _Call(QObject):
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable, args: tuple):
        super().__init__()
        self.fn, self.args = fn, args

    @Slot()
    def run(self):
        try:
            result = self.fn(*self.args)
        except SavsrError as exc:
            self.failed.emit(str(exc))
        except (OSError, ValueError) as exc:
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.done.emit(result)


class Background(QObject):
    """Keeps the threads of running calls alive until they finish; ``wait()`` joins them all."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._running: list[tuple[QThread, _Call]] = []

    def call(self, fn: Callable, *args, done: Callable, failed: Callable) -> None:
        """Run ``fn(*args)`` off the UI thread; ``done(result)`` or ``failed(message)`` on the UI thread."""
        thread, call = QThread(), _Call(fn, args)
        call.moveToThread(thread)
        call.done.connect(done)
        call.failed.connect(failed)
        call.done.connect(thread.quit)
        call.failed.connect(thread.quit)
        thread.started.connect(call.run)
        thread.finished.connect(lambda t=thread, c=call: self._finished(t, c))
        self._running.append((thread, call))
        thread.start()

    def _finished(self, thread: QThread, call: _Call):
        self._running = [(t, c) for t, c in self._running if t is not thread]
        call.deleteLater()
        thread.deleteLater()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def wait(self):
        for thread, _call in list(self._running):
            thread.quit()
            thread.wait()
