"""Does freezing BatchNorm help fine-tuning? Same footage, steps and seed, BatchNorm frozen vs trained.

    .venv/bin/python training/experiments/finetune_bn_experiment.py [--clip PATH] [--steps 40] [--lrs 5e-5 2e-4]

Fine-tunes the bundled model (copied first) on the first 90% of a clip the default model never trained
on and scores the held-out last 10% at x2, before and after. Prints one JSON line per run.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from engine.resources import default_model_path  # noqa: E402
from engine.train.finetune import FinetuneSettings, finetune  # noqa: E402
from engine.train.validate import summary  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", default=str(ROOT.parent / "shared" / "data" / "davis480" / "goat"))
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--lrs", type=float, nargs="+", default=[5e-5, 2e-4])
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.safetensors"
        shutil.copy(default_model_path(), base)
        for lr in args.lrs:
            for bn_eval in (True, False):
                losses = []

                def keep_loss(event, losses=losses):    # bound here: each run fills its own list
                    if event["kind"] == "train":
                        losses.append(event["loss"])

                settings = FinetuneSettings(scales=[[2.0, 2.0]], lr=lr, bn_eval=bn_eval, batch=args.batch, val_every=0,
                                            val_frames=3, val_crop=256, seed=1)
                res = finetune([args.clip], Path(tmp) / f"ft_{lr}_{bn_eval}.pt", base=base, minutes=None,
                               steps=args.steps, settings=settings, device="cpu",
                               progress=keep_loss)
                k = max(1, len(losses) // 4)
                print(json.dumps({"lr": lr, "batch": args.batch, "bn_eval": bn_eval, "steps": res["step"],
                                  "before": summary(res["before"]), "after": summary(res["after"]),
                                  "gain_db": res["gain_db"],
                                  "loss_first_quarter": sum(losses[:k]) / k,
                                  "loss_last_quarter": sum(losses[-k:]) / k}),
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
