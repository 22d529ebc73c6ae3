"""Compute devices: what there is, and what ``auto`` means."""
from __future__ import annotations

import torch


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> first CUDA GPU if present, else CPU; also ``cpu`` and ``cuda:N``."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}: use auto, cpu or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name} requested but no CUDA GPU is available")
        index = dev.index or 0
        if index >= torch.cuda.device_count():
            raise ValueError(f"device {name} does not exist: {torch.cuda.device_count()} CUDA GPU(s) found")
        return torch.device("cuda", index)
    if dev.type != "cpu":
        raise ValueError(f"unsupported device {name!r}: use auto, cpu or cuda:N")
    return dev


def list_devices() -> list[tuple[str, str]]:
    """``(id, human name)`` for every usable device, CPU first."""
    out = [("cpu", "CPU")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            out.append((f"cuda:{i}", f"CUDA {i}: {torch.cuda.get_device_name(i)}"))
    return out

