"""The renderer: ``render(job) -> RenderResult``, one clip in, one upscaled clip out.

Frames stream from the decoder through 7-frame windows and the network into the encoder; audio
and subtitles are carried along interleaved. The output is written under a temporary name in
the target folder and moved into place only when complete, so a cancelled or failed render
leaves nothing at the output path. No Qt here: the GUI wraps this in a worker thread.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

import av
import torch

from .checkpoint import load_model
from .control import Progress, ProgressMeter, RenderCancelled, RenderControl
from .devices import autocast_dtype, resolve_device
from .errors import SavsrError
from .inference import Upscaler
from .job import RenderJob
from .plan import RenderPlan, plan
from .prefetch import BackgroundCalls, prefetch
from .staging import Staging
from .video import iter_frames, probe
from .video.encode import PngSequenceWriter, VideoWriter
from .video.passthrough import StreamCopier
from .windows import context_range, sliding_windows

__all__ = ["Progress", "RenderCancelled", "RenderControl", "RenderError", "RenderResult", "render"]


class RenderError(SavsrError):
    """Writing the output failed (disk full, folder removed, ...); nothing was left behind."""


@dataclass(frozen=True)
class RenderResult:
    output: Path
    frames: int
    seconds: float
    fps: float
    size: tuple[int, int]          # display (w, h)
    notes: tuple[str, ...] = ()


def render(job: RenderJob, progress: Callable[[Progress], None] | None = None,
           control: RenderControl | None = None, log: Callable[[str], None] | None = None) -> RenderResult:
    """Render ``job``; raises a :class:`~engine.errors.SavsrError` (``RenderCancelled`` on cancel)."""
    notes: list[str] = []

    def note(msg: str):
        notes.append(msg)
        if log:
            log(msg)

    control = control or RenderControl()
    p = plan(job, probe(job.input))
    for msg in p.notes:
        note(msg)
    device = resolve_device(job.device)
    model = load_model(job.model, device)
    upscaler = Upscaler(model, device, autocast_dtype(job.precision, device), p.scale,
                        (p.out_size[1], p.out_size[0]), job.tile, note)
    meter = ProgressMeter(p.frame_count, progress)
    meter.report("starting", force=True)
    control.checkpoint()
    try:
        with Staging(p.output, folder=p.container is None) as stage:
            written = _run(p, stage.path, upscaler, model.num_frame, control, meter, note, device)
            stage.commit()
    except SavsrError:
        raise
    except (OSError, av.error.FFmpegError) as exc:  # disk full, folder removed, muxer refusal
        reason = getattr(exc, "strerror", None) or str(exc)
        raise RenderError(f"could not write {p.output}: {reason}") from None
    meter.report("done", force=True)
    seconds = meter.elapsed()
    return RenderResult(p.output, written, seconds, written / seconds if seconds > 0 else 0.0,
                        p.display_out_size, tuple(notes))


def _timing(p: RenderPlan) -> tuple[Fraction, int]:
    """``(output time base, input pts of the first output frame)``.

    A constant-rate clip whose frames sit one ``1/fps`` apart gets that exact time base (editors
    read it as CFR); anything else keeps the input's time base, so every timestamp survives.
    """
    info = p.info
    out_tb = info.time_base
    if not info.vfr and info.frame_rate and len(info.pts) >= 2:
        deltas = sorted(b - a for a, b in zip(info.pts, info.pts[1:]))
        step = deltas[len(deltas) // 2] * info.time_base
        if abs(step * info.frame_rate - 1) < 0.01:
            out_tb = 1 / Fraction(info.frame_rate)
    return out_tb, info.pts[p.first]


def _run(p: RenderPlan, target: Path, upscaler, num_frame, control, meter, note, device) -> int:
    info = p.info
    lo, hi = context_range(p.first, p.stop, info.frame_count, num_frame)
    # decoded on a worker thread, each frame sent to the device once; windows are stacked there
    frames = prefetch((d.pts, torch.from_numpy(d.rgb).permute(2, 0, 1).to(device)) for d in iter_frames(info, lo, hi))
    try:
        if p.container is None:
            return _run_png(p, target, frames, upscaler, num_frame, control, meter, note)
        return _run_video(p, target, frames, upscaler, num_frame, control, meter, note)
    finally:
        frames.close()


def _run_video(p: RenderPlan, target: Path, frames, upscaler, num_frame, control, meter, note) -> int:
    info = p.info
    out_tb, pts0 = _timing(p)
    in_tb = info.time_base
    writer = VideoWriter(target, p.container, p.job.codec, size=p.out_size, pix_fmt=p.pix_fmt, time_base=out_tb,
                         rate=info.frame_rate, crf=p.job.crf, preset=p.job.preset, rotation=info.rotation,
                         tags=dict(matrix=p.matrix, primaries=p.primaries, transfer=p.transfer, range=p.range))
    copier = calls = None
    try:
        copier = _copier(p, writer.container, float(pts0 * in_tb), note)

        def emit(rgb, pts):  # on the writer thread: the encoder and the muxer are used only there
            writer.write(rgb, round((pts - pts0) * in_tb / out_tb))
            if copier:
                copier.pump(float((pts - pts0) * in_tb), writer.container)

        calls = BackgroundCalls(emit)
        for _i, pts, window in sliding_windows(frames, p.first, p.stop, info.frame_count, num_frame):
            meter.paused(control.checkpoint())
            calls.submit(upscaler(window), pts)
            meter.step()
        calls.finish()
        if copier:
            copier.finish(writer.container)
        writer.close()
    except BaseException:
        if calls:
            calls.abandon()
        if copier:
            copier.close()
        writer.abort()
        raise
    _check_count(writer.frames, p, note)
    return writer.frames


def _copier(p: RenderPlan, container, offset, note, fmt: str | None = None) -> StreamCopier | None:
    info = p.info
    if not (info.audio or info.subtitles):
        return None
    start = offset if p.first > 0 else float("-inf")
    end = float(info.pts[p.stop] * info.time_base) if p.stop < info.frame_count else None
    return StreamCopier(info, container, fmt or p.container, offset=offset, start=start, end=end, log=note)


def _run_png(p, folder, frames, upscaler, num_frame, control, meter, note) -> int:
    info = p.info
    offset = float(info.pts[p.first] * info.time_base)
    writer = PngSequenceWriter(folder, p.display_out_size, p.pix_fmt)
    turns = (info.rotation // 90) % 4  # images have no rotation flag: turn them as a player would
    for _i, pts, window in sliding_windows(frames, p.first, p.stop, info.frame_count, num_frame):
        meter.paused(control.checkpoint())
        writer.write(torch.rot90(upscaler(window), turns, dims=(1, 2)), float(pts * info.time_base) - offset)
        meter.step()
    writer.close(info.vfr)
    if info.audio or info.subtitles:
        _audio_sidecar(p, folder / "audio.mka", offset, note)
    _check_count(writer.frames, p, note)
    return writer.frames


def _audio_sidecar(p: RenderPlan, path: Path, offset: float, note):
    with av.open(str(path), "w", format="matroska", options={"avoid_negative_ts": "disabled"}) as container:
        copier = _copier(p, container, offset, note, "matroska")
        copier.finish(container)


def _check_count(written: int, p: RenderPlan, note):
    if written < p.frame_count:
        note(f"the input ended after {written} of {p.frame_count} expected frames (truncated or damaged file); "
             f"{written} frames written")
