"""How compressed do the pictures look? A small learned detector of codec artifacts.

Block edges, ringing and smoothed-away texture are what lossy codecs leave, and they stay in the
pixels when a file is transcoded (phone H.264 made ProRes for editing still carries them), so the
container's codec is only a hint. Hand-made block measures proved weak here: H.264's and H.265's
in-loop filters smooth the block grid away, and the grid signature of clean footage varies as much
as that of compressed footage (docs/models.md has the figures). So the measure is learned: a small
convolutional network reads luma patches that sit on the codec's 16-pixel grid and gives the
probability that a patch went through a lossy codec at ordinary delivery quality. It was trained on
footage degraded by the same codec round trip as the `compressed` model
(``training/scripts/artifact_detector.py``).

``compression_score(frames)`` is the mean probability over patches of a few frames, in [0, 1].
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..video.colour import luma

PATCH = 64          # luma patch side, a multiple of the 16-pixel macroblock grid
DETECTOR_NAME = "artifact_detector.safetensors"


class ArtifactDetector(nn.Module):
    """``(b, 1, 64, 64)`` luma in [0, 1] -> ``(b,)`` logits of "went through a lossy codec"."""

    def __init__(self, width: int = 16):
        super().__init__()
        self.pixels = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU(True),
                                    nn.Conv2d(width, width, 3, padding=1), nn.ReLU(True))
        # one output per 4x4 transform block, then per 8x8: the stride keeps the codec's grid phase
        self.blocks = nn.Sequential(nn.Conv2d(width, 2 * width, 4, stride=4), nn.ReLU(True),
                                    nn.Conv2d(2 * width, 2 * width, 2, stride=2), nn.ReLU(True),
                                    nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.ReLU(True))
        self.head = nn.Linear(4 * width, 1)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        # high-pass input: artifacts live in the residual around a local mean, not in the picture
        x = y - nn.functional.avg_pool2d(y, 3, 1, 1, count_include_pad=False)
        f = self.blocks(self.pixels(x * 16.0))
        pooled = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1)
        return self.head(pooled).squeeze(1)


def grid_patches(y: np.ndarray, limit: int | None = None, rng: np.random.Generator | None = None) -> np.ndarray:
    """Non-overlapping ``PATCH`` squares of ``(t, h, w)`` luma, each starting on the 16-pixel grid;
    ``limit`` of them chosen at random (``rng``) or spread evenly."""
    t, h, w = y.shape
    ys, xs = range(0, h - PATCH + 1, PATCH), range(0, w - PATCH + 1, PATCH)
    coords = [(i, a, b) for i in range(t) for a in ys for b in xs]
    if limit is not None and len(coords) > limit:
        pick = rng.choice(len(coords), limit, replace=False) if rng is not None else \
            np.linspace(0, len(coords) - 1, limit).round().astype(int)
        coords = [coords[k] for k in sorted(pick)]
    if not coords:
        return np.zeros((0, PATCH, PATCH), np.float32)
    return np.stack([y[i, a:a + PATCH, b:b + PATCH] for i, a, b in coords])


def detector_path() -> Path | None:
    from ..resources import resources_dir
    path = resources_dir() / "models" / DETECTOR_NAME
    return path if path.is_file() else None


_cache: dict[str, ArtifactDetector] = {}


def load_detector(path: str | Path | None = None) -> ArtifactDetector:
    from safetensors.torch import load_file
    path = Path(path) if path else detector_path()
    if path is None:
        raise FileNotFoundError("the artifact detector is not installed (resources/models/" + DETECTOR_NAME + ")")
    key = str(path)
    if key not in _cache:
        weights = load_file(str(path))
        net = ArtifactDetector(width=weights["pixels.0.weight"].shape[0])
        net.load_state_dict(weights)
        _cache[key] = net.eval()
    return _cache[key]


@torch.no_grad()
def compression_score(frames: np.ndarray, detector: ArtifactDetector | None = None, max_patches: int = 256) -> float:
    """Mean probability, over grid-aligned patches of ``(t, h, w, 3)`` uint8 RGB frames, that the
    pictures went through a lossy codec. Frames smaller than one patch are padded by reflection."""
    detector = detector or load_detector()
    y = luma(frames, 255.0)
    t, h, w = y.shape
    if h < PATCH or w < PATCH:
        y = np.pad(y, ((0, 0), (0, max(0, PATCH - h)), (0, max(0, PATCH - w))), mode="reflect")
    patches = grid_patches(y, max_patches)
    probs = torch.sigmoid(detector(torch.from_numpy(patches)[:, None]))
    return float(probs.mean())
