"""Spatio-temporal adaptive upsampler: features at ``h x w`` -> features at ``H x W``.

Two paths compute the same function:

* plain: as the authors wrote it -- a 25-tap kernel tensor unfolded per pixel, and
  per-output-pixel ``nf/8 x nf`` and ``nf x nf/8`` matrices mixed from the experts
  (``H*W*nf*nf/4`` floats: about 8 GB at 1920x1080 with nf=64);
* fast: the 25 taps accumulated one at a time; the experts applied as ordinary
  1x1 convolutions and mixed by routing (linear, so the order can change), processed
  in strips of output rows; the scale/position embedding cached per
  ``(scale, output size)``.
"""
from __future__ import annotations

import math
from collections import OrderedDict

import torch
from torch import nn
from torch.nn import functional as F

from .osconv import Scale


def output_size(h: int, w: int, scale: Scale) -> tuple[int, int]:
    """Output size for an ``h x w`` input: ``round(h*s_h) x round(w*s_w)`` (half to even)."""
    return round(h * scale[0]), round(w * scale[1])


def position_code(H: int, W: int, scale: Scale, device, dtype=torch.float32) -> torch.Tensor:
    """``(1, 4, H, W)``: ``[1/s_w, 1/s_h, r_h, r_w]`` per output pixel."""
    def frac(n: int, s: float) -> torch.Tensor:
        c = (torch.arange(n, device=device, dtype=torch.float32) + 0.5) / s
        return c - torch.floor(c + 1e-3) - 0.5

    r_h = frac(H, scale[0]).view(H, 1).expand(H, W)
    r_w = frac(W, scale[1]).view(1, W).expand(H, W)
    ones = torch.ones(H, W, device=device)
    code = torch.stack([ones / scale[1], ones / scale[0], r_h, r_w])
    return code.unsqueeze(0).to(dtype)


def sample_grid(h: int, w: int, scale: Scale, offset: torch.Tensor, y0: int = 0) -> torch.Tensor:
    """Normalised ``grid_sample`` grid ``(b, n, W, 2)`` for output rows ``y0 .. y0+n`` plus
    ``offset (b, 2, n, W)``, sampling an ``h x w`` source.

    ``align_corners=True`` convention: pixel ``x`` of ``w`` maps to ``2x/(w-1) - 1``.
    """
    dev = offset.device
    H, W = offset.shape[-2:]
    gx = (torch.arange(W, device=dev, dtype=torch.float32) + 0.5) / scale[1] - 0.5
    gy = (torch.arange(y0, y0 + H, device=dev, dtype=torch.float32) + 0.5) / scale[0] - 0.5
    gx = (gx * 2 / (w - 1) - 1).view(1, 1, W).to(offset.dtype)
    gy = (gy * 2 / (h - 1) - 1).view(1, H, 1).to(offset.dtype)
    x = gx + offset[:, 0] * (2 / (w - 1))
    y = gy + offset[:, 1] * (2 / (h - 1))
    return torch.stack([x, y], dim=-1)


class STAUpsample(nn.Module):
    fast = True
    strip_pixels = 1 << 17  # output pixels per strip on the fast path
    cache_size = 8

    def __init__(self, nf: int, num_experts: int = 4, st_ksize: int = 5):
        super().__init__()
        self.nf, self.num_experts, self.k = nf, num_experts, st_ksize
        self.kernel_conv = nn.Sequential(nn.Conv2d(nf, nf * st_ksize ** 2, 1), nn.LeakyReLU(0.1, True))
        self.weight_compress = nn.Parameter(torch.empty(num_experts, nf // 8, nf, 1, 1))
        self.weight_expand = nn.Parameter(torch.empty(num_experts, nf, nf // 8, 1, 1))
        for i in range(num_experts):
            nn.init.kaiming_uniform_(self.weight_compress.data[i], a=math.sqrt(5))
            nn.init.kaiming_uniform_(self.weight_expand.data[i], a=math.sqrt(5))
        self.body = nn.Sequential(nn.Conv2d(4, 64, 1), nn.ReLU(True), nn.Conv2d(64, 64, 1), nn.ReLU(True))
        self.routing = nn.Sequential(nn.Conv2d(64, num_experts, 1), nn.Sigmoid())
        self.offset = nn.Conv2d(64, 2, 1)
        self.st_offset = nn.Conv2d(64, 2, 1)
        self.fusion = nn.Conv2d(2 * nf, nf, 1)
        self._cache: OrderedDict = OrderedDict()

    # ---- scale / position embedding -------------------------------------------------------
    def embedding(self, H: int, W: int, scale: Scale, ref: torch.Tensor):
        """``offset, st_offset (1, 2, H, W)`` and ``routing (1, E, H, W)`` for this scale and size."""
        key = (H, W, float(scale[0]), float(scale[1]), ref.device, ref.dtype)
        cacheable = self.fast and not torch.is_grad_enabled()
        if cacheable and key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        code = position_code(H, W, scale, ref.device, ref.dtype)
        # the 64-channel hidden layer is the big part: build it a strip of rows at a time
        rows = H if not self.fast else max(1, self.strip_pixels // W)
        heads = [torch.cat([self.offset(e), self.st_offset(e), self.routing(e)], dim=1)
                 for e in (self.body(code[:, :, y:y + rows]) for y in range(0, H, rows))]
        heads = torch.cat(heads, dim=2)
        out = (heads[:, 0:2], heads[:, 2:4], heads[:, 4:])
        if cacheable:
            self._cache[key] = out
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return out

    def clear_cache(self):
        self._cache.clear()

    def _load_from_state_dict(self, *args, **kwargs):
        self.clear_cache()
        super()._load_from_state_dict(*args, **kwargs)

    def train(self, mode: bool = True):
        self.clear_cache()
        return super().train(mode)

    # ---- spatio-temporal filtering --------------------------------------------------------
    def st_filter(self, x: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
        """Filter ``x`` with the per-pixel, per-channel 5x5 kernels predicted from ``guide``."""
        b, c, h, w = x.shape
        k, p = self.k, self.k // 2
        xp = F.pad(x, (p, p, p, p), mode="replicate")
        if not self.fast:
            kernel = self.kernel_conv(guide).view(b, c, k * k, h, w)
            patches = xp.unfold(2, k, 1).unfold(3, k, 1)  # (b, c, h, w, ky, kx)
            patches = patches.reshape(b, c, h, w, k * k).permute(0, 1, 4, 2, 3)
            return (patches * kernel).sum(dim=2)
        # one tap at a time: tap t of channel c is output channel c*k*k + t of kernel_conv
        conv = self.kernel_conv[0]
        wk = conv.weight.view(c, k * k, c, 1, 1)
        bk = conv.bias.view(c, k * k)
        out = torch.zeros_like(x)
        for t in range(k * k):
            dy, dx = divmod(t, k)
            tap = F.leaky_relu(F.conv2d(guide, wk[:, t].contiguous(), bk[:, t].contiguous()), 0.1)
            out.addcmul_(tap, xp[:, :, dy:dy + h, dx:dx + w])
        return out

    # ---- expert mixing --------------------------------------------------------------------
    def mix_plain(self, f0: torch.Tensor, routing: torch.Tensor) -> torch.Tensor:
        b, c, H, W = f0.shape
        E = self.num_experts
        r = routing.reshape(E, H * W).t()
        comp = (r @ self.weight_compress.view(E, -1)).view(1, H, W, c // 8, c)
        expd = (r @ self.weight_expand.view(E, -1)).view(1, H, W, c, c // 8)
        v = f0.permute(0, 2, 3, 1).unsqueeze(-1)
        v = expd.expand(b, -1, -1, -1, -1) @ (comp.expand(b, -1, -1, -1, -1) @ v)
        return v.squeeze(-1).permute(0, 3, 1, 2) + f0

    def mix_fast(self, f0: torch.Tensor, routing: torch.Tensor) -> torch.Tensor:
        b, c, H, W = f0.shape
        E, c8 = self.num_experts, c // 8
        # z = sum_e r_e C_e f0 ; out = sum_e r_e X_e z = [X_1 .. X_E] (r (x) z)
        comp = self.weight_compress.reshape(E * c8, c, 1, 1)
        z = F.conv2d(f0, comp).view(b, E, c8, H, W)
        r = routing.reshape(1, E, 1, H, W)
        z = (z * r).sum(dim=1)
        rz = (r * z.unsqueeze(1)).view(b, E * c8, H, W)
        expand = self.weight_expand.view(E, c, c8).permute(1, 0, 2).reshape(c, E * c8, 1, 1)
        return F.conv2d(rz, expand) + f0

    # ---- forward --------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, scale: Scale, guide: torch.Tensor) -> torch.Tensor:
        """``x``: reconstructed features, ``guide``: aligned features, both ``(b, nf, h, w)``.

        Returns ``(b, nf, H, W)``.
        """
        b, c, h, w = x.shape
        H, W = output_size(h, w, scale)
        st = self.st_filter(x, guide)
        offset, st_offset, routing = self.embedding(H, W, scale, x)
        if not self.fast:
            return self._upsample_rows(x, st, scale, offset, st_offset, routing, self.mix_plain)
        rows = max(1, self.strip_pixels // max(1, b * W))
        out = x.new_empty(b, c, H, W)
        for y0 in range(0, H, rows):
            y1 = min(H, y0 + rows)
            out[:, :, y0:y1] = self._upsample_rows(
                x, st, scale, offset, st_offset, routing, self.mix_fast, (y0, y1))
        return out

    def _upsample_rows(self, x, st, scale, offset, st_offset, routing, mix, rows=None):
        h, w = x.shape[-2:]
        b = x.shape[0]
        y0 = 0
        if rows is not None:
            y0, y1 = rows
            offset, st_offset, routing = (t[:, :, y0:y1] for t in (offset, st_offset, routing))
        grid = sample_grid(h, w, scale, offset.expand(b, -1, -1, -1), y0)
        st_grid = sample_grid(h, w, scale, st_offset.expand(b, -1, -1, -1), y0)
        f0 = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
        feat = mix(f0, routing)
        st_s = F.grid_sample(st, st_grid, mode="bilinear", padding_mode="zeros", align_corners=True)
        if not self.fast:
            return self.fusion(torch.cat([st_s, feat], dim=1))
        # fusion on [st_s, feat] as two half convolutions: no 2nf-channel concatenation
        w = self.fusion.weight
        return F.conv2d(st_s, w[:, :self.nf].contiguous(), self.fusion.bias).add_(
            F.conv2d(feat, w[:, self.nf:].contiguous()))
