"""Quitting after an OpenVINO preview ends the process at once, on the user's path.

In a fresh interpreter with neither ``CI`` nor pytest loaded (both quiet OpenVINO's and NNCF's telemetry),
a new home folder and an empty graph cache: the real app opens the bundled sample, the preview computes
its view through OpenVINO, the window closes, and the process must be gone within 5 s. Its telemetry
sender used to fork the app and hang it at exit.
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

DRIVER = r"""
import dataclasses, json, os, sys, time
forks = []
os.register_at_fork(before=lambda: forks.append(1))
from savsr_app.main import start
from savsr_app.qt import QApplication, QTimer
window = start([sys.argv[1]])
window.confirm_close = lambda _question: True
app, seen = QApplication.instance(), {}

def switch_to_openvino():
    if window.info is None:
        return QTimer.singleShot(100, switch_to_openvino)
    s = window.state
    s.set_model(dataclasses.replace(s.model, backend="openvino", tile=64))

def computed(seconds):
    if window.controller.net.backend == "openvino" and "shown" not in seen:
        seen["shown"] = time.time()
        ready()

def ready():        # the graph compiled and checked through OpenVINO (the preview's first tiles may be torch's)
    cache = os.environ["SAVSR_CACHE_DIR"]
    compiled = any("openvino" in root and "check.json" in files for root, _dirs, files in os.walk(cache))
    if compiled and "openvino" in sys.modules:
        seen["compiled"] = time.time()
        QTimer.singleShot(500, window.close)
    else:
        QTimer.singleShot(200, ready)

window.controller.afterTime.connect(computed)
QTimer.singleShot(100, switch_to_openvino)
QTimer.singleShot(240000, app.quit)          # a guard: the test fails on 'shown' missing
app.exec()
print(json.dumps({"shown": seen.get("shown"), "compiled": seen.get("compiled"), "forks": len(forks),
                  "closed": time.time(),
                  "telemetry_loaded": sys.modules.get("openvino_telemetry") is not None}), flush=True)
"""


@pytest.mark.slow
def test_the_app_exits_within_seconds_after_an_openvino_preview(tmp_path):
    pytest.importorskip("openvino")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST")}
    env.update(HOME=str(home), SAVSR_STUDIO_HOME=str(home / "studio"), SAVSR_CACHE_DIR=str(home / "graphs"),
               XDG_CACHE_HOME=str(home / ".cache"), QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(SAMPLE)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the app did not exit (printed: {out[-300:]!r}, {err[-1000:]!r})")
    exited = time.time()
    assert proc.returncode == 0, err[-2000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert report["shown"] is not None and report["compiled"] is not None, f"no OpenVINO preview: {err[-2000:]}"
    assert exited - report["closed"] <= 5.0
    assert report["forks"] == 0 and not report["telemetry_loaded"]
    assert not (home / "intel").exists()
