"""Backends: the same network computed by PyTorch (the reference) or by a graph runtime.

``accelerate(model, scale, lr_shape)`` gives a callable for one scale pair and input shape;
:class:`Accelerated` is the general form the renderer, the preview and the evaluations use.
:mod:`.choice` decides ``auto`` precision per machine and model, :mod:`.precision` says what the
hardware computes, :mod:`.window` is the accuracy check's real footage. See docs/performance.md for
what each backend and precision measured.
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from .accelerated import (
    BACKENDS,
    Accelerated,
    BackendError,
    Prepared,
    check_backend,
    check_precision,
    installed_backends,
    isolate_exports,
)
from .runtimes import AUTO_ORDER

__all__ = ["AUTO_MIN_FRAMES", "AUTO_ORDER", "BACKENDS", "BACKEND_HELP", "PRECISION_HELP", "Accelerated",
           "BackendError", "Prepared", "accelerate", "check_backend", "check_precision", "default_backend",
           "installed_backends", "isolate_exports", "set_default_backend"]

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
# is about 30 frames (docs/performance.md); one whose graphs are cached does (engine.render.compute).
AUTO_MIN_FRAMES = 48


BACKEND_HELP = (f"{', '.join(BACKENDS)}: how the network is computed; auto = the fastest installed backend "
                "that matches torch on this machine, else torch (default auto)")
PRECISION_HELP = ("auto, fp32, bf16, fp16, int8: the arithmetic of the network's LR stage; auto (default) = the "
                  "fastest this machine computes natively that stays within 50 dB of fp32, measured once per model "
                  "(bf16 on CPUs with avx512_bf16 or AMX, fp16 on GPUs, int8 with OpenVINO and NNCF once the "
                  "app has quantized the model in the background); savsr info --system shows it")


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
