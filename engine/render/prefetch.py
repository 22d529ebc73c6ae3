"""Run a producer (decoding, encoding) on its own thread with a small bounded queue.

FFmpeg releases the GIL while it decodes and encodes, so the network, the decoder and the
encoder can work at the same time. The queues hold a few frames, so memory stays bounded.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator


class _End:
    def __init__(self, error: BaseException | None = None):
        self.error = error


def _put(q: queue.Queue, item, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def prefetch(items: Iterable, depth: int = 3) -> Iterator:
    """Yield what ``items`` yields, computed ahead on a worker thread (at most ``depth`` waiting).

    An exception in the worker is raised here; closing this generator stops the worker and
    closes ``items`` (so a decoder's file is closed) on the worker's own thread.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work():
        it = iter(items)
        try:
            for item in it:
                if not _put(q, item, stop):
                    return
            _put(q, _End(), stop)
        except BaseException as exc:  # handed to the consumer, which raises it
            _put(q, _End(exc), stop)
        finally:
            close = getattr(it, "close", None)
            if close:
                close()

    worker = threading.Thread(target=work, name="savsr-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        stop.set()
        worker.join()


class BackgroundCalls:
    """Runs ``fn(*args)`` calls in order on one worker thread; :meth:`finish` waits for them.

    An exception in a call is raised by the next :meth:`submit` or by :meth:`finish`.
    """

    def __init__(self, fn: Callable, depth: int = 2):
        self.fn, self.q = fn, queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.worker = threading.Thread(target=self._work, name="savsr-writer", daemon=True)
        self.worker.start()

    def _work(self):
        while True:
            args = self.q.get()
            if args is None:
                return
            if self.error is None:
                try:
                    self.fn(*args)
                except BaseException as exc:  # re-raised on the caller's thread
                    self.error = exc

    def _raise(self):
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def submit(self, *args):
        self._raise()
        self.q.put(args)

    def finish(self):
        """Wait for every submitted call; raise the first error."""
        self.q.put(None)
        self.worker.join()
        self._raise()

    def abandon(self):
        """Stop after the call in progress (on an error elsewhere or a cancel)."""
        self.error = self.error or RuntimeError("abandoned")
        self.q.put(None)
        self.worker.join()
