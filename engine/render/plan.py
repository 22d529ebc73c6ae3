"""From a job and a clip to exactly what will be rendered: ``plan(job, info) -> RenderPlan``.

Every check of a job lives here, so the GUI (which calls :func:`plan` to show the output size)
and the CLI give the same messages. Sizes and factors the user gives are in display
orientation (what a player shows, after the clip's rotation flag); the plan also holds them in
stored orientation, which is what the network sees.
"""
from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..devices import resolve_device
from ..errors import SavsrError, folder_refusal
from ..models.choice import MODEL_CHOICES
from ..scale import Scale
from ..video import ClipInfo, formats, probe
from . import archive
from .job import CODECS, MAX_SCALE, MIN_SCALE, PRECISIONS, RenderJob

MAX_OUTPUT_SIDE = 16384   # larger frames are refused (encoders and players give up before this)
MIN_TILE = 32
CONTEXT = 3               # neighbours on each side of a frame in a 7-frame window


class PlanError(SavsrError, ValueError):
    """A job that cannot be rendered as asked; the message says what to change."""


@dataclass(frozen=True)
class RenderPlan:
    job: RenderJob
    info: ClipInfo
    output: Path
    container: str | None          # FFmpeg muxer, or None for a PNG sequence
    encoder: str
    pix_fmt: str
    in_size: tuple[int, int]       # stored (w, h)
    out_size: tuple[int, int]      # stored (w, h)
    scale: tuple[float, float]     # (s_h, s_w) given to the network, stored orientation
    first: int                     # first output frame (index into the clip)
    stop: int                      # one past the last output frame
    matrix: str
    primaries: str
    transfer: str
    range: str
    notes: tuple[str, ...] = ()
    sample_aspect: Fraction | None = None  # the output's pixel aspect tag (None: untagged, as the input)
    timecode: str | None = None            # the first output frame's timecode, from the input's

    @property
    def frame_count(self) -> int:
        return self.stop - self.first

    @property
    def display_out_size(self) -> tuple[int, int]:
        w, h = self.out_size
        return (h, w) if self.info.rotation % 180 else (w, h)

    @property
    def bit_depth(self) -> int:
        return formats.bit_depth(self.pix_fmt)


def plan(job: RenderJob, info: ClipInfo | None = None, check_output: bool = True) -> RenderPlan:
    """Validate ``job`` against its clip and work out sizes, range, formats and colour.

    ``check_output=False`` skips the checks that touch the output folder (for previews).
    Raises :class:`PlanError` (or the probe's error) with a message for the user.
    """
    _check_settings(job)
    container = _check_output_name(job)
    if check_output:
        _check_output_path(job)
    source = info or probe(job.input)
    notes: list[str] = []
    info = archive.source_view(job, source, notes)  # pixel aspect preset, deinterlaced view
    pix_fmt = _pix_fmt(job, info, notes)
    out_w, out_h, scale = _sizes(job, info, pix_fmt, notes)
    archive.check_codec(job, container, (out_w, out_h), info)
    sample_aspect = archive.output_aspect(job, info, (out_w, out_h), notes)
    first, stop = _range(job, info)
    colour = _colour(job, info, out_h, notes)
    _note_streams(job, info, notes)
    return RenderPlan(job=job, info=info, output=Path(job.output), container=container,
                      encoder=formats.ENCODERS[job.codec], pix_fmt=pix_fmt, in_size=(info.width, info.height),
                      out_size=(out_w, out_h), scale=scale, first=first, stop=stop, notes=tuple(notes),
                      sample_aspect=sample_aspect, timecode=archive.output_timecode(source, info, first), **colour)


# ---- the job on its own --------------------------------------------------------------------

def _check_settings(job: RenderJob):
    if job.codec not in CODECS:
        raise PlanError(f"unknown codec {job.codec!r}: use one of {', '.join(CODECS)}")
    if job.precision not in PRECISIONS:
        raise PlanError(f"unknown precision {job.precision!r}: use one of {', '.join(PRECISIONS)}")
    try:
        device = resolve_device(job.device)
    except ValueError as exc:
        raise PlanError(str(exc)) from None
    from ..backends.precision import refusal
    why = refusal(job.precision, device)
    if why:
        raise PlanError(f"{job.precision} cannot run on the {device.type.upper()}: {why}")
    if job.tile and job.tile < MIN_TILE:
        raise PlanError(f"tile size {job.tile} is too small: use 0 (automatic) or at least {MIN_TILE}")
    if job.codec in ("h264", "h265"):
        if not 0 <= job.crf <= 51:
            raise PlanError(f"CRF {job.crf} is out of range: use 0 (lossless) to 51 (smallest); "
                            "18 is visually lossless")
        if job.preset not in formats.X26X_PRESETS:
            raise PlanError(f"unknown preset {job.preset!r}: use one of {', '.join(formats.X26X_PRESETS)}")
    if job.model is not None and job.model.lower() not in MODEL_CHOICES and not Path(job.model).is_file():
        raise PlanError(f"model file not found: {job.model}")


def _check_output_name(job: RenderJob) -> str | None:
    out = Path(job.output)
    if job.codec == "png":
        if out.suffix.lower() in formats.CONTAINERS or out.suffix.lower() == ".png":
            raise PlanError(f"PNG output is an image sequence: give a folder as output, not {out.name}")
        return None
    container = formats.container_for(out)
    if container is None:
        raise PlanError(f"output {out.name!r} needs a video extension: .mp4, .mov, .mkv or .mxf "
                        "(or --codec png with a folder)")
    if not formats.container_accepts(container, job.codec):
        fits = [ext for ext, fmt in formats.CONTAINERS.items()
                if ext != ".m4v" and formats.container_accepts(fmt, job.codec)]
        raise PlanError(f"{formats.LABELS[job.codec]} cannot be stored in {out.suffix} files: use {' or '.join(fits)}")
    return container


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _check_output_path(job: RenderJob):
    src, out = Path(job.input), Path(job.output)
    if os.path.normcase(os.path.abspath(src)) == os.path.normcase(os.path.abspath(out)) or _same_file(src, out):
        raise PlanError(f"output is the input file ({out}): choose another output name")
    parent = out.parent
    if not parent.is_dir():
        raise PlanError(f"output folder does not exist: {parent}")
    if job.codec == "png":
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise PlanError(f"PNG output folder {out} already exists and is not empty: choose a new or empty folder")
    elif out.is_dir():
        raise PlanError(f"output {out} is a folder: give a file name such as {out / 'upscaled.mp4'}")
    elif out.exists() and not job.overwrite:
        raise PlanError(f"output file already exists: {out} (use --overwrite to replace it)")
    _check_writable(parent)


def _check_writable(folder: Path):
    try:
        fd, name = tempfile.mkstemp(prefix=".savsr-write-test-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise PlanError(folder_refusal(folder, exc)) from None


# ---- the job against its clip --------------------------------------------------------------

def _pix_fmt(job: RenderJob, info: ClipInfo, notes: list[str]) -> str:
    allowed = formats.encoder_pix_fmts(job.codec)
    if job.pix_fmt is None:
        pix_fmt = formats.default_pix_fmt(job.codec, info.pix_fmt, info.bit_depth)
    elif job.pix_fmt not in allowed:
        raise PlanError(f"{formats.LABELS[job.codec]} cannot write pixel format {job.pix_fmt!r}: "
                        f"use one of {', '.join(allowed)}")
    else:
        pix_fmt = job.pix_fmt
    if info.bit_depth > formats.bit_depth(pix_fmt):
        notes.append(f"the input is {info.bit_depth}-bit; the output is {formats.bit_depth(pix_fmt)}-bit ({pix_fmt})")
    chroma = {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0"}
    src, dst = formats.chroma_subsampling(info.pix_fmt), formats.chroma_subsampling(pix_fmt)
    if src[0] * src[1] < dst[0] * dst[1] and job.codec != "png" and not info.pix_fmt.startswith(("gray", "ya")):
        notes.append(f"the input has {chroma.get(src, 'full')} colour; the output is {chroma.get(dst, '')} "
                     f"({pix_fmt}): use --pix-fmt to keep more colour detail")
    return pix_fmt


def _beyond(ratio: float) -> str:
    """A factor outside the limits, with the digits that show it is outside (4.003, not 4)."""
    for digits in range(3, 8):
        text = f"{ratio:.{digits}g}"
        if float(text) not in (MIN_SCALE, MAX_SCALE):
            return text
    return text


def _factors(job: RenderJob, info: ClipInfo) -> tuple[float, float, int | None, int | None]:
    """``(s_w, s_h, target_w, target_h)`` in display orientation."""
    dw, dh = info.display_size
    if job.target_size is not None:
        tw, th = (int(v) for v in job.target_size)
        for label, t, n in (("width", tw, dw), ("height", th, dh)):
            if not MIN_SCALE * n <= t <= MAX_SCALE * n:
                raise PlanError(f"target {label} {t} is {_beyond(t / n)}x the input {label} {n}: factors must be "
                                f"between {MIN_SCALE:g} and {MAX_SCALE:g} (a {label} of {n} to {int(MAX_SCALE * n)})")
        return tw / dw, th / dh, tw, th
    if job.scale_w is None or job.scale_h is None:
        raise PlanError("no scale given: set a width and height factor or a target size")
    for label, s in (("width", job.scale_w), ("height", job.scale_h)):
        if not (isinstance(s, (int, float)) and math.isfinite(s) and MIN_SCALE - 1e-9 <= s <= MAX_SCALE + 1e-9):
            raise PlanError(f"{label} factor {s} is out of range: "
                            f"factors must be between {MIN_SCALE:g} and {MAX_SCALE:g}")
    if archive.squares(job, info):  # factors of the picture in square pixels
        pw, ph = archive.picture_size(info)
        th, tw = Scale(job.scale_w, job.scale_h).output_size(ph, pw)
        for label, s, t, n in (("width", job.scale_w, tw, dw), ("height", job.scale_h, th, dh)):
            archive.check_factor(label, s, t, n, MIN_SCALE, MAX_SCALE)
        return tw / dw, th / dh, tw, th
    return float(job.scale_w), float(job.scale_h), None, None


def _sizes(job, info, pix_fmt, notes) -> tuple[int, int, tuple[float, float]]:
    if min(info.width, info.height) < 2:
        raise PlanError(f"frames of {info.width}x{info.height} pixels are too small to upscale (at least 2x2)")
    s_w, s_h, tw, th = _factors(job, info)
    dw, dh = info.display_size
    scale = Scale(s_w, s_h)
    rounded = scale.output_size(dh, dw)   # a target size gives factors that round to itself
    sub_w, sub_h = formats.chroma_subsampling(pix_fmt)
    rotated = info.rotation % 180 != 0
    need_w, need_h = (sub_h, sub_w) if rotated else (sub_w, sub_h)  # stored width is display height
    out_h, out_w = scale.output_size(dh, dw, (need_h == 2, need_w == 2), (MIN_SCALE, MAX_SCALE))
    for label, n, even, size in (("width", rounded[1], out_w, dw), ("height", rounded[0], out_h, dh)):
        if even != n:
            notes.append(f"{label} {n} rounded to {even}: {formats.LABELS[job.codec]} with {pix_fmt} needs even "
                         f"sizes ({label} factor {even / size:.4f})")
    if max(out_w, out_h) > MAX_OUTPUT_SIDE:
        raise PlanError(f"output {out_w}x{out_h} is too large: the limit is {MAX_OUTPUT_SIDE} pixels per side")
    network = Scale.exact((dh, dw), (out_h, out_w)).turned(info.rotation)
    if rotated:
        return out_h, out_w, network.network
    return out_w, out_h, network.network


def _range(job: RenderJob, info: ClipInfo) -> tuple[int, int]:
    start, end = job.start, job.end
    if start is not None and start < 0 or end is not None and end < 0:
        raise PlanError("start and end must be positive times in seconds")
    if start is not None and end is not None and end <= start:
        raise PlanError(f"end ({end:g} s) must be after start ({start:g} s)")
    if start is not None and start >= info.duration:
        raise PlanError(f"start ({start:g} s) is past the end of the clip ({info.duration:.3f} s)")
    first = info.index_at(start) if start else 0
    stop = info.index_at(end) if end is not None else info.frame_count
    if stop <= first:
        raise PlanError(f"no frame between {start or 0:g} s and {end:g} s")
    return first, stop


def _colour(job, info, out_h, notes) -> dict:
    """The output's colour tags: the input's where it has them, else what we read it as."""
    if job.codec == "png":
        return dict(matrix="rgb", primaries=info.primaries, transfer=info.transfer, range="pc")
    matrix = info.matrix if info.matrix not in ("unknown", "rgb") else info.rgb_matrix
    if info.matrix == "rgb":
        matrix = "bt709" if out_h >= 720 else "smpte170m"
    sd_primaries = "bt470bg" if info.height in (576, 288) else "smpte170m"
    guess = ("bt709", "bt709") if matrix == "bt709" else (sd_primaries, "smpte170m")
    primaries = info.primaries if info.primaries != "unknown" else guess[0]
    transfer = info.transfer if info.transfer != "unknown" else guess[1]
    colour_range = "tv" if job.codec.startswith("prores") else info.rgb_range
    if info.matrix == "unknown" or info.range == "unknown":
        notes.append(f"the input has no colour tags: read as {info.rgb_matrix} {info.rgb_range} range; "
                     f"the output is tagged {matrix}/{primaries}/{transfer}, {colour_range} range")
    if info.rgb_range == "pc" and colour_range == "tv":
        notes.append("full-range input written as limited range (ProRes is always limited range)")
    return dict(matrix=matrix, primaries=primaries, transfer=transfer, range=colour_range)


def _note_streams(job, info, notes):
    if info.rotation:
        notes.append(f"rotation {info.rotation} degrees applied to the PNG frames" if job.codec == "png"
                     else f"rotation flag {info.rotation} degrees kept")
    if info.vfr:
        notes.append(f"variable frame rate (about {info.fps:.3f} fps): every frame's timestamp is kept")
    if info.interlaced:
        notes.append("the input is flagged interlaced: it is upscaled as progressive frames")
    if info.cut_short:
        notes.append(f"the input looks cut short: its header says {info.declared_duration:.1f} s but its video ends "
                     f"after {info.duration:.1f} s (an interrupted copy or download?); what is there is upscaled")
    if job.codec == "png" and (info.audio or info.subtitles):
        notes.append("PNG sequence: audio and subtitles go to audio.mka in the same folder")
