"""Widening a trained model (engine.train.widen): more feature channels, the same outputs; bf16 training."""
from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import torch

from engine import SAVSR, load_model
from engine.cli import main
from engine.train import TrainConfig, Trainer, load_clip
from engine.train.widen import _Widener, widen_model, widen_state_dict

COMPRESSED = Path(__file__).resolve().parents[2] / "resources" / "models" / "savsr_studio_compressed.safetensors"
SCALES = [(2.0, 2.0), (1.5, 4.0)]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def clip(footage_dir):
    return load_clip(footage_dir, max_frames=8)


@pytest.fixture(scope="module")
def window(clip) -> torch.Tensor:
    """A real 7-frame window of the sample, 48x64 crops: ``(1, 7, 3, 48, 64)``."""
    return (clip.frames[:7, :, 60:108, 120:184].float() / 255).unsqueeze(0)


@pytest.fixture(scope="module")
def narrow() -> SAVSR:
    return load_model(COMPRESSED)


@pytest.fixture(scope="module")
def wide(narrow) -> SAVSR:
    return widen_model(narrow, 24, seed=0)


def outputs(model: SAVSR, lr: torch.Tensor, scale, fast: bool = True) -> torch.Tensor:
    model.use_fast_path(fast)
    with torch.no_grad():
        return model(lr, scale)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "plain"])
@pytest.mark.parametrize("scale", SCALES, ids=str)
def test_the_widened_model_gives_the_same_frames(narrow, wide, window, scale, fast):
    assert wide.config.num_feat == 24 and wide.config.to_dict() | {"num_feat": 16} == narrow.config.to_dict()
    want = outputs(narrow, window, scale, fast)
    got = outputs(wide, window, scale, fast)
    assert got.shape == want.shape == (1, 3, round(48 * scale[0]), round(64 * scale[1]))
    assert (got - want).abs().max().item() < 1e-5


def test_the_same_frames_in_train_mode_on_batch_statistics(narrow, wide, window, clip):
    second = (clip.frames[1:8, :, 100:148, 40:104].float() / 255).unsqueeze(0)
    batch = torch.cat([window, second])
    a, b = copy.deepcopy(narrow).train(), copy.deepcopy(wide).train()
    want, got = outputs(a, batch, (2.0, 2.0)), outputs(b, batch, (2.0, 2.0))
    assert (got - want).abs().max().item() < 1e-5
    # the running statistics moved the same way: still the same model in eval mode
    assert (outputs(b.eval(), window, (1.5, 4.0)) - outputs(a.eval(), window, (1.5, 4.0))).abs().max() < 1e-5


def test_plain_copying_without_splitting_would_change_the_frames(narrow, window, monkeypatch):
    # the check above would catch a widening that only copies: readers then count every copy in full
    monkeypatch.setattr(_Widener, "split", lambda self, w, dim, index: w.index_select(dim, index))
    copied = widen_model(narrow, 24, seed=0)
    assert (outputs(copied, window, (2.0, 2.0)) - outputs(narrow, window, (2.0, 2.0))).abs().max() > 1e-2


def source_channels(narrow: SAVSR, wide: SAVSR) -> list[int]:
    """For each new feature channel, the old channel it copies (read off a producer's biases)."""
    old, new = narrow.conv_last.bias.detach(), wide.conv_last.bias.detach()
    src = []
    for value in new:
        (match,) = (old == value).nonzero()[:, 0].tolist()
        src.append(match)
    return src


@pytest.mark.parametrize("name", ["RG.0.residual_group.0.rcab.2.weight", "upsample.fusion.weight", "tail.weight"])
def test_copies_share_their_columns_unevenly(narrow, wide, name):
    src = source_channels(narrow, wide)
    assert src[:16] == list(range(16)) and len(set(src[16:])) == 8     # eight distinct channels copied
    old, new = narrow.state_dict()[name].flatten(2), wide.state_dict()[name].flatten(2)[:, :24]
    if new.shape[0] == 24:                                # rows widened too: compare with the rows they copy
        old = old[src]
    for j in range(16, 24):
        c = src[j]
        group = [k for k in range(24) if src[k] == c]
        # the copies of a column add up to the old column ...
        assert torch.allclose(new[:, group].sum(dim=1), old[:, c], atol=1e-6)
        # ... with positive shares that differ from row to row: no copy duplicates or scales another
        ratio = (new[:, j] / new[:, c]).flatten()
        assert (ratio > 0).all() and ratio.std() > 0.1, (name, j)


def test_inner_widths_grow_too():
    # 40 features: squeeze 1 -> 2, mask 4 -> 10, experts 2 -> 5; 56: OSConv attention 16 -> 17 wide
    torch.manual_seed(0)
    model = SAVSR(num_feat=16, w1_num_block=2, w2_num_block=1, n_resgroups=1, n_resblocks=1).eval()
    for bn in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 1.5)
    lr = torch.rand(1, 7, 3, 16, 20, generator=torch.Generator().manual_seed(1))
    want = outputs(model, lr, (2.5, 1.5))
    for nf in (40, 56):
        wide = widen_model(model, nf, seed=nf)
        assert wide.h_win[0].blocks[0].osconv.attention.fc.out_channels == (17 if nf == 56 else 16)
        assert (outputs(wide, lr, (2.5, 1.5)) - want).abs().max().item() < 1e-5
    with pytest.raises(ValueError, match="at least"):
        widen_state_dict(model.state_dict(), model.config, 8)


def test_savsr_widen_writes_a_model_file_that_loads_like_any_other(narrow, window, tmp_path, capsys):
    out = tmp_path / "compressed24.safetensors"
    assert main(["widen", str(COMPRESSED), "-o", str(out), "--features", "24"]) == 0
    assert "16 -> 24 features" in capsys.readouterr().out
    model = load_model(out)
    assert model.config.num_feat == 24
    meta = model.metadata
    assert meta["name"] == "compressed24" and meta["trained_steps"] == narrow.metadata["trained_steps"]
    assert meta["widened_from"]["name"] == narrow.metadata["name"] and meta["widened_from"]["num_feat"] == 16
    assert meta["widen"]["check_max_abs_diff"] < 1e-5
    got, want = outputs(model, window, (1.5, 4.0)), outputs(narrow, window, (1.5, 4.0))
    assert (got - want).abs().max().item() < 1e-5


def test_bf16_training_takes_a_finite_step(clip):
    tiny = {"num_feat": 16, "w1_num_block": 2, "w2_num_block": 1, "n_resgroups": 1, "n_resblocks": 1}
    config = TrainConfig(model=tiny, patch=12, batch=2, scale_low=2.0, scale_high=2.0, warmup=1,
                         val_every=0, precision="bf16", seed=1)
    trainer = Trainer(config, [clip], device="cpu")
    before = trainer.model.tail.weight.detach().clone()
    loss = trainer.train_step()
    assert math.isfinite(loss) and loss > 0
    assert trainer.model.tail.weight.dtype == torch.float32             # weights stay fp32
    assert not torch.equal(trainer.model.tail.weight, before)
    with pytest.raises(ValueError, match="precision"):
        TrainConfig(precision="fp16")
