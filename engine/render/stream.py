"""The frame loop every render runs, in one process or in a worker: decode a range with its context,
upscale each frame's window, hand the results to a segment writer on a background thread."""
from __future__ import annotations

from collections.abc import Callable

import torch

from ..video import iter_frames
from .frame_windows import context_range, sliding_windows
from .prefetch import BackgroundCalls, prefetch


def upscale_range(p, first: int, stop: int, upscaler, num_frame: int, device, writer,
                  between: Callable[[], None], step: Callable[[], None]):
    """Frames ``first .. stop-1`` of plan ``p`` through ``upscaler`` into ``writer`` (a
    :class:`~engine.render.segments.SegmentWriter`), finished on success and aborted on any error.
    Decoding seeks to ``first`` minus the window's context. ``between()`` runs before each frame (it
    raises to stop), ``step()`` after it."""
    info = p.info
    lo, hi = context_range(first, stop, info.frame_count, num_frame)
    # decoded on a worker thread, each frame sent to the device once; windows are stacked there
    frames = prefetch((d.pts, torch.from_numpy(d.rgb).permute(2, 0, 1).to(device)) for d in iter_frames(info, lo, hi))
    calls = BackgroundCalls(writer.write)  # the encoder and the muxer are used only on that thread
    turns = (info.rotation // 90) % 4 if p.container is None else 0  # images have no rotation flag
    try:
        for i, pts, window in sliding_windows(frames, first, stop, info.frame_count, num_frame):
            between()
            out = upscaler(window)
            calls.submit(i, torch.rot90(out, turns, dims=(1, 2)) if turns else out, pts)
            step()
        calls.finish()
        writer.finish()
    except BaseException:
        calls.abandon()
        writer.abort()
        raise
    finally:
        frames.close()
