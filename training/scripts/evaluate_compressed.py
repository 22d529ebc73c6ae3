"""Score the clean and compressed models on the validation split with codec-degraded LR.

For each setting (scale pair and codec), every model and bicubic see the same LR: the validation
clips' first frames (centre-cropped), downscaled with the benchmark's antialiased bicubic, encoded
as one clip with x264/x265 `medium` and decoded (engine.evaluation.benchmark). Reported: Y-PSNR gain over
bicubic, temporal PSNR, and the deblock-filter-then-clean-model baseline.

    .venv/bin/python training/scripts/evaluate_compressed.py [--compressed FILE] [--frames 6] [--crop 512x288]
    .venv/bin/python training/scripts/evaluate_compressed.py --compressed NEW --reuse-clean OLD.json --out NEW.json

Writes docs/runs/studio_compressed/evaluation.json and prints a markdown table. ``--reuse-clean``
scores only the compressed candidate and takes the clean model's and the deblock baseline's figures
from an earlier evaluation with the same frames and crop (they do not depend on the candidate).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.evaluation.benchmark import evaluate, load_clip  # noqa: E402
from engine.models.checkpoint import load_model  # noqa: E402
from engine.render.inference import Upscaler  # noqa: E402
from engine.train.degrade import CodecSpec  # noqa: E402

VAL = [ROOT.parent / "shared/data/davis480" / c for c in ("blackswan", "car-shadow", "goat")] + \
      [ROOT.parent / "shared/data/basketballpass"]
# (width factor, height factor, codec)
SETTINGS = [(2, 2, "none"), (2, 2, "h264:23"), (2, 2, "h264:28"), (2, 2, "h264:33"), (2, 2, "h265:28"),
            (3, 3, "h264:28"), (1.5, 4, "h264:28")]


def upscaler(model):
    cache = {}

    def run(window, scale, out_hw):
        key = (scale, out_hw, tuple(window.shape))
        if key not in cache:
            cache.clear()
            cache[key] = Upscaler(model, torch.device("cpu"), None, scale, out_hw, 0, backend="torch")
        return cache[key](window)
    return run


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--compressed", default=str(ROOT / "resources/models/savsr_studio_compressed.safetensors"))
    p.add_argument("--clean", default=str(ROOT / "resources/models/savsr_studio_default.safetensors"))
    p.add_argument("--frames", type=int, default=6)
    p.add_argument("--crop", default="512x288")
    p.add_argument("--out", default=str(ROOT / "docs/runs/studio_compressed/evaluation.json"))
    p.add_argument("--reuse-clean", help="evaluation.json whose clean and deblock figures to reuse")
    args = p.parse_args()
    reused = {}
    if args.reuse_clean:
        old = json.loads(Path(args.reuse_clean).read_text())
        if (old["frames"], old["crop"]) != (args.frames, args.crop):
            p.error(f"{args.reuse_clean} was made with {old['frames']} frames of {old['crop']}")
        reused = {(r["scale"], r["degrade"]): {k: v for k, v in r.items() if k.startswith(("clean", "deblock"))}
                  for r in old["rows"]}
    torch.set_num_threads(1)
    crop = tuple(int(v) for v in args.crop.split("x"))
    clips = {f.name: load_clip(f, args.frames, crop) for f in VAL}
    models = {"compressed": load_model(args.compressed)} if reused else \
        {"clean": load_model(args.clean), "compressed": load_model(args.compressed)}
    ups = {k: upscaler(m) for k, m in models.items()}
    rows = []
    for s_w, s_h, text in SETTINGS:
        spec = CodecSpec.parse(text)
        row = {"scale": f"{s_w:g}x{s_h:g}", "degrade": text}
        t = time.time()
        for name in models:
            baseline = ups["clean"] if name == "compressed" and spec is not None and not reused else None
            r = evaluate(clips, [(s_w, s_h)], ups[name], degrade=spec, baseline=baseline)[0]
            row[name] = round(r.model_psnr, 3)
            row["bicubic"] = round(r.bicubic_psnr, 3)
            if r.model_tpsnr is not None:
                row[f"{name}_tpsnr"] = round(r.model_tpsnr, 3)
                row["bicubic_tpsnr"] = round(r.bicubic_tpsnr, 3)
            if r.baseline_psnr is not None:
                row["deblock_clean"] = round(r.baseline_psnr, 3)
        row.update(reused.get((row["scale"], text), {}))
        row["seconds"] = round(time.time() - t, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    meta = {"compressed": models["compressed"].metadata.get("name"), "clips": list(clips), "frames": args.frames,
            "crop": args.crop, "rows": rows}
    Path(args.out).write_text(json.dumps(meta, indent=1) + "\n")
    print("| scale | LR codec | bicubic | clean | compressed | deblock + clean | tPSNR clean / compressed / bicubic |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        tp = (f"{r['clean_tpsnr']:.2f} / {r['compressed_tpsnr']:.2f} / {r['bicubic_tpsnr']:.2f}"
              if "clean_tpsnr" in r else "-")
        dc = f"{r['deblock_clean'] - r['bicubic']:+.2f}" if "deblock_clean" in r else "-"
        print(f"| {r['scale']} | {r['degrade']} | {r['bicubic']:.2f} | {r['clean'] - r['bicubic']:+.2f} | "
              f"{r['compressed'] - r['bicubic']:+.2f} | {dc} | {tp} |")


if __name__ == "__main__":
    main()
