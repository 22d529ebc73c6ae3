"""engine.cli.selftest: the clear failure lines, and a real run on the bundled model and sample."""
from __future__ import annotations

import pytest

from engine import resources
from engine.cli.selftest import run_selftest, selftest_backend


def _run(**kwargs) -> tuple[bool, list[str]]:
    lines: list[str] = []
    ok = run_selftest(log=lines.append, **kwargs)
    return ok, lines


@pytest.fixture
def bundled():
    model, sample = resources.default_model_path(), resources.sample_clip_path()
    if model is None or sample is None:
        pytest.skip("the bundled model (resources/models) or sample clip (resources/sample) is not there yet")
    return model, sample


def test_empty_installation_names_the_missing_model(tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "resources_dir", lambda: tmp_path)
    ok, lines = _run()
    assert not ok
    assert len(lines) == 1
    assert lines[0].startswith("selftest: FAILED -- bundled model missing")
    assert "savsr_studio_default.safetensors" in lines[0]


def test_installation_without_sample_names_the_missing_sample(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / resources.DEFAULT_MODEL_NAME).write_bytes(b"x")
    monkeypatch.setattr(resources, "resources_dir", lambda: tmp_path)
    ok, lines = _run()
    assert not ok and len(lines) == 1
    assert lines[0].startswith("selftest: FAILED -- bundled sample clip missing")


def test_a_corrupt_model_fails_with_the_loaders_reason(bundled, tmp_path):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x00" * 64)
    ok, lines = _run(model=bad)
    assert not ok and len(lines) == 1
    assert lines[0].startswith("selftest: FAILED -- CheckpointError: not a valid safetensors file")


@pytest.mark.slow
def test_renders_the_sample_and_checks_the_output(bundled):
    from engine.backends import isolate_exports
    from engine.backends.cache import cache_root
    root = cache_root()
    graphs_before = sorted(root.rglob("*")) if root.exists() else []
    isolate_exports()                        # as savsr-app --selftest does (the conftest restores it)
    ok, lines = _run(frames=2)
    assert ok, lines
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("selftest: OK -- 2 frames of ")
    assert "(x1.5 w, x1.25 h)" in line and "2/2 frames decode" in line and "dB vs bicubic" in line
    assert "audio kept" in line or "no audio in the sample" in line
    backend = selftest_backend()             # the compiled backend when installed, not torch
    assert f"({backend}{', traced in a child process' if backend != 'torch' else ''})" in line
    # the backend and precision auto settled for this machine, as every render names them
    name = {"torch": "PyTorch", "openvino": "OpenVINO", "onnxruntime": "ONNX Runtime"}[backend]
    assert any(f"on CPU · {name} {p} (" in line for p in ("fp32", "bf16", "fp16", "int8")), line
    # the graph was made afresh in a temporary cache: the user's cache is as it was
    assert (sorted(root.rglob("*")) if root.exists() else []) == graphs_before
