"""Before/after comparisons to hand a client: a PNG of one frame and a short H.264 clip, at output size.

"After" is the render's own pixels. The still computes the frame with the render's tile grid
(:func:`engine.preview.tiles.upscale_tile`, bit-identical to a lossless render of the same job),
the clip is rendered by :func:`engine.render.renderer.render` itself. "Before" is the same frame
enlarged by bicubic (or nearest neighbour) to the same size. Two layouts: ``side`` (before | after,
twice the width) and ``split`` (one frame, before left of a divider, after right of it). Labels
are drawn with numpy (:mod:`engine.preview.labels`). No Qt here: the app calls these on a worker.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ..errors import SavsrError, folder_refusal
from ..render.frame_windows import window_indices
from ..render.job import RenderJob
from ..render.plan import plan
from ..video import formats, iter_frames, read_frames
from .labels import draw_divider, draw_label, label_size
from .tiles import PreviewGrid, Region, render_tile, resize, to_display, upscale_tile

LAYOUTS = ("side", "split")
BEFORE = ("bicubic", "nearest")
AFTER_LABEL = "SAVSR"


class CompareError(SavsrError):
    """A comparison that cannot be made as asked; the message says what to change."""


@dataclass(frozen=True)
class Comparison:
    """How to lay out a comparison. ``split``: the divider's place, a fraction of the width from the
    left. ``region``: a part of the output (display pixels), None for the whole frame."""
    layout: str = "side"
    split: float = 0.5
    before: str = "bicubic"
    labels: bool = True
    region: Region | None = None

    def check(self):
        if self.layout not in LAYOUTS:
            raise CompareError(f"unknown layout {self.layout!r}: use {' or '.join(LAYOUTS)}")
        if self.before not in BEFORE:
            raise CompareError(f"unknown before image {self.before!r}: use {' or '.join(BEFORE)}")
        if not 0.0 <= self.split <= 1.0:
            raise CompareError(f"the split position {self.split:g} is outside the frame: give 0 to 1")


@dataclass(frozen=True)
class ClipResult:
    output: Path
    frames: int
    size: tuple[int, int]          # (w, h) of the comparison


# ---- one frame --------------------------------------------------------------------------------

def planned(job: RenderJob, whole: bool = True):
    """The render plan of ``job`` without touching its output (``whole``: the whole clip)."""
    if whole:
        job = job.replace(start=None, end=None)
    return plan(job.replace(output=_stand_in(job)), check_output=False)


def _stand_in(job: RenderJob) -> str:
    """An output name of the job's codec: the plan's sizes depend on the codec, not on the name."""
    if job.codec == "png":
        return "comparison-frames"
    return "comparison" + (".mov" if job.codec.startswith(("prores", "dnxhr")) else ".mkv")


def frame_index(job: RenderJob, at: float | None = None) -> int:
    """The frame shown at ``at`` seconds into the clip (None: the middle frame), as the render numbers them."""
    info = planned(job).info
    if at is None:
        return info.frame_count // 2
    if not 0 <= at < info.duration:
        raise CompareError(f"{at:g} s is outside the clip (0 to {info.duration:.3f} s)")
    return min(info.index_at(at), info.frame_count - 1)


def _network(job: RenderJob, p):
    """The network as a render of the whole clip runs it: ``(callable, frames per window, grid, device)``.
    The job's backend and precision go to :class:`~engine.backends.Accelerated` as the render's
    do (``auto`` included); a CPU render shorter than ``AUTO_MIN_FRAMES`` keeps torch, as the render's."""
    from ..backends import AUTO_MIN_FRAMES, Accelerated
    from ..devices import resolve_device
    from ..models.checkpoint import load_model
    from ..models.choice import choose_model
    device = resolve_device(job.device)
    model = load_model(choose_model(job.model, p.info).path, device)
    tile = render_tile(job.tile, (p.in_size[1], p.in_size[0]), p.scale, model.config.num_feat, device)
    backend = job.backend
    if backend == "auto" and device.type == "cpu" and p.frame_count < AUTO_MIN_FRAMES:
        backend = "torch"
    net = Accelerated(model, backend, device, job.precision)
    return net, model.num_frame, PreviewGrid.from_plan(p, tile), device


def frame_pair(job: RenderJob, index: int, region: Region | None = None, before: str = "bicubic",
               cancelled: Callable[[], bool] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(before, after)`` of frame ``index``, both ``uint8 (h, w, 3)`` at the output size as shown
    (or ``region`` of it). ``after`` is what a render of ``job`` writes for that frame."""
    p = planned(job)
    info = p.info
    if not 0 <= index < info.frame_count:
        raise CompareError(f"frame {index} is outside the clip (0 to {info.frame_count - 1})")
    net, num_frame, grid, device = _network(job, p)
    W, H = grid.display_size
    box = _box(region, W, H)
    window = read_frames(info, window_indices(index, info.frame_count, num_frame))
    after = np.zeros((H, W, 3), np.uint8)
    for i in grid.tiles_for(box):
        b = grid.display_box(i)
        after[b.y:b.y + b.h, b.x:b.x + b.w] = upscale_tile(net, window, grid, i, device, cancelled)
    whole = resize(to_display(window[num_frame // 2], info.rotation), (H, W), before)
    return _crop(whole, box), _crop(after, box)


def _box(region: Region | None, W: int, H: int) -> Region:
    box = (region or Region(0, 0, W, H)).clamp(W, H)
    if box.empty:
        raise CompareError(f"the region {region.x},{region.y},{region.w},{region.h} lies outside the "
                           f"{W}x{H} output")
    return box


def _crop(image: np.ndarray, box: Region) -> np.ndarray:
    return np.ascontiguousarray(image[box.y:box.y + box.h, box.x:box.x + box.w])


def compose(before: np.ndarray, after: np.ndarray, how: Comparison = Comparison()) -> np.ndarray:
    """One image from two of the same size: side by side, or split at ``how.split``; labelled."""
    how.check()
    h, w = after.shape[:2]
    size = label_size(h)
    margin = 3 * size
    names = (how.before.capitalize(), AFTER_LABEL)
    if how.layout == "side":
        out = np.concatenate([before, after], axis=1)
        if how.labels:
            draw_label(out, names[0], margin, margin, size)
            draw_label(out, names[1], w + margin, margin, size)
        return out
    x = round(how.split * w)
    out = after.copy()
    out[:, :x] = before[:, :x]
    if how.labels:
        draw_divider(out, x, max(1, size))
        draw_label(out, names[0], x - margin, margin, size, right=True)
        draw_label(out, names[1], x + margin, margin, size)
    return out


def comparison_still(job: RenderJob, index: int, how: Comparison = Comparison(),
                     cancelled: Callable[[], bool] | None = None) -> np.ndarray:
    """The comparison image of frame ``index`` of ``job``: ``uint8 (h, w, 3)``."""
    how.check()
    return compose(*frame_pair(job, index, how.region, how.before, cancelled), how)


def write_png(image: np.ndarray, path, overwrite: bool = False) -> Path:
    """``image`` as an 8-bit RGB PNG at ``path``, which appears only when complete."""
    path = Path(path)
    check_target(path, overwrite)
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = image.shape[1], image.shape[0], "rgb24"
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
    data = b"".join(bytes(p) for p in codec.encode(frame)) + b"".join(bytes(p) for p in codec.encode(None))
    part = path.with_name(f".{path.name}.part")
    try:
        part.write_bytes(data)
        os.replace(part, path)
    except BaseException as exc:
        part.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise CompareError(f"could not write {path}: {exc.strerror or exc}") from None
        raise
    return path


def check_target(path: Path, overwrite: bool):
    if not path.parent.is_dir():
        raise CompareError(f"output folder does not exist: {path.parent}")
    if path.is_dir():
        raise CompareError(f"output {path} is a folder: give a file name")
    if path.exists() and not overwrite:
        raise CompareError(f"output file already exists: {path} (use --overwrite to replace it)")
    try:
        fd, name = tempfile.mkstemp(prefix=".savsr-write-test-", dir=path.parent)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise CompareError(folder_refusal(path.parent, exc)) from None


# ---- a short clip -----------------------------------------------------------------------------

def comparison_clip(job: RenderJob, index: int, seconds: float, how: Comparison, output, *,
                    overwrite: bool = False, progress=None, control=None, log=None) -> ClipResult:
    """``seconds`` of ``job``'s clip from frame ``index`` as an H.264 comparison (MP4, MOV or MKV).

    The "after" frames come from :func:`engine.render.renderer.render` (as a lossless PNG sequence
    in a hidden work folder next to ``output``, removed afterwards) at the size a render of ``job``
    writes, its codec's even rounding included, so at the same network factors as the still;
    ``progress``, ``control`` and ``log`` are the render's. No audio. Nothing appears at ``output``
    until it is complete.
    """
    from ..render.renderer import render
    how.check()
    output = Path(output)
    container = formats.container_for(output)
    if container is None or not formats.container_accepts(container, "h264"):
        raise CompareError(f"a comparison clip is H.264 in .mp4, .mov or .mkv, not {output.name}")
    if not seconds > 0:
        raise CompareError(f"the comparison clip needs a length above 0 seconds, got {seconds:g}")
    check_target(output, overwrite)
    whole = planned(job)
    info = whole.info
    if not 0 <= index < info.frame_count:
        raise CompareError(f"frame {index} is outside the clip (0 to {info.frame_count - 1})")
    start = info.frame_time(index)
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".savsr-compare", dir=output.parent))
    except OSError as exc:
        raise CompareError(folder_refusal(output.parent, exc)) from None
    try:
        end = start + seconds if start + seconds < info.duration else None
        frames_job = job.replace(output=str(work / "after"), codec="png", pix_fmt=None, scale_w=None, scale_h=None,
                                 target_size=whole.display_out_size, start=start or None, end=end, overwrite=False)
        render(frames_job, progress=progress, control=control, log=_without_png_notes(log))
        p = plan(frames_job, check_output=False)
        made = work / ("comparison" + output.suffix)
        count, size = _encode(p, sorted((work / "after").glob("frame_*.png")), how, made, container)
        os.replace(made, output)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return ClipResult(output, count, size)


def _without_png_notes(log):
    """``log`` minus the notes about the hidden PNG sequence (where its audio went, its rotation)."""
    if log is None:
        return None
    return lambda msg: None if "PNG" in msg else log(msg)


def _encode(p, after_files: list[Path], how: Comparison, path: Path, container: str) -> tuple[int, tuple[int, int]]:
    """The source frames of plan ``p`` beside the rendered ones, into an H.264 file; ``(frames, (w, h))``."""
    from ..video.encode import VideoWriter
    info = p.info
    tags = {"matrix": "bt709", "range": "tv", "primaries": info.primaries if info.primaries != "unknown" else "bt709",
            "transfer": info.transfer if info.transfer != "unknown" else "bt709"}
    writer, count, size = None, 0, (0, 0)
    try:
        for decoded, name in zip(iter_frames(info, p.first, p.stop), after_files):
            with av.open(str(name)) as c:
                after = next(c.decode(video=0)).to_ndarray(format="rgb24")
            H, W = after.shape[:2]
            box = _box(how.region, W, H)
            before = resize(to_display(decoded.rgb, info.rotation), (H, W), how.before)
            image = _even(compose(_crop(before, box), _crop(after, box), how))
            if writer is None:
                size = (image.shape[1], image.shape[0])
                writer = VideoWriter(path, container, "h264", size=size, pix_fmt="yuv420p", time_base=info.time_base,
                                     rate=info.frame_rate, crf=16, preset="medium", tags=tags)
            writer.write(image.astype(np.float32) / 255, decoded.pts - info.pts[p.first])
            count += 1
        if writer is None:
            raise CompareError(f"{Path(info.path).name}: no frames in the chosen range")
        writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    return count, size


def _even(image: np.ndarray) -> np.ndarray:
    """4:2:0 H.264 needs even sizes: an odd last row or column is repeated."""
    h, w = image.shape[:2]
    return np.pad(image, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge") if h % 2 or w % 2 else image
