"""A wheel built from this checkout stands on its own: installed into a fresh virtual environment
outside the checkout, ``savsr`` finds its bundled model and sample clip and upscales the sample.

Offline and quick: the wheel is built without build isolation (setuptools from this environment) and
installed without dependencies; the fresh environment reads torch, PyAV and the rest from this
interpreter's site-packages through a ``.pth`` line, so only this project's files come from the wheel.
"""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from engine import __version__
from engine.video import probe

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["engine", "savsr_app", "resources", "pyproject.toml", "setup.py", "README.md", "LICENSE"]

pytestmark = pytest.mark.slow


def run(argv, cwd, env=None) -> str:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{argv}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def venv_python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(fresh environment, a working folder outside the checkout, its environment variables)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"       # a copy, so that the build leaves nothing in the checkout
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, src / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", base / "dist", src], cwd=base)
    [wheel] = (base / "dist").glob("*.whl")
    env_dir = base / "env"
    run([sys.executable, "-m", "venv", "--without-pip", env_dir], cwd=base)
    python = venv_python(env_dir)
    purelib = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base).strip())
    ours = dict.fromkeys(site.getsitepackages() + [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (purelib / "_savsr_test_dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q", wheel],
        cwd=base, env=env)
    work = base / "work"
    work.mkdir()
    return env_dir, work, env


def test_the_wheel_brings_the_model_the_sample_and_one_version(installed):
    env_dir, work, env = installed
    code = ("import engine, importlib.metadata as m; "
            "from engine.resources import default_model_path, sample_clip_path; "
            "print(engine.__file__, default_model_path(), sample_clip_path(), m.version('savsr-studio'), sep='\\n')")
    module, model, sample, version = run([venv_python(env_dir), "-c", code], cwd=work, env=env).splitlines()
    for path in (module, model, sample):
        assert Path(path).is_relative_to(env_dir) and not Path(path).is_relative_to(ROOT), path
    assert version == __version__
    assert run([env_dir / "bin" / "savsr", "--version"], cwd=work, env=env).strip() == f"savsr {__version__}"


def test_savsr_model_info_describes_the_bundled_model(installed):
    env_dir, work, env = installed
    out = run([env_dir / "bin" / "savsr", "model-info"], cwd=work, env=env)
    assert out.startswith("model      savsr_studio_default") and str(env_dir) in out and "parameters" in out


def test_savsr_upscales_the_bundled_sample(installed):
    env_dir, work, env = installed
    out = work / "bunny x1.5x2.mp4"
    run([env_dir / "bin" / "savsr", "upscale", "--sample", "--end", "0.08", "--width-scale", "1.5",
         "--height-scale", "2", "--device", "cpu", "--preset", "ultrafast", "-q", "-o", out],
        cwd=work, env=dict(env, OMP_NUM_THREADS="2"))
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (480, 360, 2)
    assert sorted(p.name for p in work.iterdir()) == [out.name]
