"""Build the Linux bundle with packaging/build.py and run what was built.

Marked ``packaging``: skipped in the default run (see conftest.py). On the shared 2-core build
machine it took 5.5 minutes (build ~3 min, the app left running offscreen 1 min, self-test 1.5 min)
and up to about 10 minutes while the machine was busy (build ~5 min, self-test ~3 min). Run it with

    .venv/bin/python -m pytest -m packaging tests/packaging -v
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.packaging,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux bundle is built on Linux")]


def _build_module():
    spec = importlib.util.spec_from_file_location("savsr_packaging_build", ROOT / "packaging" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build():
    return _build_module()


@pytest.fixture(scope="module")
def bundle(build, tmp_path_factory) -> Path:
    problems = build.preflight()
    if problems:
        pytest.skip("; ".join(problems))
    pytest.importorskip("PyInstaller")
    dist = tmp_path_factory.mktemp("dist")
    # the work folder is kept between runs (build/ is ignored by git): a rebuild reuses the analysis
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--no-verify", "--dist", str(dist),
                           "--work", str(ROOT / "build" / "pyinstaller-test")],
                          cwd=ROOT, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return dist / "savsr-studio"


def test_the_bundle_holds_both_programs_and_the_resources(bundle):
    internal = bundle / "_internal"
    for path in ("savsr-app", "savsr"):
        assert (bundle / path).is_file() and (bundle / path).stat().st_mode & 0o111
    assert (internal / "resources" / "models" / "savsr_studio_default.safetensors").stat().st_mode & 0o004
    assert list((internal / "resources" / "sample").glob("*.mp4"))
    assert (internal / "resources" / "icons" / "savsr_studio.png").is_file()
    assert list((internal / "qtawesome" / "fonts").glob("*.ttf"))
    plugins = internal / "PySide6" / "Qt" / "plugins"
    assert (plugins / "platforms" / "libqxcb.so").is_file() and (plugins / "platforms" / "libqoffscreen.so").is_file()
    assert (plugins / "imageformats" / "libqjpeg.so").is_file()
    assert any(p.name.startswith("libavcodec") for p in internal.rglob("libavcodec*"))
    # left out on purpose
    assert not list(internal.rglob("libQt6Quick*")) and not list(internal.rglob("libQt6Qml*"))
    assert not (internal / "torch" / "test").exists() and not (internal / "torch" / "include").exists()
    assert not list(internal.rglob("libtorch_cuda*"))


def test_no_bundled_library_needs_one_the_bundle_lacks(build, bundle):
    assert build.missing_libraries(bundle) == []


def test_the_built_cli_prints_its_help(build, bundle):
    code, out, _ = build.run_built(bundle / "savsr", ["--help"], timeout=300)
    assert code == 0, out
    assert "usage: savsr" in out and "upscale" in out


def test_the_built_app_starts_and_keeps_running(build, bundle):
    up, why = build.gui_stays_up(bundle / "savsr-app")
    assert up, why


def test_the_built_app_passes_its_selftest_without_a_display(build, bundle):
    code, out, seconds = build.run_built(bundle / "savsr-app", ["--selftest"], timeout=build.SELFTEST_TIMEOUT_S)
    lines = [ln for ln in out.splitlines() if ln.startswith("selftest:")]
    assert code == 0, out[-4000:]
    assert len(lines) == 1 and lines[0].startswith("selftest: OK"), out[-4000:]
    # the bundled compiled backend, not a fallback, its graph traced in a child process as the app does
    # (a frozen program that cannot start one, without multiprocessing.freeze_support, fails here)
    assert "on CPU (openvino, traced in a child process)" in lines[0], lines[0]
    print(f"\n{lines[0]}  [{seconds:.0f} s]")


def test_the_bundle_ships_notices_naming_every_shared_library(build, bundle):
    """THIRD_PARTY_NOTICES.txt (written by build.py from the built folder) lists every shared library."""
    internal = bundle / "_internal"
    text = (internal / "THIRD_PARTY_NOTICES.txt").read_text(encoding="utf-8")
    import re
    shared = re.compile(r"\.(so(\.[\d.]+)?|dylib|dll|pyd)$", re.IGNORECASE)
    libs = sorted(p.relative_to(internal).as_posix() for p in internal.rglob("*")
                  if p.is_file() and shared.search(p.name))
    listed = {ln.split()[0] for ln in text.splitlines() if ln and not ln.startswith((" ", "=", "-"))}
    assert libs and [p for p in libs if p not in listed] == []
    assert "UNIDENTIFIED" not in text
