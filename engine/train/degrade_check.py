"""How close are the training degradations to real files, and what do they cost? (issue 26 item 3)

    .venv/bin/python -m engine.train.degrade_check cost      # data seconds per step: old mix, whole-frame mix
    .venv/bin/python -m engine.train.degrade_check context   # one codec setting, three encode contexts
    .venv/bin/python -m engine.train.degrade_check mixes     # detector statistics: real files vs the mixes

Footage: the training clips of ../shared/data (the validation split left out). Every measurement
runs in one process on one torch thread, so its figures are comparable with each other (the machine
is shared). Results are printed as JSON and written to ``runs/degrade_check/<what>.json``.

Statistics of decoded LR frames (uint8 RGB on the codec's grid, origin at a multiple of 16):

* ``score``: the artifact detector's compression score (``engine.models.artifacts``), the mean
  probability over grid-aligned 64x64 luma patches that the pictures went through a lossy codec;
* ``blockiness``: mean absolute luma step across 8-pixel block boundaries over the mean step
  elsewhere (1.0: no block grid; H.264/H.265 deblocking keeps it low);
* ``psnr``: Y-PSNR against the clean LR where that is known.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..evaluation.metrics import downsample, psnr_y
from .config import VALIDATION_CLIPS, TrainConfig
from .data import BatchSampler, ScaleRange, find_clips
from .degrade import PRESETS, Chain, CodecSpec, Degradation, degrade_frames, run_chain

ROOT = Path(__file__).resolve().parents[2]
DATA = [ROOT.parent / "shared/data/davis480", ROOT.parent / "shared/data/vimeo_septuplet"]
SAMPLE = ROOT / "resources" / "sample" / "big_buck_bunny_320x180.mp4"
OUT = ROOT / "runs" / "degrade_check"
CONFIGS = ROOT / "training" / "configs"


def _detector():
    try:
        from ..models.artifacts import compression_score, load_detector
    except ImportError:                                  # before the models/ package existed
        from ..artifacts import compression_score, load_detector
    return compression_score, load_detector()


def luma(frames: np.ndarray) -> np.ndarray:
    rgb = frames.astype(np.float32)
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def blockiness(frames: np.ndarray, block: int = 8) -> float:
    """Mean |luma step| across ``block``-pixel boundaries over the mean step inside blocks."""
    y = luma(frames)
    steps = []
    for d in (np.abs(np.diff(y, axis=2)), np.abs(np.diff(y, axis=1)).swapaxes(1, 2)):
        edge = (np.arange(d.shape[2]) % block) == block - 1
        steps.append(d[:, :, edge].mean() / max(d[:, :, ~edge].mean(), 1e-6))
    return float(np.mean(steps))


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    as_t = [torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float() / 255.0 for x in (a, b)]
    return psnr_y(*as_t)


def stats(frames: np.ndarray, score_fn, clean: np.ndarray | None = None) -> dict:
    out = {"score": round(score_fn(frames), 4), "blockiness": round(blockiness(frames), 4)}
    if clean is not None:
        out["psnr"] = round(_psnr(frames, clean), 2)
    return out


def summarise(rows: list[dict], reference: list[dict] | None = None) -> dict:
    """Mean and quartiles per statistic; with ``reference``, the 1-Wasserstein distance of the score
    and blockiness distributions to it (the mean gap between matching quantiles)."""
    out = {"n": len(rows)}
    for key in ("score", "blockiness", "psnr"):
        v = np.array([r[key] for r in rows if key in r])
        if not len(v):
            continue
        out[key] = {"mean": round(float(v.mean()), 3),
                    "q25_50_75": [round(float(q), 3) for q in np.quantile(v, [0.25, 0.5, 0.75])]}
        if reference is not None and key != "psnr":
            ref = np.array([r[key] for r in reference])
            u = np.linspace(0.005, 0.995, 199)
            out[key]["w1_to_real"] = round(float(np.abs(np.quantile(v, u) - np.quantile(ref, u)).mean()), 3)
    return out


def lr_of(clip, idx, scale: float, crop: tuple[int, int] | None = None) -> np.ndarray:
    """Whole LR frames (sides made multiples of 16) of clip frames ``idx`` downscaled by ``scale``."""
    gt = clip.frames[idx].float() / 255.0
    lr = downsample(gt, (scale, scale)).clamp(0, 1)
    h, w = lr.shape[-2] // 16 * 16, lr.shape[-1] // 16 * 16
    lr = (lr[..., :h, :w] * 255).round().to(torch.uint8).permute(0, 2, 3, 1)
    return np.ascontiguousarray(lr.numpy())


@lru_cache(maxsize=2)
def training_clips(max_frames: int | None = None):
    return find_clips([str(p) for p in DATA], exclude=list(VALIDATION_CLIPS), max_frames=max_frames)


def config_degradation(name: str) -> dict:
    return json.loads((CONFIGS / name).read_text())["degradation"]


# ---- 1. the data cost per step ---------------------------------------------------------------
def cost(steps: int = 48, train_steps: int = 6) -> dict:
    """Seconds per batch of the sampler with the old mix and the whole-frame mix (patch 32, batch 8,
    scales 1-4), and of a training step of the 24-feature bf16 network, in this process."""
    from .loop import Trainer
    clips = training_clips()
    res = {}
    for name, cfg in (("old mix (compressed24_widened)", "compressed24_widened.json"),
                      ("whole-frame mix (compressed24_wholeframe)", "compressed24_wholeframe.json")):
        sampler = BatchSampler(clips, ScaleRange(1.0, 4.0), 32, 8, 7, 2, Degradation(**config_degradation(cfg)))
        gen = torch.Generator().manual_seed(0)
        t = time.perf_counter()
        sampler.draw(0, gen)
        first = time.perf_counter() - t
        times = []
        for step in range(1, steps + 1):
            t = time.perf_counter()
            sampler.draw(step, gen)
            times.append(time.perf_counter() - t)
        res[name] = {"first_batch_s": round(first, 2), "s_per_batch": round(float(np.mean(times)), 3),
                     "max_s": round(float(np.max(times)), 3)}
        if sampler.reservoir is not None:
            r = sampler.reservoir
            res[name]["reservoir"] = r.describe()
            res[name]["entries_per_step"] = round((r.built - r.deg.groups * r.deg.group_size) / steps, 2)
        print(name, res[name], flush=True)
    config = json.loads((CONFIGS / "compressed24_wholeframe.json").read_text())
    config.update(degradation=None, init=None, data=[], val_data=[])
    trainer = Trainer(TrainConfig.from_dict(config), clips, device="cpu")
    trainer.train_step()                                   # warm-up
    clean, step = [], []
    for _ in range(train_steps):
        t = time.perf_counter()
        trainer.sampler.draw(trainer.step, torch.Generator().manual_seed(trainer.step))
        clean.append(time.perf_counter() - t)
        t = time.perf_counter()
        trainer.train_step()
        step.append(time.perf_counter() - t)
    model_s = float(np.mean(step) - np.mean(clean))
    res["train step, clean LR (24 features, bf16, batch 8, patch 32)"] = {
        "s_per_step": round(float(np.mean(step)), 3), "of_which_data_s": round(float(np.mean(clean)), 3),
        "model_s": round(model_s, 3)}
    for name in list(res)[:2]:
        d = res[name]["s_per_batch"]
        res[name]["share_of_step"] = round(d / (model_s + d), 3)
        res[name]["share_of_1.35s_step"] = round(d / 1.35, 3)
    return res


# ---- 2. one setting, three contexts ----------------------------------------------------------
CONTEXT_SETTINGS = [CodecSpec("h264", 23.0), CodecSpec("h264", 28.0), CodecSpec("h264", 33.0),
                    CodecSpec("h265", 28.0), CodecSpec("h265", 33.0)]


def context(samples: int = 40, seed: int = 0) -> dict:
    """The same LR pixels and codec setting encoded as the whole LR frame (what a real file is), as
    the 64x64 region alone (the old sampler) and as a 256x256 region (the reservoir); statistics of
    the same 64x64 patch in each."""
    score_fn, det = _detector()
    clips = [c for c in training_clips() if c.frames.shape[0] >= 9 and min(c.size) >= 480]
    rng = np.random.default_rng(seed)
    rows = {"whole frame": [], "64x64 alone (old)": [], "256x256 region (reservoir)": []}
    gaps = {k: {"score": [], "psnr": []} for k in list(rows)[1:]}
    for i in range(samples):
        clip = clips[rng.integers(len(clips))]
        t0 = int(rng.integers(clip.frames.shape[0] - 8))
        scale = float(rng.uniform(1.5, 3.0))
        lr = lr_of(clip, list(range(t0, t0 + 9)), scale)
        spec = CodecSpec(**{**CONTEXT_SETTINGS[i % len(CONTEXT_SETTINGS)].__dict__,
                            "preset": PRESETS[int(rng.integers(len(PRESETS)))]})
        h, w = lr.shape[1:3]
        big_y, big_x = 16 * int(rng.integers((h - min(h, 256)) // 16 + 1)), 16 * int(rng.integers((w - 256) // 16 + 1))
        big_h = min(h, 256)
        y = big_y + 16 * int(rng.integers((big_h - 64) // 16 + 1))
        x = big_x + 16 * int(rng.integers((256 - 64) // 16 + 1))
        win = (slice(None), slice(y, y + 64), slice(x, x + 64))
        clean = lr[win]
        whole = degrade_frames(lr, spec)[win]
        alone = degrade_frames(np.ascontiguousarray(clean), spec)
        region = degrade_frames(np.ascontiguousarray(lr[:, big_y:big_y + big_h, big_x:big_x + 256]), spec)
        region = region[:, y - big_y:y - big_y + 64, x - big_x:x - big_x + 64]
        got = {}
        for key, frames in zip(rows, (whole, alone, region)):
            got[key] = stats(np.ascontiguousarray(frames[1:]), lambda f: score_fn(f, det), clean[1:])
            got[key]["setting"] = f"{spec}:{spec.preset}"
            rows[key].append(got[key])
        for key in gaps:
            for stat in ("score", "psnr"):
                gaps[key][stat].append(abs(got[key][stat] - got["whole frame"][stat]))
        print(i, spec, {k: (v["score"], v["psnr"]) for k, v in got.items()}, flush=True)
    res = {key: summarise(v) for key, v in rows.items()}
    for key, g in gaps.items():
        res[key]["mean_abs_gap_to_whole_frame"] = {s: round(float(np.mean(v)), 3) for s, v in g.items()}
    return res


# ---- 3. mixes against real files -------------------------------------------------------------
# what real low-resolution files are: a phone's H.264/H.265 at its own bitrate (one pass, capped),
# a web site's H.264 (two passes) or VP9 at lower bitrates; whole frames, one long GOP
REAL_SETTINGS = [
    ("phone h264", dict(codec="h264", crf=0.0, preset="veryfast", rate="vbv", peak=1.2), (0.15, 0.35)),
    ("phone h265", dict(codec="h265", crf=0.0, preset="fast", rate="vbv", peak=1.2), (0.08, 0.2)),
    ("phone h264 full range", dict(codec="h264", crf=0.0, preset="veryfast", rate="vbv", peak=1.2,
                                   full_range=True), (0.15, 0.35)),
    ("web h264", dict(codec="h264", crf=0.0, preset="medium", rate="2pass"), (0.05, 0.12)),
    ("web vp9", dict(codec="vp9", crf=0.0, preset="fast", rate="vbv", peak=1.5), (0.03, 0.08)),
]


def real_files(samples: int, rng: np.random.Generator, score_fn) -> list[dict]:
    """Whole-frame encodes of training clips as phones and web sites make them (24 frames, statistics
    of frames 8-15, mid-GOP), and the bundled sample (a real H.264 file) in windows of 8 frames."""
    rows = []
    clips = [c for c in training_clips() if c.frames.shape[0] >= 24]
    for i in range(samples):
        name, kw, (lo, hi) = REAL_SETTINGS[i % len(REAL_SETTINGS)]
        clip = clips[rng.integers(len(clips))]
        t0 = int(rng.integers(clip.frames.shape[0] - 23))
        scale = float(rng.uniform(1.0, 3.0))
        lr = lr_of(clip, list(range(t0, t0 + 24)), scale)
        spec = CodecSpec(**kw, bpp=float(lo * (hi / lo) ** rng.uniform()))
        if name.startswith("phone") and rng.uniform() < 0.3:             # sensor noise before the encode
            lr = np.clip(lr + rng.normal(0, rng.uniform(0, 2), lr.shape), 0, 255).round().astype(np.uint8)
        out = run_chain(lr, Chain([spec]))
        rows.append({**stats(out[8:16], score_fn, lr[8:16]), "what": f"{name} {spec.bpp:.2f} bpp x{scale:.2f}"})
    if SAMPLE.is_file():
        from ..video import iter_frames, probe
        frames = np.stack([(f.rgb * 255.0).round().astype(np.uint8) for f in iter_frames(probe(SAMPLE), 0, None)])
        frames = frames[:, :frames.shape[1] // 16 * 16, :frames.shape[2] // 16 * 16]
        for t0 in range(0, len(frames) - 7, 8):
            rows.append({**stats(np.ascontiguousarray(frames[t0:t0 + 8]), score_fn), "what": SAMPLE.name})
    return rows


def old_mix(samples: int, seed: int, score_fn) -> list[dict]:
    """The encoded 2p x 2p LR regions of the per-sample path (compressed24_widened), clean ones skipped."""
    clips = training_clips()
    deg = Degradation(**config_degradation("compressed24_widened.json"))
    sampler = BatchSampler(clips, ScaleRange(1.0, 4.0), 32, 8, 7, 2, deg)
    gen = torch.Generator().manual_seed(seed)
    rows = []
    while len(rows) < samples:
        s_h, s_w = sampler.scales.draw(0, gen)
        gt_size = (round(32 * s_h), round(32 * s_w))
        region = sampler.sample((2 * gt_size[0], 2 * gt_size[1]), gen)
        lr = downsample(region, (gt_size[0] / 32, gt_size[1] / 32)).clamp(0, 1)
        out = deg.apply(lr, gen)
        if out is lr:
            continue
        frames = (out * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        clean = (lr * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        rows.append(stats(np.ascontiguousarray(frames[1:]), score_fn, clean[1:]))
    return rows


def new_mix(samples: int, seed: int, score_fn) -> list[dict]:
    """Reservoir entries of the whole-frame mix (compressed24_wholeframe), frames 1-8 of each."""
    clips = training_clips()
    deg = Degradation(**config_degradation("compressed24_wholeframe.json"))
    sampler = BatchSampler(clips, ScaleRange(1.0, 4.0), 32, 8, 7, 2, deg)
    res = sampler.reservoir
    res.base = seed
    rows = []
    for i in range(samples):
        k, j = i % deg.groups, i // deg.groups
        cell = res.cell(k, j // deg.group_size)
        e = res.build(k, j // deg.group_size, j % deg.group_size, cell)
        frames = e.lr.permute(0, 2, 3, 1).numpy()
        h, w = (n * c // sampler.patch for n, c in zip(e.lr.shape[-2:], cell))      # the GT region
        gt = clips[e.clip].frames[e.frames, :, e.y:e.y + h, e.x:e.x + w].float() / 255.0
        clean = downsample(gt, (cell[0] / sampler.patch, cell[1] / sampler.patch)).clamp(0, 1)
        clean = (clean * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        rows.append({**stats(np.ascontiguousarray(frames[1:]), score_fn, clean[1:]), "what": e.chain})
    return rows


def mixes(samples: int = 60, seed: int = 0) -> dict:
    score_fn, det = _detector()

    def score(frames):
        return score_fn(frames, det)

    rng = np.random.default_rng(seed)
    real = real_files(samples, rng, score)
    print("real", summarise(real), flush=True)
    old = old_mix(samples, seed, score)
    print("old", summarise(old, real), flush=True)
    new = new_mix(samples, seed, score)
    print("new", summarise(new, real), flush=True)
    return {"real files": summarise(real), "old mix": summarise(old, real), "whole-frame mix": summarise(new, real),
            "rows": {"real": real, "old": old, "new": new}}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["cost", "context", "mixes"])
    p.add_argument("--samples", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    if args.what == "cost":
        res = cost(args.samples or 48)
    elif args.what == "context":
        res = context(args.samples or 40, args.seed)
    else:
        res = mixes(args.samples or 60, args.seed)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.what}.json").write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps({k: v for k, v in res.items() if k != "rows"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
