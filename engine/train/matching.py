"""Fine-tuning on compressed footage learns that footage's artifacts.

The LR a fine-tune trains on is the user's frames downscaled; for a camera, phone or web file it
is then encoded again with the clip's own codec at the clip's own bits per pixel (the CRF that
spends them is found on the downscaled frames), so the model sees what that camera or site does.
The held-out before/after report uses the same codec. Frame folders, lossless and intermediate
files are trained clean unless their pictures show compression artifacts (then H.264 at CRF
24-32, the range of ordinary delivery files).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..evaluation.metrics import downsample
from .data import video_files
from .degrade import ENCODERS, CodecSpec, crf_for_bits

CODEC_OF = {"h264": "h264", "hevc": "h265", "h265": "h265"}
PIX_FMTS = {"yuv420p", "yuv420p10le", "yuv422p", "yuv422p10le", "yuv444p"}


@dataclass
class Matched:
    degradation: dict | None   # engine.train.degrade.Degradation settings; None: clean LR
    validation: str            # the codec the held-out frames go through ("none", "h264:28")
    note: str                  # what was matched, for the user


def _frames(info, count: int = 8) -> np.ndarray:
    from ..video import read_frames
    start = max(0, info.frame_count // 2 - count // 2)
    frames = read_frames(info, range(start, min(info.frame_count, start + count)))
    return np.stack([(f * 255.0).round().clip(0, 255).astype(np.uint8) for f in frames])


def _downscaled(frames: np.ndarray, scale: float) -> np.ndarray:
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255.0
    lr = downsample(x, (scale, scale)).clamp(0, 1)
    lr = (lr * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    h, w = lr.shape[1] // 2 * 2, lr.shape[2] // 2 * 2
    return np.ascontiguousarray(lr[:, :h, :w])


def match_footage(footage, scale: float = 2.0, setting: str = "match") -> Matched:
    """The degradation a fine-tune on ``footage`` trains with: ``setting`` is ``match`` (from the
    first video file), ``none``, or a codec such as ``h264:28``."""
    if setting != "match":
        spec = CodecSpec.parse(setting)
        if spec is None:
            return Matched(None, "none", "trained on clean downscaled frames (--degrade none)")
        deg = {"clean": 0.1, "codecs": [spec.codec], "codec_weights": [1.0], "crf": [spec.crf, spec.crf],
               "presets": ["medium"], "noise": 0.0}
        return Matched(deg, str(spec), f"LR made with {spec}")
    video = next(iter(video_files(footage)), None)
    if video is None:
        return Matched(None, "none", "frame folders: trained on clean downscaled frames")
    from ..models.choice import DELIVERY_CODECS, bits_per_pixel
    from ..video import probe
    info = probe(video)
    codec = (info.codec or "").lower()
    frames = _frames(info)
    if codec not in DELIVERY_CODECS:
        from ..models.artifacts import compression_score, detector_path
        score = compression_score(frames) if detector_path() else 0.0
        if score < 0.5:
            return Matched(None, "none", f"{video.name} ({codec}) shows no compression artifacts: clean LR")
        deg = {"clean": 0.1, "codecs": ["h264"], "codec_weights": [1.0], "crf": [24, 32], "presets": ["medium"],
               "noise": 0.0}
        return Matched(deg, "h264:28", f"{video.name} ({codec}) shows compression artifacts ({score:.2f}): "
                                       "LR made with H.264 at CRF 24-32")
    ours = CODEC_OF.get(codec, "h264")
    pix_fmt = info.pix_fmt if info.pix_fmt in PIX_FMTS and ours in ENCODERS else "yuv420p"
    bpp = bits_per_pixel(info)
    lr = _downscaled(frames, scale)
    if bpp is None:
        crf = 28
    else:
        try:
            crf = crf_for_bits(lr, ours, bpp, pix_fmt)
        except Exception:  # an encoder that refuses the pixel format: the common 4:2:0
            pix_fmt = "yuv420p"
            crf = crf_for_bits(lr, ours, bpp, pix_fmt)
    deg = {"clean": 0.1, "codecs": [ours], "codec_weights": [1.0], "crf": [max(0, crf - 2), min(51, crf + 2)],
           "presets": ["medium"], "noise": 0.0, "pix_fmt": pix_fmt}
    rate = f" at {bpp:.2f} bits per pixel" if bpp is not None else ""
    return Matched(deg, f"{ours}:{crf}", f"LR re-encoded like {video.name}: {codec}{rate} ~ CRF {crf} ({pix_fmt})")
