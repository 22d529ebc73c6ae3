"""Backends: every compiled backend computes what torch computes (fp32 within 1e-4), its graphs are
cached on disk and never reused for another model, and any failure falls back to torch with a note."""
from __future__ import annotations

import pytest
import torch

from engine import SAVSR, load_model, save_model
from engine.backends import Accelerated, BackendError, accelerate, check_backend
from engine.backends import accelerated as acc_module
from engine.backends.runtimes import RUNTIMES
from engine.resources import default_model_path

pytestmark = pytest.mark.usefixtures("one_torch_thread", "shared_cache")

TOL = 1e-4


def compiled(name: str):
    """A parameter for one compiled backend, skipped with the reason when its runtime is missing."""
    reason = f"{name} is not installed (pip install \"savsr-studio[fast]\")"
    return pytest.param(name, marks=pytest.mark.skipif(not RUNTIMES[name].installed(), reason=reason))


COMPILED = [compiled(n) for n in RUNTIMES]


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("graphs")


@pytest.fixture
def shared_cache(module_cache, monkeypatch):
    """One cache folder for the module: the runtimes share the exported graphs, as they do for a user."""
    monkeypatch.setenv("SAVSR_CACHE_DIR", str(module_cache))


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SAVSR_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def parity_model(parity_fixture):
    model = SAVSR(**parity_fixture["config"])
    model.load_state_dict(parity_fixture["state_dict"])
    return model.eval()


@pytest.mark.parametrize("backend", COMPILED)
def test_parity_fixture_through_the_backend(backend, parity_model, parity_fixture):
    notes = []
    net = Accelerated(parity_model, backend, note=notes.append)
    worst = 0.0
    for case in parity_fixture["cases"]:
        with torch.no_grad():
            out = net(parity_fixture["inputs"][case["input"]], case["scale"])
        worst = max(worst, float((out - case["output"]).abs().max()))
    assert net.backend == backend, notes
    assert worst <= TOL, f"{backend} is {worst:.2g} from the authors' outputs"


@pytest.mark.parametrize("backend", COMPILED)
def test_bundled_model_matches_torch(backend):
    model = load_model(default_model_path(), torch.device("cpu")).eval()
    lr = torch.rand(1, 7, 3, 37, 50, generator=torch.Generator().manual_seed(3))
    f = accelerate(model, (2.5, 1.75), lr.shape, backend)
    with torch.no_grad():
        ref = model(lr, (2.5, 1.75))
    out = f(lr)
    assert f.backend == backend and out.shape == ref.shape == (1, 3, 92, 88)
    assert float((out - ref).abs().max()) <= TOL


@pytest.mark.parametrize("backend", COMPILED)
def test_a_new_scale_reuses_the_graph(backend, parity_model, parity_fixture):
    net = Accelerated(parity_model, backend)
    lr = parity_fixture["inputs"]["bikes_even"]
    for scale in ((2.0, 2.0), (3.5, 1.25), (1.0, 4.0)):
        with torch.no_grad():
            assert float((net(lr, scale) - parity_model(lr, scale)).abs().max()) <= TOL
    assert len(net.prepared) == 1


@pytest.mark.parametrize("backend", COMPILED)
def test_cache_hit_on_a_second_run_and_miss_after_the_model_file_changes(backend, small_model_file, tmp_path,
                                                                         fresh_cache):
    first = Accelerated(load_model(small_model_file, torch.device("cpu")), backend).prepare(24, 32)
    second = Accelerated(load_model(small_model_file, torch.device("cpu")), backend).prepare(24, 32)
    assert (first.cached, second.cached) == (False, True)
    assert second.seconds < first.seconds

    model = load_model(small_model_file, torch.device("cpu"))
    with torch.no_grad():
        model.conv_last.bias.add_(0.01)
    changed = save_model(model, tmp_path / "changed.safetensors", {"name": "changed"})
    third = Accelerated(load_model(changed, torch.device("cpu")), backend).prepare(24, 32)
    assert third.cached is False


def test_a_backend_that_fails_to_export_falls_back_to_torch_with_a_note(parity_model, parity_fixture, monkeypatch,
                                                                         fresh_cache):
    def broken(*_args, **_kwargs):
        raise RuntimeError("exporter exploded")
    monkeypatch.setattr(acc_module, "export_lr_stage", broken)
    monkeypatch.setattr(acc_module, "AUTO_ORDER", {"cpu": tuple(RUNTIMES)})
    monkeypatch.setattr(RUNTIMES["onnxruntime"], "installed", lambda: True)  # so auto tries even without it
    monkeypatch.setattr(RUNTIMES["openvino"], "installed", lambda: True)
    notes = []
    net = Accelerated(parity_model, "auto", note=notes.append)
    case = parity_fixture["cases"][0]
    with torch.no_grad():
        out = net(parity_fixture["inputs"][case["input"]], case["scale"])
    assert float((out - case["output"]).abs().max()) <= TOL
    assert len(notes) == 1 and notes[0].startswith("using the torch backend")
    assert "exporter exploded" in notes[0]


def test_a_graph_that_differs_from_torch_is_refused(parity_model, parity_fixture, monkeypatch):
    monkeypatch.setattr(acc_module, "TOLERANCE", {"fp32": -1.0})  # nothing can pass
    backend = next((n for n, r in RUNTIMES.items() if r.installed()), None)
    if backend is None:
        pytest.skip("no compiled backend installed (pip install \"savsr-studio[fast]\")")
    notes = []
    net = Accelerated(parity_model, backend, note=notes.append)
    net.prepare(*parity_fixture["inputs"]["bikes_even"].shape[-2:])  # exported by the parity test already
    assert net.backend == "torch" and "differs from torch" in notes[0]


@pytest.mark.parametrize("name, message", [
    ("tensorrt", "unknown backend 'tensorrt': use auto, torch, openvino, onnxruntime"),
    ("", None),
])
def test_check_backend_names(name, message):
    if message is None:
        assert check_backend(name) == "auto"
        return
    with pytest.raises(BackendError) as err:
        check_backend(name)
    assert str(err.value) == message


def test_a_backend_that_is_not_installed_is_one_line(monkeypatch):
    monkeypatch.setattr(RUNTIMES["openvino"], "installed", lambda: False)
    with pytest.raises(BackendError) as err:
        check_backend("OpenVINO")
    assert "\n" not in str(err.value) and "not installed" in str(err.value)


@pytest.mark.parametrize("backend", COMPILED)
def test_an_isolated_export_runs_in_a_child_and_matches_torch(backend, small_model_file, fresh_cache, monkeypatch):
    """The app traces in a child process (its UI thread must not wait for the interpreter lock): the
    parent never traces, and the graph computes what torch computes."""
    def traced_here(*_args):
        raise AssertionError("traced in the app's own process")
    monkeypatch.setattr(acc_module, "export_lr_stage", traced_here)
    monkeypatch.setattr(acc_module, "_isolated", True)
    model = load_model(small_model_file, torch.device("cpu")).eval()
    net = Accelerated(model, backend)
    lr = torch.rand(1, 7, 3, 24, 32, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        out, ref = net(lr, (1.5, 2.5)), model(lr, (1.5, 2.5))
    assert net.backend == backend and net.prepared[0].cached is False
    assert float((out - ref).abs().max()) <= TOL


@pytest.mark.skipif(not RUNTIMES["openvino"].installed(), reason="openvino is not installed")
def test_an_openvino_run_stops_when_asked(small_model_file, fresh_cache):
    """Background work (a render) and stale previews stop inside the compiled graph, not after it."""
    import numpy as np

    from engine.backends.graph import scale_tensor
    from engine.foreground import Preempted
    model = load_model(small_model_file, torch.device("cpu")).eval()
    acc = Accelerated(model, "openvino")
    acc.prepare(24, 32)
    onnx = acc.graph_path((model.num_frame, 24, 32))
    run = RUNTIMES["openvino"].load(onnx, torch.device("cpu"), 1, onnx.parent / "blobs", shape=(7, 24, 32))
    lr = torch.rand(1, 7, 3, 24, 32, generator=torch.Generator().manual_seed(2)).numpy()
    code = scale_tensor((2.0, 2.0)).numpy()
    plain = [o.copy() for o in run(lr, code)]
    watched = run(lr, code, lambda: False)
    assert all(np.array_equal(a, b) for a, b in zip(plain, watched))
    with pytest.raises(Preempted):
        run(lr, code, lambda: True)
    assert all(np.array_equal(a, b) for a, b in zip(plain, run(lr, code)))    # usable afterwards


def test_a_damaged_cached_graph_is_prepared_again_not_replaced_by_torch(small_model_file, fresh_cache):
    """The render settles its backend once; a cached graph that no longer loads (a crash while it was
    written, a disk error) must not turn one worker quietly to torch while the others run OpenVINO."""
    pytest.importorskip("openvino")
    from engine.backends import cache
    model = load_model(small_model_file, torch.device("cpu"))
    first = Accelerated(model, "openvino", precision="fp32")
    first.prepare(24, 32)
    shape = (model.num_frame, 24, 32)
    for f in [*cache.graph_dir(first.digest(), shape).rglob("*"), first.graph_path(shape)]:
        if f.is_file() and f.suffix not in (".json",):
            f.write_bytes(b"\x00garbage" * 64)
    notes = []
    again = Accelerated(load_model(small_model_file, torch.device("cpu")), "openvino", precision="fp32",
                        note=notes.append)
    done = again.prepare(24, 32)
    assert again.backend == "openvino" and done is not None and done.cached is False
    assert any("could not be used" in n and "preparing it again" in n for n in notes), notes
    assert not any(n.startswith("using the torch backend") for n in notes)


@pytest.mark.parametrize("backend", COMPILED)
def test_one_exported_graph_serves_every_tile_size_of_its_parity(backend, small_model_file, fresh_cache, monkeypatch):
    """Height and width are graph inputs: a second even shape compiles the graph the first exported (no
    trace); an odd height is padded by the network, which the trace fixes, so it gets a graph of its own."""
    exports = []
    real = acc_module.export_lr_stage
    monkeypatch.setattr(acc_module, "export_lr_stage", lambda *a: exports.append(a[1]) or real(*a))
    model = load_model(small_model_file, torch.device("cpu")).eval()
    net = Accelerated(model, backend, precision="fp32")
    for h, w in ((24, 32), (40, 56), (25, 32), (31, 32)):
        lr = torch.rand(1, 7, 3, h, w, generator=torch.Generator().manual_seed(h))
        with torch.no_grad():
            assert float((net(lr, (2.0, 1.5)) - model(lr, (2.0, 1.5))).abs().max()) <= TOL, (h, w)
    assert net.backend == backend and exports == [(7, 24, 32), (7, 25, 32)]
