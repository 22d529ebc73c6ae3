"""Compiled graphs on disk, in the user cache folder, keyed so a stale graph is never reused.

Per model, ``<cache>/graphs/<model digest>/``: ``<t>x<even|odd>x<even|odd>-torch<version>/lr_stage.onnx``
is the exported LR stage for every tile shape of that height and width parity (height and width are
graph inputs; a frame of odd size is padded by one pixel, which the trace fixes, hence one graph per
parity), and ``<t>x<h>x<w>-torch<version>/`` holds, per tile shape, one folder per runtime, version,
device and precision with that runtime's compiled blobs (OpenVINO's in one folder per thread count: a
blob keeps the thread count it was compiled for, and its results depend on it) and the result of the
accuracy check. The scale is a runtime input of the graph, so it is no part of any key.
``SAVSR_CACHE_DIR`` overrides the folder (tests, portable installs).
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import torch

GRAPH_VERSION = 3  # bump when the exported LR stage changes (2: convolutions over concatenations split;
                   # 3: one graph of any height and width per parity)


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
    """Folder of the compiled graphs and checks for ``shape = (t, h, w)``."""
    t, h, w = shape
    return cache_root() / "graphs" / digest / f"{t}x{h}x{w}-torch{torch.__version__.split('+')[0]}"


def any_size_graph(digest: str, shape: tuple[int, int, int]) -> Path:
    """The exported ``lr_stage.onnx`` that serves ``shape = (t, h, w)`` and every shape of its parity."""
    t, h, w = shape
    parity = "x".join("odd" if n % 2 else "even" for n in (h, w))
    return cache_root() / "graphs" / digest / f"{t}x{parity}-torch{torch.__version__.split('+')[0]}" / "lr_stage.onnx"


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
