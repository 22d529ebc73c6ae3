"""``savsr upscale IN -o OUT``: upscale a clip (audio, subtitles, timestamps, colour and rotation kept)."""
from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from ..backends import BACKEND_HELP, PRECISION_HELP, check_backend
from ..errors import SavsrError, Terminated
from ..render.job import CODECS, DEINTERLACE, MAX_SCALE, MIN_SCALE, PRECISIONS, RenderJob
from ..video.aspect import PRESETS
from . import batch, presets
from .presets import DEFAULT_EXT
from .progress import ProgressBar, format_duration, format_speed, parse_time


def register(sub):
    p = sub.add_parser("upscale", help="upscale a video by any width and height factors",
                       description="Upscale videos with SAVSR. Factors and sizes are as each clip is shown "
                                   "(after its rotation flag). Several inputs, or a folder, make a batch: one line "
                                   "per clip, a bad file is skipped, the exit status is 1 if any failed.")
    p.add_argument("input", nargs="*", metavar="IN",
                   help="video file (any container/codec FFmpeg reads), or a folder: its video files")
    p.add_argument("--sample", action="store_true", help="use the bundled sample clip as input")
    p.add_argument("-o", "--output", help="output file (.mp4/.mov/.mkv/.mxf), folder for --codec png, or FOLDER/ "
                                          "for the outputs of a batch (created when it ends with /); "
                                          "default: <input>_savsr_<W>x<H> next to each input")
    scale = p.add_argument_group("scale (factors between 1 and 4; give one form)")
    scale.add_argument("--scale", metavar="S", help="same factor for width and height")
    scale.add_argument("--width-scale", metavar="SW", help="width factor (height: --height-scale or 1)")
    scale.add_argument("--height-scale", metavar="SH", help="height factor (width: --width-scale or 1)")
    scale.add_argument("--size", metavar="WxH", help="target size, e.g. 1920x1080; the factors follow")
    add_archive_options(p)
    p.add_argument("--model", default="auto", metavar="auto|clean|compressed|FILE",
                   help="auto (default: the clip decides), clean (lossless, intermediate codecs, high bitrate), "
                        "compressed (camera, phone and web video) or a model file (.safetensors/.pth)")
    p.add_argument("--device", default="auto", help="auto (CUDA if present), cpu or cuda:N (default auto)")
    p.add_argument("--precision", default="auto", choices=PRECISIONS, help=PRECISION_HELP)
    p.add_argument("--backend", default="auto", help=BACKEND_HELP)
    p.add_argument("--preset", metavar="NAME", help="delivery preset (savsr presets lists them): size rule, codec, "
                                                    "container, quality and pixel format; options given with it win")
    p.add_argument("--codec", choices=CODECS, help="output codec (default h264, or the preset's)")
    p.add_argument("--crf", type=int, help="H.264/H.265 quality, 0-51, lower is better (default 18, or the preset's)")
    p.add_argument("--speed", metavar="PRESET", help="H.264/H.265 speed preset, ultrafast to placebo (default medium; "
                                                     "also taken as --preset NAME, as before delivery presets)")
    p.add_argument("--pix-fmt", help="output pixel format (default: 4:2:0, 10-bit for 10-bit input; "
                                     "ProRes 10-bit 4:2:2/4:4:4)")
    p.add_argument("--tile", type=int, default=0, help="LR tile size in pixels; 0 = from free memory (default)")
    p.add_argument("--start", metavar="TIME", help="start time: seconds or [HH:]MM:SS[.ms]")
    p.add_argument("--end", metavar="TIME", help="end time (exclusive): seconds or [HH:]MM:SS[.ms]")
    p.add_argument("-y", "--overwrite", action="store_true",
                   help="replace an existing output file (and discard an interrupted render of it)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted render of the same job from its last finished segment")
    p.add_argument("--segment-frames", type=int, metavar="N",
                   help="frames per resumable segment of a new render (default: about 2 seconds of video)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or notes")
    add_worker_options(p)
    p.set_defaults(func=run)


def add_worker_options(p):
    g = p.add_argument_group("render workers (docs/render_farm.md)")
    g.add_argument("--workers", type=int, metavar="N",
                   help="worker processes rendering segments in parallel (default: one per GPU in --devices, "
                        "else 1, which renders in this process)")
    g.add_argument("--threads", type=int, default=0, metavar="T",
                   help="torch threads per worker (default: the CPU cores shared between the workers)")
    g.add_argument("--devices", default="", metavar="cpu|cuda:0,cuda:1|all",
                   help="devices the workers use, in turn (default: --device; several GPUs: one worker each)")
    g.add_argument("--cluster", metavar="local|ray://HOST:PORT",
                   help="run the segments as Ray tasks (local: start Ray on this machine); needs "
                        "pip install 'savsr-studio[cluster]' and a folder every machine sees at the same path")


def placement(args):
    """The :class:`~engine.render.placement.Placement` and cluster address of ``args``."""
    import importlib.util

    from ..render.placement import Placement
    if args.cluster and importlib.util.find_spec("ray") is None:
        raise SavsrError("--cluster needs Ray, which is not installed: pip install 'savsr-studio[cluster]'")
    if args.workers is not None and args.workers < 1:
        raise SavsrError(f"--workers must be at least 1, got {args.workers}")
    if args.threads < 0:
        raise SavsrError(f"--threads must be 0 (automatic) or more, got {args.threads}")
    return Placement(args.workers, args.threads, args.devices), args.cluster


def add_archive_options(p):
    """Interlace and pixel aspect options (also used by ``savsr conform``)."""
    g = p.add_argument_group("interlaced and non-square (SD/DV) sources")
    g.add_argument("--deinterlace", default="auto", choices=DEINTERLACE,
                   help="auto: when the frames show combing (default); field: one frame per field (50p/59.94p "
                        "from 50i/59.94i); frame: one per frame (25p/29.97p); off: upscale as stored")
    g.add_argument("--pixel-aspect", metavar="PRESET|N:M",
                   help=f"the input's pixel aspect when its tag is missing or wrong: {', '.join(PRESETS)} or a "
                        "ratio such as 64:45")
    square = g.add_mutually_exclusive_group()
    square.add_argument("--square-pixels", dest="square_pixels", action="store_true", default=True,
                        help="non-square sources come out with square pixels; factors are of the picture as shown "
                             "(default)")
    square.add_argument("--keep-pixel-aspect", dest="square_pixels", action="store_false",
                        help="keep the source's pixel shape: factors are of stored pixels, the output keeps its tag")


def archive_fields(args) -> dict:
    return dict(deinterlace=args.deinterlace, pixel_aspect=args.pixel_aspect, square_pixels=args.square_pixels)


def _input(args) -> str:
    if args.sample:
        from ..resources import sample_clip_path
        path = sample_clip_path()
        if path is None:
            raise SavsrError("no bundled sample clip in this installation")
        if args.input:
            raise SavsrError("give either an input file or --sample, not both")
        return str(path)
    if not args.input:
        raise SavsrError("no input: give a video file (or --sample for the bundled clip)")
    return args.input


def _inputs(args) -> list[str]:
    """The files and folders to upscale (``args.input`` is a list); for one, ``args.input`` becomes it."""
    given = args.input if isinstance(args.input, list) else [args.input] if args.input else []
    if args.sample and len(given) > 1:
        raise SavsrError("give either input files or --sample, not both")
    if len(given) > 1:
        return given
    args.input = given[0] if given else None
    return [_input(args)]


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().replace("*", "x").split("x"))
    except ValueError:
        raise SavsrError(f"--size must look like 1920x1080, got {text!r}") from None
    if w <= 0 or h <= 0:
        raise SavsrError(f"--size must be positive, got {text!r}")
    return w, h


def _scale(args) -> dict:
    given = [n for n, v in (("--scale", args.scale), ("--size", args.size)) if v is not None]
    if args.width_scale is not None or args.height_scale is not None:
        given.append("--width-scale/--height-scale")
    if len(given) > 1:
        raise SavsrError(f"give one form of scale, not {' and '.join(given)}")
    if not given and getattr(args, "fit", None):
        return dict(scale_w=None, scale_h=None)     # the preset's size, fitted to each clip (build_job)
    if not given:
        raise SavsrError("no scale given: use --scale S, --width-scale/--height-scale or --size WxH")
    if args.size is not None:
        return dict(target_size=_size(args.size), scale_w=None, scale_h=None)
    if args.scale is not None:
        s = _factor(args.scale, "--scale")
        return dict(scale_w=s, scale_h=s)
    return dict(scale_w=_factor(args.width_scale, "--width-scale") if args.width_scale is not None else 1.0,
                scale_h=_factor(args.height_scale, "--height-scale") if args.height_scale is not None else 1.0)


def _factor(text: str, flag: str) -> float:
    """A factor option as the user typed it: a number from 1 to 4, or a one-line error naming ``flag``."""
    try:
        value = float(text)
    except ValueError:
        raise SavsrError(f"{flag} must be a number from {MIN_SCALE:g} to {MAX_SCALE:g}, got {text!r}") from None
    if not MIN_SCALE <= value <= MAX_SCALE:
        raise SavsrError(f"{flag} {text} is out of range: give a factor from {MIN_SCALE:g} to {MAX_SCALE:g}")
    return value


def _time(text: str | None, flag: str) -> float | None:
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise SavsrError(f"{flag} must be seconds or [HH:]MM:SS[.ms], got {text!r}") from None


def _default_output(job: RenderJob, sample: bool, container: str | None = None) -> str:
    """``<input>_savsr_<W>x<H>.<ext>`` next to the input (in the current folder for the sample);
    ``container``: the extension a delivery preset names."""
    from ..render.plan import plan
    src = Path(job.input)
    folder = Path.cwd() if sample else src.parent
    if job.codec == "png":
        ext = ""
    elif container:
        ext = container
    elif src.suffix.lower() in (".mp4", ".mov", ".mkv") and job.codec in ("h264", "h265"):
        ext = src.suffix.lower()
    else:
        ext = DEFAULT_EXT[job.codec]
    w, h = plan(job.replace(output=str(folder / ("out" + ext))), check_output=False).display_out_size
    return str(folder / f"{src.stem}_savsr_{w}x{h}{ext}")


def build_job(args) -> RenderJob:
    job = RenderJob(input=_input(args), output=args.output or "", **_scale(args),
                    start=_time(args.start, "--start"), end=_time(args.end, "--end"), codec=args.codec,
                    crf=args.crf, preset=args.speed, pix_fmt=args.pix_fmt, model=args.model,
                    device=args.device, precision=args.precision, backend=check_backend(args.backend),
                    tile=args.tile, overwrite=args.overwrite,
                    **archive_fields(args))
    if job.scale_w is None and job.target_size is None:
        job = presets.fitted(job, args.fit)
    if not args.output:
        job = job.replace(output=_default_output(job, args.sample, getattr(args, "container", None)))
    return job


class _Console:
    """Notes and progress on stderr. Notes wait for the first finished frame, so a job that
    fails up front prints only its error line."""

    def __init__(self, quiet: bool):
        self.quiet, self.started, self.pending = quiet, False, []
        self.bar = None if quiet else ProgressBar()

    def log(self, msg: str):
        if self.quiet:
            return
        if not self.started:
            self.pending.append(msg)
            return
        self.bar.close()
        print(f"savsr: note: {msg}", file=sys.stderr)

    def progress(self, p):
        if not self.quiet and p.done == 0 and p.message.startswith("preparing the network"):
            print(f"savsr: {p.message} (export and compile: the first time for a size, then cached) ...",
                  file=sys.stderr)
        if self.quiet or p.done == 0:
            return
        if not self.started:
            self.flush()
        self.bar(p)

    def flush(self):
        self.started = True
        for msg in self.pending:
            print(f"savsr: note: {msg}", file=sys.stderr)
        self.pending = []

    def close(self):
        if self.bar:
            self.bar.close()


def _interrupt_on_termination():
    """SIGTERM/SIGHUP (a closed terminal, ``kill``) stop the render like Ctrl+C: the segment being
    written is removed, the finished ones are kept for ``--resume``."""
    def handler(signum, _frame):
        signal.signal(signum, signal.SIG_DFL)   # a second signal ends the process at once
        raise Terminated(signum)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name) and threading.current_thread() is threading.main_thread():
            signal.signal(getattr(signal, name), handler)


def _stopped_by(exc: KeyboardInterrupt) -> str:
    if isinstance(exc, Terminated):
        return f"stopped by {signal.Signals(exc.signum).name}"
    return "interrupted"


def _kept(job: RenderJob) -> str:
    """What an interrupted render left for ``--resume``, in words ('' if nothing)."""
    from ..render.workdir import ResumeError, WorkFolder
    try:
        manifest = WorkFolder(Path(job.output)).read()
    except ResumeError:
        return ""
    if not manifest or not manifest["segments"]:
        return ""
    done = sum(s["frames"] for s in manifest["segments"])
    return (f"{done} of {manifest.get('total_frames', '?')} frames are kept: "
            "run the same command with --resume to continue")


def run(args) -> int:
    from ..render.renderer import render
    if args.segment_frames is not None and args.segment_frames < 1:
        raise SavsrError(f"--segment-frames must be at least 1, got {args.segment_frames}")
    presets.apply(args)
    several = batch.plan_batch(_inputs(args), args.output, args.codec)
    if several is not None:
        return _run_batch(args, several)
    from ..render.control import ResumableError
    job = build_job(args)
    where, cluster = placement(args)
    console = _Console(args.quiet)
    _interrupt_on_termination()
    try:
        result = render(job, progress=console.progress, log=console.log, resume=args.resume,
                        segment_frames=args.segment_frames, placement=where, cluster=cluster)
        if not args.quiet:
            console.flush()
    except ResumableError as exc:     # a full disk, a worker that died twice: finished frames are kept
        if not exc.kept:
            raise
        raise SavsrError(f"{exc}: run the same command with --resume to continue") from None
    except KeyboardInterrupt as exc:
        console.close()
        kept = _kept(job)
        print(f"savsr: {_stopped_by(exc)}{': ' + kept if kept else ''}", file=sys.stderr)
        return exc.exit_status if isinstance(exc, Terminated) else 130
    finally:
        console.close()
    w, h = result.size
    print(f"wrote {result.output}  ({w}x{h}, {result.frames} frame{'s' if result.frames != 1 else ''}, {job.codec}) in "
          f"{format_duration(result.seconds)} ({format_speed(result.fps, console.bar and console.bar.unit)})")
    return 0


# ---- several clips ---------------------------------------------------------------------------

def _run_batch(args, todo: batch.Batch) -> int:
    """Every clip of ``todo`` in turn: a line for each (written, or skipped with why), a total
    line; 1 if any clip failed. Ctrl+C or SIGTERM stops the batch as it stops one render."""
    import argparse

    from ..render.renderer import render
    _scale(args), _time(args.start, "--start"), _time(args.end, "--end")   # a mistake every clip would repeat
    where, cluster = placement(args)
    if todo.create:
        batch.make_folder(todo.folder)
    names, tally = batch.Names(), batch.Tally(len(todo.clips))
    _interrupt_on_termination()
    for number, clip in enumerate(todo.clips, 1):
        job, console = None, _Console(args.quiet)
        if console.bar:
            console.bar.label = f"[{number}/{tally.total}] "
        try:
            if clip.problem:
                raise SavsrError(clip.problem)
            job = build_job(argparse.Namespace(**{**vars(args), "input": str(clip.path), "output": None,
                                                  "sample": False}))
            job = job.replace(output=names.output_for(job.output, todo.folder))
            if args.resume and Path(job.output).exists():
                print(tally.kept_line(job.output))
                continue
            result = render(job, progress=console.progress, log=console.log, resume=args.resume,
                            segment_frames=args.segment_frames, placement=where, cluster=cluster)
            if not args.quiet:
                console.flush()
        except SavsrError as exc:
            console.close()
            resumable = getattr(exc, "kept", 0) > 0      # finished frames are kept: say how to continue
            if tally.total == 1 and not resumable:      # -o FOLDER/ for one clip
                raise
            print(tally.skipped_line(clip.path, exc, resumable), file=sys.stderr)
            continue
        except KeyboardInterrupt as exc:
            console.close()
            kept = _kept(job) if job else ""
            print(batch.stopped_line(_stopped_by(exc), number, tally, clip.path, kept), file=sys.stderr)
            return exc.exit_status if isinstance(exc, Terminated) else 130
        finally:
            console.close()
        print(tally.wrote_line(result, job.codec, console.bar and console.bar.unit))
    if tally.total > 1:
        print(tally.line())
    return tally.status
