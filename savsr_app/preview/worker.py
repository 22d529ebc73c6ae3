"""Preview computation off the UI thread: the "before" frame, and SAVSR tiles of the render's grid.

Two workers on two threads, so the "before" pane keeps up with scrubbing and playback while a
tile computes. :class:`BeforeWorker` answers the newest request only (a serial in
:class:`Latest`). :class:`TileWorker` takes tasks from :class:`Pending`, the list the UI
replaces on every change (visible tiles centre first, then look-ahead and the cache range): a
tile that drops out of that list stops within one layer (``engine.preview.tiles.cancellable``), a tile
still wanted keeps going. Latest request wins.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from engine.errors import SavsrError
from engine.preview.tiles import FrameCache, PreviewCancelled, PreviewGrid, network_view, resize, upscale_tile

from ..qt import QImage, QObject, Signal, Slot
from ..support.heap import settle_heap
from .images import qimage_from_rgb


class Latest:
    """Serial number of the newest "before" request; written by the UI, read by the worker."""

    def __init__(self):
        self.before = 0


@dataclass(frozen=True)
class PreviewRequest:
    serial: int
    info: object                 # engine.video.ClipInfo
    frame: int
    size: tuple[int, int]        # display output (w, h)
    method: str = "bicubic"
    ahead: int = 1               # frames decoded from ``frame`` on (playback: one seek for several)


@dataclass(frozen=True)
class Net:
    """The network as the render runs it: model spec, device, backend, precision."""
    spec: str | None = None
    device: str = "auto"
    backend: str = "torch"
    precision: str = "fp32"


@dataclass(frozen=True)
class TileTask:
    info: object
    frame: int
    grid: PreviewGrid
    index: int
    net: Net

    @property
    def key(self) -> tuple:
        return (self.info.path, self.frame, self.grid, self.net, self.index)


class Pending:
    """The tile tasks still wanted, in order; the UI replaces them, the worker takes the first."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tasks: list[TileTask] = []
        self.wanted: frozenset = frozenset()

    def replace(self, tasks: list[TileTask]):
        with self._lock:
            self._tasks = list(tasks)
            self.wanted = frozenset(t.key for t in tasks)

    def take(self, running: set) -> TileTask | None:
        with self._lock:
            while self._tasks:
                task = self._tasks.pop(0)
                if task.key not in running:
                    return task
            return None

    def __len__(self) -> int:
        return len(self._tasks)


class BeforeWorker(QObject):
    """The whole frame enlarged by bicubic or nearest neighbour, at the display output size."""

    beforeReady = Signal(int, QImage)
    failed = Signal(int, str, str)      # serial, "before", message

    def __init__(self, latest: Latest):
        super().__init__()
        self.latest = latest
        self._cache: FrameCache | None = None
        self._key = None

    @Slot(object)
    def before(self, req: PreviewRequest):
        if req.serial != self.latest.before:
            return
        try:
            key = (req.info.path, req.info.frame_count)
            if self._key != key:
                from engine.video import read_frames
                info = req.info
                self._cache = FrameCache(lambda idx: read_frames(info, idx), info.frame_count, info.rotation,
                                         budget_bytes=128 << 20)
                self._key = key
            last = min(req.info.frame_count, req.frame + max(1, req.ahead))
            frame = self._cache.get(list(range(req.frame, last)))[0]
            image = resize(frame, (req.size[1], req.size[0]), req.method)
        except (SavsrError, OSError, ValueError, IndexError) as exc:
            self.failed.emit(req.serial, "before", str(exc))
            return
        self.beforeReady.emit(req.serial, qimage_from_rgb(image))


class TileWorker(QObject):
    """Computes the pending tiles one by one; every answer carries the task's key."""

    tileReady = Signal(object, object, float)   # key, uint8 (h, w, 3) display tile, seconds
    failed = Signal(object, str)                # key, message
    modelLoaded = Signal(str)                   # model name
    idle = Signal()

    def __init__(self, pending: Pending):
        super().__init__()
        self.pending = pending
        self._frames: FrameCache | None = None
        self._frames_key = None
        self._net = None
        self._net_key = None
        self.running: set = set()

    def _window(self, info, frame: int, num_frame: int, grid):
        info = network_view(info, grid)          # deinterlaced as the render would
        key = (info.path, info.frame_count, info.deinterlace)
        if self._frames_key != key:
            from engine.video import read_frames
            self._frames = FrameCache(lambda idx: read_frames(info, idx), info.frame_count, 0)  # stored
            self._frames_key = key
        return self._frames.window(frame, num_frame)

    def _network(self, net: Net, info):
        key = (net, info.path)
        if self._net_key != key:
            from engine.backends import Accelerated
            from engine.devices import resolve_device
            from engine.models.checkpoint import load_model
            from engine.models.choice import choose_model
            device = resolve_device(net.device)
            path = choose_model(net.spec, info).path
            if self._net is None or self._net[0] != (path, net):
                model = load_model(path, device)
                # prepared in this thread, as the render does before its first frame: a tile is the
                # backend's own pixels from the start (the render grid has a few tile shapes only)
                # ``later``: a precision that takes minutes to prepare (int8) is prepared on a thread,
                # and ``auto`` takes it from the next decision on if it is faster (engine.backends.int8)
                acc = Accelerated(model, net.backend, device, net.precision, later=True)
                self._net = ((path, net), model, acc, device)
                settle_heap()
                self.modelLoaded.emit(model.metadata.get("name", "model"))
            self._net_key = key
        return self._net[1:]

    @Slot()
    def run(self):
        """Work through the pending tiles; returns when none is left (a later kick starts again)."""
        while True:
            task = self.pending.take(self.running)
            if task is None:
                self.idle.emit()
                return
            self._compute(task)

    def _compute(self, task: TileTask):
        key = task.key
        started = time.perf_counter()
        self.running.add(key)
        try:
            model, acc, device = self._network(task.net, task.info)
            window = self._window(task.info, task.frame, model.num_frame, task.grid)
            tile = upscale_tile(acc, window, task.grid, task.index, device,
                                cancelled=lambda: key not in self.pending.wanted)
        except PreviewCancelled:
            return
        except (SavsrError, OSError, ValueError, IndexError, RuntimeError) as exc:
            self.failed.emit(key, str(exc))
            return
        finally:
            self.running.discard(key)
        self.tileReady.emit(key, tile, time.perf_counter() - started)
