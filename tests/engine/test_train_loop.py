"""Training engine: the loss goes down, checkpoints resume exactly, runs export loadable models."""
from __future__ import annotations

import json

import pytest
import torch

from engine import load_model
from engine.train import Clip, ScaleRange, TrainConfig, Trainer, export_model, load_clip, open_run
from engine.train.data import BatchSampler
from engine.train.optim import charbonnier

TINY = {"num_feat": 16, "w1_num_block": 2, "w2_num_block": 1, "n_resgroups": 1, "n_resblocks": 1}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def clip(footage_dir):
    return load_clip(footage_dir, max_frames=9)


def tiny_config(**kw) -> TrainConfig:
    base = dict(model=dict(TINY), patch=12, batch=2, scale_low=2.0, scale_high=2.0, lr=2e-3, warmup=1,
                total_steps=100, val_every=0, log_every=1, checkpoint_every_s=1e9, seed=1)
    base.update(kw)
    return TrainConfig(**base)


def test_training_lowers_the_loss_on_a_real_clip(clip):
    # a 24x24 window of the clip: every sample is the same scene up to time and augmentation
    small = Clip("court", clip.frames[:, :, 100:124, 200:224].clone())
    trainer = Trainer(tiny_config(zero_tail=False), [small], device="cpu")
    fixed = BatchSampler([small], ScaleRange(2.0, 2.0), patch=12, batch=4)
    lr, gt, scale = fixed.draw(0, torch.Generator().manual_seed(5))

    def loss():
        trainer.model.eval()
        with torch.no_grad():
            return charbonnier(trainer.model(lr, scale), gt).item()

    before = loss()
    result = trainer.run(steps=20, final_validation=False)
    assert result["step"] == 20 and result["stopped"] == "steps"
    assert loss() < 0.8 * before


def test_checkpoint_resume_continues_at_the_same_step_and_learning_rate(clip, tmp_path):
    ckpt = tmp_path / "run" / "checkpoint.pt"
    trainer = Trainer(tiny_config(), [clip], device="cpu", checkpoint=ckpt)
    trainer.run(steps=3, final_validation=False)
    assert ckpt.is_file()
    resumed = Trainer.resume(ckpt, [clip], device="cpu")
    assert resumed.step == trainer.step == 3
    assert resumed.lr_at(resumed.step) == trainer.lr_at(trainer.step)
    assert resumed.optimizer.state_dict()["state"].keys() == trainer.optimizer.state_dict()["state"].keys()
    # the next step is the same step: same batch, same update
    loss_a, loss_b = trainer.train_step(), resumed.train_step()
    assert loss_a == pytest.approx(loss_b, rel=1e-5)
    for (name, a), b in zip(trainer.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name


def test_a_run_folder_resumes_and_exports_a_loadable_model(clip, footage_dir, tmp_path):
    run = tmp_path / "run"
    config = tiny_config(data=[str(footage_dir)], exclude=[], max_frames=9, total_steps=4,
                         val_data=[str(footage_dir)], val_frames=1, val_crop=48,
                         val_scales=[[2.0, 2.0]])
    first = open_run(config, run, device="cpu")
    first.run(steps=2)
    second = open_run(None, run, device="cpu")
    assert second.step == 2
    out = second.run()
    assert out["step"] == 4 and out["stopped"] == "steps"
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "train"] == [1, 2, 3, 4]
    val = [r for r in records if r["kind"] == "val"]
    assert val and {"psnr", "bicubic", "gain"} <= set(val[-1]["results"][0])
    model = load_model(export_model(run / "checkpoint.pt", tmp_path / "m.safetensors"))
    assert model.metadata["trained_steps"] == 4
    lr = torch.rand(1, 7, 3, 10, 12)
    assert model(lr, (1.5, 2.0)).shape == (1, 3, 15, 24)


def test_cancel_stops_and_saves(clip, tmp_path):
    import threading
    cancel = threading.Event()
    ckpt = tmp_path / "c.pt"
    trainer = Trainer(tiny_config(), [clip], device="cpu", checkpoint=ckpt)

    def progress(event):
        if event["kind"] == "train" and event["step"] == 2:
            cancel.set()

    out = trainer.run(steps=50, progress=progress, cancel=cancel)
    assert out["stopped"] == "cancelled" and out["step"] == 2
    assert Trainer.resume(ckpt, [clip], device="cpu").step == 2


def test_a_short_bf16_run_tracks_the_fp32_run(clip):
    """bf16 autocast (the forward only; loss and optimiser in fp32) follows fp32's loss step by step on
    the same batches: within 5 % at every one of 12 steps, and it learns as much."""
    small = Clip("court", clip.frames[:, :, 100:124, 200:224].clone())
    losses = {}
    for precision in ("fp32", "bf16"):
        trainer = Trainer(tiny_config(zero_tail=False, precision=precision), [small], device="cpu")
        losses[precision] = [trainer.train_step() for _ in range(12)]
    fp32, bf16 = losses["fp32"], losses["bf16"]
    assert all(abs(b - a) <= 0.05 * a for a, b in zip(fp32, bf16)), (fp32, bf16)
    assert bf16[-1] < 0.8 * bf16[0] and abs(bf16[-1] - fp32[-1]) <= 0.05 * fp32[-1]


@pytest.mark.parametrize("has_bf16, decided", [(True, "bf16"), (False, "fp32")])
def test_auto_precision_trains_in_bf16_where_the_cpu_has_it_and_the_run_keeps_it(has_bf16, decided, footage_dir,
                                                                                 tmp_path, monkeypatch):
    from engine.backends import precision
    flags = {"avx2", "avx512_bf16"} if has_bf16 else {"avx2"}
    monkeypatch.setattr(precision, "cpu_info", lambda: ("test CPU", frozenset(flags)))
    run = tmp_path / "run"
    config = tiny_config(data=[str(footage_dir)], exclude=[], max_frames=9, total_steps=2)
    trainer = open_run(config, run, device="cpu", precision="auto")
    assert trainer.config.precision == decided
    assert json.loads((run / "config.json").read_text())["precision"] == decided
    trainer.run(steps=1, final_validation=False)
    forced = open_run(None, run, device="cpu", precision="fp32" if has_bf16 else "bf16")     # savsr train --precision
    assert forced.config.precision == ("fp32" if has_bf16 else "bf16") and forced.step == 1
