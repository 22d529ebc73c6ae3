"""Segments rendered in parallel worker processes, each one crash-isolated.

Every worker slot is a one-process :class:`~concurrent.futures.ProcessPoolExecutor` (spawn start
method), so the pool itself notices a worker that dies (SIGKILL, a crash in torch or FFmpeg, the
out-of-memory killer) and the parent knows exactly which segment it lost. That segment is queued
again on a fresh worker once; a second death fails the render with the finished segments kept for
a resume. The parent hands out segments, collects progress through a queue, records finished
segments in the manifest and joins as before. A worker writes only its own segment file (a
``.part`` name, renamed when complete); the manifest and the lock stay with the parent. Workers report
frames and notes as events (:mod:`.events`); a lost segment is a ``worker_died`` event of the render.

:func:`render_segment` is the unit of work, also run by :mod:`.cluster` as a Ray task.
"""
from __future__ import annotations

import multiprocessing
import queue as queue_module
import shutil
import signal
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from ..foreground import foreground, wait_for_event_clear
from . import events
from .control import RenderCancelled, ResumableError
from .events import FRAME, NOTE, event
from .segments import SegmentWriter, bounds, timing
from .workdir import durable_rename, size_of

WORKER_DIED = "the render process stopped unexpectedly"   # how the notes about a lost segment begin
HOW_WORKERS_DIE = "killed, crashed or out of memory"


class WorkerError(ResumableError):
    """A segment's worker died twice; the finished segments (``kept`` frames) are kept for a resume."""


@dataclass(frozen=True)
class SegmentTask:
    """One segment for a worker: frames ``first .. stop-1`` of ``plan`` into ``work_path``."""

    plan: object
    model_path: str
    work_path: str
    index: int               # position among the render's segments (names its file)
    first: int
    stop: int
    segment_frames: int
    device: str

    def describe(self) -> str:
        return f"frames {self.first}-{self.stop - 1}"


def missing_tasks(p, work, model_path: str, devices: list[str]) -> list[SegmentTask]:
    """The segments of ``p`` not yet recorded in ``work``, in order (none after a short one: the
    input ended there)."""
    size = work.manifest["segment_frames"]
    done = {s["first"]: s for s in work.segments}
    tasks = []
    for i, (a, b) in enumerate(bounds(p.first, p.stop, size)):
        if a in done:
            if done[a]["frames"] < b - a:
                break
            continue
        tasks.append(SegmentTask(p, str(model_path), str(work.path), i, a, b, size, devices[len(tasks) % len(devices)]))
    return tasks


# ---- the unit of work (runs in a worker process or a Ray task) -------------------------------

class _Outbox:
    """What :class:`SegmentWriter` needs of a work folder, for the one segment a worker writes."""

    def __init__(self, task: SegmentTask):
        self.path = Path(task.work_path)
        self.manifest = {"segment_frames": task.segment_frames}
        self.segments = [None] * task.index   # the writer names a segment after the ones before it
        self.record: dict | None = None

    def add_segment(self, first: int, stop: int, frames: int, part: Path, name: str):
        durable_rename(part, self.path / name)
        self.record = {"first": first, "stop": stop, "frames": frames, "file": name,
                       "bytes": size_of(self.path / name)}


_MODELS: dict = {}


def _upscaler(task: SegmentTask, note):
    """The network for ``task``, loaded and prepared once per process and kept for later segments."""
    import torch

    from ..models.checkpoint import load_model
    from .inference import Upscaler
    p, device = task.plan, torch.device(task.device)
    key = (task.model_path, task.device, p.scale, p.out_size, p.in_size, p.job.tile, p.job.backend, p.job.precision)
    if key not in _MODELS:
        _MODELS.clear()
        model = load_model(task.model_path, device)
        up = Upscaler(model, device, p.job.precision, p.scale,
                      (p.out_size[1], p.out_size[0]), p.job.tile, note, p.job.backend)
        up.prepare(p.in_size[1], p.in_size[0])
        _MODELS[key] = (up, model.num_frame)
    return _MODELS[key]


def render_segment(task: SegmentTask, step: Callable[[], None], note: Callable[[str], None],
                   checkpoint: Callable[[], None], preempt: Callable[[], bool] | None = None) -> dict | None:
    """Render one segment into the work folder; its manifest record, or ``None`` when the input
    ended before the segment. ``step`` is called per frame, ``checkpoint`` between frames and tiles (it
    raises to stop); a true ``preempt()`` stops the tile in progress, which ``checkpoint`` then follows."""
    import torch

    from .stream import upscale_range
    upscaler, num_frame = _upscaler(task, note)
    upscaler.between_tiles, upscaler.net.preempt = checkpoint, preempt
    outbox = _Outbox(task)
    writer = SegmentWriter(task.plan, outbox)
    writer.last_pts = _previous_pts(task.plan, task.first)
    upscale_range(task.plan, task.first, task.stop, upscaler, num_frame, torch.device(task.device), writer,
                  checkpoint, step)
    return outbox.record


def _previous_pts(p, first: int) -> int | None:
    """The output timestamp of the frame before ``first``, as a one-process render would have it
    (timestamps keep rising across segments)."""
    if first <= p.first or p.container is None:
        return None
    out_tb, pts0 = timing(p)
    return round((p.info.pts[first - 1] - pts0) * p.info.time_base / out_tb)


# ---- a worker process ------------------------------------------------------------------------

_WORKER: dict = {}


def _init_worker(threads: int, messages, cancel, running, busy):
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl+C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)   # and a terminate ends a worker at once
    import torch
    if threads:
        torch.set_num_threads(threads)
    _WORKER.update(messages=messages, cancel=cancel, running=running, busy=busy)


def _run_in_worker(task: SegmentTask) -> dict | None:
    messages, cancel, running, busy = (_WORKER[k] for k in ("messages", "cancel", "running", "busy"))

    def checkpoint():
        while not running.wait(0.2) and not cancel.is_set():
            pass
        if cancel.is_set():
            raise RenderCancelled("render cancelled")
        wait_for_event_clear(busy)      # the parent's preview goes first, as in a one-process render

    # a cancel, a pause or the parent's preview reaches the tile in progress, not just the next frame
    preempt = lambda: cancel.is_set() or not running.is_set() or busy.is_set()
    return render_segment(task, lambda: messages.put(event(FRAME, segment=task.index)),
                          lambda msg: messages.put(event(NOTE, msg)), checkpoint, preempt)


class _Slot:
    """One worker process behind its own one-process pool; replaced when its process dies."""

    def __init__(self, pool: WorkerPool, device: str):
        self.pool, self.device = pool, device
        self.executor = self._new()
        self.task: SegmentTask | None = None
        self.future = None

    def _new(self) -> ProcessPoolExecutor:
        pool = self.pool
        return ProcessPoolExecutor(1, mp_context=pool.ctx, initializer=_init_worker,
                                   initargs=(pool.threads, pool.messages, pool.cancel, pool.running, pool.busy))

    def start(self, task: SegmentTask):
        try:
            future = self.executor.submit(_run_in_worker, task)
        except BrokenProcessPool:  # its process died while it waited between segments: nothing lost
            self.restart()
            future = self.executor.submit(_run_in_worker, task)
        self.task, self.future = task, future

    def restart(self):
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._new()

    def close(self):
        self.executor.shutdown(wait=True, cancel_futures=True)


class WorkerPool:
    """Renders :class:`SegmentTask` s on one worker process per device entry."""

    def __init__(self, devices: list[str], threads: int):
        self.ctx = multiprocessing.get_context("spawn")
        self.threads = threads
        self.messages, self.cancel, self.running = self.ctx.Queue(), self.ctx.Event(), self.ctx.Event()
        self.busy = self.ctx.Event()        # set while this process computes a preview (foreground.mirrored)
        self.running.set()
        self.slots = [_Slot(self, d) for d in devices]

    def run(self, tasks: list[SegmentTask], work, control, meter, note):
        """Render ``tasks``, recording each finished segment in ``work``; raises on a cancel, an error
        in a segment, or a segment whose worker died twice. The workers give way to this process's
        previews (:meth:`engine.foreground.Foreground.mirrored`)."""
        with foreground.mirrored(self.busy):
            self._run(tasks, work, control, meter, note)

    def _run(self, tasks, work, control, meter, note):
        todo, deaths, counted, seen = deque(tasks), {}, {}, set()
        try:
            while todo or any(s.future for s in self.slots):
                for slot in self.slots:
                    if slot.future is None and todo:
                        task = todo.popleft()
                        slot.start(replace(task, device=slot.device))
                busy = [s.future for s in self.slots if s.future]
                finished, _ = wait(busy, timeout=0.1, return_when=FIRST_COMPLETED)
                self._drain(meter, counted, seen, note)
                for slot in [s for s in self.slots if s.future in finished]:
                    self._finish(slot, work, todo, deaths, meter, counted, note)
                self.running.clear() if control.paused else self.running.set()
                meter.paused(control.checkpoint())
        except BaseException:
            self.cancel.set()
            self.running.set()
            raise
        finally:
            for slot in self.slots:
                slot.close()
            # the workers are gone: any segment still named .part was cut off (stop, cancel, a failure
            # elsewhere) and is rendered again on a resume
            _remove_part(work, None)

    def _drain(self, meter, counted, seen, note):
        while True:
            try:
                ev = self.messages.get_nowait()
            except queue_module.Empty:
                return
            if ev["kind"] == FRAME:
                counted[ev["segment"]] = counted.get(ev["segment"], 0) + 1
                meter.step()
            elif ev["text"] not in seen:   # every worker prepares the same network: say it once
                seen.add(ev["text"])
                note(ev["text"])

    def _finish(self, slot: _Slot, work, todo, deaths, meter, counted, note):
        task, future = slot.task, slot.future
        slot.task = slot.future = None
        try:
            record = future.result()
        except BrokenProcessPool:
            self._drain(meter, counted, set(), lambda _m: None)
            meter.done -= counted.pop(task.index, 0)        # its frames are rendered again
            _remove_part(work, task.index)
            slot.restart()
            deaths[task.index] = deaths.get(task.index, 0) + 1
            if deaths[task.index] > 1:
                raise WorkerError(f"{WORKER_DIED} twice while rendering {task.describe()} ({HOW_WORKERS_DIE})",
                                  kept=work.frames_done) from None
            note(f"{WORKER_DIED} while rendering {task.describe()} ({HOW_WORKERS_DIE}): rendering them again "
                 "in a new one", kind=events.WORKER_DIED, first=task.first, stop=task.stop)
            todo.appendleft(task)
            return
        counted.pop(task.index, None)
        if record is not None:
            work.record_segment(record)


def _remove_part(work, index: int | None):
    """Delete what a killed worker was writing (it had no chance to); ``None``: every segment's."""
    pattern = "segment_*.part" if index is None else f"segment_{index:05d}*.part"
    for part in work.path.glob(pattern):
        shutil.rmtree(part, ignore_errors=True) if part.is_dir() else part.unlink(missing_ok=True)


def render_segments(p, work, model_path, placement, control, meter, note):
    """Render the segments of ``p`` that ``work`` lacks on worker processes."""
    devices = placement.worker_devices(p.job.device)
    tasks = missing_tasks(p, work, model_path, devices)
    if not tasks:
        return
    devices = devices[:len(tasks)]   # no idle workers
    note(f"rendering {len(tasks)} segments on {len(devices)} worker processes "
         f"({placement.worker_threads(len(devices))} threads each, {', '.join(sorted(set(devices)))})")
    WorkerPool(devices, placement.worker_threads(len(devices))).run(tasks, work, control, meter, note)
