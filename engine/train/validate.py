"""Validation on held-out frames with the benchmark protocol: Y-PSNR of the model and of bicubic.

For each clip, a few evenly spaced centre frames are used (``frames``; ``None`` means all); the GT
may be centre-cropped (``crop``, 0 for whole frames) to keep validation quick during training. The
GT is cropped so the LR size is exact (:func:`engine.evaluation.metrics.crop_to_step`), the 7-frame reflection
window is downsampled with
:func:`engine.evaluation.metrics.downsample`, the model's output is fitted to the GT size as the renderer and
``savsr eval`` do, and both outputs are scored on the 8-bit BT.601 Y channel.
Figures are the mean over frames of a clip, then over clips.
"""
from __future__ import annotations

import torch

from ..backends import Accelerated, default_backend
from ..evaluation.metrics import bicubic_upsample, crop_to_step, downsample, psnr_y
from ..render.frame_windows import window_indices
from ..render.tiling import upscale_tiled
from .data import Clip
from .degrade import CodecSpec, degrade_clip


def frame_picks(n: int, frames: int | None) -> list[int]:
    """``frames`` evenly spaced indices of an ``n``-frame clip (all of them for ``None``)."""
    if frames is None or frames >= n:
        return list(range(n))
    return sorted({round((k + 0.5) * n / frames - 0.5) for k in range(frames)})


def _centre_crop(x: torch.Tensor, crop: int) -> torch.Tensor:
    if not crop:
        return x
    H, W = x.shape[-2:]
    ch, cw = min(H, crop), min(W, crop)
    y, x0 = (H - ch) // 2, (W - cw) // 2
    return x[..., y:y + ch, x0:x0 + cw]


@torch.no_grad()
def validate(model, clips: list[Clip], scales, frames: int | None = 2, crop: int = 0,
             device="cpu", cancel=None, degrade: CodecSpec | None = None, backend: str | None = None) -> list[dict]:
    """``[{'scale': [s_h, s_w], 'psnr': model dB, 'bicubic': dB, 'gain': dB, 'frames': n}, ...]``.

    ``degrade``: the LR window goes through that codec (as 8-bit frames) before model and bicubic
    see it; the results then carry ``'degrade': 'h264:28'``. ``backend``: :mod:`engine.backends`
    (default :func:`~engine.backends.default_backend`).
    """
    was_training = model.training
    model.eval()
    net = Accelerated(model, backend or default_backend(), torch.device(device))
    num_frame = model.config.num_frame
    results = []
    try:
        for scale in scales:
            scale = (float(scale[0]), float(scale[1]))
            per_clip_model, per_clip_bic, count = [], [], 0
            for clip in clips:
                n = clip.frames.shape[0]
                pm, pb = [], []
                for i in frame_picks(n, frames):
                    if cancel is not None and cancel.is_set():
                        return results
                    idx = window_indices(i, n, num_frame)
                    gt = crop_to_step(_centre_crop(clip.frames[idx].float() / 255.0, crop), scale)
                    lr = degrade_clip(downsample(gt, scale), degrade)  # clean: not clamped, the protocol's float LR
                    centre = gt[num_frame // 2].unsqueeze(0)
                    # the output is fitted to the GT size (a pixel off where h/s is not whole, e.g. 854 / 2.5)
                    sr = upscale_tiled(net, lr.unsqueeze(0).to(device), scale, centre.shape[-2:], 0).cpu()[None]
                    pm.append(psnr_y(sr, centre))
                    pb.append(psnr_y(bicubic_upsample(lr[num_frame // 2].unsqueeze(0), centre.shape[-2:]), centre))
                per_clip_model.append(sum(pm) / len(pm))
                per_clip_bic.append(sum(pb) / len(pb))
                count += len(pm)
            m = sum(per_clip_model) / len(per_clip_model)
            b = sum(per_clip_bic) / len(per_clip_bic)
            results.append({"scale": list(scale), "psnr": round(m, 4), "bicubic": round(b, 4),
                            "gain": round(m - b, 4), "frames": count,
                            "clips": {c.name: round(v, 4) for c, v in zip(clips, per_clip_model)}})
            if degrade is not None:
                results[-1]["degrade"] = str(degrade)
    finally:
        model.train(was_training)
    return results


def summary(results: list[dict]) -> dict:
    """Mean model / bicubic PSNR and gain over scales, and the smallest per-scale gain."""
    if not results:
        return {}
    k = len(results)
    return {"psnr": round(sum(r["psnr"] for r in results) / k, 4),
            "bicubic": round(sum(r["bicubic"] for r in results) / k, 4),
            "gain": round(sum(r["gain"] for r in results) / k, 4),
            "min_gain": round(min(r["gain"] for r in results), 4)}


def format_table(results: list[dict]) -> str:
    """Markdown table: scale (h x w), model, bicubic, gain; then the mean."""
    lines = ["| scale (h x w) | SAVSR Studio (dB) | bicubic (dB) | gain (dB) |", "| --- | ---: | ---: | ---: |"]
    for r in results:
        s_h, s_w = r["scale"]
        name = f"x{s_h:g}" if s_h == s_w else f"{s_h:g} x {s_w:g}"
        lines.append(f"| {name} | {r['psnr']:.2f} | {r['bicubic']:.2f} | {r['gain']:+.2f} |")
    s = summary(results)
    if s:
        lines.append(f"| **mean** | **{s['psnr']:.2f}** | **{s['bicubic']:.2f}** | **{s['gain']:+.2f}** |")
    return "\n".join(lines)
