"""``savsr train`` and ``savsr export-model``."""
from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

from ..train.config import TRAIN_PRECISIONS
from .progress import set_threads, training_printer


def register(sub):
    p = sub.add_parser("train", help="train a model (or continue the run in RUN_DIR)")
    p.add_argument("run_dir", help="run folder: config.json, checkpoint.pt, log.jsonl")
    p.add_argument("--config", help="JSON file of training settings (see engine.train.TrainConfig)")
    p.add_argument("--data", nargs="+", help="training footage: video files or frame folders")
    p.add_argument("--val-data", nargs="+", help="held-out footage for validation")
    p.add_argument("--minutes", type=float, help="wall-clock budget for this invocation")
    p.add_argument("--steps", type=int, help="steps to train in this invocation")
    p.add_argument("--total-steps", type=int, help="schedule length (may be raised when resuming)")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, help="CPU threads for torch")
    p.add_argument("--precision", choices=TRAIN_PRECISIONS,
                   help="the training forward's arithmetic: auto (bf16 autocast where the CPU has avx512_bf16 or "
                        "AMX, or the GPU bf16; else fp32), fp32 or bf16 (default: a new run auto unless its config "
                        "says; a resumed run keeps its own)")
    p.add_argument("--export", metavar="MODEL", help="export the EMA weights here at every checkpoint")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run_train)

    p = sub.add_parser("export-model", help="write a training checkpoint's weights as a model file")
    p.add_argument("checkpoint", help="checkpoint.pt or a run folder")
    p.add_argument("-o", "--output", required=True, help="model file (.safetensors or .pt)")
    p.add_argument("--raw", action="store_true", help="the raw weights instead of the EMA")
    p.add_argument("--name", help="model name stored in the file")
    p.set_defaults(func=run_export)


def run_train(args) -> int:
    from ..train import TrainConfig, export_model, open_run
    set_threads(args.threads)
    config, precision = None, args.precision
    new_run = not (Path(args.run_dir) / "checkpoint.pt").is_file()
    if args.config:
        raw = json.loads(Path(args.config).read_text(encoding="utf-8"))
        config = TrainConfig.from_dict(raw)
        if new_run:
            precision = precision or raw.get("precision")
    if args.data or args.val_data:
        config = config or TrainConfig()
        config.data = args.data or config.data
        config.val_data = args.val_data or config.val_data
    if new_run:
        precision = precision or "auto"         # bf16 where the hardware has it, unless the config says
    trainer = open_run(config, args.run_dir, device=args.device, total_steps=args.total_steps, precision=precision)
    if not args.quiet:
        print(f"training in {trainer.config.precision} on {trainer.device}", file=sys.stderr)
    show = training_printer(args.quiet)

    def progress(event):
        show(event)
        if args.export and event["kind"] == "checkpoint":
            val = [r for r in trainer.history if r.get("kind") == "val"]
            meta = {"name": Path(args.export).stem}
            if val:
                meta["validation"] = {"step": val[-1]["step"], **val[-1]["summary"]}
            export_model(event["path"], args.export, metadata=meta)

    cancel = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # stop after the current step, with a checkpoint
        signal.signal(sig, lambda *_: cancel.set())
    result = trainer.run(minutes=args.minutes, steps=args.steps, progress=progress, cancel=cancel)
    print(f"stopped ({result['stopped']}) at step {result['step']}, {result['elapsed_s'] / 3600:.2f} h trained")
    return 0


def run_export(args) -> int:
    from ..train import export_model
    ckpt = Path(args.checkpoint)
    if ckpt.is_dir():
        ckpt = ckpt / "checkpoint.pt"
    meta = {"name": args.name} if args.name else None
    print(export_model(ckpt, args.output, ema=not args.raw, metadata=meta))
    return 0
