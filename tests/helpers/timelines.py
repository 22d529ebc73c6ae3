"""One-track OpenTimelineIO edits for the conform tests (engine and app). Needs opentimelineio."""
from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def write_edit(path: Path, clips, fps: int, available: int) -> Path:
    """Write a one-track edit to ``path``. ``clips``: (name, media path or URL, first frame used,
    frames, start of the media's available range or ``None``); ``available`` frames of media each."""
    timeline = otio.schema.Timeline("edit")
    track = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for name, target, first, frames, origin in clips:
        span = TR(RT(origin, fps), RT(available, fps)) if origin is not None else None
        url = target.as_uri() if isinstance(target, Path) else target
        ref = otio.schema.ExternalReference(target_url=url, available_range=span)
        track.append(otio.schema.Clip(name=name, media_reference=ref,
                                      source_range=TR(RT((origin or 0) + first, fps), RT(frames, fps))))
    otio.adapters.write_to_file(timeline, str(path))
    return path
