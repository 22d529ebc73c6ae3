"""Omni-dimensional scale-attention convolution (OSConv) and the OSAdapt block.

An OSConv holds ``kernel_num`` candidate 3x3 kernels. A small routing MLP reads the
inverse scale pair and the input's global average, and four attention heads turn
that into a per-sample kernel: channel, filter, spatial and kernel attention.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

Scale = tuple[float, float]


def scale_code(scale: Scale, batch: int, like: torch.Tensor) -> torch.Tensor:
    """``(b, 2)`` tensor ``[1/s_h, 1/s_w]`` on ``like``'s device and dtype."""
    code = torch.tensor([[1.0 / scale[0], 1.0 / scale[1]]], device=like.device, dtype=like.dtype)
    return code.expand(batch, 2)


class ScaleAttention(nn.Module):
    """Four attention heads read from the routed scale/content vector ``(b, in, 1, 1)``."""

    def __init__(self, in_planes: int, out_planes: int, kernel_size: int, kernel_num: int):
        super().__init__()
        hidden = max(int(in_planes * 0.0625), 16)
        self.kernel_size = kernel_size
        self.fc = nn.Conv2d(in_planes, hidden, 1, bias=False)
        self.bn = nn.BatchNorm2d(hidden)
        self.channel_fc = nn.Conv2d(hidden, in_planes, 1)
        self.filter_fc = nn.Conv2d(hidden, out_planes, 1)
        self.spatial_fc = nn.Conv2d(hidden, kernel_size * kernel_size, 1)
        self.kernel_fc = nn.Conv2d(hidden, kernel_num, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, v: torch.Tensor):
        """``v``: ``(b, in, 1, 1)``. Returns channel ``(b, in)``, filter ``(b, out)``,
        spatial ``(b, k, k)`` and kernel ``(b, n)`` attention."""
        b = v.shape[0]
        z = F.relu(self.bn(self.fc(v)))
        k = self.kernel_size
        channel = torch.sigmoid(self.channel_fc(z)).view(b, -1)
        filt = torch.sigmoid(self.filter_fc(z)).view(b, -1)
        spatial = torch.sigmoid(self.spatial_fc(z)).view(b, k, k)
        kernel = torch.softmax(self.kernel_fc(z).view(b, -1), dim=1)
        return channel, filt, spatial, kernel


class OSConv2d(nn.Module):
    """Scale-aware dynamic 3x3 convolution, ``(b, in, h, w) -> (b, out, h, w)``."""

    fast = True

    def __init__(self, in_planes: int, out_planes: int, kernel_size: int = 3, kernel_num: int = 8):
        super().__init__()
        self.in_planes = in_planes
        self.out_planes = out_planes
        self.padding = kernel_size // 2
        self.attention = ScaleAttention(in_planes, out_planes, kernel_size, kernel_num)
        self.weight = nn.Parameter(torch.empty(kernel_num, out_planes, in_planes, kernel_size, kernel_size))
        for i in range(kernel_num):
            nn.init.kaiming_normal_(self.weight[i], mode="fan_out", nonlinearity="relu")
        self.scale_routing = nn.Sequential(
            nn.Linear(in_planes + 2, in_planes * 2), nn.ReLU(True),
            nn.Linear(in_planes * 2, in_planes), nn.ReLU(True),
        )

    def attentions(self, x: torch.Tensor | list[torch.Tensor], scale: Scale):
        parts = x if isinstance(x, (list, tuple)) else [x]
        b = parts[0].shape[0]
        means = [p.mean(dim=(2, 3)) for p in parts]
        routed = self.scale_routing(torch.cat([scale_code(scale, b, parts[0]), *means], dim=1))
        return self.attention(routed.view(b, self.in_planes, 1, 1))

    def forward(self, x: torch.Tensor | list[torch.Tensor], scale: Scale) -> torch.Tensor:
        """``x``: ``(b, in, h, w)``, or a list of equal tensors that would be concatenated on channels
        (fast path, one sample: the convolution runs per part and sums, with no concatenated copy)."""
        channel, filt, spatial, kernel = self.attentions(x, scale)
        k = self.attention.kernel_size     # module constants in reshapes: a traced graph keeps them static
        if isinstance(x, (list, tuple)):
            if self.fast and x[0].shape[0] == 1:
                size, out = self.in_planes // len(x), None   # equal parts, a constant in a traced graph
                for i, part in enumerate(x):
                    c0, c1 = i * size, (i + 1) * size
                    agg = self.dynamic_kernel(kernel, spatial, channel[:, c0:c1], filt, (c0, c1))
                    y = F.conv2d(part, agg.reshape(self.out_planes, size, k, k), padding=self.padding)
                    out = y if out is None else out + y
                return out
            x = torch.cat(list(x), dim=1)
        b, _, h, w = x.shape
        if self.fast:
            agg = self.dynamic_kernel(kernel, spatial, channel, filt)
            if b == 1:                     # one sample (inference): no batch folded into groups
                return F.conv2d(x, agg.reshape(self.out_planes, self.in_planes, k, k), padding=self.padding)
            out = F.conv2d(x.reshape(1, -1, h, w), agg.reshape(-1, self.in_planes, k, k),
                           padding=self.padding, groups=b)
            return out.view(b, self.out_planes, h, w)
        agg = self.dynamic_kernel(kernel, spatial)
        x = x * channel[:, :, None, None]
        out = F.conv2d(x.reshape(1, -1, h, w), agg.reshape(-1, self.in_planes, k, k),
                       padding=self.padding, groups=b)
        return out.view(b, self.out_planes, h, w) * filt[:, :, None, None]

    def dynamic_kernel(self, kernel, spatial, channel=None, filt=None, inputs: tuple[int, int] | None = None):
        """The per-sample kernel ``(b, out, in, k, k)``: ``sum_k spatial * kernel_k * weight_k``; with
        ``channel`` and ``filt`` (the fast path) their attention folded in instead of scaling features;
        ``inputs = (c0, c1)`` keeps input channels ``c0:c1`` only."""
        weight = self.weight if inputs is None else self.weight[:, :, inputs[0]:inputs[1]]
        agg = torch.einsum("bn,noiyx->boiyx", kernel, weight) * spatial[:, None, None]
        if channel is not None:
            agg = agg * channel[:, None, :, None, None] * filt[:, :, None, None, None]
        return agg


class OSAdapt(nn.Module):
    """``x + osconv(x) * mask(x)``; the input needs even height and width."""

    def __init__(self, channels: int, ratio: int = 4):
        super().__init__()
        c = channels // ratio
        self.mask = nn.Sequential(
            nn.Conv2d(channels, c, 3, 1, 1), nn.BatchNorm2d(c), nn.ReLU(True),
            nn.AvgPool2d(2),
            nn.Conv2d(c, c, 3, 1, 1), nn.BatchNorm2d(c), nn.ReLU(True),
            nn.Conv2d(c, c, 3, 1, 1), nn.BatchNorm2d(c), nn.ReLU(True),
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            nn.Conv2d(c, 1, 3, 1, 1), nn.BatchNorm2d(1), nn.Sigmoid(),
        )
        self.adapt = OSConv2d(channels, channels)

    def forward(self, x: torch.Tensor, scale: Scale) -> torch.Tensor:
        return x + self.adapt(x, scale) * self.mask(x)
