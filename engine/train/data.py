"""Training footage: clips from frame folders and video files, and batches of 7-frame samples.

A *clip* is a ``uint8`` tensor ``(n, 3, H, W)`` held in memory. :func:`find_clips` turns any
mix of paths into clips: a video file is one clip; a folder whose files are images is one clip
(frames in name order); a folder of folders is searched recursively (a Vimeo-90K tree gives one
7-frame clip per septuplet).

:class:`BatchSampler` draws one scale pair per batch (all samples of a batch share it so they
stack without padding), then for each sample a clip, a centre frame, a temporal stride (1 or 2),
a direction, flips and a 90-degree rotation, crops the ground truth and makes the LR input in
float with the benchmark's antialiased bicubic downsampling (:func:`engine.evaluation.metrics.downsample`).
With a degradation whose ``whole_frame`` is set, batches come from a reservoir of large encoded LR
regions instead (:mod:`engine.train.reservoir`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import torch

from ..errors import SavsrError
from ..evaluation.metrics import downsample
from ..render.frame_windows import window_indices
from .degrade import Degradation
from .reservoir import Reservoir

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".y4m"}


def video_files(footage) -> list[Path]:
    """The video files among ``footage`` (paths of clips and frame folders), in order."""
    return [Path(p) for p in footage if Path(p).is_file() and Path(p).suffix.lower() in VIDEO_SUFFIXES]


class DataError(SavsrError, ValueError):
    """Footage that cannot be used for training; the message says why."""


@dataclass
class Clip:
    name: str
    frames: torch.Tensor  # uint8 (n, 3, H, W)

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.frames.shape[-2:])

    def describe(self) -> dict:
        return {"name": self.name, "frames": int(self.frames.shape[0]),
                "height": int(self.frames.shape[2]), "width": int(self.frames.shape[3])}

    def split(self, holdout: float) -> tuple[Clip, Clip]:
        """``(train, held_out)``: the last ``holdout`` fraction of frames (at least one) held out."""
        n = self.frames.shape[0]
        k = min(n - 1, max(1, round(n * holdout)))
        if n < 2:
            raise DataError(f"{self.name}: a clip of one frame cannot be split for validation")
        return Clip(self.name, self.frames[:n - k]), Clip(f"{self.name}[held-out]", self.frames[n - k:])


def _read_image(path: Path) -> np.ndarray:
    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
            return frame.to_ndarray(format="rgb24")
    except (av.error.FFmpegError, StopIteration) as exc:
        raise DataError(f"cannot read image {path.name} ({exc})") from None


def _read_video(path: Path, max_frames: int | None) -> list[np.ndarray]:
    from ..video import InputError, iter_frames, probe
    try:
        info = probe(path)
        stop = None if max_frames is None else min(info.frame_count, max_frames)
        return [(f.rgb * 255.0).round().astype(np.uint8) for f in iter_frames(info, 0, stop)]
    except InputError as exc:
        raise DataError(str(exc)) from None


def _stack(name: str, arrays: list[np.ndarray]) -> Clip:
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise DataError(f"{name}: frames differ in size ({', '.join(str(s) for s in sorted(shapes))})")
    return Clip(name, torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous())


def load_clip(path, max_frames: int | None = None) -> Clip:
    """One clip from a video file or a folder of image frames."""
    path = Path(path)
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise DataError(f"{path} holds no image frames")
        images = images[:max_frames] if max_frames else images
        return _stack(path.name, [_read_image(p) for p in images])
    if not path.is_file():
        raise DataError(f"footage not found: {path}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        raise DataError(f"{path.name} is a single image; training needs video clips or frame folders")
    return _stack(path.name, _read_video(path, max_frames))


def find_clip_paths(paths, exclude=()) -> list[Path]:
    """Video files and frame folders under ``paths`` (recursively), skipping names in ``exclude``."""
    exclude = set(exclude)
    found: list[Path] = []

    def visit(p: Path):
        if p.name in exclude:
            return
        if p.is_file():
            if p.suffix.lower() in VIDEO_SUFFIXES:
                found.append(p)
            return
        if not p.is_dir():
            return
        children = sorted(p.iterdir())
        if any(c.suffix.lower() in IMAGE_SUFFIXES for c in children if c.is_file()):
            found.append(p)
        for c in children:
            if c.is_dir() or c.suffix.lower() in VIDEO_SUFFIXES:
                visit(c)

    for p in map(Path, paths):
        if not p.exists():
            raise DataError(f"footage not found: {p}")
        if p.is_file() and p.suffix.lower() not in VIDEO_SUFFIXES:
            raise DataError(f"{p.name} is not a video file (expected one of {', '.join(sorted(VIDEO_SUFFIXES))})")
        visit(p)
    return found


def clip_name(path: Path, root: Path | None = None) -> str:
    if root is not None and root in path.parents:
        return str(path.relative_to(root))
    return path.name


def find_clips(paths, exclude=(), max_frames: int | None = None) -> list[Clip]:
    """Load every clip under ``paths``; raises :class:`DataError` if there is none."""
    clips = []
    for p in find_clip_paths(paths, exclude):
        root = next((Path(r) for r in paths if Path(r) in p.parents), None)
        clip = load_clip(p, max_frames)
        clip.name = clip_name(p, root.parent if root is not None else None)
        clips.append(clip)
    if not clips:
        left_out = f" (left out by name: {', '.join(sorted(exclude))})" if exclude else ""
        raise DataError("no video files or frame folders found in " + ", ".join(map(str, paths)) + left_out)
    return clips


@dataclass
class ScaleRange:
    """Scale pairs drawn per batch: each axis uniform in ``[low, high]`` independently; during the
    first ``integer_steps`` steps an integer scale in the range, the same on both axes."""

    low: float = 1.0
    high: float = 4.0
    integer_steps: int = 0

    def draw(self, step: int, gen: torch.Generator) -> tuple[float, float]:
        if step < self.integer_steps:
            ints = list(range(math.ceil(self.low), math.floor(self.high) + 1)) or [round(self.low)]
            s = float(ints[int(torch.randint(len(ints), (1,), generator=gen))])
            return s, s
        u = torch.rand(2, generator=gen).tolist()
        return tuple(self.low + (self.high - self.low) * x for x in u)


class BatchSampler:
    """Random training batches ``(lr (b, 7, 3, p, p), gt (b, 3, P_h, P_w), scale)`` from clips.

    ``patch`` is the LR patch side. For a drawn scale ``s`` the GT crop is ``round(patch * s)``
    per axis and the scale handed to the network is the exact ratio ``crop / patch``.
    """

    def __init__(self, clips: list[Clip], scales: ScaleRange, patch: int = 32, batch: int = 8,
                 num_frame: int = 7, max_stride: int = 2, degradation: Degradation | None = None):
        if not clips:
            raise DataError("no training clips")
        self.clips, self.scales, self.degradation = clips, scales, degradation
        self.patch, self.batch, self.num_frame, self.max_stride = patch, batch, num_frame, max_stride
        # degraded samples are encoded as a region of 2x2 patches (one quadrant is trained on) where the
        # frames are large enough, else as the patch alone
        need = math.ceil(patch * scales.high)
        self.region = 2 if degradation and all(min(c.size) >= 2 * need for c in clips) else 1
        small = [c.name for c in clips if min(c.size) < need]
        if small:
            raise DataError(f"frames of {', '.join(small[:3])} are smaller than {need} pixels, the crop needed "
                            f"for patch {patch} at scale {scales.high:g}: use a smaller patch or scale")
        # the whole-frame mix: windows cut from large regions encoded as one clip (engine.train.reservoir)
        self.reservoir = Reservoir(self) if degradation is not None and degradation.whole_frame else None

    def sample_indices(self, n: int, gen: torch.Generator) -> list[int]:
        """Frame indices of one sample: a random centre, stride 1..max_stride, maybe reversed."""
        half = self.num_frame // 2
        strides = [s for s in range(1, self.max_stride + 1) if n >= 2 * half * s + 1] or [1]
        stride = strides[int(torch.randint(len(strides), (1,), generator=gen))]
        span = half * stride
        if n >= 2 * span + 1:
            c = int(torch.randint(span, n - span, (1,), generator=gen))
            idx = [c + (k - half) * stride for k in range(self.num_frame)]
        else:  # shorter than a window: the benchmark's reflection at the clip ends
            idx = window_indices(int(torch.randint(n, (1,), generator=gen)), n, self.num_frame)
        if torch.rand(1, generator=gen).item() < 0.5:
            idx.reverse()
        return idx

    def sample(self, gt_size: tuple[int, int], gen: torch.Generator) -> torch.Tensor:
        """One augmented GT window ``(7, 3, *gt_size)`` in float [0, 1]."""
        clip = self.clips[int(torch.randint(len(self.clips), (1,), generator=gen))]
        idx = self.sample_indices(clip.frames.shape[0], gen)
        flip_h, flip_v, rot = (torch.rand(3, generator=gen) < 0.5).tolist()
        ch, cw = (gt_size[1], gt_size[0]) if rot else gt_size  # rotated crops are cut transposed
        H, W = clip.size
        y = int(torch.randint(H - ch + 1, (1,), generator=gen))
        x = int(torch.randint(W - cw + 1, (1,), generator=gen))
        win = clip.frames[idx, :, y:y + ch, x:x + cw]
        if rot:
            win = win.transpose(-1, -2)
        if flip_h:
            win = win.flip(-1)
        if flip_v:
            win = win.flip(-2)
        return win.float() / 255.0

    def draw(self, step: int, gen: torch.Generator):
        if self.reservoir is not None:
            return self.reservoir.draw(step, gen)
        s_h, s_w = self.scales.draw(step, gen)
        gt_size = (round(self.patch * s_h), round(self.patch * s_w))
        scale = (gt_size[0] / self.patch, gt_size[1] / self.patch)
        if self.degradation is not None:
            lr, gt = zip(*(self.degraded_sample(gt_size, scale, gen) for _ in range(self.batch)))
            return torch.stack(lr), torch.stack(gt), scale
        gt = torch.stack([self.sample(gt_size, gen) for _ in range(self.batch)])
        lr = downsample(gt, scale).clamp(0, 1)
        return lr, gt[:, self.num_frame // 2].contiguous(), scale

    def degraded_sample(self, gt_size: tuple[int, int], scale, gen: torch.Generator):
        """One ``(lr (7, 3, p, p), gt (3, *gt_size))`` pair whose LR went through a drawn codec.

        The codec sees a ``2p x 2p`` LR region (macroblocks and motion search need room) where the
        clips allow it, and one of its quadrants is kept. A quadrant's LR offset ``p`` maps to the GT
        offset ``gt_size`` exactly, since the scale is ``gt_size / p``.
        """
        k = self.region
        region = self.sample((k * gt_size[0], k * gt_size[1]), gen)
        lr = self.degradation.apply(downsample(region, scale).clamp(0, 1), gen)
        qy, qx = torch.randint(k, (2,), generator=gen).tolist()
        p, (gh, gw) = self.patch, gt_size
        lr = lr[:, :, qy * p:(qy + 1) * p, qx * p:(qx + 1) * p]
        gt = region[self.num_frame // 2, :, qy * gh:(qy + 1) * gh, qx * gw:(qx + 1) * gw]
        return lr.contiguous(), gt.contiguous()

    def describe(self) -> dict:
        return {"clips": [c.describe() for c in self.clips], "patch": self.patch, "batch": self.batch,
                "scales": [self.scales.low, self.scales.high], "integer_steps": self.scales.integer_steps,
                "max_stride": self.max_stride,
                "degradation": self.degradation.to_dict() if self.degradation else None}
