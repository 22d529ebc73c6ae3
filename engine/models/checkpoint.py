"""Loading and saving SAVSR weights.

Accepted files:

* the authors' BasicSR checkpoint, ``{'params': sd}`` or ``{'params_ema': sd}``,
  keys possibly prefixed with ``module.``;
* a bare state dict;
* the project's own format, a dict ``{'format': 'savsr-studio', 'version', 'config',
  'metadata', 'state_dict'}`` saved by :func:`save_model` as a weights-only torch file,
  or a ``.safetensors`` file whose header metadata holds the config and metadata as JSON.

Nothing is ever unpickled beyond tensors and plain containers (``weights_only=True``).
The network's config is read from the file, or inferred from the weights' shapes.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import torch

from ..arch import SAVSR, SAVSRConfig
from ..errors import SavsrError
from ..resources import default_model_path

FORMAT = "savsr-studio"
FORMAT_VERSION = 1


class CheckpointError(SavsrError, ValueError):
    """A file that cannot be used as SAVSR weights; the message says why."""


def _read(path: Path) -> dict:
    if not path.is_file():
        raise CheckpointError(f"model file not found: {path}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"model file is empty: {path}")
    if path.suffix == ".safetensors":
        try:
            from safetensors import safe_open
            with safe_open(str(path), framework="pt") as f:
                meta = f.metadata() or {}
                sd = {k: f.get_tensor(k) for k in f.keys()}
        except Exception as exc:  # safetensors raises several error types for a bad header
            raise CheckpointError(f"not a valid safetensors file: {path.name} ({exc})") from None
        return {"format": meta.get("format", ""), "config": json.loads(meta.get("config", "null")),
                "metadata": json.loads(meta.get("metadata", "{}")), "state_dict": sd}
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        text = ("unreadable or corrupt data" if "WeightsUnpickler" in str(exc)
                else (str(exc).splitlines() or [type(exc).__name__])[0])
        if re.search(r"unsupported global", str(exc), re.IGNORECASE):
            raise CheckpointError(f"refused to load {path.name}: it contains Python objects or code, "
                                  "not just weights") from None
        raise CheckpointError(f"not a checkpoint file: {path.name} ({text})") from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"not a checkpoint: {path.name} holds a {type(obj).__name__}, not a dict of weights")
    return obj


def _unwrap(obj: dict, name: str) -> tuple[dict, dict | None, dict]:
    """State dict, config (or None) and metadata from any accepted layout."""
    if obj.get("format") == FORMAT:
        return obj["state_dict"], obj.get("config"), obj.get("metadata") or {}
    for key in ("params_ema", "params", "state_dict", "model"):
        if isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise CheckpointError(f"not a checkpoint: {name} holds no weight tensors")
    sd = {k[7:] if k.startswith("module.") else k: v for k, v in tensors.items()}
    return sd, None, {}


def _count(sd: dict, pattern: str) -> int:
    rx = re.compile(pattern)
    found = {int(m.group(1)) for k in sd if (m := rx.match(k))}
    return max(found) + 1 if found else 0


def infer_config(sd: dict, name: str = "the file") -> SAVSRConfig:
    """Read the network's constructor arguments off the weights' names and shapes."""
    try:
        nf = sd["conv_last.weight"].shape[0]
        in_ch = sd["tail.weight"].shape[0]
        slid_win = sd["f2p_win.conv_sup.weight"].shape[1] // in_ch + 1
    except KeyError as exc:
        raise CheckpointError(f"{name} is not a SAVSR model: it has no weight named {exc.args[0]!r} "
                              "(not a SAVSR checkpoint; another network's weights?)") from None
    triplets = _count(sd, r"h_win\.0\.conv_h\.(\d+)\.") or 5
    return SAVSRConfig(
        num_in_ch=in_ch, num_feat=nf, num_frame=triplets + slid_win - 1, slid_win=slid_win,
        fusion_win=_count(sd, r"h_win\.0\.blocks\.0\.conv0\.(\d+)\.") or 5, interval=0,
        w1_num_block=_count(sd, r"f2p_win\.blocks\.(\d+)\."),
        w2_num_block=_count(sd, r"h_win\.0\.blocks\.(\d+)\."),
        n_resgroups=_count(sd, r"RG\.(\d+)\."),
        n_resblocks=_count(sd, r"RG\.0\.residual_group\.(\d+)\."))


def _check_keys(model: SAVSR, sd: dict, name: str):
    own = model.state_dict()
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys ({', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys "
                         f"({', '.join(unexpected[:4])}{', ...' if len(unexpected) > 4 else ''})")
        raise CheckpointError(f"{name} does not match the SAVSR architecture: " + "; ".join(parts))
    bad = [f"{k} {tuple(sd[k].shape)} != {tuple(v.shape)}" for k, v in own.items() if sd[k].shape != v.shape]
    if bad:
        raise CheckpointError(f"{name} does not match the SAVSR architecture: shape mismatch in "
                              f"{len(bad)} tensors ({'; '.join(bad[:3])})")


def read_checkpoint(path) -> tuple[dict, SAVSRConfig, dict]:
    """``(state_dict, config, metadata)`` from any accepted file; raises :class:`CheckpointError`."""
    path = Path(path)
    sd, config, meta = _unwrap(_read(path), path.name)
    if config is None:
        config = infer_config(sd, path.name)
    else:
        try:
            config = SAVSRConfig(**config)
        except TypeError as exc:
            raise CheckpointError(f"{path.name} has an unreadable config ({exc})") from None
    return sd, config, meta


def model_file(path=None) -> Path:
    """``path`` as a file: a bundled model's name (``clean``, ``compressed``; ``auto`` without a
    clip means ``clean``) or a path; ``None`` is the bundled default (clean) model."""
    if path is None:
        path = default_model_path()
        if path is None:
            raise CheckpointError("no default model installed yet: pass a model file (for example the "
                                  "authors' savsr_best.pth) with --model / Import model")
        return Path(path)
    from .choice import MODEL_CHOICES, choose_model
    if isinstance(path, str) and path.lower() in MODEL_CHOICES:
        return choose_model(path).path
    return Path(path)


def load_model(path=None, device="cpu", fast: bool = True, clip=None) -> SAVSR:
    """A ready SAVSR model in eval mode on ``device``.

    ``path``: a model file, a bundled model's name (``clean``, ``compressed``) or ``auto``, which
    looks at ``clip`` (a video path or :class:`engine.video.ClipInfo`; see
    :mod:`engine.models.choice`); ``None`` is the bundled clean model. The model's ``metadata``
    attribute holds what the file says about itself (name, training data, validation figures) and,
    for a model chosen by name, ``choice``: which and why.
    """
    choice = None
    if isinstance(path, str) and path.lower() == "auto" and clip is not None:
        from ..video import ClipInfo, probe
        from .choice import choose_model
        choice = choose_model("auto", clip if isinstance(clip, ClipInfo) else probe(clip))
        path = choice.path
    elif isinstance(path, str):
        from .choice import MODEL_CHOICES, choose_model
        if path.lower() in MODEL_CHOICES:
            choice = choose_model(path)
            path = choice.path
    path = model_file(path)
    sd, config, meta = read_checkpoint(path)
    model = SAVSR(**config.to_dict())
    _check_keys(model, sd, path.name)
    model.load_state_dict(sd, strict=True)
    model.metadata = {"name": meta.get("name", path.stem), "path": str(path), **meta}
    if choice is not None:
        model.metadata["choice"] = choice.describe()
    model.use_fast_path(fast)
    return model.to(device).eval()


def save_model(model: SAVSR, path, metadata: dict | None = None):
    """Write ``model`` in the project's format, atomically.

    ``.safetensors`` gives a safetensors file; any other suffix a weights-only torch file.
    """
    path = Path(path)
    sd = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    meta = dict(metadata or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import save_file
            save_file(sd, tmp, metadata={"format": FORMAT, "version": str(FORMAT_VERSION),
                                         "config": json.dumps(model.config.to_dict()),
                                         "metadata": json.dumps(meta)})
        else:
            torch.save({"format": FORMAT, "version": FORMAT_VERSION, "config": model.config.to_dict(),
                        "metadata": meta, "state_dict": sd}, tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a model file is an ordinary file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
