"""A reservoir of large encoded LR regions: training windows with the codec context of real footage.

Real footage reaches the network after a codec saw whole frames: the macroblocks of a full picture,
motion search across it, rate control over a scene. The per-sample path of :mod:`engine.train.data`
encodes each 2p x 2p LR region on its own, which no codec ever sees; encoding a whole 854x480 window
per sample would cost many times a training step. The reservoir sits between the two:

* It holds ``groups`` groups of ``group_size`` *entries* (``Degradation`` settings). An entry is one
  clip's ``entry_frames`` consecutive frames (temporal stride 1 or 2) over a GT region of up to
  ``region`` LR pixels per side (the whole frame where it is smaller, or with ``region`` 0),
  downscaled by the group's scale pair exactly as the sampler downscales (``engine.metrics.downsample``
  of a GT region that is a whole number of GT cells), then sent as one clip through one drawn
  :class:`~engine.train.degrade.Chain`, decoded and kept as uint8. The GT stays in the clip.
* A batch takes one group (so every sample shares its scale pair; a batch-wide 90-degree rotation
  may transpose it). Each sample is clean with probability ``clean`` (drawn fresh, as before), else a
  window of one of the group's entries: 7 consecutive frames (maybe played backwards), a p x p LR crop
  at an offset whose GT offset ``offset * G / p`` is a whole number (so GT and LR stay aligned
  exactly), horizontal/vertical flips, and the GT crop of the centre frame at the matching place.
* Group ``k`` is replaced every ``groups * refresh_steps`` steps, at step ``k * refresh_steps`` of
  that period; the entries of its next generation are built one at a time during the
  ``refresh_steps`` steps before, so the cost is spread evenly: ``group_size / refresh_steps``
  encodes per step.

Reproducibility: an entry's contents are a function of the data generator's seed (``initial_seed()``
of the generator handed to ``draw``, which a checkpoint's RNG state restores), of its group, its
generation and its index -- never of when or in which order it was built. The reservoir at step ``s``
is therefore a function of ``(seed, s)``: a resumed run rebuilds the live entries at its first step
(a few seconds) and then draws exactly the batches the uninterrupted run drew.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..evaluation.metrics import downsample
from ..render.frame_windows import window_indices


@dataclass
class Entry:
    clip: int                # index into the sampler's clips
    frames: list             # clip frame indices of the entry's frames, in encode order
    y: int                   # GT region origin in the clip
    x: int
    lr: torch.Tensor         # decoded LR, uint8 (F, 3, L_h, L_w); L = cells * patch per axis
    chain: str               # what the frames went through, for descriptions


@dataclass
class Group:
    generation: int
    cell: tuple              # GT size (G_h, G_w) of one LR patch: the scale pair is G / patch
    entries: list


def _seed(base: int, *keys: int) -> int:
    """A 63-bit seed from the run's seed and non-negative keys (independent streams per key)."""
    words = np.random.SeedSequence([base & 0xFFFFFFFF, (base >> 32) & 0xFFFFFFFF, *keys]).generate_state(2)
    return (int(words[0]) << 31 ^ int(words[1])) & ((1 << 63) - 1)


class Reservoir:
    """Encoded LR regions for a :class:`~engine.train.data.BatchSampler` whose degradation has
    ``whole_frame`` set; ``draw(step, gen)`` replaces the sampler's batches."""

    def __init__(self, sampler):
        self.sampler, self.deg = sampler, sampler.degradation
        self.period = self.deg.groups * self.deg.refresh_steps
        self.base: int | None = None
        self.live: dict[int, Group] = {}
        self.pending: dict[tuple[int, int], dict[int, Entry]] = {}
        self.built, self.build_s = 0, 0.0          # entries encoded so far and the seconds they took

    # ---- schedule ---------------------------------------------------------------------------
    def generation(self, k: int, step: int) -> int:
        """The generation of group ``k`` live at ``step`` (-1 before its first replacement)."""
        return (step - k * self.deg.refresh_steps) // self.period

    def activation(self, k: int, generation: int) -> int:
        return k * self.deg.refresh_steps + generation * self.period

    def due(self, k: int, generation: int, j: int) -> int:
        """The step at which entry ``j`` of that generation is built ahead of its activation."""
        r, n = self.deg.refresh_steps, self.deg.group_size
        return self.activation(k, generation) - r + (j * r) // n

    def cell(self, k: int, generation: int) -> tuple[int, int]:
        gen = torch.Generator().manual_seed(_seed(self.base, k, generation + 1, 0))
        s_h, s_w = self.sampler.scales.draw(max(0, self.activation(k, generation)), gen)
        p = self.sampler.patch
        return round(p * s_h), round(p * s_w)

    def ensure(self, step: int, base: int):
        """Make the live groups those of ``step`` and build the entries due by then."""
        if base != self.base:
            self.base, self.live, self.pending = base, {}, {}
        n = self.deg.group_size
        for k in range(self.deg.groups):
            g = self.generation(k, step)
            if k in self.live and self.live[k].generation == g:
                continue
            cell = self.cell(k, g)
            ready = self.pending.pop((k, g), {})
            entries = [ready[j] if j in ready else self.build(k, g, j, cell) for j in range(n)]
            self.live[k] = Group(g, cell, entries)
        for key in [key for key in self.pending if key[1] <= self.live[key[0]].generation]:
            del self.pending[key]                     # a jump (resume) passed them by
        for k in range(self.deg.groups):
            g = self.live[k].generation + 1
            for j in range(n):
                if self.due(k, g, j) <= step and j not in self.pending.get((k, g), {}):
                    self.pending.setdefault((k, g), {})[j] = self.build(k, g, j, self.cell(k, g))

    # ---- entries ----------------------------------------------------------------------------
    def build(self, k: int, generation: int, j: int, cell: tuple[int, int]) -> Entry:
        """Entry ``j`` of group ``k``'s ``generation``: a function of the seed and these keys only."""
        t = time.perf_counter()
        s, deg = self.sampler, self.deg
        gen = torch.Generator().manual_seed(_seed(self.base, k, generation + 1, j + 1))
        ci = int(torch.randint(len(s.clips), (1,), generator=gen))
        frames = s.clips[ci].frames
        n, _, H, W = frames.shape
        count = max(s.num_frame, min(deg.entry_frames, n))
        if n >= count:
            strides = [st for st in range(1, s.max_stride + 1) if (count - 1) * st < n]
            stride = strides[int(torch.randint(len(strides), (1,), generator=gen))]
            t0 = int(torch.randint(n - (count - 1) * stride, (1,), generator=gen))
            idx = [t0 + i * stride for i in range(count)]
        else:        # shorter than a window: the benchmark's reflection at the clip ends, as the sampler
            idx = window_indices(int(torch.randint(n, (1,), generator=gen)), n, s.num_frame)
        gh, gw = cell
        cap = deg.region // s.patch if deg.region else max(H, W)
        mh, mw = max(1, min(H // gh, cap)), max(1, min(W // gw, cap))
        y = int(torch.randint(H - mh * gh + 1, (1,), generator=gen))
        x = int(torch.randint(W - mw * gw + 1, (1,), generator=gen))
        region = frames[idx, :, y:y + mh * gh, x:x + mw * gw].float() / 255.0
        lr = downsample(region, (gh / s.patch, gw / s.patch)).clamp(0, 1)
        if lr.shape[-2:] != (mh * s.patch, mw * s.patch):
            raise AssertionError(f"downscaled region {tuple(lr.shape[-2:])} is not {mh}x{mw} patches")
        chain = deg.draw_chain(gen)
        out = deg.degrade_chain(lr, chain, gen)
        self.built += 1
        self.build_s += time.perf_counter() - t
        return Entry(ci, idx, y, x, torch.from_numpy(out).permute(0, 3, 1, 2).contiguous(), str(chain))

    # ---- batches ----------------------------------------------------------------------------
    def window(self, group: Group, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """One ``(lr (7, 3, p, p), gt (3, G_h, G_w))`` pair cut from an entry of ``group``."""
        s, (gh, gw) = self.sampler, group.cell
        p, t = s.patch, s.num_frame
        e = group.entries[int(torch.randint(len(group.entries), (1,), generator=gen))]
        count, _, lh, lw = e.lr.shape
        t0 = int(torch.randint(count - t + 1, (1,), generator=gen))
        order = list(range(t0, t0 + t))
        if torch.rand(1, generator=gen).item() < 0.5:
            order.reverse()
        qh, qw = p // math.gcd(p, gh), p // math.gcd(p, gw)    # LR offsets with whole GT offsets
        y = qh * int(torch.randint((lh - p) // qh + 1, (1,), generator=gen))
        x = qw * int(torch.randint((lw - p) // qw + 1, (1,), generator=gen))
        flip_h, flip_v = (torch.rand(2, generator=gen) < 0.5).tolist()
        lr = e.lr[order, :, y:y + p, x:x + p].float() / 255.0
        gy, gx = e.y + y * gh // p, e.x + x * gw // p
        gt = s.clips[e.clip].frames[e.frames[order[t // 2]], :, gy:gy + gh, gx:gx + gw].float() / 255.0
        if flip_h:
            lr, gt = lr.flip(-1), gt.flip(-1)
        if flip_v:
            lr, gt = lr.flip(-2), gt.flip(-2)
        return lr, gt

    def draw(self, step: int, gen: torch.Generator):
        """A batch ``(lr (b, 7, 3, p, p), gt (b, 3, *gt_size), scale)`` as ``BatchSampler.draw``."""
        self.ensure(step, gen.initial_seed())
        s = self.sampler
        group = self.live[int(torch.randint(self.deg.groups, (1,), generator=gen))]
        rot = torch.rand(1, generator=gen).item() < 0.5
        gt_size = (group.cell[1], group.cell[0]) if rot else group.cell
        scale = (gt_size[0] / s.patch, gt_size[1] / s.patch)
        lrs, gts = [], []
        for _ in range(s.batch):
            if torch.rand(1, generator=gen).item() < self.deg.clean:
                win = s.sample(gt_size, gen)      # clean: float LR of the benchmark, as before
                lr, gt = downsample(win, scale).clamp(0, 1), win[s.num_frame // 2]
            else:
                lr, gt = self.window(group, gen)
                if rot:
                    lr, gt = lr.transpose(-1, -2), gt.transpose(-1, -2)
            lrs.append(lr.contiguous())
            gts.append(gt.contiguous())
        return torch.stack(lrs), torch.stack(gts), scale

    def describe(self) -> dict:
        return {"groups": self.deg.groups, "group_size": self.deg.group_size,
                "refresh_steps": self.deg.refresh_steps, "entries_built": self.built,
                "build_s": round(self.build_s, 2)}
