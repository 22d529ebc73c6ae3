"""Shared fixtures. Qt runs offscreen; everything the tests need lives in the repository.

``tests/fixtures/`` holds the authors' small parity fixture and state-dict layout; real footage comes
from the bundled sample (``footage_dir``). Only tests that need large data (many training clips,
the validation split) read the reference material in ``../shared`` -- or wherever ``SAVSR_SHARED``
points, so ``SAVSR_SHARED=/nonexistent`` runs the suite as on a fresh clone -- and skip without it.
"""
from __future__ import annotations

import atexit
import locale
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# compiled graphs of test models go to a folder of this run, not the user's cache
if "SAVSR_CACHE_DIR" not in os.environ:
    os.environ["SAVSR_CACHE_DIR"] = tempfile.mkdtemp(prefix="savsr-test-graphs-")
    atexit.register(shutil.rmtree, os.environ["SAVSR_CACHE_DIR"], True)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = Path(os.environ.get("SAVSR_SHARED") or ROOT.parent / "shared")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"needs the large reference data in {SHARED} (set SAVSR_SHARED to another folder)")
    return SHARED


@pytest.fixture(scope="session")
def data_dir(shared_dir) -> Path:
    """The large footage collection (DAVIS, Vimeo-90K, BasketballPass): for training and validation only."""
    path = shared_dir / "data"
    if not path.is_dir():
        pytest.skip(f"needs the large reference data in {path} (set SAVSR_SHARED to another folder)")
    return path


@pytest.fixture(scope="session")
def footage_dir() -> Path:
    """75 consecutive real frames (``001.png``..., 320x180 RGB) from the bundled Big Buck Bunny sample."""
    from helpers.clipmaker import footage_dir
    return footage_dir()


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``tests/fixtures``: the authors' reference data (see its README.md)."""
    return FIXTURES


@pytest.fixture(scope="session")
def parity_fixture():
    """The authors' outputs for a small config (num_feat 16); see tests/fixtures/README.md."""
    import torch
    return torch.load(FIXTURES / "parity_small.pt", weights_only=True)


@pytest.fixture(scope="session")
def parity_nf24():
    """The authors' outputs at num_feat 24 (see tests/fixtures/make_parity_nf24.py), in the same form
    as ``parity_fixture``: the stored int8 codes times their powers of two give the float32 weights."""
    import torch
    raw = torch.load(FIXTURES / "parity_nf24.pt", weights_only=True)
    codes, exponents = raw.pop("weight_codes"), raw.pop("weight_exponents")
    raw["state_dict"] = {k: v.float() * 2.0 ** exponents[k] if k in exponents else v for k, v in codes.items()}
    return raw


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


@pytest.fixture(autouse=True)
def export_isolation_restored():
    """The app's start-up turns on tracing in a child process for the whole process
    (``engine.backends.isolate_exports``): each test gets the setting it started with."""
    from engine.backends import accelerated
    before = accelerated._isolated
    yield
    accelerated._isolated = before


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a test module that runs tiny frames: a second thread gains nothing there,
    and on a busy shared CPU the thread barriers of two cost far more than they save."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


_LOCALE = locale.setlocale(locale.LC_ALL)
_LOCALE_CHANGED_BY: list[str] = []


@pytest.fixture(autouse=True)
def _keep_the_locale(request):
    """A library in some test switched the process's C locale to ASCII (seen once in a full run: later
    tests then failed decoding UTF-8 text); put it back after each test and name the test in the summary."""
    yield
    if locale.setlocale(locale.LC_ALL) != _LOCALE:
        _LOCALE_CHANGED_BY.append(request.node.nodeid)
        locale.setlocale(locale.LC_ALL, _LOCALE)


def pytest_terminal_summary(terminalreporter):
    """One line per reason for skipping, with its count, so a CI log says at once what did not run."""
    reasons = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        if isinstance(report.longrepr, tuple):
            reasons[report.longrepr[2].removeprefix("Skipped: ")] += 1
    if _LOCALE_CHANGED_BY:
        terminalreporter.section("locale changed (and restored) by")
        for nodeid in _LOCALE_CHANGED_BY:
            terminalreporter.write_line(nodeid)
    if reasons:
        terminalreporter.section(f"{sum(reasons.values())} skipped")
        for reason, count in reasons.most_common():
            terminalreporter.write_line(f"{count:4d}  {reason}")
