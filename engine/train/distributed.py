"""Fine-tuning on several GPUs of one workstation: DistributedDataParallel under ``torchrun``.

:func:`engine.cli.torchrun_entry.launch` starts ``torchrun --standalone --nproc-per-node N -m
engine.cli.torchrun_entry ARGS`` (ARGS are ``savsr finetune``'s own arguments); each process calls
:func:`finetune_ddp`, which joins the process group (NCCL on CUDA, Gloo on the CPU), trains on its own GPU
(``cuda:LOCAL_RANK``) with its own data stream (the loop seeds it with ``seed + rank``) and
averages gradients through DDP. Every rank stops at the same step: after each step the ranks
agree (one all-reduce of a flag) whether the time budget is spent or a stop was asked.

Rank 0 alone measures the held-out frames, writes the checkpoint (the same file and format as a
single-process fine-tune, so either can resume the other) and the final model. The effective
batch is ``batch x N``; the learning rate is not scaled.
"""
from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.distributed as dist

from ..models.checkpoint import read_checkpoint, save_model
from .data import find_clips
from .finetune import FinetuneSettings, base_and_output, finetune_config, match, train_state_path
from .finetune_verdict import footage_is_compressed, judge, reference_clips, scores
from .loop import Trainer
from .validate import summary


class DDPTrainer(Trainer):
    """The training loop with ``self.net`` wrapped in DDP and a stop decision shared by all ranks."""

    def __init__(self, *args, rank: int = 0, **kwargs):
        super().__init__(*args, rank=rank, **kwargs)
        from torch.nn.parallel import DistributedDataParallel
        ids = [self.device.index] if self.device.type == "cuda" else None
        self.net = DistributedDataParallel(self.model, device_ids=ids)
        self.stop = threading.Event()       # set on every rank at the same step
        self.asked = threading.Event()      # this rank was asked to stop (signal, caller)
        self.deadline: float | None = None
        self.reason = "steps"

    @classmethod
    def resume(cls, path, clips, val_clips=None, **kwargs) -> DDPTrainer:
        """Continue a checkpoint; ranks other than 0 get a data stream of their own again (the
        checkpoint holds rank 0's), so the GPUs never train on the same crops."""
        trainer = super().resume(path, clips, val_clips, **kwargs)
        if trainer.rank:
            trainer.gen.manual_seed(trainer.config.seed + 7919 * trainer.rank + trainer.step)
        return trainer

    def train_step(self) -> float:
        loss = super().train_step()
        flags = torch.tensor([float(self.asked.is_set()),
                              float(self.deadline is not None and time.monotonic() >= self.deadline),
                              loss], device=self.device)
        dist.all_reduce(flags)
        asked, late = flags[0].item() > 0, flags[1].item() > 0
        if asked or late:
            self.reason = "cancelled" if asked else "time"
            self.stop.set()
        return flags[2].item() / dist.get_world_size()      # the mean loss over ranks


def finetune_ddp(footage, out, *, base=None, minutes: float | None = 5.0, steps: int | None = None,
                 settings: FinetuneSettings | None = None, progress=None, asked: threading.Event | None = None,
                 resume: bool = False) -> dict | None:
    """One rank's share of a distributed fine-tune (the process group must be initialised).

    Returns on rank 0 the same dictionary as :func:`engine.train.finetune.finetune`; ``None``
    on the other ranks.
    """
    rank, local = dist.get_rank(), int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device("cuda", local) if torch.cuda.is_available() else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    s = settings or FinetuneSettings()
    base_path, out = base_and_output(base, out, footage)
    sd, model_config, base_meta = read_checkpoint(base_path)
    pairs = [clip.split(s.holdout) for clip in find_clips(footage, max_frames=s.max_frames)]
    train_clips, held_out = [a for a, _ in pairs], [b for _, b in pairs]
    ckpt, log = train_state_path(out), out.with_name(out.name + ".log.jsonl")
    compressed = rank == 0 and footage_is_compressed(footage)
    references = reference_clips(held_out) if compressed else []    # the verdict's (finetune_verdict)
    if resume and ckpt.is_file():
        trainer = DDPTrainer.resume(ckpt, train_clips, held_out, device=device, log=log, rank=rank)
    else:
        matched = match(footage, s)
        trainer = DDPTrainer(finetune_config(model_config, footage, s, matched, 0), train_clips, held_out,
                             device=device, weights=sd, checkpoint=ckpt, log=log, rank=rank)
        if rank == 0:
            if progress:
                progress({"kind": "note", "text": matched.note})
            before, ref_before = scores(trainer.model, held_out, references, trainer.config, s.val_frames,
                                        s.val_crop, device)
            trainer.log({"kind": "val", "step": 0, "elapsed_s": 0.0, "summary": summary(before), "results": before,
                         "reference": ref_before, "note": "base model"})
    dist.barrier()
    trainer.deadline = None if minutes is None else time.monotonic() + 60.0 * minutes
    if asked is not None:
        trainer.asked = asked
    emit = progress if rank == 0 and progress else None
    trainer.run(minutes=None, steps=steps, progress=emit, cancel=trainer.stop, final_validation=False)
    dist.barrier()
    if rank != 0:
        return None
    after = trainer.validate()
    trainer.log({"kind": "val", "step": trainer.step, "elapsed_s": round(trainer.elapsed, 2),
                 "summary": summary(after), "results": after})
    _, ref_after = scores(trainer.eval_model, [], references, trainer.config, s.val_frames, s.val_crop, device)
    first = next((r for r in trainer.history + _read_log(log) if r.get("kind") == "val" and r.get("step") == 0), {})
    before = first.get("results", [])
    verdict = judge(before, after, first.get("reference", []), ref_after, compressed)
    gain = verdict.held_out_db
    meta = {"name": out.stem, "base_model": base_meta.get("name", base_path.stem), "base_path": str(base_path),
            "footage": [Path(p).name for p in footage], "scales": trainer.config.val_scales,
            "scale_range": [trainer.config.scale_low, trainer.config.scale_high], "steps": trainer.step,
            "bn_eval": trainer.config.bn_eval, "processes": dist.get_world_size(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "psnr_before": summary(before),
            "psnr_after": summary(after), "gain_db": gain, "verdict": verdict.to_dict()}
    save_model(trainer.eval_model, out, meta)
    return {"model": out, "base": base_path, "checkpoint": ckpt, "step": trainer.step, "stopped": trainer.reason,
            "before": before, "after": after, "gain_db": gain, "verdict": verdict}


def _read_log(path: Path) -> list[dict]:
    import json
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
