"""The SIGKILL of ``benchmarks/app_faults.py`` through the real app: its render worker killed from outside
mid-segment, the app (in its own process, offscreen, as a user starts it) renders the job to the end with
the frames of an uninterrupted render, answers afterwards and quits at once."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_a_worker_killed_from_outside_costs_a_segment_not_the_app():
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "app_faults.py"), "--faults", "kill",
                          "--jobs", "1", "--frames", "16", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = json.loads(run.stdout)
    assert "error" not in report, report
    (fault,) = report["faults"]
    assert fault["injected"] and fault["pid"] not in (None, report["app_pid"])
    assert fault["outcome"]["state"] == "done"
    assert "The render process stopped unexpectedly once" in fault["outcome"]["message"]
    assert report["app_alive"]                  # its event loop answers and it opens a clip afterwards
    assert report["jobs_done"] == 1
    assert report["frames_identical"]           # the segment rendered again matches an uninterrupted render
    assert report["exit_s"] <= 5 and report["exit_code"] == 0
    assert report["processes_left"] == []
