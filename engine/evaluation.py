"""The benchmark protocol on a folder of frames (see ``docs`` / ``engine.metrics``).

Ground truth is cropped to the scale's step, degraded with antialiased bicubic downsampling,
super-resolved with 7-frame reflection windows, and scored with Y-channel PSNR/SSIM against
the bicubic baseline: per frame, the mean per clip, then the mean over clips.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import av
import numpy as np
import torch

from .errors import SavsrError
from .frame_windows import window_indices
from .metrics import bicubic_upsample, crop_to_step, downsample, psnr_y, ssim_y

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


def evaluate_clip(upscale: Callable, gt8: torch.Tensor, scale: tuple[float, float], step=None) -> dict:
    """Mean model and bicubic PSNR/SSIM over the frames of one clip; ``scale=(s_h, s_w)``.

    ``upscale(window (1, 7, 3, h, w), scale, out_hw) -> (3, H, W)``.
    """
    gt = crop_to_step(gt8.float() / 255, scale)
    lr = downsample(gt, scale)
    n, H, W = gt.shape[0], gt.shape[-2], gt.shape[-1]
    sums = np.zeros(4)
    for i in range(n):
        window = lr[window_indices(i, n)].unsqueeze(0)
        sr = upscale(window, scale, (H, W)).cpu().clamp(0, 1)
        bic = bicubic_upsample(lr[i:i + 1], (H, W))[0]
        sums += [psnr_y(sr, gt[i]), ssim_y(sr, gt[i]), psnr_y(bic, gt[i]), ssim_y(bic, gt[i])]
        if step:
            step()
    m = sums / n
    return dict(frames=n, model_psnr=m[0], model_ssim=m[1], bicubic_psnr=m[2], bicubic_ssim=m[3])


def evaluate(clips: dict[str, torch.Tensor], scales, upscale: Callable, step=None) -> list[ScaleResult]:
    """Every clip at every ``(s_w, s_h)``; clip means, then the mean over clips."""
    results = []
    for s_w, s_h in scales:
        r = ScaleResult(s_w, s_h)
        for name, gt in clips.items():
            r.per_clip[name] = evaluate_clip(upscale, gt, (s_h, s_w), step)
        for key in ("model_psnr", "model_ssim", "bicubic_psnr", "bicubic_ssim"):
            setattr(r, key, float(np.mean([c[key] for c in r.per_clip.values()])))
        results.append(r)
    return results
