"""The renderer: ``render(job) -> RenderResult``, one clip in, one upscaled clip out.

Frames stream from the decoder through 7-frame windows and the network into the encoder, which
writes the output in segments in a work folder next to it (:mod:`engine.render.workdir`,
:mod:`engine.render.segments`). When every segment is done they are joined with the audio and
subtitles, and the finished file is renamed into place, so nothing half-written ever appears at
the output path. A render that dies (a crash, a kill, a full disk, Ctrl+C) leaves its finished
segments; ``resume=True`` continues from them. No Qt here: the GUI wraps this in a worker thread.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import torch

from ..devices import resolve_device
from ..errors import SavsrError
from ..foreground import foreground, yield_to_foreground
from ..models.checkpoint import load_model
from ..models.choice import choose_model
from ..video import iter_frames, probe
from .cluster import render_on_cluster
from .compute import resolve
from .control import Progress, ProgressMeter, RenderCancelled, RenderControl, RenderStopped, ResumableError
from .events import NOTE, event
from .frame_windows import context_range
from .inference import Upscaler
from .job import RenderJob
from .memory import check_memory
from .placement import Placement
from .plan import plan
from .segments import SegmentWriter, default_segment_frames, join, move_into_place
from .stream import upscale_range
from .workdir import open_work
from .workers import render_segments

__all__ = ["Progress", "RenderCancelled", "RenderControl", "RenderError", "RenderResult", "RenderStopped",
           "ResumableError", "render"]


class RenderError(ResumableError):
    """Writing the output failed (disk full, folder removed, ...); no partial output was left behind,
    finished segments are (``kept`` frames)."""


@dataclass(frozen=True)
class RenderResult:
    output: Path
    frames: int
    seconds: float
    fps: float
    size: tuple[int, int]          # display (w, h)
    notes: tuple[str, ...] = ()


def render(job: RenderJob, progress: Callable[[Progress], None] | None = None,
           control: RenderControl | None = None, log: Callable[[str], None] | None = None, *,
           resume: bool = False, segment_frames: int | None = None, placement: Placement | None = None,
           cluster: str | None = None, events: Callable[[dict], None] | None = None) -> RenderResult:
    """Render ``job``; raises a :class:`~engine.errors.SavsrError` (``RenderCancelled`` on cancel).

    ``resume`` continues an interrupted render of the same job from its last finished segment.
    ``segment_frames`` sets the segment length of a new render (default: about two seconds).
    ``placement``: worker processes, threads and devices (:mod:`engine.render.placement`; default one
    worker, in this process). ``cluster``: ``"local"`` or ``"ray://HOST:PORT"`` runs the segments as
    Ray tasks (:mod:`engine.render.cluster`). ``log`` hears each note's text; ``events`` the same notes as
    :mod:`engine.render.events` (a kind and its fields: what computes the render, a worker that died).
    """
    notes: list[str] = []

    def note(msg: str, kind: str = NOTE, **fields):
        notes.append(msg)
        if log:
            log(msg)
        if events:
            events(event(kind, msg, **fields))

    control = control or RenderControl()
    placement = placement or Placement()
    parallel = cluster is not None or not placement.in_process(job.device)
    p = plan(job, probe(job.input))
    for msg in p.notes:
        note(msg)
    device = resolve_device(placement.worker_devices(job.device)[0] if placement.devices else job.device)
    choice = choose_model(job.model, p.info)
    if choice.reason or job.model in (None, "clean", "compressed"):
        note(f"model: {choice.describe()}")
    path = choice.path
    model = load_model(path, device)
    check_memory(p, model, device)
    _check_first_frames(p, model.num_frame)
    work = open_work(p, path, resume, segment_frames or default_segment_frames(p.info.fps), note)
    try:
        kept = work.valid_segments()
        if not parallel:  # one worker continues after the last segment of an unbroken run
            kept = _unbroken(kept, p.first)
        if len(kept) < len(work.segments):
            note(f"segment {len(kept) + 1} of the interrupted render is missing or damaged: rendering from there")
            work.manifest["segments"] = kept
            work.save()
        if kept:
            note(f"resuming: {work.frames_done} of {p.frame_count} frames were already rendered")
        kept = list(kept)  # as it was before this run (the manifest's list grows)
        announce = ProgressMeter(p.frame_count, progress, done=work.frames_done).report
        p = resolve(p, work, model, device, note, lambda msg: announce(msg, force=True))  # for every worker alike
        if parallel:
            meter = ProgressMeter(p.frame_count, progress, done=work.frames_done)
            meter.report("starting workers", force=True)
            if cluster:
                render_on_cluster(cluster, p, work, path, placement, control, meter, note)
            else:
                render_segments(p, work, path, placement, control, meter, note)
        else:
            meter = _render_here(p, work, kept, model, device, placement, control, progress, note)
        meter.report("joining segments", force=True)
        assembled, written = join(p, work, note)
        move_into_place(assembled, p.output)
    except RenderStopped:
        _keep_or_discard(work)
        raise
    except RenderCancelled:
        work.discard()
        raise
    except BaseException as exc:
        _keep_or_discard(work)
        if isinstance(exc, (OSError, av.error.FFmpegError)) and not isinstance(exc, SavsrError):
            reason = getattr(exc, "strerror", None) or str(exc)
            if not p.output.parent.is_dir():
                reason = f"the output folder {p.output.parent} was removed during the render"
            raise RenderError(f"could not write {p.output}: {reason}", kept=work.frames_done if work.exists() else 0
                              ) from None
        raise
    work.discard()
    _check_count(written, p, note)
    meter.report("done", force=True)
    seconds = meter.elapsed()
    fresh = written - (sum(s["frames"] for s in kept) if kept else 0)
    return RenderResult(p.output, written, seconds, fresh / seconds if seconds > 0 else 0.0,
                        p.display_out_size, tuple(notes))


def _render_here(p, work, kept, model, device, placement, control, progress, note) -> ProgressMeter:
    """Render the segments after ``kept`` in this process, one after another; the meter it used."""
    job = p.job
    threads = torch.get_num_threads()
    if placement.threads:
        torch.set_num_threads(placement.threads)
    try:
        upscaler = Upscaler(model, device, job.precision, p.scale, (p.out_size[1], p.out_size[0]), job.tile, note,
                            job.backend)
        meter = ProgressMeter(p.frame_count, progress, done=work.frames_done)
        if upscaler.net.compiles:
            meter.report(f"preparing the network for {p.scale[1]:g} x {p.scale[0]:g}", force=True)
        upscaler.prepare(p.in_size[1], p.in_size[0])
        meter.report("starting", force=True)
        control.checkpoint()
        first = kept[-1]["stop"] if kept else p.first
        input_ran_out = kept and kept[-1]["frames"] < kept[-1]["stop"] - kept[-1]["first"]  # a short last segment
        if first < p.stop and not input_ran_out:
            _render_frames(p, work, first, upscaler, model.num_frame, control, meter, note, device)
        return meter
    finally:
        torch.set_num_threads(threads)


def _check_first_frames(p, num_frame: int):
    """Decode the frames the first output frame needs; a stream damaged there raises its one-line
    :class:`~engine.video.decode.DecodeError` now, before a work folder exists and before the network
    is prepared (which can take a minute and says so)."""
    lo, hi = context_range(p.first, p.first + 1, p.info.frame_count, num_frame)
    for _frame in iter_frames(p.info, lo, hi):
        pass


def _unbroken(kept: list[dict], first: int) -> list[dict]:
    """The segments of ``kept`` that follow one another from frame ``first`` without a gap."""
    run = []
    for seg in kept:
        if seg["first"] != (run[-1]["stop"] if run else first):
            break
        run.append(seg)
    return run


def _keep_or_discard(work):
    """After a failure: keep finished segments for a resume, or remove a folder with none."""
    if work.segments and work.exists():
        work.unlock()
    else:
        work.discard()


def _render_frames(p, work, first, upscaler, num_frame, control, meter, note, device):
    def between():      # a computing preview goes first; a pause waits here, a stop or cancel raises here
        meter.paused(control.checkpoint() + yield_to_foreground())
    upscaler.between_tiles = between                                        # between tiles of a frame too
    # a tile in progress stops for a preview, a pause, a stop or a cancel (within a layer on torch,
    # milliseconds on OpenVINO), and is computed again if the render goes on
    upscaler.net.preempt = lambda: foreground.busy or control.cancelled or control.paused
    upscale_range(p, first, p.stop, upscaler, num_frame, device, SegmentWriter(p, work), between, meter.step)


def _check_count(written: int, p, note):
    if written < p.frame_count:
        note(f"the input ended after {written} of {p.frame_count} expected frames (truncated or damaged file); "
             f"{written} frames written")
