"""Does a fine-tune's held-out judgement agree with the originals? (issue 26 item 4)

    .venv/bin/python training/scripts/finetune_judgement.py [--clips goat blackswan car-shadow] [--steps 300]

For each DAVIS validation clip: its 852x480 frames area-halved to 426x240 and encoded with libx264
CRF 28 (preset medium), as a phone or web clip would be, and once more losslessly (FFV1) for a clean
case. ``finetune`` (in this process, ``--steps`` steps, ``--holdout 0.2``, base ``auto``) trains on the
first 80 %; then on evenly spaced held-out frames:

- truth: the held-out frames as decoded, upscaled x2 by the base and by the fine-tuned model, Y-PSNR
  against the original 852x480 frames;
- held-out: the fine-tune's own score (the held-out frames downscaled, re-encoded like the clip,
  upscaled, scored against the held-out frames: the compressed frames are the reference);
- halved: the same with the held-out frames area-halved first (2 x 2 averaging takes away most of
  the codec's blocking, so the reference is cleaner);
- deblocked: the same against the held-out frames through FFmpeg's strong deblocking filter.

Prints one JSON line per clip and kind: each measure's tuned-minus-base difference in dB.
"""
from __future__ import annotations

import argparse
import json
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
sys.path.insert(0, str(ROOT / "training" / "experiments"))

from finetune_compressed_clip import originals  # noqa: E402  (the DAVIS frames, 852x480)

from engine import load_model  # noqa: E402
from engine.evaluation.metrics import psnr_y  # noqa: E402
from engine.render.frame_windows import window_indices  # noqa: E402
from engine.render.tiling import upscale_tiled  # noqa: E402
from engine.train.data import Clip, load_clip  # noqa: E402
from engine.train.degrade import CodecSpec, deblock_frames  # noqa: E402
from engine.train.finetune import FinetuneSettings, finetune, halved  # noqa: E402
from engine.train.validate import frame_picks, validate  # noqa: E402


def encode_half(frames: list[np.ndarray], path: Path, crf: int | None) -> Path:
    """Area-halved to 426x240; x264 at ``crf`` (medium), or FFV1 for ``None``."""
    with av.open(str(path), "w") as out:
        if crf is None:
            stream = out.add_stream("ffv1", rate=25)
            stream.pix_fmt = "yuv444p"
        else:
            stream = out.add_stream("libx264", rate=25, options={"crf": str(crf), "preset": "medium"})
            stream.pix_fmt = "yuv420p"
        stream.width, stream.height = 426, 240
        for k, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                width=426, height=240, format=stream.pix_fmt, interpolation="AREA")
            frame.pts, frame.time_base = k, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def tensor(frames: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float() / 255.0


@torch.no_grad()
def truth(model, lr: torch.Tensor, gt: torch.Tensor, picks: list[int]) -> float:
    n = lr.shape[0]
    scores = []
    for i in picks:
        window = lr[window_indices(i, n, model.config.num_frame)].unsqueeze(0)
        sr = upscale_tiled(model, window, (2.0, 2.0), gt.shape[-2:], 0)
        scores.append(psnr_y(sr[None], gt[i:i + 1]))
    return float(np.mean(scores))


def deblocked(clip: Clip) -> Clip:
    frames = deblock_frames(clip.frames.permute(0, 2, 3, 1).contiguous().numpy())
    return Clip(clip.name, torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous())


def measure(model, held: Clip, lr: torch.Tensor, gt: torch.Tensor, spec, frames: int) -> dict:
    picks = frame_picks(held.frames.shape[0], frames)
    out = {"truth": truth(model, lr, gt, picks)}
    for name, clip in (("held_out", held), ("halved", halved(held)), ("deblocked", deblocked(held))):
        [r] = validate(model, [clip], [[2.0, 2.0]], frames, 0, "cpu", degrade=spec, backend="torch")
        out[name] = r["psnr"]
    return out


def one(clip: str, crf: int | None, steps: int, frames: int, holdout: float, lr: float, folder: Path) -> dict:
    full = originals(clip)
    name = f"{clip}_crf{crf}.mp4" if crf is not None else f"{clip}_ffv1.mkv"
    path = encode_half(full, folder / name, crf)
    tuned_path = folder / f"{path.stem}_tuned.safetensors"
    started = time.monotonic()
    settings = FinetuneSettings(scales=[[2.0, 2.0]], holdout=holdout, lr=lr, val_every=0, seed=0)
    res = finetune([path], tuned_path, minutes=None, steps=steps, settings=settings, device="cpu")
    tuned_s = time.monotonic() - started
    decoded = load_clip(path)
    n = decoded.frames.shape[0]
    _, held = decoded.split(holdout)
    k = held.frames.shape[0]
    decoded_lr = held.frames.float() / 255.0
    gt = tensor(full[n - k:])
    from engine.train.finetune import match
    spec = CodecSpec.parse(match([path], settings).validation)
    base = load_model(load_model(tuned_path).metadata["base_path"])
    tuned = load_model(tuned_path)
    b = measure(base, held, decoded_lr, gt, spec, frames)
    t = measure(tuned, held, decoded_lr, gt, spec, frames)
    return {"clip": clip, "source": f"x264 CRF {crf}" if crf is not None else "FFV1", "steps": res["step"], "lr": lr,
            "finetune_s": round(tuned_s, 1), "held_out_frames": k, "scored_frames": len(frame_picks(k, frames)),
            "validation": str(spec), "base": Path(tuned.metadata["base_path"]).stem,
            "own_report_db": res["gain_db"],
            **{f"{name}_db": round(t[name] - b[name], 3) for name in b},
            "base_truth": round(b["truth"], 3), "tuned_truth": round(t["truth"], 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="+", default=["goat", "blackswan", "car-shadow"])
    ap.add_argument("--crf", nargs="+", default=["28"], help="CRFs, or 'ffv1' for a lossless clip")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--frames", type=int, default=6, help="held-out frames scored per clip")
    ap.add_argument("--holdout", type=float, default=0.2)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        for clip in args.clips:
            for crf in args.crf:
                row = one(clip, None if crf == "ffv1" else int(crf), args.steps, args.frames, args.holdout,
                          args.lr, Path(tmp))
                print(json.dumps(row, default=float), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
