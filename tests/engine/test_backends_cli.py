"""``--backend`` on the command line: a bad value is one line; a compiled backend renders what torch renders."""
from __future__ import annotations

import numpy as np
import pytest
from helpers.clipmaker import decoded_frames, make_clip

from engine.backends.runtimes import RUNTIMES
from engine.cli import main
from engine.preview.tiles import Region, preview_network, upscale_region

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SAVSR_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "graphs"))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("backend") / "clip.mp4", count=3, size=(40, 24))


@pytest.mark.parametrize("command", [
    ["upscale", "{clip}", "--scale", "2", "-o", "{out}"],
    ["eval", "{folder}"],
    ["finetune", "{clip}", "-o", "{out}"],
])
@pytest.mark.parametrize("value, message", [
    ("tensorrt", "savsr: error: unknown backend 'tensorrt': use auto, torch, openvino, onnxruntime"),
    ("openvino", "savsr: error: backend openvino is not installed"),
])
def test_bad_backend_is_one_line(command, value, message, clip, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(RUNTIMES["openvino"], "installed", lambda: False)
    argv = [a.format(clip=clip, out=tmp_path / "out.mkv", folder=tmp_path) for a in command]
    assert main([*argv, "--backend", value]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(message)
    assert not (tmp_path / "out.mkv").exists()


@pytest.mark.parametrize("backend", [pytest.param(n, marks=pytest.mark.skipif(
    not r.installed(), reason=f"{n} is not installed (pip install \"savsr-studio[fast]\")"))
    for n, r in RUNTIMES.items()])
def test_a_compiled_backend_renders_what_torch_renders(backend, clip, small_model_file, tmp_path, capsys):
    outs = {}
    for name in ("torch", backend):
        out = tmp_path / f"{name}.mkv"
        assert main(["upscale", str(clip), "-o", str(out), "--width-scale", "2.5", "--height-scale", "1.5",
                     "--model", str(small_model_file), "--device", "cpu", "--codec", "ffv1",
                     "--backend", name, "--precision", "fp32"]) == 0
        outs[name] = np.stack([f.to_ndarray() for f in decoded_frames(out)]).astype(int)  # stored Y, U, V
    err = capsys.readouterr().err
    assert f"preparing the network for 2.5 x 1.5 ({backend}, 1 tile shape)" in err
    assert outs["torch"].shape == outs[backend].shape == (3, 54, 100)  # 4:2:0 planes of 100x36
    assert np.abs(outs["torch"] - outs[backend]).max() <= 1  # 8-bit rounding of fp32 values within 1e-4


@pytest.mark.parametrize("backend", [pytest.param(n, marks=pytest.mark.skipif(
    not r.installed(), reason=f"{n} is not installed (pip install \"savsr-studio[fast]\")"))
    for n, r in RUNTIMES.items()])
def test_preview_through_a_backend(backend, parity_fixture, small_model_file):
    import torch

    from engine import load_model
    model = load_model(small_model_file, torch.device("cpu"))
    frames = parity_fixture["inputs"]["bikes_even"][0].permute(0, 2, 3, 1).numpy()
    region = Region(10, 6, 40, 30)
    net = preview_network(model, backend)
    first = upscale_region(net, frames, (2.0, 2.0), region)  # torch, while the backend prepares the shape
    net.wait()
    a = upscale_region(net, frames, (2.0, 2.0), region)
    b = upscale_region(model, frames, (2.0, 2.0), region)
    assert net.backend == backend and a.shape == b.shape == (30, 40, 3)
    assert np.abs(a.astype(int) - first.astype(int)).max() <= 1  # the same crop, fp32 within 1e-4
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 3  # a larger crop (more context) than torch's
