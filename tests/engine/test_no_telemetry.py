"""The user's path, not CI's: no dependency reports usage, nothing forks, and a render exits when it is done.

OpenVINO keeps its telemetry quiet when ``CI=true`` and NNCF when pytest is imported, so these checks
run in a fresh interpreter with neither, in a new home folder and an empty graph cache, as on a new
install. The child counts forks with ``os.register_at_fork`` and refuses every outside connection.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample" / "big_buck_bunny_320x180.mp4"

PROBE = r"""
import json, os, socket, sys, time
forks, attempts = [], []
os.register_at_fork(before=lambda: forks.append(1))

def refuse(self, address, *args):
    attempts.append(str(address))
    raise OSError("outside connections are refused by this test")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
action = sys.argv[1]
rc = None
if action == "import":
    import engine  # noqa: F401
    import openvino  # noqa: F401
    import onnxruntime  # noqa: F401
    time.sleep(3.5)         # OpenVINO's sender forked within a second of the import when it ran
else:
    from engine.cli import main
    rc = main(sys.argv[2:])
print(json.dumps({"rc": rc, "forks": len(forks), "attempts": attempts,
                  "telemetry_loaded": sys.modules.get("openvino_telemetry") is not None,
                  "finished": time.time()}), flush=True)
"""


def _user_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local" / "share"), SAVSR_CACHE_DIR=str(home / "graphs"))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _run(tmp_path, *args, timeout=300) -> tuple[dict, float]:
    """The probe's report and the seconds between its last line and the process's exit."""
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", PROBE, *args], cwd=tmp_path, env=_user_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the process did not exit within {timeout} s (printed: {out[-500:]!r})")
    exited = time.time()
    assert proc.returncode == 0, err[-2000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert not (home / "intel").exists(), "a dependency wrote its telemetry files into the home folder"
    return report, exited - report["finished"]


def test_importing_the_runtimes_sends_nothing_and_forks_nothing(tmp_path):
    pytest.importorskip("openvino")
    pytest.importorskip("onnxruntime")
    report, _ = _run(tmp_path, "import")
    assert report["forks"] == 0
    assert report["attempts"] == []
    assert not report["telemetry_loaded"]


@pytest.mark.slow
def test_a_render_through_openvino_exits_as_soon_as_it_is_written(tmp_path):
    pytest.importorskip("openvino")
    out = tmp_path / "out.mkv"
    report, lag = _run(tmp_path, "render", "upscale", str(SAMPLE), "-o", str(out), "--scale", "2",
                       "--backend", "openvino", "--end", "0.1", "--threads", "1", "--quiet")
    assert report["rc"] == 0
    assert out.is_file() and out.stat().st_size > 1000
    assert report["forks"] == 0
    assert report["attempts"] == []
    assert lag <= 3.0, f"the process lingered {lag:.1f} s after the render was written"
