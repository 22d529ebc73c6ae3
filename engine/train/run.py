"""Training runs on disk: a run folder holds ``config.json``, ``checkpoint.pt`` and ``log.jsonl``.

``train(config, run_dir)`` starts a run, or continues the one already in ``run_dir`` exactly
(its stored config wins; ``total_steps`` may be raised to train longer). ``export_model`` turns
a checkpoint into a model file (EMA weights by default) for :func:`engine.load_model`.
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ..arch import SAVSR
from ..models.checkpoint import save_model
from .config import TrainConfig, training_precision
from .data import find_clips
from .loop import Trainer
from .state import load_state

CHECKPOINT, LOG, CONFIG = "checkpoint.pt", "log.jsonl", "config.json"


def write_json(path, obj):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def load_data(config: TrainConfig):
    """Training clips (validation names excluded) and validation clips of a config."""
    clips = find_clips(config.data, exclude=config.exclude, max_frames=config.max_frames)
    val = find_clips(config.val_data, max_frames=config.max_frames) if config.val_data else []
    return clips, val


def open_run(config: TrainConfig | None, run_dir, *, device="auto", total_steps: int | None = None,
             weights: dict | None = None, precision: str | None = None) -> Trainer:
    """A :class:`Trainer` for ``run_dir``: resumed from its checkpoint if there is one.

    ``precision`` (fp32, bf16, auto) replaces the config's, also for the rest of a resumed run (noted
    in its log); the run stores the precision it decided (``auto`` -> bf16 or fp32)."""
    run_dir = Path(run_dir)
    ckpt = run_dir / CHECKPOINT
    if ckpt.is_file():
        stored = TrainConfig.from_dict(load_state(ckpt)["config"])
        clips, val = load_data(stored)
        trainer = Trainer.resume(ckpt, clips, val, device=device, log=run_dir / LOG)
        if total_steps is not None and total_steps != stored.total_steps:
            trainer.config.total_steps = total_steps
            trainer.log({"kind": "note", "step": trainer.step, "text": f"total_steps set to {total_steps}"})
        wanted = training_precision(precision, trainer.device) if precision else trainer.config.precision
        if wanted != trainer.config.precision:
            trainer.config.precision = wanted
            trainer.log({"kind": "note", "step": trainer.step, "text": f"precision set to {wanted}"})
        return trainer
    if config is None:
        raise FileNotFoundError(f"no training checkpoint in {run_dir} and no config to start one")
    if total_steps is not None:
        config.total_steps = total_steps
    if precision:
        config.precision = precision
    clips, val = load_data(config)
    if weights is None and config.init:
        from ..models.checkpoint import read_checkpoint
        weights = read_checkpoint(config.init)[0]
    trainer = Trainer(config, clips, val, device=device, weights=weights, checkpoint=ckpt, log=run_dir / LOG)
    write_json(run_dir / CONFIG, config.to_dict())
    return trainer


def train(config: TrainConfig | None, run_dir, *, minutes=None, steps=None, device="auto",
          progress=None, cancel=None, total_steps=None) -> dict:
    trainer = open_run(config, run_dir, device=device, total_steps=total_steps)
    return trainer.run(minutes=minutes, steps=steps, progress=progress, cancel=cancel)


def export_model(checkpoint, out, *, ema: bool = True, metadata: dict | None = None) -> Path:
    """Write the weights of a training checkpoint as a model file (atomically)."""
    st = load_state(checkpoint)
    config = TrainConfig.from_dict(st["config"])
    model = SAVSR(**config.model)
    sd = st["ema"]["model"] if ema and st.get("ema") else st["model"]
    model.load_state_dict(sd, strict=True)
    meta = {"trained_steps": int(st["step"]), "trained_hours": round(float(st["elapsed_s"]) / 3600, 3),
            "weights": "ema" if ema and st.get("ema") else "raw",
            "training_data": [c["name"] for c in st["data"]["clips"]],
            "exported": datetime.now(timezone.utc).isoformat(timespec="seconds"), **(metadata or {})}
    return save_model(model, out, meta)
