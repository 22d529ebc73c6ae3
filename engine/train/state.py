"""Training checkpoints: everything needed to continue a run exactly, written atomically.

A checkpoint is a weights-only torch file (tensors and plain containers, loadable with
``weights_only=True``) holding the model, its EMA, the optimiser, the step, the wall-clock time
trained so far, the RNG states, the run's :class:`TrainConfig` and a description of the data.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from ..errors import SavsrError

FORMAT = "savsr-studio-train"
VERSION = 1


class TrainStateError(SavsrError, ValueError):
    """A file that is not a usable training checkpoint."""


def atomic_torch_save(obj, path) -> Path:
    """``torch.save`` to a temporary file beside ``path``, then ``os.replace``: never half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def rng_state(data_gen: torch.Generator) -> dict:
    state = {"torch": torch.get_rng_state(), "data": data_gen.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict, data_gen: torch.Generator):
    torch.set_rng_state(state["torch"])
    data_gen.set_state(state["data"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def cpu_tree(obj):
    """Tensors moved to the CPU throughout nested dicts/lists (checkpoints open on any device)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: cpu_tree(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(cpu_tree(v) for v in obj)
    return obj


def save_state(path, **state) -> Path:
    return atomic_torch_save(cpu_tree({"format": FORMAT, "version": VERSION, **state}), path)


def load_state(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise TrainStateError(f"training checkpoint not found: {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise TrainStateError(f"cannot read training checkpoint {path.name} ({str(exc).splitlines()[0]})") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise TrainStateError(f"{path.name} is not a SAVSR Studio training checkpoint")
    return obj
