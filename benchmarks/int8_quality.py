"""int8 against fp32 on held-out footage: PSNR against the ground truth, the way training/evaluate_compressed.py
scores models (the clip's first frames centre-cropped, antialiased bicubic down, optionally H.264-coded),
through the same compiled backend in fp32 and in int8 (quantized on the bundled sample, not on this clip).

    .venv/bin/python benchmarks/int8_quality.py [--clip car-shadow] [--frames 4] [--crop 512x288]

Prints a Markdown table: Y-PSNR vs ground truth per precision and codec level, and the change int8 makes.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "davis480"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clip", default="car-shadow", help="a DAVIS clip the int8 graph was not calibrated on")
    p.add_argument("--frames", type=int, default=4)
    p.add_argument("--crop", default="512x288")
    p.add_argument("--model", default="compressed", choices=("compressed", "default"))
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("SAVSR_CACHE_DIR", tempfile.mkdtemp(prefix="savsr-int8-quality-"))
    from engine.evaluation.benchmark import evaluate_clip, load_clip
    from engine.models.checkpoint import load_model
    from engine.render.inference import Upscaler
    from engine.train.degrade import CodecSpec
    model = load_model(ROOT / "resources" / "models" / f"savsr_studio_{args.model}.safetensors", torch.device("cpu"))
    crop = tuple(int(v) for v in args.crop.split("x"))
    gt = load_clip(DATA / args.clip, args.frames, crop)

    def upscaler(precision):
        made = {}

        def run(window, scale, out_hw):
            key = (scale, out_hw)
            if key not in made:
                made[key] = Upscaler(model, torch.device("cpu"), precision, scale, out_hw, 0, backend="openvino",
                                     log=lambda msg: print("  note:", msg, flush=True))
            return made[key](window)
        return run

    rows = [f"| {args.clip}, {args.frames} frames, {args.crop}, x2, {args.model} model | fp32 dB | int8 dB "
            "| change |", "| --- | ---: | ---: | ---: |"]
    for codec in ("none", "h264:28"):
        spec = None if codec == "none" else CodecSpec.parse(codec)
        db = {prec: evaluate_clip(upscaler(prec), gt, (2.0, 2.0), degrade=spec)["model_psnr"]
              for prec in ("fp32", "int8")}
        rows.append(f"| {'lossless' if codec == 'none' else 'H.264 CRF 28'} | {db['fp32']:.3f} | {db['int8']:.3f} "
                    f"| {db['int8'] - db['fp32']:+.3f} |")
        print(rows[-1], flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
