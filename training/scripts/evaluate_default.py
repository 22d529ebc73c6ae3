"""Score a model on the validation split with the benchmark protocol and update the model card.

    .venv/bin/python training/scripts/evaluate_default.py [--model FILE] [--frames 3] [--threads 1] [--card]

Whole frames, 7-frame reflection windows from the whole clip, antialiased bicubic LR, 8-bit BT.601
Y-PSNR, mean over frames of a clip then over clips -- on ``--frames`` evenly spaced frames per clip
(all frames with ``--frames 0``; a CPU needs hours for that). Writes
``docs/runs/studio_default/evaluation.json`` and, with ``--card``, the table in
``resources/models/MODEL_CARD.md`` between its ``validation-table`` markers.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from engine import load_model  # noqa: E402
from engine.train import TARGET_SCALES, format_table, load_clip, summary, validate  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CLIPS = [DATA / "davis480" / "blackswan", DATA / "davis480" / "car-shadow", DATA / "davis480" / "goat",
         DATA / "basketballpass"]
CARD = ROOT / "resources" / "models" / "MODEL_CARD.md"
OUT = ROOT / "docs" / "runs" / "studio_default" / "evaluation.json"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", help="model file (default: the bundled model)")
    ap.add_argument("--frames", type=int, default=3, help="evenly spaced frames per clip; 0 = all")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--card", action="store_true", help="write the table into the model card")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.model)
    clips = [load_clip(p) for p in CLIPS]
    t0 = time.time()
    results = validate(model, clips, TARGET_SCALES, frames=args.frames or None, crop=0)
    table = format_table(results)
    print(table)
    record = {"model": model.metadata.get("name"), "trained_steps": model.metadata.get("trained_steps"),
              "frames_per_clip": args.frames or "all", "clips": [c.describe() for c in clips],
              "summary": summary(results), "results": results, "seconds": round(time.time() - t0, 1)}
    OUT.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if args.card:
        frames = "all frames" if not args.frames else f"{args.frames} evenly spaced frames per clip"
        block = (f"<!-- validation-table -->\nModel at step {record['trained_steps']}; {frames} "
                 f"({sum(r['frames'] for r in results[:1])} frames per scale), whole frames.\n\n{table}\n"
                 f"<!-- /validation-table -->")
        text = CARD.read_text(encoding="utf-8")
        CARD.write_text(re.sub(r"<!-- validation-table -->.*<!-- /validation-table -->", lambda m: block, text,
                               flags=re.S), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
