"""``savsr conform EDIT.otio -o FOLDER``: upscale only the ranges an edit uses, and write the edit again."""
from __future__ import annotations

import sys

from ..backends import BACKEND_HELP, PRECISION_HELP, check_backend
from ..errors import SavsrError
from ..render.job import CODECS, PRECISIONS, RenderJob
from .progress import ProgressBar
from .upscale import DEFAULT_EXT, _scale, add_archive_options, archive_fields


def register(sub):
    p = sub.add_parser("conform", help="upscale the ranges a timeline uses (OpenTimelineIO) and relink it",
                       description="Upscale only the parts of each video clip's media that the edit uses, plus "
                                   "handles, and write <timeline>_savsr.otio in FOLDER pointing at the upscaled "
                                   "files with the timing unchanged. Needs OpenTimelineIO (the 'timeline' extra). "
                                   "Run the same command again to resume.")
    p.add_argument("timeline", help="timeline file OpenTimelineIO reads (.otio; EDL, FCP XML, AAF with its plugins)")
    p.add_argument("-o", "--output", required=True, metavar="FOLDER", help="folder for the upscaled media and timeline")
    p.add_argument("--handles", type=int, default=12, metavar="N", help="extra frames before and after each "
                                                                          "used range (default 12)")
    scale = p.add_argument_group("scale (factors between 1 and 4; give one form)")
    scale.add_argument("--scale", type=float, metavar="S", help="same factor for width and height")
    scale.add_argument("--width-scale", type=float, metavar="SW", help="width factor")
    scale.add_argument("--height-scale", type=float, metavar="SH", help="height factor")
    scale.add_argument("--size", metavar="WxH", help="target size of every clip, e.g. 1920x1080")
    add_archive_options(p)
    p.add_argument("--codec", default="prores", choices=[c for c in CODECS if c != "png"],
                   help="codec of the upscaled media (default prores, 422 HQ)")
    p.add_argument("--crf", type=int, default=18, help="H.264/H.265 quality (default 18)")
    p.add_argument("--preset", default="medium", help="H.264/H.265 speed preset (default medium)")
    p.add_argument("--pix-fmt", help="output pixel format")
    p.add_argument("--model", help="model file; default: the bundled model")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda:N (default auto)")
    p.add_argument("--precision", default="auto", choices=PRECISIONS, help=PRECISION_HELP)
    p.add_argument("--backend", default="auto", help=BACKEND_HELP)
    p.add_argument("--tile", type=int, default=0, help="LR tile size in pixels; 0 = from free memory (default)")
    p.add_argument("-y", "--overwrite", action="store_true", help="render every piece again, even finished ones")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or notes")
    p.set_defaults(func=run)


def _template(args) -> RenderJob:
    return RenderJob(input="", output="", **_scale(args), codec=args.codec, crf=args.crf, preset=args.preset,
                     pix_fmt=args.pix_fmt, model=args.model, device=args.device, precision=args.precision,
                     backend=check_backend(args.backend), tile=args.tile, overwrite=args.overwrite,
                     **archive_fields(args))


def run(args) -> int:
    from ..render.renderer import render
    from ..timeline.conform import conform, require_otio
    require_otio()
    template = _template(args)
    quiet = args.quiet
    bar = None if quiet else ProgressBar()

    def say(msg: str):
        if bar:
            bar.close()
        if not quiet:
            print(msg, file=sys.stderr)

    def missing(m):
        where = f": {m.media}" if m.media else ""
        print(f"savsr: clip {m.clip!r} not conformed, {m.why}{where}", file=sys.stderr)

    def announce(i, n, job, frames):
        start = f"{job.start:.3f}" if job.start else "0"
        end = f"{job.end:.3f}" if job.end else "end"
        say(f"[{i + 1}/{n}] {job.input} {start}-{end} s -> {job.output} ({frames} frames)")

    def one(job, resume):
        return render(job, progress=bar, log=lambda msg: say(f"savsr: note: {msg}"), resume=resume)

    try:
        result = conform(args.timeline, args.output, template, args.handles, render=one, announce=announce,
                         missing=missing, ext=DEFAULT_EXT[args.codec])
    except KeyboardInterrupt:
        say("savsr: interrupted: run the same command again to resume")
        return 130
    finally:
        if bar:
            bar.close()
    kept = sum(1 for p in result.pieces if not p.rendered)
    print(f"wrote {result.timeline}  ({len(result.pieces)} piece{'s' if len(result.pieces) != 1 else ''} of media, "
          f"{sum(p.frames for p in result.pieces)} frames"
          + (f"; {kept} kept from an earlier run" if kept else "") + ")")
    if result.missing:
        raise SavsrError(f"{len(result.missing)} clip{'s' if len(result.missing) != 1 else ''} not conformed "
                         "(listed above); they still point at their original media")
    return 0
