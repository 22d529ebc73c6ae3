"""Which parts of which media files a timeline uses: ``used_pieces(timeline, base) -> Usage``.

Each video clip's source range is turned into seconds into its media file (an OTIO media time
counts from the reference's ``available_range`` start, or from the file's start timecode when
the timeline gives no range, as EDLs do), widened by the handles and clamped to the file. Ranges
of one file that overlap or nearly meet are rendered once, as one piece. Clips whose media is
missing are listed, one per clip, and left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..video import timecode
from ..video.probe import ClipInfo, InputError, probe


@dataclass(frozen=True)
class Missing:
    clip: str
    media: str          # as the timeline names it
    why: str


@dataclass
class Piece:
    """One render: ``start``..``end`` seconds of ``media`` (handles included), for ``clips``."""
    media: Path
    info: ClipInfo
    origin: object                 # otio RationalTime: the media time of the file's first frame
    start: float
    end: float
    clips: list = field(default_factory=list)   # the otio clips it serves


@dataclass
class Usage:
    pieces: list[Piece]
    missing: list[Missing]


def media_path(url: str, base: Path) -> Path:
    """A reference's ``target_url`` (``file://`` URL or plain path, relative to the timeline) as a path."""
    if url.startswith("file:"):
        parsed = urlparse(url)
        text = unquote(parsed.path)
        if parsed.netloc and parsed.netloc != "localhost":
            text = f"//{parsed.netloc}{text}"
        return Path(text)
    path = Path(url)
    return path if path.is_absolute() else base / path


def video_clips(timeline) -> list:
    import opentimelineio as otio
    tracks = timeline.video_tracks() if isinstance(timeline, otio.schema.Timeline) else [timeline]
    return [clip for track in tracks for clip in track.find_clips()]


def _origin(otio, clip, info: ClipInfo):
    """The media time of the file's first frame."""
    ref = clip.media_reference
    if ref.available_range is not None:
        return ref.available_range.start_time
    rate = clip.source_range.start_time.rate if clip.source_range else float(info.frame_rate)
    if info.timecode and timecode.valid(info.timecode, info.frame_rate):
        start = otio.opentime.RationalTime(timecode.parse(info.timecode, info.frame_rate), float(info.frame_rate))
        if clip.source_range is not None and clip.source_range.start_time >= start:
            return start.rescaled_to(rate)
    return otio.opentime.RationalTime(0, rate)


def used_pieces(timeline, base: Path, handles: int) -> Usage:
    """The pieces of media to render for ``timeline``'s video clips, ``handles`` frames each side."""
    import opentimelineio as otio
    missing, by_media = [], {}
    infos: dict[Path, ClipInfo] = {}
    for clip in video_clips(timeline):
        ref = clip.media_reference
        url = getattr(ref, "target_url", None)
        if not url:
            missing.append(Missing(clip.name or "(unnamed)", "", "it has no media file"))
            continue
        path = media_path(url, base)
        if not path.is_file():
            missing.append(Missing(clip.name or "(unnamed)", url, "media not found"))
            continue
        try:
            info = infos.get(path) or probe(path)
        except InputError as exc:
            missing.append(Missing(clip.name or "(unnamed)", url, str(exc)))
            continue
        infos[path] = info
        used = clip.trimmed_range()
        origin = _origin(otio, clip, info)
        first = (used.start_time - origin).to_seconds()
        last = first + used.duration.to_seconds()
        pad = handles / float(info.frame_rate)
        start, end = max(0.0, first - pad), min(info.duration, last + pad)
        if end <= start or first >= info.duration:
            missing.append(Missing(clip.name or "(unnamed)", url, f"it uses {first:.3f}-{last:.3f} s of a "
                                                                  f"{info.duration:.3f} s file"))
            continue
        by_media.setdefault(path, []).append(Piece(path, info, origin, start, end, [clip]))
    return Usage([p for pieces in by_media.values() for p in _merged(pieces)], missing)


def _merged(pieces: list[Piece]) -> list[Piece]:
    """Pieces of one file that overlap or touch, as one."""
    out: list[Piece] = []
    for piece in sorted(pieces, key=lambda p: p.start):
        if out and piece.start <= out[-1].end + 1e-6:
            out[-1].end = max(out[-1].end, piece.end)
            out[-1].clips.extend(piece.clips)
        else:
            out.append(piece)
    return out


def seconds_as_time(otio, seconds: float, rate: Fraction):
    return otio.opentime.RationalTime(round(seconds * float(rate)), float(rate))
