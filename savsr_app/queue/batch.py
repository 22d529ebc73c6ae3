"""Many clips queued at once with the current settings, each planned for its own size. No Qt here.

A :class:`BatchSettings` is the window's state frozen when "Add all to queue" is chosen; the clips are
probed off the UI thread, then :func:`batch_entry` makes each one's queue entry: a preset that named
a target size gives each clip that size (its aspect kept), factors stay factors.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import SavsrError
from engine.render.job import MAX_SCALE, MIN_SCALE, RenderJob
from engine.scale import Scale

from ..state.app_state import OutputChoice, clip_source_size, fit_factors
from .jobs import QueueEntry, default_output


@dataclass(frozen=True)
class BatchSettings:
    """What every clip of a batch is queued with. ``template``: the state's job without an input
    (:meth:`~savsr_app.state.app_state.AppState.job`); ``open_job``: the open clip's own job (its
    range and pixel shape), used for that clip; ``target``: the size a preset named, or ``None``."""

    template: RenderJob
    scale: Scale
    target: tuple[int, int] | None
    output: OutputChoice
    model_note: str
    open_job: RenderJob | None = None


class BatchError(SavsrError):
    """A clip of a batch that cannot be queued with these settings."""


def clip_job(settings: BatchSettings, info) -> RenderJob:
    """The job (output not yet named) for the clip ``info`` (a ClipInfo): the open clip keeps its
    range and pixel shape; another clip renders whole, its pixel shape as tagged, made square."""
    if settings.open_job is not None and settings.open_job.input == info.path:
        job = settings.open_job
    else:
        job = settings.template.replace(input=info.path, start=None, end=None, pixel_aspect=None,
                                        square_pixels=True)
    if settings.target is None:
        return job.replace(scale_w=settings.scale.w, scale_h=settings.scale.h)
    size = clip_source_size(job.replace(output=info.path + ".out.mkv"), info)
    s_w, s_h = fit_factors(settings.target, size)
    if not (MIN_SCALE - 1e-9 <= min(s_w, s_h) and max(s_w, s_h) <= MAX_SCALE + 1e-9):
        raise BatchError(f"{settings.target[0]} x {settings.target[1]} needs a factor of {max(s_w, s_h):.2f} "
                         f"(factors go from {MIN_SCALE:g} to {MAX_SCALE:g})")
    return job.replace(scale_w=min(MAX_SCALE, max(MIN_SCALE, s_w)), scale_h=min(MAX_SCALE, max(MIN_SCALE, s_h)))


def batch_entry(settings: BatchSettings, info, taken: set[str]) -> QueueEntry:
    """The queue entry of clip ``info`` under ``settings``, writing a file named as a single job's
    would be and colliding with none in ``taken`` (which it joins). Raises :class:`SavsrError`."""
    from engine.render.plan import plan
    job = clip_job(settings, info)
    w, h = clip_source_size(job.replace(output=info.path + ".out.mkv"), info)
    H, W = Scale(job.scale_w, job.scale_h).output_size(h, w)
    out = settings.output
    job = job.replace(output=str(default_output(info.path, (W, H), out.folder, out.extension, taken)))
    p = plan(job, info)
    taken.add(job.output)
    return QueueEntry(job=job, out_size=p.display_out_size, frames=p.frame_count, model_note=settings.model_note)


def queued_line(entry: QueueEntry) -> str:
    """The log's line for a queued clip of a batch."""
    return (f"queued {entry.name} → {entry.job.output} ({entry.out_size[0]}x{entry.out_size[1]}, "
            f"{entry.frames} frames, model {entry.model_note})")


def skipped_line(path: str, error: str) -> str:
    return f"not queued: {Path(path).name}: {error}"
