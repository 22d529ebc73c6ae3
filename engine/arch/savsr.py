"""SAVSR: arbitrary-scale video super-resolution (Li et al., AAAI 2024).

One call super-resolves the centre frame of a ``num_frame`` window by any scale pair
``(s_h, s_w)``. Parameter names follow the authors' code, so their checkpoints load
with ``strict=True``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .blocks import FusionUnit, ResidualGroup, WindowUnit, act, conv_cat
from .osconv import OSAdapt, Scale
from .upsampler import STAUpsample, output_size


@dataclass(frozen=True)
class SAVSRConfig:
    """Constructor arguments, named and defaulted as in the official config."""

    num_in_ch: int = 3
    num_feat: int = 64
    num_frame: int = 7
    slid_win: int = 3
    fusion_win: int = 5
    interval: int = 0
    w1_num_block: int = 4
    w2_num_block: int = 2
    n_resgroups: int = 4
    n_resblocks: int = 8
    center_frame_idx: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def frame_orders(num_frame: int, interval: int) -> tuple[list[int], list[int]]:
    """Frame indices walked past-to-future and future-to-past (the same unless ``interval > 0``)."""
    index = list(range(num_frame))
    if interval == 0:
        return index, index
    centre = num_frame // 2
    if centre % 2 == 0:
        forward = index[1::interval + 1]
        forward.insert(centre // 2, centre)
        backward = index[::interval + 1]
    else:
        forward = index[::interval + 1]
        forward.insert(centre // 2 + 1, centre)
        backward = index[1::interval + 1]
        if len(forward) != len(backward):
            backward = [forward[0], *backward, forward[-1]]
    return forward, backward


class SAVSR(nn.Module):
    """``model(lr, scale)``: ``lr (b, num_frame, 3, h, w)`` RGB in [0, 1], ``scale = (s_h, s_w)``
    -> centre frame ``(b, 3, round(h*s_h), round(w*s_w))``.

    The fast inference path is on by default; ``use_fast_path(False)`` selects the plain
    path, which follows the authors' computation step by step.
    """

    def __init__(self, num_in_ch: int = 3, num_feat: int = 64, num_frame: int = 7, slid_win: int = 3,
                 fusion_win: int = 5, interval: int = 0, w1_num_block: int = 4, w2_num_block: int = 2,
                 n_resgroups: int = 4, n_resblocks: int = 8, center_frame_idx: int | None = None):
        super().__init__()
        if num_feat < 16:  # channel attention squeezes to num_feat // 16 channels, as in the authors' code
            raise ValueError(f"num_feat must be at least 16, got {num_feat}")
        self.config = SAVSRConfig(num_in_ch, num_feat, num_frame, slid_win, fusion_win, interval,
                                  w1_num_block, w2_num_block, n_resgroups, n_resblocks, center_frame_idx)
        self.centre = num_frame // 2 if center_frame_idx is None else center_frame_idx
        if interval == 0:
            self.iter_win = num_frame
        else:
            self.iter_win = self.centre + (1 if self.centre % 2 == 0 else 2)
        self.num_triplets = self.iter_win - slid_win + 1
        self.forward_idx, self.backward_idx = frame_orders(num_frame, interval)
        nf = num_feat

        self.f2p_win = WindowUnit(num_in_ch, nf, slid_win, w1_num_block)
        self.p2f_win = WindowUnit(num_in_ch, nf, slid_win, w1_num_block)
        self.h_win = nn.ModuleList(
            FusionUnit(nf, self.num_triplets - 2 * i, fusion_win, w2_num_block)
            for i in range((self.iter_win - fusion_win + 1) // 2))
        self.h_win_conv_h = nn.Conv2d(2 * nf, nf, 3, 1, 1)

        self.RG = nn.ModuleList(ResidualGroup(nf, n_resblocks) for _ in range(n_resgroups))
        self.adapt = nn.ModuleList(OSAdapt(nf) for _ in range(n_resgroups))
        self.gamma = nn.Parameter(torch.ones(1))
        self.conv_last = nn.Conv2d(nf, nf, 3, 1, 1)

        self.upsample = STAUpsample(nf)
        self.tail = nn.Conv2d(nf, num_in_ch, 3, 1, 1)
        self.fast = True
        self.fuse_branches: bool | None = None  # fast path: None = on CUDA only (see blocks.py)

    # ---- configuration --------------------------------------------------------------------
    def use_fast_path(self, enabled: bool = True) -> SAVSR:
        """Select the fast (default) or the plain inference path; both compute the same function."""
        self.fast = enabled
        for m in self.modules():
            if m is not self and hasattr(type(m), "fast"):
                m.fast = enabled
        return self

    @property
    def num_frame(self) -> int:
        return self.config.num_frame

    # ---- stages ---------------------------------------------------------------------------
    def triplets(self, frames: torch.Tensor, centres) -> tuple[torch.Tensor, torch.Tensor]:
        """Centre frames ``(n, b, c, h, w)`` and stacked outer frames ``(n, b, (sw-1)c, h, w)``."""
        sw = self.config.slid_win
        b, _, c, h, w = frames.shape
        cen, sup = [], []
        for t in centres:
            idx = [t - sw // 2 + i for i in range(sw)]
            cen.append(frames[:, idx[sw // 2]])
            sup.append(frames[:, idx[:sw // 2] + idx[sw // 2 + 1:]].reshape(b, (sw - 1) * c, h, w))
        return torch.stack(cen), torch.stack(sup)

    def embed_all(self, unit: WindowUnit, cen: torch.Tensor, sup: torch.Tensor):
        """Run a unit's first convolutions on all its triplets (batched on the fast path)."""
        n, b = cen.shape[:2]
        if not self.fast:
            return [unit.embed(cen[i], sup[i]) for i in range(n)]
        h_c, h_s = unit.embed(cen.flatten(0, 1), sup.flatten(0, 1))
        h_c, h_s = h_c.unflatten(0, (n, b)), h_s.unflatten(0, (n, b))
        return [(h_c[i], h_s[i]) for i in range(n)]

    def align(self, x: torch.Tensor, scale: Scale) -> torch.Tensor:
        """Iterative bidirectional alignment and pyramid fusion -> aligned feature ``(b, nf, h, w)``."""
        b, _, _, h, w = x.shape
        fused = self.fast and (x.is_cuda if self.fuse_branches is None else self.fuse_branches)
        sw, n = self.config.slid_win, self.num_triplets
        x_fwd = x[:, self.forward_idx] if self.config.interval else x
        x_bwd = x[:, self.backward_idx] if self.config.interval else x
        centres = [i + sw // 2 for i in range(n)]
        p2f_in = self.embed_all(self.p2f_win, *self.triplets(x_fwd, centres))
        f2p_in = self.embed_all(self.f2p_win, *self.triplets(x_bwd, centres))

        hidden_p2f = x.new_zeros(b, self.config.num_feat, h, w)
        hidden_f2p = hidden_p2f
        p2f, f2p = [None] * n, [None] * n
        for i in range(n):
            j = n - 1 - i
            hidden_f2p = self.f2p_win.step(*f2p_in[j], hidden_f2p, scale, fused)
            f2p[j] = hidden_f2p
            hidden_p2f = self.p2f_win.step(*p2f_in[i], hidden_p2f, scale, fused)
            p2f[i] = hidden_p2f
        feats = [[f2p[i], p2f[i]] for i in range(n)]     # concatenated on channels where needed
        for level in self.h_win:
            feats = level(feats, scale, fused)
        last = feats[0]
        return act(conv_cat(self.h_win_conv_h, last, self.fast) if isinstance(last, list) else self.h_win_conv_h(last))

    def reconstruct(self, aligned: torch.Tensor, scale: Scale) -> torch.Tensor:
        h = aligned
        for group, adapt in zip(self.RG, self.adapt):
            h = adapt(group(h), scale)
            h = h + self.gamma * aligned
        return self.conv_last(h) + aligned

    def forward(self, lr: torch.Tensor, scale) -> torch.Tensor:
        if lr.dim() != 5 or lr.shape[1] != self.num_frame or lr.shape[2] != self.config.num_in_ch:
            raise ValueError(f"expected lr of shape (b, {self.num_frame}, {self.config.num_in_ch}, h, w), "
                             f"got {tuple(lr.shape)}")
        s_h, s_w = (float(scale), float(scale)) if isinstance(scale, (int, float)) else map(float, scale)
        if s_h <= 0 or s_w <= 0:
            raise ValueError(f"scale factors must be positive, got {(s_h, s_w)}")
        scale = (s_h, s_w)
        b, t, c, h, w = lr.shape
        if h < 2 or w < 2:
            raise ValueError(f"input frames must be at least 2x2 pixels, got {w}x{h}")
        H, W = output_size(h, w, scale)
        centre = lr[:, self.centre]

        pad_h, pad_w = h % 2, w % 2
        x = lr
        if pad_h or pad_w:
            x = F.pad(lr.reshape(b * t, c, h, w), [0, pad_w, 0, pad_h], mode="reflect")
            x = x.view(b, t, c, h + pad_h, w + pad_w)

        aligned = self.align(x, scale)
        feat = self.reconstruct(aligned, scale)
        sr = self.upsample(feat[..., :h, :w], scale, aligned[..., :h, :w])
        base = F.interpolate(centre, size=(H, W), mode="bilinear", align_corners=False)
        return self.tail(sr) + base
