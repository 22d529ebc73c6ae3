"""``savsr compare IN -o OUT.png``: one frame before and after SAVSR, for a client (or a short clip of it)."""
from __future__ import annotations

from pathlib import Path

from ..backends import BACKEND_HELP, check_backend
from ..errors import SavsrError
from ..preview.compare import BEFORE, LAYOUTS, Comparison
from ..render.job import PRECISIONS, RenderJob
from ..video import formats
from .upscale import _Console, _input, _interrupt_on_termination, _scale, _time, add_archive_options, archive_fields

CLIP_SECONDS = 3.0


def register(sub):
    p = sub.add_parser("compare", help="a before/after image (or short clip) of a frame: bicubic | SAVSR",
                       description="Write one frame as the render makes it beside the same frame enlarged by "
                                   "bicubic, at full output size: a PNG, or with a video output a short H.264 clip "
                                   "rendered by the normal renderer. Sizes are those of an H.264 render with the "
                                   "same scale options.")
    p.add_argument("input", nargs="?", help="video file")
    p.add_argument("--sample", action="store_true", help="use the bundled sample clip as input")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="OUT.png for a still, OUT.mp4/.mov/.mkv for a comparison clip (H.264, no audio)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--frame", type=int, metavar="N", help="frame number, from 0 (default: the middle frame)")
    when.add_argument("--at", metavar="TIME", help="the frame shown at TIME: seconds or [HH:]MM:SS[.ms]")
    scale = p.add_argument_group("scale (factors between 1 and 4; give one form)")
    scale.add_argument("--scale", metavar="S", help="same factor for width and height")
    scale.add_argument("--width-scale", metavar="SW", help="width factor (height: --height-scale or 1)")
    scale.add_argument("--height-scale", metavar="SH", help="height factor (width: --width-scale or 1)")
    scale.add_argument("--size", metavar="WxH", help="target size, e.g. 1920x1080; the factors follow")
    look = p.add_argument_group("layout")
    look.add_argument("--layout", "--mode", default="side", choices=LAYOUTS,
                      help="side: before | after, twice the width (default); split: one frame, before left of "
                           "a divider, after right of it")
    look.add_argument("--split", type=float, default=0.5, metavar="F",
                      help="where the divider is, a fraction of the width from the left (default 0.5)")
    look.add_argument("--before", default="bicubic", choices=BEFORE, help="how the before image is enlarged "
                                                                           "(default bicubic)")
    look.add_argument("--region", metavar="X,Y,W,H", help="only this part of the output frame (output pixels)")
    look.add_argument("--no-labels", dest="labels", action="store_false", help="no labels or divider line")
    look.add_argument("--seconds", type=float, metavar="S",
                      help=f"length of a comparison clip from the frame on (default {CLIP_SECONDS:g})")
    add_archive_options(p)
    p.add_argument("--model", default="auto", metavar="auto|clean|compressed|FILE",
                   help="the model, as for savsr upscale (default auto)")
    p.add_argument("--device", default="auto", help="auto (CUDA if present), cpu or cuda:N (default auto)")
    p.add_argument("--precision", default="fp32", choices=PRECISIONS, help="fp16/bf16 need CUDA (default fp32)")
    p.add_argument("--backend", default="auto", help=BACKEND_HELP)
    p.add_argument("--tile", type=int, default=0, help="LR tile size in pixels, as the render's (default 0: "
                                                       "from free memory)")
    p.add_argument("-y", "--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or notes (clips)")
    p.set_defaults(func=run)


def _region(text: str | None):
    from ..preview.tiles import Region
    if text is None:
        return None
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise SavsrError(f"--region must look like X,Y,W,H in output pixels (e.g. 0,0,640,360), got {text!r}") from None
    if min(x, y) < 0 or min(w, h) <= 0:
        raise SavsrError(f"--region needs X and Y from 0 and a positive width and height, got {text!r}")
    return Region(x, y, w, h)


def _is_clip(output: Path, seconds: float | None) -> bool:
    """Whether ``output`` asks for a clip (a video extension) or a still (``.png``)."""
    suffix = output.suffix.lower()
    if suffix in formats.CONTAINERS:
        return True
    if suffix != ".png":
        raise SavsrError(f"output {output.name!r} needs .png for a still, or .mp4, .mov or .mkv for a clip")
    if seconds is not None:
        raise SavsrError("--seconds makes a clip: give a .mp4, .mov or .mkv output")
    return False


def _words(how: Comparison) -> str:
    pair = f"{how.before} | SAVSR"
    return f"{pair} side by side" if how.layout == "side" else f"{pair} split at {how.split * 100:g} %"


def run(args) -> int:
    from ..preview.compare import check_target, comparison_clip, comparison_still, frame_index, write_png
    out = Path(args.output)
    clip = _is_clip(out, args.seconds)
    how = Comparison(args.layout, args.split, args.before, args.labels, _region(args.region))
    how.check()
    job = RenderJob(input=_input(args), output="", **_scale(args), model=args.model, device=args.device,
                    precision=args.precision, backend=check_backend(args.backend), tile=args.tile,
                    **archive_fields(args))
    check_target(out, args.overwrite)
    at = _time(args.at, "--at")
    index = args.frame if args.frame is not None else frame_index(job, at)
    _interrupt_on_termination()
    if not clip:
        image = comparison_still(job, index, how)
        write_png(image, out, args.overwrite)
        print(f"wrote {out}  ({image.shape[1]}x{image.shape[0]}, frame {index}, {_words(how)})")
        return 0
    console = _Console(args.quiet)
    try:
        result = comparison_clip(job, index, args.seconds or CLIP_SECONDS, how, out, overwrite=args.overwrite,
                                 progress=console.progress, log=console.log)
    finally:
        console.close()
    w, h = result.size
    print(f"wrote {out}  ({w}x{h}, {result.frames} frame{'s' if result.frames != 1 else ''} from frame {index}, "
          f"{_words(how)}, h264)")
    return 0
