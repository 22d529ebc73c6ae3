"""Streaming 7-frame windows with BasicSR reflection at the clip's ends.

Only the frames a window can reach are held (``2 * half + 1`` at most), whatever the clip's
length. Windows near the clip's ends reflect into the clip (:func:`window_indices`),
also for clips shorter than a window; a range inside the clip uses its real neighbours.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch


def reflect_index(j: int, n: int) -> int:
    """BasicSR reflection of a frame index into ``0 .. n-1``, repeated until it lands inside."""
    if n == 1:
        return 0
    while j < 0 or j > n - 1:
        j = -j if j < 0 else 2 * (n - 1) - j
    return j


def window_indices(i: int, n: int, num_frame: int = 7) -> list[int]:
    """Frame indices of the window centred on frame ``i`` of an ``n``-frame clip."""
    half = num_frame // 2
    return [reflect_index(j, n) for j in range(i - half, i + half + 1)]


def context_range(first: int, stop: int, n: int, num_frame: int = 7) -> tuple[int, int]:
    """Frames to decode to render ``first .. stop-1`` of an ``n``-frame clip."""
    half = num_frame // 2
    return max(0, first - half), min(n, stop + half)


def sliding_windows(frames: Iterable[tuple[int, object]], first: int, stop: int, n: int,
                    num_frame: int = 7) -> Iterator[tuple[int, object, torch.Tensor]]:
    """``(index, key, window)`` for every frame ``first .. stop-1``.

    ``frames`` yields ``(key, tensor (3, h, w))`` in order, starting at
    ``context_range(...)[0]``; ``key`` (a timestamp, say) is passed through. If the stream ends
    early the clip is taken to be as long as what was decoded (``n`` shrinks).
    ``window`` is ``(1, num_frame, 3, h, w)``.
    """
    half = num_frame // 2
    source = iter(frames)
    held: dict[int, tuple[object, torch.Tensor]] = {}
    next_index = context_range(first, stop, n, num_frame)[0]
    for i in range(first, stop):
        while next_index <= min(n - 1, i + half):
            item = next(source, None)
            if item is None:
                n = next_index
                break
            held[next_index] = item
            next_index += 1
        if i >= n:
            return
        idx = window_indices(i, n, num_frame)
        window = torch.stack([held[j][1] for j in idx]).unsqueeze(0)
        yield i, held[i][0], window
        for j in [j for j in held if j < i + 1 - half]:
            del held[j]
