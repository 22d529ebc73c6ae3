"""The benchmark protocol on a folder of frames (see ``docs`` / ``engine.evaluation.metrics``).

Ground truth is cropped to the scale's step, degraded with antialiased bicubic downsampling,
super-resolved with 7-frame reflection windows, and scored with Y-channel PSNR/SSIM against
the bicubic baseline: per frame, the mean per clip, then the mean over clips.

With a codec (``degrade``, e.g. ``h264:28``) the LR clip is encoded and decoded as one video
before anything sees it, as a camera or website would have done, and two more figures come out:
*temporal PSNR* (the Y-PSNR of consecutive-frame differences of the output against those of the
ground truth: flicker shows there, not in per-frame PSNR) and, when a ``baseline`` upscaler is
given, the figure of the first thing an engineer would try: FFmpeg's ``deblock`` filter on the
decoded LR, then that upscaler (the clean model).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import torch

from ..errors import SavsrError
from ..render.frame_windows import window_indices
from ..train.degrade import CodecSpec, deblock_clip, degrade_clip
from .metrics import bicubic_upsample, crop_to_step, downsample, psnr_y, ssim_y, to_y

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


@dataclass
class ScaleResult:
    scale_w: float
    scale_h: float
    model_psnr: float = 0.0
    model_ssim: float = 0.0
    bicubic_psnr: float = 0.0
    bicubic_ssim: float = 0.0
    per_clip: dict = field(default_factory=dict)
    degrade: str = "none"
    model_tpsnr: float | None = None
    bicubic_tpsnr: float | None = None
    baseline_psnr: float | None = None   # deblock filter on the LR, then the baseline upscaler


def find_clips(folder) -> list[Path]:
    """Folders holding frames: ``folder`` itself, or every folder below it that has images."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SavsrError(f"frames folder not found: {folder}")
    clips = sorted({p.parent for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES})
    if not clips:
        raise SavsrError(f"no image frames (.png/.jpg) found in {folder}")
    return clips


def read_image(path: Path) -> np.ndarray:
    try:
        with av.open(str(path)) as c:
            return next(c.decode(video=0)).to_ndarray(format="rgb24")
    except (av.error.FFmpegError, StopIteration):
        raise SavsrError(f"cannot read image {path}") from None


def load_clip(folder: Path, max_frames: int | None = None, crop: tuple[int, int] | None = None) -> torch.Tensor:
    """``(t, 3, H, W)`` uint8 frames of one clip, in name order; optionally centre-cropped to ``crop=(W, H)``."""
    names = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:max_frames or None]
    frames = []
    for p in names:
        img = read_image(p)
        if crop:
            cw, ch = min(crop[0], img.shape[1]), min(crop[1], img.shape[0])
            y, x = (img.shape[0] - ch) // 2, (img.shape[1] - cw) // 2
            img = img[y:y + ch, x:x + cw]
        frames.append(torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1))
    if len({tuple(f.shape) for f in frames}) > 1:
        raise SavsrError(f"frames in {folder} have different sizes")
    return torch.stack(frames)


def temporal_psnr(frames: list[torch.Tensor], gt: torch.Tensor) -> float | None:
    """Y-PSNR of consecutive-frame differences of ``frames`` against those of ``gt`` (8-bit scale)."""
    if len(frames) < 2:
        return None
    y = torch.stack([to_y(f.double()) for f in frames])
    y_gt = torch.stack([to_y(g.double()) for g in gt])
    mse = ((y[1:] - y[:-1]) - (y_gt[1:] - y_gt[:-1])).pow(2).mean().item()
    return float("inf") if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def evaluate_clip(upscale: Callable, gt8: torch.Tensor, scale: tuple[float, float], step=None,
                  degrade: CodecSpec | None = None, baseline: Callable | None = None) -> dict:
    """Mean model and bicubic PSNR/SSIM over the frames of one clip; ``scale=(s_h, s_w)``.

    ``upscale(window (1, 7, 3, h, w), scale, out_hw) -> (3, H, W)``; ``baseline`` likewise, run on
    the deblocked LR (only with ``degrade``).
    """
    gt = crop_to_step(gt8.float() / 255, scale)
    clean_lr = downsample(gt, scale)
    lr = degrade_clip(clean_lr, degrade)
    base_lr = deblock_clip(lr) if degrade is not None and baseline else None  # the same decoded clip
    n, H, W = gt.shape[0], gt.shape[-2], gt.shape[-1]
    sums = np.zeros(5)
    outputs, bicubics = [], []
    for i in range(n):
        window = lr[window_indices(i, n)].unsqueeze(0)
        sr = upscale(window, scale, (H, W)).cpu().clamp(0, 1)
        bic = bicubic_upsample(lr[i:i + 1], (H, W))[0]
        sums[:4] += [psnr_y(sr, gt[i]), ssim_y(sr, gt[i]), psnr_y(bic, gt[i]), ssim_y(bic, gt[i])]
        if base_lr is not None:
            sums[4] += psnr_y(baseline(base_lr[window_indices(i, n)].unsqueeze(0), scale, (H, W)).cpu().clamp(0, 1),
                              gt[i])
        if degrade is not None:
            outputs.append(sr)
            bicubics.append(bic)
        if step:
            step()
    m = sums / n
    out = dict(frames=n, model_psnr=m[0], model_ssim=m[1], bicubic_psnr=m[2], bicubic_ssim=m[3])
    if degrade is not None:
        out.update(model_tpsnr=temporal_psnr(outputs, gt), bicubic_tpsnr=temporal_psnr(bicubics, gt))
        if base_lr is not None:
            out["baseline_psnr"] = m[4]
    return out


def evaluate(clips: dict[str, torch.Tensor], scales, upscale: Callable, step=None,
             degrade: CodecSpec | None = None, baseline: Callable | None = None) -> list[ScaleResult]:
    """Every clip at every ``(s_w, s_h)``; clip means, then the mean over clips."""
    results = []
    for s_w, s_h in scales:
        r = ScaleResult(s_w, s_h, degrade=str(degrade) if degrade else "none")
        for name, gt in clips.items():
            r.per_clip[name] = evaluate_clip(upscale, gt, (s_h, s_w), step, degrade, baseline)
        for key in ("model_psnr", "model_ssim", "bicubic_psnr", "bicubic_ssim", "model_tpsnr", "bicubic_tpsnr",
                    "baseline_psnr"):
            values = [c[key] for c in r.per_clip.values() if c.get(key) is not None]
            if values:
                setattr(r, key, float(np.mean(values)))
        results.append(r)
    return results
