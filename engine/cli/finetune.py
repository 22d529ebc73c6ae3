"""``savsr finetune CLIP_OR_FOLDER... --minutes M -o OUT [--base MODEL] [--scales ...]``."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..backends import BACKEND_HELP
from ..scale import Scale
from .evaluate import parse_scale
from .progress import set_threads, training_printer


def register(sub):
    p = sub.add_parser("finetune", help="adapt a model to your own footage (the bundled model by default)")
    p.add_argument("footage", nargs="+", metavar="CLIP_OR_FOLDER", help="video files or frame folders")
    p.add_argument("-o", "--output", required=True, help="fine-tuned model file (.safetensors or .pt)")
    p.add_argument("--base", metavar="auto|clean|compressed|FILE",
                   help="model to start from (default auto: the bundled model auto picks for the footage)")
    p.add_argument("--degrade", default="match", metavar="match|none|h264:CRF|h265:CRF",
                   help="how training LR is made: match (default: re-encoded with the clip's own codec at its own "
                        "bits per pixel), none (clean), or a fixed codec")
    p.add_argument("--targets", choices=["clip", "halved"], default="clip",
                   help="what the network learns to produce: the clip's frames as they are (default), or "
                        "halved: the frames downscaled by 2 first, which removes most of a codec's blocking")
    p.add_argument("--minutes", type=float, default=5.0, help="wall-clock budget (default 5)")
    p.add_argument("--steps", type=int, help="stop after this many steps")
    p.add_argument("--scales", nargs="+", default=["2"],
                   help="the factor(s) you will upscale by: S, or WxH for width and height as in savsr eval "
                        "(e.g. 2 or 1.5x4); training covers +-0.5 around them (default 2)")
    p.add_argument("--scale-range", nargs=2, type=float, metavar=("LOW", "HIGH"), help="explicit scale range")
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--patch", type=int, default=32, help="LR patch side")
    p.add_argument("--batch", type=int, default=4, help="batch size (>= 2)")
    p.add_argument("--holdout", type=float, default=0.1, help="last fraction of each clip kept for validation")
    p.add_argument("--freeze-batchnorm", action="store_true", help="keep BatchNorm layers in eval mode")
    p.add_argument("--resume", action="store_true", help="continue an interrupted fine-tune writing to OUT")
    p.add_argument("--nproc", type=int, default=1,
                   help="processes, one per GPU, started with torchrun (see docs/finetune.md)")
    p.add_argument("--device", default="auto")
    p.add_argument("--backend", default="torch", help="backend of the validations: " + BACKEND_HELP.replace(
        "(default auto)", "(default torch: every validation sees new weights, a compiled backend exports anew)"))
    p.add_argument("--threads", type=int)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..backends import set_default_backend
    from ..errors import SavsrError
    from ..train.finetune import FinetuneSettings, finetune
    from ..train.validate import summary
    if args.nproc < 1:
        raise SavsrError(f"--nproc must be at least 1, got {args.nproc}")
    if args.nproc != 1:
        return launch(finetune_argv(args), args.nproc)
    set_threads(args.threads)
    set_default_backend(args.backend)
    scales = [list(Scale(*wh).network) for wh in map(parse_scale, args.scales)]
    settings = FinetuneSettings(scales=scales, scale_range=tuple(args.scale_range) if args.scale_range else None,
                                lr=args.lr, patch=args.patch, batch=args.batch, holdout=args.holdout,
                                bn_eval=args.freeze_batchnorm, degrade=args.degrade,
                                targets=args.targets)
    try:
        res = finetune(args.footage, args.output, base=args.base, minutes=args.minutes, steps=args.steps,
                       settings=settings, device=args.device, progress=training_printer(args.quiet), resume=args.resume)
    except ValueError as exc:
        raise SavsrError(str(exc)) from None
    b, a = summary(res["before"]), summary(res["after"])
    gain = res["gain_db"] if res["gain_db"] is not None else float("nan")
    print(f"{res['step']} steps ({res['stopped']}); on the held-out frames: "
          f"before {b.get('psnr', float('nan')):.2f} dB, "
          f"after {a.get('psnr', float('nan')):.2f} dB (bicubic {a.get('bicubic', float('nan')):.2f} dB): "
          f"{gain:+.2f} dB")
    print(verdict_text(res))
    return 0


def verdict_text(res: dict) -> str:
    """Whether the fine-tune helped and which model to use from now on, in plain words."""
    verdict, model = res["verdict"], res["model"]
    if verdict.helped:
        return f"{verdict.text()} Use it: savsr upscale IN --model {model}\nmodel: {model}"
    return (f"{verdict.text()} Keep using the base model ({Path(res['base']).name}); the fine-tuned model is "
            f"kept at {model} but not chosen.")


def finetune_argv(args) -> list[str]:
    """``savsr finetune``'s parsed arguments written back as a command line, without ``--nproc``."""
    out = [*args.footage, "-o", args.output, "--scales", *args.scales, "--lr", repr(args.lr), "--patch",
           str(args.patch), "--batch", str(args.batch), "--holdout", repr(args.holdout), "--degrade", args.degrade,
           "--targets", args.targets, "--backend", args.backend]
    if args.minutes is not None:
        out += ["--minutes", repr(args.minutes)]
    if args.steps is not None:
        out += ["--steps", str(args.steps)]
    if args.base:
        out += ["--base", args.base]
    if args.scale_range:
        out += ["--scale-range", *map(repr, args.scale_range)]
    out += [flag for flag, on in (("--freeze-batchnorm", args.freeze_batchnorm), ("--resume", args.resume),
                                  ("--quiet", args.quiet)) if on]
    return out


def launch(argv: list[str], nproc: int) -> int:
    """Run ``savsr finetune ARGS`` as ``nproc`` processes under torchrun; returns its exit code.
    ``argv`` must not contain ``--nproc``."""
    import torch

    from ..errors import SavsrError
    if nproc < 1:
        raise SavsrError("--nproc must be at least 1")
    if torch.cuda.is_available() and nproc > torch.cuda.device_count():
        raise SavsrError(f"--nproc {nproc} asks for more processes than the {torch.cuda.device_count()} GPU(s) here")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
           "-m", "engine.cli.torchrun_entry", *argv]
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    return subprocess.call(cmd, env=env)
