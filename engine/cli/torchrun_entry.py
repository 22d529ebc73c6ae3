"""What ``torchrun`` runs for ``savsr finetune --nproc N``: one fine-tune process per rank.

:func:`engine.cli.finetune.launch` starts ``python -m torch.distributed.run ... -m
engine.cli.torchrun_entry ARGS``; each
process parses the same options as ``savsr finetune`` and calls
:func:`engine.train.distributed.finetune_ddp`.
"""
from __future__ import annotations

import os
import sys
import threading

import torch
import torch.distributed as dist

from ..errors import SavsrError
from ..train.distributed import finetune_ddp
from ..train.finetune import FinetuneSettings
from ..train.validate import summary
from .finetune import verdict_text


def _parse(argv: list[str]):
    """``savsr finetune``'s own argument parser, so both entry points accept the same options."""
    import argparse

    from . import finetune
    parser = argparse.ArgumentParser(prog="savsr finetune (distributed)")
    finetune.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["finetune", *argv])


def main(argv: list[str] | None = None) -> int:
    """Entry point of each ``torchrun`` process."""
    import signal

    from .evaluate import parse_scale
    from .progress import training_printer
    args = _parse(sys.argv[1:] if argv is None else argv)
    asked = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):     # stop at the next step on every rank, with a checkpoint
        signal.signal(sig, lambda *_: asked.set())
    dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    try:
        settings = FinetuneSettings(scales=[[h, w] for w, h in map(parse_scale, args.scales)],
                                    scale_range=tuple(args.scale_range) if args.scale_range else None,
                                    lr=args.lr, patch=args.patch, batch=args.batch, holdout=args.holdout,
                                    bn_eval=args.freeze_batchnorm, degrade=args.degrade)
        res = finetune_ddp(args.footage, args.output, base=args.base, minutes=args.minutes, steps=args.steps,
                           settings=settings, progress=training_printer(args.quiet), asked=asked, resume=args.resume)
    except SavsrError as exc:
        print(f"savsr: error: {exc}", file=sys.stderr)
        return 1
    finally:
        dist.destroy_process_group()
    if res is not None:
        b, a = summary(res["before"]), summary(res["after"])
        print(f"{res['step']} steps ({res['stopped']}) on {os.environ.get('WORLD_SIZE', '1')} processes; held-out "
              f"frames: before {b.get('psnr', float('nan')):.2f} dB, after {a.get('psnr', float('nan')):.2f} dB "
              f"({res['gain_db'] if res['gain_db'] is not None else float('nan'):+.2f} dB)")
        print(verdict_text(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
