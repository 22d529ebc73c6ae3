"""Train the codec-artifact detector behind ``--model auto`` (engine/models/artifacts.py).

Data: the training clips of ../shared/data (the validation split left out), downscaled by a random
factor (antialiased bicubic, as the benchmark), 128x128 LR regions of 5 frames, labelled
*clean* (no codec, or H.264/H.265 at CRF 4-12) or *compressed* (CRF 22-40, random preset, noise
before the encode as in the `compressed` model's training); CRF 13-21 is left out as neither.
Patches are read on the 16-pixel grid of the encode, as at run time.

    .venv/bin/python training/scripts/artifact_detector.py            # train, evaluate, write the model
    .venv/bin/python training/scripts/artifact_detector.py --eval     # evaluate the shipped detector only

Evaluation: whole validation frames at x2 and x3 through each codec setting, plus a CRF 28 clip
transcoded to ProRes 422 HQ; the score per setting goes to docs/runs/artifact_detector.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.evaluation.metrics import downsample  # noqa: E402
from engine.models.artifacts import DETECTOR_NAME, ArtifactDetector, compression_score, grid_patches  # noqa: E402
from engine.train.config import VALIDATION_CLIPS  # noqa: E402
from engine.train.data import find_clips  # noqa: E402
from engine.train.degrade import PRESETS, CodecSpec, codec_round_trip, degrade_frames  # noqa: E402
from engine.video.colour import luma  # noqa: E402

DATA = [ROOT.parent / "shared/data/davis480", ROOT.parent / "shared/data/vimeo_septuplet"]
VAL = [ROOT.parent / "shared/data/davis480" / c for c in ("blackswan", "car-shadow", "goat")] + \
      [ROOT.parent / "shared/data/basketballpass"]
OUT = ROOT / "resources" / "models" / DETECTOR_NAME
REPORT = ROOT / "docs" / "runs" / "artifact_detector.json"


def lr_region(clip, rng: np.random.Generator, side: int = 128, frames: int = 5) -> np.ndarray | None:
    """``(frames, side, side, 3)`` uint8 LR frames of a random region at a random scale."""
    n, _, H, W = clip.frames.shape
    s = rng.uniform(1.5, min(4.0, H / side, W / side))
    gh, gw = round(side * s), round(side * s)
    if gh > H or gw > W or n < frames:
        return None
    t0, y, x = rng.integers(0, n - frames + 1), rng.integers(0, H - gh + 1), rng.integers(0, W - gw + 1)
    gt = clip.frames[t0:t0 + frames, :, y:y + gh, x:x + gw].float() / 255.0
    lr = downsample(gt, (gh / side, gw / side)).clamp(0, 1)
    return (lr * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def labelled_sample(clip, rng):
    frames = lr_region(clip, rng)
    if frames is None:
        return None
    codec = "h264" if rng.random() < 0.65 else "h265"
    preset = PRESETS[rng.integers(len(PRESETS))]
    if rng.random() < 0.45:
        label = 0.0
        if rng.random() < 0.5:
            frames = codec_round_trip(frames, CodecSpec(codec, float(rng.integers(4, 13)), preset))
    else:
        label = 1.0
        if rng.random() < 0.3:
            noisy = frames.astype(np.float32) + rng.normal(0, rng.uniform(0, 2.0), frames.shape)
            frames = noisy.round().clip(0, 255).astype(np.uint8)
        frames = codec_round_trip(frames, CodecSpec(codec, float(rng.integers(22, 41)), preset))
    pick = rng.choice(len(frames), 2, replace=False)
    return grid_patches(luma(frames[pick], 255.0)), label


def make_data(count: int, seed: int):
    clips = find_clips([str(p) for p in DATA], exclude=list(VALIDATION_CLIPS))
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    while len(xs) < count:
        got = labelled_sample(clips[rng.integers(len(clips))], rng)
        if got is not None:
            xs.append(got[0])
            ys.append(np.full(len(got[0]), got[1], np.float32))
    return torch.from_numpy(np.concatenate(xs))[:, None], torch.from_numpy(np.concatenate(ys))


def train(samples: int, steps: int, seed: int = 0) -> ArtifactDetector:
    torch.manual_seed(seed)
    t = time.time()
    x, y = make_data(samples, seed)
    print(f"{len(x)} patches ({int(y.sum())} compressed) in {time.time() - t:.0f} s", flush=True)
    net = ArtifactDetector()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(seed)
    for step in range(steps):
        lr = 2e-3 * 0.5 * (1 + np.cos(np.pi * step / steps))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(len(x), (64,), generator=gen)
        xb = x[idx]
        if torch.rand(1, generator=gen) < 0.5:   # flips keep the grid phase of 64-pixel patches
            xb = xb.flip(-1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(xb), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 200 == 0:
            print(f"step {step} loss {loss.item():.4f}", flush=True)
    return net.eval()


def prores_transcode(frames: np.ndarray) -> np.ndarray:
    """Through ProRes 422 HQ (10-bit 4:2:2) and back, as an editor's transcode would."""
    from fractions import Fraction

    import av
    h, w = frames.shape[1:3]
    enc = av.CodecContext.create("prores_ks", "w")
    enc.width, enc.height, enc.pix_fmt, enc.time_base = w, h, "yuv422p10le", Fraction(1, 25)
    enc.options = {"profile": "3"}
    dec = av.CodecContext.create("prores", "r")
    out = []
    for i, f in enumerate(frames):
        vf = av.VideoFrame.from_ndarray(f, format="rgb24").reformat(format="yuv422p10le")
        vf.pts = i
        for p in enc.encode(vf):
            out += dec.decode(p)
    for p in enc.encode(None):
        out += dec.decode(p)
    return np.stack([f.to_ndarray(format="rgb24") for f in out])


def evaluate(net: ArtifactDetector) -> dict:
    clips = find_clips([str(p) for p in VAL], max_frames=8)
    settings = ["none", "h264:8", "h264:12", "h264:18", "h264:23", "h264:28", "h264:33", "h265:23", "h265:28",
                "h264:28+prores"]
    table = {}
    for s in (2.0, 3.0):
        for setting in settings:
            scores = []
            for clip in clips:
                gt = clip.frames.float() / 255.0
                lr = (downsample(gt, (s, s)).clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
                spec = CodecSpec.parse(setting.split("+")[0])
                frames = degrade_frames(lr, spec)
                if setting.endswith("+prores"):
                    frames = prores_transcode(frames[:, :frames.shape[1] // 2 * 2, :frames.shape[2] // 2 * 2])
                scores.append(round(compression_score(frames[1::2], net), 3))
            table[f"x{s:g} {setting}"] = scores
            print(f"x{s:g} {setting:15s}", scores, flush=True)
    return table


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--eval", action="store_true", help="evaluate the shipped detector only")
    p.add_argument("--samples", type=int, default=1500)
    p.add_argument("--steps", type=int, default=3000)
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.eval:
        from engine.models.artifacts import load_detector
        net = load_detector(OUT)
    else:
        net = train(args.samples, args.steps)
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(OUT),
                  metadata={"name": "artifact_detector", "trained_by": "training/scripts/artifact_detector.py",
                            "samples": str(args.samples), "steps": str(args.steps)})
    table = evaluate(net)
    REPORT.write_text(json.dumps({"clips": [p.name for p in VAL], "scores": table}, indent=1) + "\n")


if __name__ == "__main__":
    main()
