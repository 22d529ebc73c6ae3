"""Conform: upscale only what an edit uses, and write the edit again pointing at the results.

``conform(timeline, folder, template)`` renders every used range (plus handles) of every video
clip's media as an ordinary resumable render (:func:`engine.render.renderer.render`), then writes
a copy of the timeline whose clips point at the upscaled files. Their timing is unchanged: each
new reference's ``available_range`` starts at the media time of its first rendered frame, so a
clip's ``source_range`` finds the same frames; the files also carry the source's timecode moved
on to that frame. Run it again and finished pieces are kept, interrupted ones resumed.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SavsrError
from ..render.job import RenderJob
from ..render.plan import RenderPlan, plan
from ..render.workdir import holds_render_of, work_path
from ..video.probe import InputError, probe
from .ranges import Missing, Piece, used_pieces

INSTALL_HINT = ("savsr conform needs OpenTimelineIO: pip install 'savsr-studio[timeline]' "
                "(or: pip install opentimelineio)")


class ConformError(SavsrError):
    """A timeline that cannot be read or written, or an output folder that cannot be used."""


def require_otio():
    try:
        import opentimelineio
    except ImportError:
        raise ConformError(INSTALL_HINT) from None
    return opentimelineio


@dataclass
class PieceResult:
    media: Path
    output: Path
    frames: int
    clips: int
    rendered: bool              # False: an earlier run's file was kept


@dataclass
class ConformResult:
    timeline: Path
    pieces: list[PieceResult] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)


def read_timeline(path: Path):
    otio = require_otio()
    path = Path(path)
    if not path.is_file():
        raise ConformError(f"timeline not found: {path}")
    try:
        return otio.adapters.read_from_file(str(path))
    except (otio.exceptions.OTIOError, ValueError, KeyError, TypeError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConformError(f"cannot read timeline {path.name}: {reason[:200]}") from None


def output_name(piece: Piece, first: int, stop: int, ext: str) -> str:
    return f"{piece.media.stem}_savsr_{first:06d}-{stop - 1:06d}{ext}"


def conform(timeline_path, folder, template: RenderJob, handles: int = 12, *,
            render: Callable | None = None, announce: Callable[[int, int, RenderJob, int], None] | None = None,
            missing: Callable[[Missing], None] | None = None, ext: str = ".mov") -> ConformResult:
    """Render the used pieces of ``timeline_path``'s media into ``folder`` and write the new timeline.

    ``template`` holds the render settings (its input, output and range are replaced per piece).
    ``render(job, resume)`` does one render (default: the engine's, without progress);
    ``announce(i, n, job, frames)`` is told before each piece; ``missing(m)`` of each clip left out.
    """
    otio = require_otio()
    timeline_path, folder = Path(timeline_path), Path(folder)
    if handles < 0:
        raise ConformError(f"handles must be 0 or more frames, got {handles}")
    if not folder.is_dir():
        raise ConformError(f"output folder does not exist: {folder}")
    timeline = read_timeline(timeline_path)
    usage = used_pieces(timeline, timeline_path.parent, handles)
    result = ConformResult(folder / f"{timeline_path.stem}_savsr.otio", missing=usage.missing)
    for m in usage.missing:
        if missing:
            missing(m)
    jobs = [piece_job(piece, folder, template, ext) for piece in usage.pieces]
    for i, (piece, (job, p)) in enumerate(zip(usage.pieces, jobs)):
        if announce:
            announce(i, len(jobs), job, p.frame_count)
        rendered = _render_piece(job, p, render)
        result.pieces.append(PieceResult(piece.media, Path(job.output), p.frame_count, len(piece.clips), rendered))
        _relink(otio, piece, p, job)
    _write(otio, timeline, result.timeline)
    return result


def piece_job(piece: Piece, folder: Path, template: RenderJob, ext: str) -> tuple[RenderJob, RenderPlan]:
    """The job that renders ``piece`` into ``folder`` with ``template``'s settings (its input, output
    and range replaced), named by :func:`output_name`, and its plan. Raises the plan's error
    (:class:`~engine.render.plan.PlanError`) for a piece that cannot be rendered as asked."""
    start = piece.start if piece.start > 0 else None
    end = piece.end if piece.end < piece.info.duration else None
    job = template.replace(input=str(piece.media), output=str(folder / f"piece{ext}"), start=start, end=end)
    p = plan(job, piece.info, check_output=False)
    job = job.replace(output=str(folder / output_name(piece, p.first, p.stop, ext)))
    return job, plan(job, piece.info, check_output=False)


def _render_piece(job: RenderJob, p, render) -> bool:
    """Render ``job`` unless an earlier run finished it; resume an interrupted one."""
    out = Path(job.output)
    if out.exists() and not job.overwrite and not work_path(out).exists():
        try:
            done = probe(out)
        except InputError:
            done = None
        if done is not None and done.frame_count == p.frame_count and done.display_size == p.display_out_size:
            return False
        raise ConformError(f"{out.name} already exists and is not this render: remove it or overwrite")
    if render is None:
        from ..render.renderer import render as engine_render
        render = lambda j, resume: engine_render(j, resume=resume)  # noqa: E731
    render(job.replace(overwrite=True), holds_render_of(job.replace(overwrite=True)))
    return True


def _relink(otio, piece: Piece, p, job: RenderJob):
    """Point the piece's clips at the rendered file; their source ranges stay as they were."""
    rate = float(p.info.frame_rate)
    first = otio.opentime.RationalTime(round(p.info.frame_time(p.first) * rate), rate)
    available = otio.opentime.TimeRange(piece.origin.rescaled_to(rate) + first,
                                        otio.opentime.RationalTime(p.frame_count, rate))
    out = Path(job.output).resolve()
    for clip in piece.clips:
        old = clip.media_reference.target_url
        url = out.as_uri() if old.startswith("file:") else str(out)
        clip.media_reference = otio.schema.ExternalReference(target_url=url, available_range=available,
                                                             metadata={"savsr": {"source": old}})


def _write(otio, timeline, target: Path):
    part = target.with_name(target.name + ".part.otio")
    try:
        otio.adapters.write_to_file(timeline, str(part))
        os.replace(part, target)
    except (otio.exceptions.OTIOError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise ConformError(f"could not write the timeline {target}: {exc}") from None
