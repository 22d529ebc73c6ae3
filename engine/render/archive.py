"""Archive footage in a plan: deinterlacing, pixel aspect, start timecode and codec limits.

:func:`source_view` turns the probed clip into what the network will see (the pixel aspect a
preset names, a deinterlaced view); :func:`picture_size` and :func:`output_aspect` put factors in
display terms for non-square sources; :func:`output_timecode` moves the source's timecode to the
first rendered frame. Messages speak of the job; the CLI and the app name their own controls.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

from ..errors import SavsrError
from ..video import aspect, deinterlace, formats, interlace, timecode
from ..video.probe import ClipInfo
from .job import DEINTERLACE, RenderJob

MXF_RATES = {Fraction(24), Fraction(25), Fraction(30), Fraction(50), Fraction(60), Fraction(24000, 1001),
             Fraction(30000, 1001), Fraction(60000, 1001)}


class ArchiveError(SavsrError, ValueError):
    """A deinterlace, pixel aspect or codec choice that does not fit the clip."""


def source_view(job: RenderJob, info: ClipInfo, notes: list[str]) -> ClipInfo:
    """The clip as the network sees it: with the pixel aspect the job names, deinterlaced if asked
    (or, for ``auto``, if its frames show combing)."""
    if job.deinterlace not in DEINTERLACE:
        raise ArchiveError(f"unknown deinterlace mode {job.deinterlace!r}: use one of {', '.join(DEINTERLACE)}")
    if job.pixel_aspect:
        try:
            sar = aspect.sample_aspect(job.pixel_aspect, info.width, info.height)
        except aspect.AspectError as exc:
            raise ArchiveError(str(exc)) from None
        info = dataclasses.replace(info, sample_aspect=sar)
    return _deinterlaced(job, info, notes)


def _deinterlaced(job: RenderJob, info: ClipInfo, notes: list[str]) -> ClipInfo:
    if job.deinterlace == "off":
        if info.interlaced or info.field_order in ("tff", "bff"):
            notes.append("the input is flagged interlaced: it is upscaled as progressive frames (deinterlacing is off)")
        return info
    found = interlace.detect(info)
    order = "top field first" if found.top_field_first else "bottom field first"
    mode = job.deinterlace
    if mode == "auto":
        if not found.combed:
            if found.flagged:
                notes.append(f"the input is flagged interlaced, but its frames show no combing "
                             f"(measure {found.combing:.2f}): it is upscaled as progressive frames")
            return info
        mode = "frame"
    view = deinterlace.view(info, mode, found.top_field_first)
    rate = _rate(view.frame_rate)
    why = ("" if job.deinterlace != "auto" else
           " (flagged interlaced and combed" if found.flagged else " (not flagged, but its frames are combed")
    why += f", measure {found.combing:.2f})" if why else ""
    if mode == "field":
        notes.append(f"deinterlaced with bwdif, {order}{why}: one frame per field, {rate} fps "
                     f"({view.frame_count} frames from {info.frame_count})")
    else:
        notes.append(f"deinterlaced with bwdif, {order}{why}: one frame per frame, {rate} fps; "
                     f"field rate (twice the frames) keeps smoother motion")
    return view


def _rate(rate: Fraction) -> str:
    return f"{float(rate):.2f}".rstrip("0").rstrip(".")


def squares(job: RenderJob, info: ClipInfo) -> bool:
    """Whether the output is made of square pixels from a source whose pixels are not."""
    return job.square_pixels and info.sample_aspect != 1


def picture_size(info: ClipInfo) -> tuple[float, float]:
    """The picture's size in square pixels, display orientation: the stored width times the
    pixel aspect, by the stored height."""
    w, h = info.width * info.sample_aspect, info.height
    return (float(h), float(w)) if info.rotation % 180 else (float(w), float(h))


def output_aspect(job: RenderJob, info: ClipInfo, out_size: tuple[int, int], notes: list[str]) -> Fraction | None:
    """The output's sample aspect tag: 1:1 when a non-square source is made square, the source's
    own when its pixels keep their shape, none for square sources (as before)."""
    if info.sample_aspect == 1:
        return None
    pw, ph = picture_size(info)
    shown = aspect.picture(Fraction(pw / ph).limit_denominator(1000))
    if not squares(job, info):
        notes.append(f"pixel aspect {aspect.ratio(info.sample_aspect)} kept: the output's pixels are not square")
        return info.sample_aspect
    ow, oh = out_size
    fw, fh = ow / info.width, oh / info.height
    if info.rotation % 180:
        fw, fh = oh / info.width, ow / info.height
    notes.append(f"pixel aspect {aspect.ratio(info.sample_aspect)} ({shown} picture) made square: "
                 f"{fw:.3f} x {fh:.3f} in one pass, output tagged 1:1")
    made = Fraction(ow, oh)
    if abs(float(made) / (pw / ph) - 1) > 0.01:
        notes.append(f"the output's shape {aspect.picture(made)} differs from the picture's {shown}: "
                     "the picture is stretched")
    return Fraction(1)


def check_factor(label: str, factor: float, target: int, stored: int, lo: float, hi: float):
    if not lo * stored <= target <= hi * stored:
        raise ArchiveError(f"with square pixels, a {label} factor of {factor:g} makes the {label} {target} from "
                           f"{stored} stored pixels ({target / stored:.3g}x): the network scales by {lo:g} to "
                           f"{hi:g}; choose another factor, or keep the pixel aspect")


def output_timecode(source: ClipInfo, view: ClipInfo, first: int) -> str | None:
    """The timecode of the first rendered frame: the source's, moved on to it (at the output's rate)."""
    if not source.timecode or not timecode.valid(source.timecode, source.frame_rate):
        return None
    return timecode.advance(source.timecode, source.frame_rate, view.frame_time(first), view.frame_rate)


def check_codec(job: RenderJob, container: str | None, out_size: tuple[int, int], info: ClipInfo):
    """Limits of DNxHR and MXF that FFmpeg would otherwise report halfway through a render."""
    if job.codec in formats.DNXHR_PROFILES:
        mw, mh = formats.DNXHR_MIN_SIZE
        if out_size[0] < mw or out_size[1] < mh:
            raise ArchiveError(f"{formats.LABELS[job.codec]} needs frames of at least {mw}x{mh}; the output is "
                               f"{out_size[0]}x{out_size[1]}")
    if container == "mxf":
        if info.vfr or Fraction(info.frame_rate) not in MXF_RATES:
            raise ArchiveError(f"MXF holds only the broadcast frame rates (24, 25, 29.97, 30, 50, 59.94, 60 fps); "
                               f"the output is {'variable' if info.vfr else _rate(info.frame_rate)} fps")


def factor_size(job: RenderJob, info: ClipInfo) -> tuple[float, float]:
    """The size (w, h) ``job``'s factors multiply for the clip ``info``, as the plan does: the picture
    in square pixels when the job makes a non-square source square, else the display size."""
    job = job.replace(deinterlace="off")        # no decoding: sizes only
    try:
        view = source_view(job, info, [])
    except ArchiveError:
        return info.display_size                # a refused pixel aspect: the plan says why
    return picture_size(view) if squares(job, view) else view.display_size
