"""The network reproduces the authors' code number for number, on both inference paths."""
import json

import pytest
import torch

from engine import SAVSR, output_size


@pytest.fixture(scope="module")
def parity_model(parity_fixture):
    model = SAVSR(**parity_fixture["config"])
    model.load_state_dict(parity_fixture["state_dict"], strict=True)
    return model.eval()


def test_default_state_dict_matches_the_official_layout(fixtures_dir):
    ref = json.loads((fixtures_dir / "official_state_dict.json").read_text())
    sd = SAVSR(**ref["config"]).state_dict()
    assert SAVSR().config.to_dict() == ref["config"]
    assert {k: list(v.shape) for k, v in sd.items()} == ref["state_dict_shapes"]
    assert len(sd) == 791


def worst_difference(model, fixture) -> float:
    """The largest absolute difference from the authors' outputs over the fixture's cases."""
    worst = 0.0
    with torch.no_grad():
        for case in fixture["cases"]:
            out = model(fixture["inputs"][case["input"]], case["scale"])
            assert out.shape == case["output"].shape, case["scale"]
            worst = max(worst, (out - case["output"]).abs().max().item())
    return worst


PATHS = pytest.mark.parametrize("fast,fused", [(False, None), (True, None), (True, True)],
                                ids=["plain", "fast", "fast-fused-branches"])


@PATHS
def test_parity_with_the_authors_outputs(parity_model, parity_fixture, fast, fused):
    parity_model.use_fast_path(fast)
    parity_model.fuse_branches = fused
    worst = worst_difference(parity_model, parity_fixture)
    parity_model.fuse_branches = None
    assert worst <= 1e-4


@PATHS
def test_parity_at_24_features(parity_nf24, fast, fused):
    """num_feat 24, not a multiple of 16, which the authors' code accepts (RCAB squeezes to one channel)."""
    assert parity_nf24["config"]["num_feat"] == 24
    model = SAVSR(**parity_nf24["config"])
    model.load_state_dict(parity_nf24["state_dict"], strict=True)
    model.eval().use_fast_path(fast)
    model.fuse_branches = fused
    assert worst_difference(model, parity_nf24) <= 1e-4


def test_fast_and_plain_agree_with_batches_and_cache(parity_model, parity_fixture):
    lr = torch.cat([parity_fixture["inputs"]["bikes_odd"]] * 2)
    lr[1] = lr[1].flip(-1)
    with torch.no_grad():
        plain = parity_model.use_fast_path(False)(lr, (2.5, 1.75))
        fast = parity_model.use_fast_path(True)(lr, (2.5, 1.75))
        again = parity_model(lr, (2.5, 1.75))  # served from the embedding cache
    assert (plain - fast).abs().max() <= 1e-4
    assert torch.equal(fast, again)


def test_fast_path_in_strips_matches_one_pass(parity_model, parity_fixture, monkeypatch):
    lr = parity_fixture["inputs"]["bikes_even"]
    parity_model.use_fast_path(True)
    with torch.no_grad():
        whole = parity_model(lr, (3.3, 2.2))
        monkeypatch.setattr(parity_model.upsample, "strip_pixels", 500)
        strips = parity_model(lr, (3.3, 2.2))
    assert (whole - strips).abs().max() <= 1e-5


def test_fast_path_trains(parity_model, parity_fixture):
    """Gradients flow through the fast path (the training engine uses it)."""
    model = SAVSR(**parity_fixture["config"]).train()
    lr = parity_fixture["inputs"]["bikes_even"][..., :16, :16].repeat(2, 1, 1, 1, 1)  # BatchNorm needs b > 1
    out = model(lr, (2.0, 1.5))
    out.mean().backward()
    assert model.upsample.weight_expand.grad is not None
    assert model.f2p_win.blocks[1].osconv.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("h,w,scale,expected", [
    (37, 53, (2.5, 1.75), (92, 93)),   # Python round: half to even
    (40, 56, (1.3, 3.9), (52, 218)),
    (270, 480, (2.0, 2.0), (540, 960)),
])
def test_output_size_rounding(h, w, scale, expected):
    assert output_size(h, w, scale) == expected


def test_bad_input_shapes_are_refused(parity_model):
    with pytest.raises(ValueError, match="expected lr of shape"):
        parity_model(torch.zeros(1, 5, 3, 8, 8), (2, 2))
    with pytest.raises(ValueError, match="positive"):
        parity_model(torch.zeros(1, 7, 3, 8, 8), (0, 2))
