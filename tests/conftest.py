"""Shared fixtures. Qt runs offscreen; the reference data is read from ../shared when present."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "tests" / "engine"))  # ``clipmaker`` (real test clips) for every test folder


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"reference material not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def parity_fixture(shared_dir):
    import torch
    path = shared_dir / "savsr" / "parity_small.pt"
    if not path.is_file():
        pytest.skip(f"parity fixture not found at {path}")
    return torch.load(path, weights_only=True)


@pytest.fixture(scope="session")
def data_dir(shared_dir) -> Path:
    path = shared_dir / "data"
    if not path.is_dir():
        pytest.skip(f"footage folder not found at {path}")
    return path


@pytest.fixture(scope="session")
def small_model_file(parity_fixture, tmp_path_factory):
    """The parity fixture's small SAVSR (num_feat 16), saved in the project's format.

    Used where a test exercises the video pipeline rather than image quality; quality tests
    use the bundled model.
    """
    from engine import SAVSR, save_model
    model = SAVSR(**parity_fixture["config"])
    model.load_state_dict(parity_fixture["state_dict"])
    return save_model(model, tmp_path_factory.mktemp("models") / "small.safetensors",
                      {"name": "parity-small (test)"})


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a test module that runs tiny frames: a second thread gains nothing there,
    and on a busy shared CPU the thread barriers of two cost far more than they save."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
