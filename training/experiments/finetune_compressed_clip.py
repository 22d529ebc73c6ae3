"""Issue 12's fine-tune target: 5 minutes of `savsr finetune` on one compressed real clip, then the
rest of that clip upscaled x2 by the base and by the fine-tuned model, scored against the original
full-size frames.

    .venv/bin/python training/experiments/finetune_compressed_clip.py [--clip goat] [--minutes 5] [--threads 2]

The clip: a DAVIS validation clip (never trained on), its 852x480 frames area-halved to 426x240 and
encoded with libx264 (preset medium, CRF 28), as a phone or web clip would be. The fine-tune trains on
the first 80 % (`--holdout 0.2`; `--degrade match` re-encodes its own half-size LR with the clip's
codec at the clip's bits per pixel); the last 20 % is upscaled with `savsr upscale` (FFV1) by the base
model (what `auto` picks), by the fine-tuned model and by bicubic, and each is scored by Y-PSNR against
the original frames. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.evaluation.metrics import bicubic_upsample, psnr_y  # noqa: E402

DAVIS = ROOT.parent / "shared" / "data" / "davis480"
CLI = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"


def originals(clip: str) -> list[np.ndarray]:
    frames = []
    for path in sorted((DAVIS / clip).glob("*.jpg")):
        with av.open(str(path)) as c:
            frames.append(next(c.decode(video=0)).to_ndarray(format="rgb24")[:480, :852])
    return frames


def encode_half(frames: list[np.ndarray], path: Path, crf: int) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"crf": str(crf), "preset": "medium"})
        stream.width, stream.height, stream.pix_fmt = 426, 240, "yuv420p"
        for k, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                width=426, height=240, format="yuv420p", interpolation="AREA")
            frame.pts, frame.time_base = k, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def tensor(frames: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float() / 255.0


def cli(*args: str):
    subprocess.run([sys.executable, "-c", CLI, *args], check=True, cwd=ROOT)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default="goat")
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--crf", type=int, default=28)
    ap.add_argument("--holdout", type=float, default=0.2)
    ap.add_argument("--targets", default="clip", choices=["clip", "halved"])
    args = ap.parse_args()
    full = originals(args.clip)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = encode_half(full, folder / f"{args.clip}_426x240_crf{args.crf}.mp4", args.crf)
        n = len(full)
        first = n - int(round(n * args.holdout))
        model = folder / "finetuned.safetensors"
        started = time.monotonic()
        cli("finetune", str(clip), "-o", str(model), "--minutes", str(args.minutes), "--holdout", str(args.holdout),
            "--threads", str(args.threads), "--targets", args.targets, "--quiet")
        tuned_s = time.monotonic() - started
        gt = tensor(full[first:])
        lr = tensor(decoded(clip)[first:])
        scores = {"bicubic": float(np.mean([psnr_y(bicubic_upsample(lr[i:i + 1], (480, 852))[0], gt[i])
                                            for i in range(len(gt))]))}
        for name, spec in (("base", "auto"), ("finetuned", str(model))):
            out = folder / f"{name}.mkv"
            cli("upscale", str(clip), "-o", str(out), "--scale", "2", "--model", spec, "--codec", "ffv1",
                "--start", f"{first / 25:.4f}", "-y", "--threads", str(args.threads), "--quiet")
            sr = tensor(decoded(out))
            assert len(sr) == len(gt), (len(sr), len(gt))
            scores[name] = float(np.mean([psnr_y(sr[i], gt[i]) for i in range(len(gt))]))
    print(json.dumps({"clip": args.clip, "frames": n, "scored": n - first, "crf": args.crf,
                      "minutes": args.minutes, "threads": args.threads, "targets": args.targets,
                      "finetune_wall_s": round(tuned_s, 1),
                      **{k: round(v, 3) for k, v in scores.items()},
                      "finetuned_vs_base_db": round(scores["finetuned"] - scores["base"], 3),
                      "base_vs_bicubic_db": round(scores["base"] - scores["bicubic"], 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
