"""Fine-tuning: the training loop started from existing weights on a user's clips.

The last ``holdout`` fraction of every clip is never trained on; the model is scored there
before and after (benchmark protocol, model and bicubic on the same frames). Defaults suit a
few minutes on a CPU: learning rate 5e-5 held constant after a short warm-up, scales within
0.5 of the factors the user picked, EMA 0.99. BatchNorm layers are trained as usual: freezing
them (``bn_eval``) measured no better (docs/training.md).
The base model file is only read. The output is a model file for :func:`engine.load_model`;
beside it ``<out>.train.pt`` keeps the training state so an interrupted fine-tune can resume.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import SavsrError
from ..foreground import yield_to_foreground
from ..models.checkpoint import read_checkpoint, save_model
from ..resources import default_model_path
from .config import TrainConfig
from .data import find_clips, video_files
from .finetune_checks import compressed_caution, footage_facts
from .finetune_verdict import halved, judge, reference_clips, scores
from .loop import Trainer
from .matching import Matched, match_footage
from .validate import summary


@dataclass
class FinetuneSettings:
    scales: list = field(default_factory=lambda: [[2.0, 2.0]])  # the factors the user will upscale by
    scale_range: tuple | None = None   # explicit (low, high); default: within 0.5 of ``scales``
    lr: float = 5e-5
    warmup: int = 10
    patch: int = 32
    batch: int = 4
    holdout: float = 0.1               # last fraction of each clip, used only for validation
    bn_eval: bool = False              # frozen BatchNorm measured no better (docs/training.md)
    ema_decay: float = 0.99
    max_frames: int | None = 200       # frames read per clip
    val_every: int = 50
    val_frames: int = 3                # held-out frames scored per clip
    val_crop: int = 256
    checkpoint_every_s: float = 60.0
    seed: int = 0
    degrade: str = "match"             # match the clip's codec and bits per pixel, none, or e.g. h264:28
    targets: str = "clip"              # clip: the frames as they are; halved: downscaled by 2 first (cleaner)

    def range(self) -> tuple[float, float]:
        if self.scale_range is not None:
            return float(self.scale_range[0]), float(self.scale_range[1])
        flat = [float(v) for s in self.scales for v in s]
        return max(1.0, min(flat) - 0.5), max(flat) + 0.5


def train_state_path(out) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".train.pt")


def base_and_output(base, out, footage=()) -> tuple[Path, Path]:
    """The base model's path and the resolved output path; refuses an output that would overwrite
    the base or a bundled model. ``base``: a file, ``clean``/``compressed``, or ``None``/``auto``:
    the bundled model that ``auto`` picks for the first video file of ``footage`` (clean for
    frame folders)."""
    from ..models.choice import MODELS, bundled_model, choose_model
    spec = base or "auto"
    info = None
    if spec == "auto":
        video = next(iter(video_files(footage)), None)
        if video is not None:
            from ..video import probe
            info = probe(video)
    if base is None or base in ("auto", *MODELS):
        choice = choose_model(spec, info)
        base_path = default_model_path() if choice.name == "clean" else choice.path
    else:
        base_path = Path(base)
    if base_path is None or not base_path.is_file():
        raise SavsrError(f"base model not found: {base_path}")
    out = Path(out).resolve()
    bundled = {p.resolve() for p in map(bundled_model, MODELS) if p is not None}
    if default_model_path():
        bundled.add(default_model_path().resolve())
    if out == base_path.resolve() or out in bundled:
        raise SavsrError("the fine-tuned model must not overwrite its base or a bundled model: choose another output")
    return base_path, out


def finetune_config(model_config, footage, s: FinetuneSettings, matched: Matched, val_every: int) -> TrainConfig:
    """The training settings of a fine-tune (single process and distributed)."""
    low, high = s.range()
    return TrainConfig(model=model_config.to_dict(), data=[str(p) for p in footage], exclude=[],
                       max_frames=s.max_frames, patch=s.patch, batch=s.batch, scale_low=low, scale_high=high,
                       lr=s.lr, warmup=s.warmup, total_steps=10 ** 7, ema_decay=s.ema_decay, bn_eval=s.bn_eval,
                       zero_tail=False, seed=s.seed, checkpoint_every_s=s.checkpoint_every_s, val_every=val_every,
                       val_scales=[list(map(float, x)) for x in s.scales], val_frames=s.val_frames,
                       val_crop=s.val_crop, degradation=matched.degradation, val_degrade=[matched.validation])


def match(footage, s: FinetuneSettings) -> Matched:
    """The fine-tune's degradation for ``footage`` at the middle of its scale range."""
    low, high = s.range()
    return match_footage(footage, (low + high) / 2, s.degrade)


def finetune(footage, out, *, base=None, minutes: float | None = 5.0, steps: int | None = None,
             settings: FinetuneSettings | None = None, device="auto", progress=None, cancel=None,
             resume: bool = False) -> dict:
    """Fine-tune ``base`` (default: the bundled model) on ``footage``; write the result to ``out``.

    Returns ``{'model', 'checkpoint', 'step', 'stopped', 'before', 'after', 'gain_db', 'verdict'}``
    where ``before``/``after`` are :func:`validate` results on the held-out frames, ``gain_db`` is
    the mean change of the model's PSNR there and ``verdict`` the
    :class:`~engine.train.finetune_verdict.Verdict`: whether the fine-tune helped (on compressed
    footage judged against the held-out frames halved). The model file is written either way; it
    records the verdict in its metadata.
    """
    s = settings or FinetuneSettings()
    base_path, out = base_and_output(base, out, footage)
    sd, model_config, base_meta = read_checkpoint(base_path)

    train_clips, held_out = [], []
    for clip in find_clips(footage, max_frames=s.max_frames):
        if clip.frames.shape[0] < 2:
            raise SavsrError(f"{clip.name} has {clip.frames.shape[0]} frame(s): fine-tuning needs at least 2")
        a, b = clip.split(s.holdout)
        train_clips.append(halved(a) if s.targets == "halved" else a)
        held_out.append(b)

    matched = match(footage, s)
    facts = [footage_facts(p) for p in video_files(footage)]    # frame folders count as clean
    compressed = any(f.artifacts for f in facts)
    if progress:
        progress({"kind": "note", "text": matched.note})
        caution = compressed_caution(facts)
        if caution:
            progress({"kind": "note", "text": f"caution: {caution}"})
    references = reference_clips(held_out) if compressed else []   # the verdict's, see finetune_verdict
    config = finetune_config(model_config, footage, s, matched, s.val_every)
    low, high = config.scale_low, config.scale_high
    ckpt = train_state_path(out)
    log = out.with_name(out.name + ".log.jsonl")
    if resume and ckpt.is_file():
        trainer = Trainer.resume(ckpt, train_clips, held_out, device=device, log=log)
        before = ref_before = None
    else:
        trainer = Trainer(config, train_clips, held_out, device=device, weights=sd, checkpoint=ckpt, log=log)
        before, ref_before = scores(trainer.model, held_out, references, config, s.val_frames, s.val_crop,
                                    trainer.device, cancel)
        trainer.log({"kind": "val", "step": 0, "elapsed_s": 0.0, "summary": summary(before), "results": before,
                     "reference": ref_before, "note": "base model"})
        if progress:
            progress({"kind": "val", "step": 0, "summary": summary(before), "results": before})

    result = trainer.run(minutes=minutes, steps=steps, progress=progress, cancel=cancel,
                         give_way=yield_to_foreground)       # a preview in the app computes first
    after = result["validation"] or trainer.validate()
    _, ref_after = scores(trainer.eval_model, [], references, config, s.val_frames, s.val_crop, trainer.device,
                          cancel)
    if before is None:  # resumed: the base's scores are the first validation in the log
        first = next((r for r in _read_log(log) if r.get("kind") == "val" and r.get("step") == 0), {})
        before, ref_before = first.get("results", []), first.get("reference", [])
    verdict = judge(before, after, ref_before, ref_after, compressed)
    gain = verdict.held_out_db
    meta = {"name": out.stem, "base_model": base_meta.get("name", base_path.stem), "base_path": str(base_path),
            "footage": [Path(p).name for p in footage], "scales": config.val_scales, "scale_range": [low, high],
            "steps": trainer.step, "bn_eval": s.bn_eval, "degradation": matched.note, "targets": s.targets,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "psnr_before": summary(before), "psnr_after": summary(after),
            "gain_db": gain, "verdict": verdict.to_dict()}
    save_model(trainer.eval_model, out, meta)
    return {"model": out, "base": base_path, "checkpoint": ckpt, "step": trainer.step, "stopped": result["stopped"],
            "before": before, "after": after, "gain_db": gain, "verdict": verdict}


def _read_log(path: Path) -> list[dict]:
    import json
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
