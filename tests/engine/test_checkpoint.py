"""Every accepted checkpoint layout loads; every bad file gives one clear error."""
import pickle

import pytest
import torch

from engine import CheckpointError, load_model, save_model
from engine.models import checkpoint as ckpt


@pytest.fixture(scope="module")
def small(parity_fixture):
    return parity_fixture["config"], parity_fixture["state_dict"]


def _same_output(model, parity_fixture):
    case = parity_fixture["cases"][2]
    with torch.no_grad():
        out = model(parity_fixture["inputs"][case["input"]], case["scale"])
    return (out - case["output"]).abs().max().item() <= 1e-4


@pytest.mark.parametrize("layout", ["params", "params_ema", "bare", "module_prefix"])
def test_authors_layouts_load_and_reproduce(tmp_path, small, parity_fixture, layout):
    _, sd = small
    if layout == "module_prefix":
        obj = {"params": {f"module.{k}": v for k, v in sd.items()}}
    elif layout == "bare":
        obj = dict(sd)
    else:
        obj = {layout: sd}
    path = tmp_path / "savsr_best.pth"
    torch.save(obj, path)
    model = load_model(path)
    assert not model.training
    assert model.config.num_feat == 16 and model.config.n_resgroups == 2
    assert _same_output(model, parity_fixture)


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_project_format_round_trip(tmp_path, small, parity_fixture, suffix):
    config, sd = small
    model = load_model_from(config, sd)
    path = save_model(model, tmp_path / f"mine{suffix}", {"name": "my fine-tune", "steps": 12})
    loaded = load_model(path)
    assert loaded.metadata["name"] == "my fine-tune" and loaded.metadata["steps"] == 12
    assert loaded.config == model.config
    assert _same_output(loaded, parity_fixture)
    assert not list(tmp_path.glob("*.part"))


def load_model_from(config, sd):
    from engine import SAVSR
    model = SAVSR(**config)
    model.load_state_dict(sd)
    return model.eval()


class Payload:
    def __reduce__(self):
        import os
        return (os.system, ("touch PWNED",))


def test_pickle_with_code_is_refused_and_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"params": Payload()}, f, protocol=2)
    with pytest.raises(CheckpointError, match="refused"):
        load_model(path)
    assert not (tmp_path / "PWNED").exists()


def test_wrong_architecture_names_the_keys(tmp_path, small):
    _, sd = small
    broken = {k: v for k, v in sd.items() if not k.startswith("upsample.fusion")}
    torch.save({"params": broken}, tmp_path / "a.pth")
    with pytest.raises(CheckpointError, match=r"missing keys \(upsample\.fusion"):
        load_model(tmp_path / "a.pth")
    resized = dict(sd)
    resized["tail.bias"] = torch.zeros(5)
    resized["tail.weight"] = torch.zeros(3, 16, 5, 5)
    torch.save(resized, tmp_path / "b.pth")
    with pytest.raises(CheckpointError, match="shape mismatch"):
        load_model(tmp_path / "b.pth")
    torch.save({"params": {"conv.weight": torch.zeros(3)}}, tmp_path / "c.pth")
    with pytest.raises(CheckpointError, match="not a SAVSR checkpoint"):
        load_model(tmp_path / "c.pth")


@pytest.mark.parametrize("content,match", [(b"", "empty"), (b"\x00garbage" * 50, "not a checkpoint")])
def test_non_checkpoints(tmp_path, content, match):
    path = tmp_path / "x.pth"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=match):
        load_model(path)
    with pytest.raises(CheckpointError, match="not found"):
        load_model(tmp_path / "missing.pth")


def test_no_default_model_message(monkeypatch):
    monkeypatch.setattr(ckpt, "default_model_path", lambda: None)
    with pytest.raises(CheckpointError, match="no default model installed yet"):
        load_model()
