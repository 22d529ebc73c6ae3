"""One-off background calls (probe a clip, check a model file) on a short-lived ``QThread``."""
from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from engine.errors import SavsrError

from ..qt import QObject, QThread, Signal, Slot


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
        except Exception as exc:       # anything else still ends the call: a message, never a silent hang
            traceback.print_exc(file=sys.stderr)
            self.failed.emit(describe_exception(exc))
        else:
            self.done.emit(result)


def describe_exception(exc: BaseException) -> str:
    """``RuntimeError: the message`` (the type alone when there is no message)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class _Receiver(QObject):
    """Lives on the UI thread, so the callbacks run there (a plain function connected to a
    signal from another thread would run on that thread)."""

    def __init__(self, done: Callable, failed: Callable, parent: QObject):
        super().__init__(parent)
        self._done, self._failed = done, failed

    @Slot(object)
    def on_done(self, result):
        self._done(result)

    @Slot(str)
    def on_failed(self, message: str):
        self._failed(message)


class Background(QObject):
    """Keeps the threads of running calls alive until they finish; ``wait()`` joins them all."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._running: list[tuple[QThread, _Call, _Receiver]] = []

    def call(self, fn: Callable, *args, done: Callable, failed: Callable) -> None:
        """Run ``fn(*args)`` off the UI thread; ``done(result)`` or ``failed(message)`` on the UI thread."""
        thread, call = QThread(), _Call(fn, args)
        receiver = _Receiver(done, failed, self)
        call.moveToThread(thread)
        call.done.connect(receiver.on_done)
        call.failed.connect(receiver.on_failed)
        call.done.connect(thread.quit)
        call.failed.connect(thread.quit)
        thread.started.connect(call.run)
        thread.finished.connect(self._finished)
        self._running.append((thread, call, receiver))
        thread.start()

    @Slot()
    def _finished(self):
        for item in [i for i in self._running if i[0].isFinished()]:
            self._running.remove(item)
            for obj in item:
                obj.deleteLater()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def wait(self):
        for thread, _call, _receiver in list(self._running):
            thread.quit()
            thread.wait()
