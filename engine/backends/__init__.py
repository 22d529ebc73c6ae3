"""Backends: the same network computed by PyTorch (the reference) or by a graph runtime.

``accelerate(model, scale, lr_shape)`` gives a callable for one scale pair and input shape;
:class:`Accelerated` is the general form the renderer, the preview and the evaluations use.
See docs/performance.md for what each backend measured.
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from .accelerated import (
    AUTO_ORDER,
    BACKENDS,
    Accelerated,
    BackendError,
    Prepared,
    check_backend,
    installed_backends,
    isolate_exports,
)

__all__ = ["AUTO_ORDER", "BACKENDS", "BACKEND_HELP", "Accelerated", "BackendError", "Prepared", "accelerate",
           "check_backend", "default_backend", "installed_backends", "isolate_exports", "render_backend",
           "set_default_backend"]

_default = "torch"


def default_backend() -> str:
    """The backend of code that takes no backend argument (the fine-tune's validation): ``torch``
    unless ``savsr finetune --backend`` set another. Each validation sees new weights, so a compiled
    backend exports anew every time: worth it only for long validations."""
    return _default


def set_default_backend(name: str) -> str:
    global _default
    _default = check_backend(name)
    return _default

# A CPU render this short does not repay preparing a graph: the break-even measured at 480x270 -> x2
# is about 30 frames (docs/performance.md); a cached graph would, but checking costs a model digest.
AUTO_MIN_FRAMES = 48


def render_backend(backend: str, frames: int, device) -> tuple[str, str]:
    """The backend a render of ``frames`` frames runs with, and a note when ``auto`` chose torch."""
    if backend == "auto" and torch.device(device).type == "cpu" and frames < AUTO_MIN_FRAMES:
        return "torch", f"backend: torch (auto: {frames} frames do not repay preparing a compiled graph)"
    return backend, ""


BACKEND_HELP = (f"{', '.join(BACKENDS)}: how the network is computed; auto = the fastest installed backend "
                "that matches torch on this machine, else torch (default auto)")


def accelerate(model, scale, lr_shape, backend: str = "auto", device: torch.device | str = "cpu",
               note: Callable[[str], None] | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
    """``f(lr) -> sr``: ``model(lr, scale)`` for ``lr`` of shape ``lr_shape = (1, t, 3, h, w)`` (or ``(h, w)``).

    The graph is prepared before this returns (export and compile on the first run, then from the
    disk cache). ``f.backend`` names the backend that runs it (``torch`` after a fallback).
    """
    acc = Accelerated(model, backend, device, note=note)
    h, w = lr_shape[-2:]
    acc.prepare(int(h), int(w))
    s = (float(scale), float(scale)) if isinstance(scale, (int, float)) else tuple(map(float, scale))

    @torch.no_grad()
    def f(lr: torch.Tensor) -> torch.Tensor:
        return acc(lr, s)
    f.backend = acc.backend or "torch"
    f.accelerated = acc
    return f
