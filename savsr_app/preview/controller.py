"""UI-side half of the preview: turns frame, plan and viewport changes into tiles on screen.

The preview follows the job the window would queue now, as the application state planned it
(:meth:`PreviewController.follow`, :meth:`~PreviewController.set_plan`): the plan gives the output
size after the codec's rounding, the factors the network runs at and the render's tile grid
(:class:`engine.preview.tiles.PreviewGrid`), so every SAVSR tile shown is the render's own pixels.
On a change, tiles already computed come from the :class:`TileCache` at once; the rest go to the
tile worker, the one under the view's centre first, then outward, then the same view of the next
frames (look-ahead) and the cache range. A change replaces the pending list, so tiles no longer
wanted stop. The "before" image is asked for at once on every change.
"""
from __future__ import annotations

import time

from engine.errors import SavsrError
from engine.preview.tiles import PreviewGrid, Region, TileCache, render_tile
from engine.scale import Scale

from ..qt import QImage, QObject, QRect, QThread, QTimer, Signal
from .images import qimage_from_rgb
from .worker import BeforeWorker, Latest, Net, Pending, PreviewRequest, TileTask, TileWorker

DEBOUNCE_MS = 30        # a burst of changes (a drag, a wheel turn): its first goes at once, its last
                        # when the burst has been quiet this long
LOOKAHEAD = 3           # frames after the current one computed when the view is done
CACHE_BYTES = 512 << 20
READ_AHEAD = 8          # frames decoded at once while playing


def _thread(name: str, worker: QObject) -> QThread:
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.finished.connect(worker.deleteLater)
    thread.start()
    return thread


class PreviewController(QObject):
    beforeImage = Signal(QImage)            # the whole frame at output size
    afterPatch = Signal(QImage, QRect)      # one SAVSR tile, in output pixels
    afterCleared = Signal()                 # frame/scale changed: old patches are wrong now
    busyChanged = Signal(bool)
    afterTime = Signal(float)               # seconds from the last change to the whole view in SAVSR
    firstTile = Signal(float)               # seconds from the last change to its first SAVSR tile
    progressChanged = Signal(int, int)      # tiles of the view on screen, tiles in the view
    cachedFrames = Signal(object)           # set of frames whose view is all cached
    standinChanged = Signal(bool)           # the view shows bicubic where SAVSR is not cached
    error = Signal(str, str)                # "before" | "after", message
    modelLoaded = Signal(str)
    outputSizeChanged = Signal(int, int)    # preview output (w, h)
    _wantBefore = Signal(object)
    _kick = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.latest, self.pending = Latest(), Pending()
        self.before_worker = BeforeWorker(self.latest)
        self.tile_worker = TileWorker(self.pending)
        self._wantBefore.connect(self.before_worker.before)
        self._kick.connect(self.tile_worker.run)
        self.before_worker.beforeReady.connect(self._on_before)
        self.before_worker.failed.connect(lambda serial, which, msg: self._on_before_failed(serial, msg))
        self.tile_worker.tileReady.connect(self._on_tile)
        self.tile_worker.failed.connect(self._on_tile_failed)
        self.tile_worker.modelLoaded.connect(self.modelLoaded)
        self.threads = [_thread("preview-before", self.before_worker), _thread("preview-tiles", self.tile_worker)]
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS, timeout=self._trailing)
        self._dirty = False
        self._sent: list = []           # the keys of the tiles last handed to the worker
        self.cache = TileCache(CACHE_BYTES)
        self.info = None
        self.frame = 0
        self.method = "bicubic"
        self.region: Region | None = None
        self.focus: tuple[float, float] | None = None   # (x, y) output pixels: computed first
        self.planned = None                 # the state's PlannedJob for the open clip (None: not yet)
        self.net = Net()
        self.grid: PreviewGrid | None = None
        self.num_feat = 64
        self.playing = False
        self.range_frames: list[int] = []
        self._shown: set[int] = set()       # tiles of the current view on screen
        self._changed_at = time.perf_counter()
        self._first_sent = False
        self._busy = False
        self._standin = False
        self._before_shown = 0              # serial of the newest "before" image shown

    # ---- inputs ------------------------------------------------------------------------------
    def follow(self, state):
        """Follow an :class:`~savsr_app.state.app_state.AppState`: its clip, then each plan of its job.
        Connect this before the window's own slots, so a new clip's old view is gone before the
        viewport moves to the new one."""
        state.clipChanged.connect(self.set_clip)
        state.planChanged.connect(self.set_plan)

    def set_clip(self, info):
        """A newly opened clip: the old clip's view stops at once; the new one waits for its plan."""
        self.info, self.frame, self.range_frames = info, 0, []
        self.planned, self.grid, self.net = None, None, Net()
        self._sent = []
        self.pending.replace([])
        self._set_busy(False)

    def set_plan(self, planned):
        """Show the job ``planned`` (a :class:`~savsr_app.state.app_state.PlannedJob`): its tile grid,
        its network (model, device, backend, precision), its output size."""
        if planned is None:
            return
        if self.planned is not None and planned.clip is self.info and planned.job == self.planned.job:
            return                      # the same job of the same clip: the same plan
        if planned.clip is not self.info:
            self.set_clip(planned.clip)
        job = planned.job
        self.planned, self.net = planned, Net(job.model, job.device, job.backend, job.precision)
        self._update(before=True)

    def set_frame(self, frame: int):
        if frame != self.frame:
            self.frame = frame
            self._update(before=True, regrid=False)

    def set_method(self, method: str):
        if method != self.method:
            self.method = method
            self._send_before()

    def set_region(self, rect: QRect, focus: tuple[float, float] | None = None):
        region = Region(rect.x(), rect.y(), rect.width(), rect.height())
        if region != self.region:
            self.region, self.focus = region, focus
            self._changed_at, self._first_sent = time.perf_counter(), False
            self._show_cached()
            self._schedule()

    def set_playing(self, playing: bool):
        """While playing, only cached tiles are shown (the rest is the bicubic stand-in)."""
        if playing != self.playing:
            self.playing = playing
            self._show_cached()
            self._schedule()

    def cache_range(self, first: int, last: int):
        """Compute the view of frames ``first..last`` in the background (after the visible tiles)."""
        if self.planned is not None:
            self.range_frames = list(range(max(0, first), min(self.info.frame_count - 1, last) + 1))
            self._report_cache()
            self._schedule()

    def output_size(self) -> tuple[int, int] | None:
        """The output as shown, ``(w, h)``: the plan's; the factors' where planning refused the job."""
        if self.planned is None:
            return None
        if self.grid is not None:
            return self.grid.display_size
        job, (w, h) = self.planned.job, self.info.display_size
        H, W = Scale(job.scale_w, job.scale_h).output_size(h, w)
        return W, H

    # ---- the grid, the tiles -----------------------------------------------------------------
    def _make_grid(self) -> PreviewGrid | None:
        """The render's tile grid of the plan; ``None`` (and the reason shown) where there is none."""
        from engine.devices import resolve_device
        job, p = self.planned.job, self.planned.plan
        if p is None:
            self.error.emit("after", str(self.planned.error))
            return None
        try:
            tile = render_tile(job.tile, (p.in_size[1], p.in_size[0]), p.scale, self.num_feat,
                               resolve_device(job.device))
        except (SavsrError, ValueError) as exc:
            self.error.emit("after", str(exc))
            return None
        return PreviewGrid.from_plan(p, tile)

    def _update(self, before: bool = False, regrid: bool = True):
        """After a change: a new grid (unless only the frame moved), the before image, the cached tiles."""
        if self.planned is None:
            return                      # no clip, or its plan has not come yet
        grid = self._make_grid() if regrid or self.grid is None else self.grid
        if grid != self.grid:
            self.grid = grid
            before = True
        self._changed_at, self._first_sent = time.perf_counter(), False
        if before:
            self._send_before()
        self.afterCleared.emit()
        self._shown = set()
        self._show_cached()
        self._report_cache()
        self._schedule()

    def _key(self, frame: int, index: int) -> tuple:
        return TileTask(self.info, frame, self.grid, index, self.net).key

    def _visible(self) -> list[int]:
        if self.grid is None:
            return []
        W, H = self.grid.display_size
        region = (self.region or Region(0, 0, W, H)).clamp(W, H)
        return [] if region.empty else self.grid.tiles_for(region, self.focus)

    def _show_cached(self):
        """Put every cached tile of the view on screen now; the rest stays bicubic until computed."""
        missing = False
        for i in self._visible():
            tile = self.cache.get(self._key(self.frame, i))
            if tile is None:
                missing = True
            elif i not in self._shown:
                self._emit_tile(i, tile)
        self._set_standin(self.playing and missing)
        self._progress()

    def _emit_tile(self, index: int, tile):
        b = self.grid.display_box(index)
        self._shown.add(index)
        self.afterPatch.emit(qimage_from_rgb(tile), QRect(b.x, b.y, b.w, b.h))
        if not self._first_sent:
            self._first_sent = True
            self.firstTile.emit(time.perf_counter() - self._changed_at)

    def _schedule(self):
        if self.planned is None or self.grid is None:
            self._set_busy(False)
            return
        if self._timer.isActive():
            self._dirty = True          # inside a burst: the last state goes when it is quiet
        else:
            self._dirty = False
            self._send()                # a change after a quiet spell starts computing at once
        self._timer.start()

    def _trailing(self):
        if self._dirty:
            self._dirty = False
            self._send(unless_same=True)

    def _send(self, unless_same: bool = False):
        """Hand the worker the tiles still wanted, in order; with ``unless_same``, not if they are
        what it was handed last (the end of a burst that changed nothing, or a tile that failed)."""
        if self.grid is None:
            return
        visible = self._visible()
        frames = [] if self.playing else [self.frame]
        if not self.playing:
            frames += [f for f in range(self.frame + 1, self.frame + 1 + LOOKAHEAD) if f < self.info.frame_count]
        frames += [f for f in self.range_frames if f not in frames]
        tasks = [TileTask(self.info, f, self.grid, i, self.net) for f in frames for i in visible
                 if self._key(f, i) not in self.cache]
        keys = [t.key for t in tasks]
        if unless_same and keys == self._sent:
            return
        self._sent = keys
        self.pending.replace(tasks)
        self._set_busy(any(t.frame == self.frame for t in tasks))
        if tasks:
            self._kick.emit()

    # ---- answers -----------------------------------------------------------------------------
    def _on_tile(self, key: tuple, tile, seconds: float):
        self.cache.put(key, tile)
        path, frame, grid, net, index = key
        if self.info is None or (path, frame, grid, net) != (self.info.path, self.frame, self.grid, self.net):
            if frame in self.range_frames:
                self._report_cache()
            return
        if index in self._visible() and index not in self._shown:
            self._emit_tile(index, tile)
            self._progress()
            if all(i in self._shown for i in self._visible()):
                self._set_busy(False)
                self._set_standin(False)
                self.afterTime.emit(time.perf_counter() - self._changed_at)
        self._report_cache()

    def _on_tile_failed(self, key: tuple, message: str):
        path, frame, grid, net, _index = key     # a failure of an older clip, frame, grid or network is past
        if self.info is not None and (path, frame, grid, net) == (self.info.path, self.frame, self.grid, self.net):
            self._set_busy(False)
            self.error.emit("after", message)

    def _send_before(self):
        if self.planned is None:
            return
        size = self.output_size()
        self.latest.before += 1
        ahead = READ_AHEAD if self.playing else 1
        self._wantBefore.emit(PreviewRequest(self.latest.before, self.info, self.frame, size, self.method, ahead))
        self.outputSizeChanged.emit(*size)

    def _on_before(self, serial: int, image: QImage):
        if serial > self._before_shown:     # never an older frame after a newer one; during playback
            self._before_shown = serial     # the newest frame may be superseded before it arrives
            self.beforeImage.emit(image)

    def _on_before_failed(self, serial: int, message: str):
        if serial == self.latest.before:
            self.error.emit("before", message)

    def _progress(self):
        visible = self._visible()
        self.progressChanged.emit(sum(i in self._shown for i in visible), len(visible))

    def _report_cache(self):
        if self.grid is None or not self.range_frames:
            return
        visible = self._visible()
        done = {f for f in self.range_frames if all(self._key(f, i) in self.cache for i in visible)}
        self.cachedFrames.emit(done)

    def cached(self, frame: int) -> bool:
        """Whether the view of ``frame`` is all in the cache."""
        return self.grid is not None and all(self._key(frame, i) in self.cache for i in self._visible())

    def _set_busy(self, busy: bool):
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    def _set_standin(self, on: bool):
        if on != self._standin:
            self._standin = on
            self.standinChanged.emit(on)

    @property
    def busy(self) -> bool:
        return self._busy

    def shutdown(self):
        """Stop stale work and the threads; waits for the tile worker to leave its current layer."""
        self._timer.stop()
        self.pending.replace([])
        self.latest.before += 1
        for thread in self.threads:
            thread.quit()
        for thread in self.threads:
            thread.wait()
