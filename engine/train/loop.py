"""The training loop, shared by training from scratch and fine-tuning.

``Trainer(config, clips, val_clips)`` builds the network (or takes given weights), the optimiser
and the EMA; ``run(minutes=..., steps=..., progress=..., cancel=...)`` trains until the step
horizon, the wall-clock budget, the step count or the cancel event, whichever comes first,
checkpointing every ``checkpoint_every_s`` seconds and on stop. ``Trainer.resume(path, ...)``
continues a checkpoint exactly: same step, learning rate, weights, optimiser moments and RNG
streams.

Distributed training: the loop touches the network only through ``self.net`` (forward and
backward) and ``self.model`` (the bare module for EMA and checkpoints), and rank 0 alone writes
files; wrapping ``self.net`` in ``DistributedDataParallel`` and seeding the data generator with
``seed + rank`` is all DDP needs.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch

from ..arch import SAVSR
from ..devices import resolve_device
from .config import TrainConfig, training_precision
from .data import BatchSampler, Clip, ScaleRange
from .degrade import CodecSpec, Degradation
from .optim import EMA, batchnorm_eval, charbonnier, learning_rate
from .state import load_state, rng_state, save_state, set_rng_state
from .validate import summary, validate


class Trainer:
    def __init__(self, config: TrainConfig, clips: list[Clip], val_clips: list[Clip] | None = None, *,
                 device="auto", weights: dict | None = None, checkpoint: str | Path | None = None,
                 log: str | Path | None = None, rank: int = 0):
        self.config, self.val_clips, self.rank = config, list(val_clips or []), rank
        self.device = resolve_device(device) if isinstance(device, str) else torch.device(device)
        config.precision = training_precision(config.precision, self.device)   # stored as decided
        self.sampler = BatchSampler(clips, ScaleRange(config.scale_low, config.scale_high, config.integer_steps),
                                    config.patch, config.batch, config.model.get("num_frame", 7), config.max_stride,
                                    Degradation(**config.degradation) if config.degradation else None)
        torch.manual_seed(config.seed)
        self.gen = torch.Generator().manual_seed(config.seed + 7919 * rank)
        self.model = SAVSR(**config.model)
        if weights is not None:
            self.model.load_state_dict(weights, strict=True)
        elif config.zero_tail:
            torch.nn.init.zeros_(self.model.tail.weight)
            torch.nn.init.zeros_(self.model.tail.bias)
        self.model.to(self.device).use_fast_path(True)
        self.net = self.model
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr, betas=(0.9, 0.99),
                                          weight_decay=config.weight_decay)
        self.ema = EMA(self.model, config.ema_decay) if config.ema_decay > 0 else None
        self.step, self.elapsed = 0, 0.0
        self.checkpoint_path = Path(checkpoint) if checkpoint else None
        self.log_path = Path(log) if log else None
        self.history: list[dict] = []

    # ---- persistence ----------------------------------------------------------------------
    def state(self) -> dict:
        return {"step": self.step, "elapsed_s": self.elapsed, "config": self.config.to_dict(),
                "data": self.sampler.describe(), "val_data": [c.describe() for c in self.val_clips],
                "model": self.model.state_dict(), "ema": self.ema.state_dict() if self.ema else None,
                "optimizer": self.optimizer.state_dict(), "rng": rng_state(self.gen)}

    def save(self, path=None) -> Path | None:
        path = Path(path) if path else self.checkpoint_path
        if path is None or self.rank != 0:
            return None
        return save_state(path, **self.state())

    @classmethod
    def resume(cls, path, clips: list[Clip], val_clips=None, **kwargs) -> Trainer:
        st = load_state(path)
        trainer = cls(TrainConfig.from_dict(st["config"]), clips, val_clips,
                      weights=st["model"], checkpoint=kwargs.pop("checkpoint", path), **kwargs)
        trainer.optimizer.load_state_dict(st["optimizer"])
        if trainer.ema is not None and st.get("ema"):
            trainer.ema.load_state_dict(st["ema"])
            trainer.ema.model.to(trainer.device)
        trainer.step, trainer.elapsed = int(st["step"]), float(st["elapsed_s"])
        set_rng_state(st["rng"], trainer.gen)
        return trainer

    def log(self, record: dict):
        self.history.append(record)
        if self.log_path is not None and self.rank == 0:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")

    # ---- one step -------------------------------------------------------------------------
    @property
    def eval_model(self) -> SAVSR:
        return self.ema.model if self.ema is not None else self.model

    def lr_at(self, step: int) -> float:
        c = self.config
        return learning_rate(step, c.lr, c.warmup, c.total_steps)

    def train_step(self) -> float:
        lr = self.lr_at(self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.net.train()
        if self.config.bn_eval:
            batchnorm_eval(self.net)
        lr_frames, gt, scale = self.sampler.draw(self.step, self.gen)
        lr_frames, gt = lr_frames.to(self.device, non_blocking=True), gt.to(self.device, non_blocking=True)
        # bf16: autocast around the forward only; the loss is taken in fp32 (validation stays fp32)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.precision == "bf16"):
            sr = self.net(lr_frames, scale)
        loss = charbonnier(sr.float(), gt)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"training diverged at step {self.step} (loss {loss.item()})")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        if self.ema is not None:
            self.ema.update(self.model)
        self.step += 1
        return loss.item()

    def validate(self, cancel=None) -> list[dict]:
        c = self.config
        if not self.val_clips:
            return []
        results = []
        for text in c.val_degrade:
            results += validate(self.eval_model, self.val_clips, c.val_scales, c.val_frames, c.val_crop,
                                self.device, cancel, degrade=CodecSpec.parse(text))
        return results

    # ---- the loop -------------------------------------------------------------------------
    def run(self, minutes: float | None = None, steps: int | None = None, progress=None, cancel=None,
            final_validation: bool = True, give_way=None) -> dict:
        """Train; returns ``{'step', 'elapsed_s', 'stopped', 'loss', 'validation'}``.

        ``progress(event: dict)`` receives ``kind`` 'train' (step, total_steps, loss, lr,
        elapsed_s, eta_s), 'val' (step, results, summary) and 'checkpoint' (step, path).
        ``cancel`` is a ``threading.Event``; a set event stops after the current step.
        ``give_way()`` runs before every step and returns the seconds it waited (for a preview:
        :func:`engine.foreground.yield_to_foreground`); those seconds do not count against ``minutes``.
        """
        c = self.config
        start = time.monotonic()
        deadline = None if minutes is None else start + 60.0 * minutes
        stop_step = c.total_steps if steps is None else min(c.total_steps, self.step + steps)
        last_ckpt, losses, stopped = start, [], "steps"
        elapsed0, step0 = self.elapsed, self.step
        emit = progress or (lambda event: None)
        while self.step < stop_step:
            if cancel is not None and cancel.is_set():
                stopped = "cancelled"
                break
            if give_way is not None:
                waited = give_way()
                if deadline is not None:
                    deadline += waited
                start += waited                     # the wait is neither training time nor rate
            if deadline is not None and time.monotonic() >= deadline:
                stopped = "time"
                break
            losses.append(self.train_step())
            now = time.monotonic()
            self.elapsed = elapsed0 + (now - start)
            done = self.step - step0
            rate = (now - start) / done
            eta = rate * (stop_step - self.step)
            if deadline is not None:
                eta = min(eta, max(0.0, deadline - now))
            event = {"kind": "train", "step": self.step, "total_steps": stop_step, "loss": losses[-1],
                     "lr": self.lr_at(self.step - 1), "elapsed_s": round(self.elapsed, 2), "eta_s": round(eta, 1)}
            emit(event)
            if self.step % c.log_every == 0 or self.step == stop_step:
                recent = losses[-c.log_every:]
                self.log({**event, "loss": round(sum(recent) / len(recent), 6), "s_per_step": round(rate, 3)})
            if c.val_every and self.step % c.val_every == 0 and self.step < stop_step:
                self._validate_and_log(emit, cancel)
            if now - last_ckpt >= c.checkpoint_every_s:
                self._checkpoint(emit)
                last_ckpt = time.monotonic()
        results = []
        if final_validation and stopped != "cancelled":
            results = self._validate_and_log(emit, cancel)
        self._checkpoint(emit)
        return {"step": self.step, "elapsed_s": self.elapsed, "stopped": stopped,
                "loss": sum(losses[-50:]) / max(1, len(losses[-50:])) if losses else math.nan,
                "validation": results}

    def _validate_and_log(self, emit, cancel) -> list[dict]:
        results = self.validate(cancel)
        if results:
            record = {"kind": "val", "step": self.step, "elapsed_s": round(self.elapsed, 2),
                      "summary": summary(results), "results": results}
            self.log(record)
            emit(record)
        return results

    def _checkpoint(self, emit):
        path = self.save()
        if path is not None:
            emit({"kind": "checkpoint", "step": self.step, "path": str(path)})
