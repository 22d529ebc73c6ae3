"""Loss, learning-rate schedule and EMA weights."""
from __future__ import annotations

import copy
import math

import torch
from torch import nn


def charbonnier(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Mean Charbonnier loss ``sqrt((pred - target)^2 + eps^2)``."""
    return torch.sqrt((pred - target).pow(2) + eps * eps).mean()


def learning_rate(step: int, peak: float, warmup: int, total: int, floor: float = 0.01) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to ``floor * peak`` at ``total``."""
    if step < warmup:
        return peak * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))


class EMA:
    """Exponential moving average of a model's parameters; buffers (BatchNorm statistics) are copied.

    The effective decay ramps up as ``min(decay, (1 + n) / (10 + n))`` so early averages do not
    drag the random initial weights along.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999):
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module):
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        own = dict(self.model.named_parameters())
        for name, p in model.named_parameters():
            own[name].lerp_(p.detach(), 1 - d)
        own_b = dict(self.model.named_buffers())
        for name, b in model.named_buffers():
            own_b[name].copy_(b)

    def state_dict(self) -> dict:
        return {"decay": self.decay, "updates": self.updates, "model": self.model.state_dict()}

    def load_state_dict(self, state: dict):
        self.decay = float(state["decay"])
        self.updates = int(state["updates"])
        self.model.load_state_dict(state["model"])


def batchnorm_eval(model: nn.Module):
    """Put every BatchNorm layer in eval mode (use and keep the running statistics)."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
