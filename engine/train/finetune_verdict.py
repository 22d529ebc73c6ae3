"""Did the fine-tune help? A verdict that agrees with the originals, also on compressed footage.

A fine-tune is scored on the held-out end of the user's clips: those frames are downscaled,
re-encoded like the clip, and upscaled by the base and by the fine-tuned model. On clean footage the
held-out frames are a fair reference. On compressed footage they carry the codec's blocking and
smeared texture, and a model that learned to reproduce those scores better against them while it
got worse against the real scene (docs/finetune.md: +0.06 dB held out, -0.14 dB against the
originals on a CRF 28 clip). So for compressed footage the verdict reads a reference with less of
the codec's damage: the held-out frames halved (2 x 2 pixels averaged, which takes most of the
blocking and ringing), then downscaled, re-encoded like the clip and upscaled as before.

That still overstates. Measured on three DAVIS validation clips at CRF 28
(training/scripts/finetune_judgement.py, docs/finetune.md), 40-step fine-tunes lost 0.06-0.10 dB
against the originals while the held-out frames said +0.004 to +0.071 dB and the halved reference
+0.004 to +0.053 (it overstated by 0.075-0.117 dB). So a gain counts only from :data:`MARGIN_DB`
(less is within what another frame or crop changes), and on compressed footage only from
:data:`COMPRESSED_MARGIN_DB`: the margin plus what the reference overstated, rounded up. Keeping
the base then costs the user nothing.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from ..evaluation.metrics import downsample
from .data import Clip, video_files
from .degrade import CodecSpec
from .validate import summary, validate

MARGIN_DB = 0.05
COMPRESSED_MARGIN_DB = 0.2      # MARGIN_DB + the halved reference's largest overstatement measured (0.117), rounded up


@dataclass(frozen=True)
class Verdict:
    helped: bool
    gain_db: float | None           # what the verdict reads: the reference's gain (compressed) or the held-out one
    held_out_db: float | None       # the plain held-out gain, for the record
    compressed: bool                # judged against the halved reference

    @property
    def margin_db(self) -> float:
        return COMPRESSED_MARGIN_DB if self.compressed else MARGIN_DB

    @property
    def measured_on(self) -> str:
        return ("the held-out frames with the codec's damage averaged away (halved)" if self.compressed
                else "the held-out frames")

    def text(self) -> str:
        """One plain sentence: what was found and what to do."""
        if self.gain_db is None:
            return "Fine-tuning could not be measured (no held-out frames to compare on)."
        found = f"{self.gain_db:+.2f} dB on {self.measured_on}"
        if self.helped:
            return f"Fine-tuning helped: {found}."
        need = " on compressed footage" if self.compressed else ""
        return f"Fine-tuning did not help: {found}, less than the {self.margin_db:.2f} dB it must gain{need}."

    def to_dict(self) -> dict:
        return {**asdict(self), "margin_db": self.margin_db, "measured_on": self.measured_on}


def footage_is_compressed(footage) -> bool:
    """Whether any video file of ``footage`` carries a lossy codec's damage (as ``auto`` judges it);
    frame folders count as clean."""
    from .finetune_checks import footage_facts
    return any(footage_facts(p).artifacts for p in video_files(footage))


def halved(clip: Clip) -> Clip:
    """``clip`` downscaled by 2 (antialiased bicubic): averaging 2 x 2 pixels takes away most of a
    codec's blocking and ringing, so the frames make cleaner targets and references, at half the detail."""
    frames = downsample(clip.frames.float() / 255.0, (2.0, 2.0)).clamp(0, 1)
    return Clip(clip.name, (frames * 255.0).round().to(torch.uint8))


def reference_clips(held_out: list[Clip]) -> list[Clip]:
    """The held-out clips halved: the reference for compressed footage."""
    return [halved(c) for c in held_out]


def scores(model, held_out: list[Clip], references: list[Clip], config, frames: int, crop: int, device,
           cancel=None) -> tuple[list[dict], list[dict]]:
    """``model``'s validation results on the held-out clips and on their references (the halved
    frames, centre-cropped to half as much), each through the fine-tune's validation codec."""
    def run(clips, side):
        return validate(model, clips, config.val_scales, frames, side, device, cancel,
                        degrade=CodecSpec.parse(config.val_degrade[0])) if clips else []
    return run(held_out, crop), run(references, crop // 2)


def gain(before: list[dict], after: list[dict]) -> float | None:
    """The change of the model's mean PSNR from ``before`` to ``after`` (validation results)."""
    if not before or not after:
        return None
    return round(summary(after)["psnr"] - summary(before)["psnr"], 4)


def judge(before: list[dict], after: list[dict], ref_before: list[dict] | None = None,
          ref_after: list[dict] | None = None, compressed: bool = False) -> Verdict:
    """The verdict from the held-out results before and after (and, for compressed footage, the
    halved reference's): helped only when the figure it reads gained at least :data:`MARGIN_DB`
    (:data:`COMPRESSED_MARGIN_DB` on compressed footage)."""
    held = gain(before, after)
    read = gain(ref_before or [], ref_after or []) if compressed else held
    need = COMPRESSED_MARGIN_DB if compressed else MARGIN_DB
    return Verdict(read is not None and read >= need - 1e-9, read, held, compressed)
