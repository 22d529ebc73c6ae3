"""Compiled graphs on disk, in the user cache folder, keyed so a stale graph is never reused.

A folder per entry: ``<cache>/graphs/<model digest>/<t>x<h>x<w>-torch<version>/`` holds the exported
``lr_stage.onnx`` (the model, the tile shape and the exporter decide its content) and, below it, one
folder per runtime, version, device and precision with that runtime's compiled blobs and the result
of the accuracy check. The scale is a runtime input of the graph, so it is no part of the key.
``SAVSR_CACHE_DIR`` overrides the folder (tests, portable installs).
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import torch

GRAPH_VERSION = 2  # bump when the exported LR stage changes (2: convolutions over concatenations split)


def cache_root() -> Path:
    env = os.environ.get("SAVSR_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_cache_dir("savsr-studio", appauthor=False))


def model_digest(model) -> str:
    """SHA-256 (first 20 hex digits) of the config, every parameter and buffer, and the fast-path flags."""
    h = hashlib.sha256()
    h.update(json.dumps([GRAPH_VERSION, model.config.to_dict(), bool(model.fast)], sort_keys=True).encode())
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(str(tuple(tensor.shape)).encode())
        h.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:20]


def graph_dir(digest: str, shape: tuple[int, int, int]) -> Path:
    """Folder of the exported graph for ``shape = (t, h, w)``."""
    t, h, w = shape
    return cache_root() / "graphs" / digest / f"{t}x{h}x{w}-torch{torch.__version__.split('+')[0]}"


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def write_json(path: Path, data: dict):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)
