"""A compressed clip whose originals we have, and a fine-tune's result measured against them.

:func:`crf28_clip` halves real frames of the bundled sample (area average) and encodes them with
libx264 at CRF 28, as a phone or web upload would be; the full-size frames are the originals.
:func:`against_originals` upscales the clip's held-out end x2 with a model, as ``savsr upscale``
would, and scores it by Y-PSNR against those originals: the ground truth a fine-tune's verdict must
agree with.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import torch


def crf28_clip(path: Path, count: int = 10, size=(320, 180)) -> tuple[Path, torch.Tensor]:
    """``(clip, originals)``: ``count`` real frames of ``size`` (the originals, float ``(n, 3, h, w)``)
    halved and encoded at CRF 28 into ``path``."""
    import av

    from helpers.clipmaker import footage
    frames = footage(*size, count)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"crf": "28", "preset": "medium"})
        stream.width, stream.height, stream.pix_fmt = size[0] // 2, size[1] // 2, "yuv420p"
        for k, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                width=size[0] // 2, height=size[1] // 2, format="yuv420p", interpolation="AREA")
            frame.pts, frame.time_base = k, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path, torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float() / 255.0


@torch.no_grad()
def against_originals(model_path, clip: Path, originals: torch.Tensor, holdout: float) -> float:
    """Mean Y-PSNR (dB) of the held-out end of ``clip`` upscaled x2 by the model at ``model_path``."""
    from engine import load_model
    from engine.evaluation.metrics import psnr_y
    from engine.render.frame_windows import window_indices
    from engine.train import load_clip
    model = load_model(model_path)
    decoded = load_clip(clip)
    _, held = decoded.split(holdout)
    lr = held.frames.float() / 255.0
    gt = originals[-lr.shape[0]:]
    scores = []
    for i in range(lr.shape[0]):
        window = lr[window_indices(i, lr.shape[0], model.num_frame)].unsqueeze(0)
        sr = model(window, (2.0, 2.0)).clamp(0, 1)
        scores.append(psnr_y(sr, gt[i:i + 1]))
    return float(np.mean(scores))
