"""How the preview's parts follow each other: controller, transport and preview area."""
from __future__ import annotations

CACHE_AHEAD_S = 2.0     # "Cache preview range" without an in/out range: this much from the current frame


def cache_span(transport) -> tuple[int, int]:
    """The frames "Cache preview range" computes: the in/out range, else the next two seconds."""
    if not transport.whole_clip:
        return transport.in_frame, transport.out_frame
    n = max(1, round(transport.info.fps * CACHE_AHEAD_S))
    return transport.frame, min(transport.info.frame_count - 1, transport.frame + n - 1)


def connect_preview(controller, transport, area):
    """Playback, the cache bar, the stand-in label and the tile progress line."""
    transport.playingChanged.connect(controller.set_playing)
    controller.cachedFrames.connect(transport.slider.set_cached)
    controller.standinChanged.connect(area.images.set_standin)
    controller.progressChanged.connect(area.images.set_progress)


def cache_preview_range(controller, transport):
    if transport.info is not None:
        controller.cache_range(*cache_span(transport))
